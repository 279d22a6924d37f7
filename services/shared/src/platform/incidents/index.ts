/** Incidents declared by operators or detected from channel health, shared through the store. */
export {
  activeIncidents,
  createIncidentStore,
  isActiveIncident,
  newIncidentId,
  type DeclareIncidentInput,
  type IncidentStore,
  type IncidentStoreOptions,
  type ListIncidentsOptions,
  type ResolvedIncident,
} from "./incident-store";
export { putIncident, readIncidents, resolveIncident } from "./incident-scripts";
export { cachedIncidentCheck } from "./incident-check";
