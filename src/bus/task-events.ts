/** Events of the tasks capability (added to HubEvent). */
export type TaskEvent = never;
