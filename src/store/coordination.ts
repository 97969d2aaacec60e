/** Persistence for coordination: the CoordinationStore part of the Store interface. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CoordinationStore {}
