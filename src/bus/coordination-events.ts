/** Events of the coordination capability (added to HubEvent). */
export type CoordinationEvent = never;
