/** Events of the instances capability (added to HubEvent). */
export type InstanceEvent = never;
