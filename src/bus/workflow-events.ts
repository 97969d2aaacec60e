/** Events of the workflows capability (added to HubEvent). */
export type WorkflowEvent = never;
