/** Events of the context capability (added to HubEvent). */
export type ContextEvent = never;
