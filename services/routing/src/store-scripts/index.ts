/** Store scripts of the routing service (each with a Lua body and a local body). */
export {
  readHealthIndex,
  readHealthScope,
  recordHealth,
  touchHealthIndex,
  transitionHealth,
  type SeriesIncrement,
} from "./health";
