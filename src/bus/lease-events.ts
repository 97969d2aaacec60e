/** Events of the leases capability (added to HubEvent). */
export type LeaseEvent = never;
