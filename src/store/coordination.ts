/** Persistence for coordination: the CoordinationStore part of the Store interface. */
export interface CoordinationStore {}
