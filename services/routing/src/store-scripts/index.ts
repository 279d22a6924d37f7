/** Store scripts of the routing service (each with a Lua body and a local body). */
export {
  BUCKET_FIELDS,
  readHealthIndex,
  readHealthScope,
  recordHealth,
  touchHealthIndex,
  transitionHealth,
  type RecordHealthInput,
  type SeriesIncrement,
  type TransitionHealthInput,
} from "./health";
