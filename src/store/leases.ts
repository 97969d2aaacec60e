/** Persistence for leases: the LeaseStore part of the Store interface. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface LeaseStore {}
