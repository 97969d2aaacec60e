/** Persistence for instances: the InstanceStore part of the Store interface. */
export interface InstanceStore {}
