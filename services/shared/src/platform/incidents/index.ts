/** Incidents declared by operators or detected from channel health, shared through the store. */
export { activeIncidents, createIncidentStore, type IncidentStore } from "./incident-store";
export { cachedIncidentCheck } from "./incident-check";
