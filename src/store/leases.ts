/** Persistence for leases: the LeaseStore part of the Store interface. */
export interface LeaseStore {}
