/** Persistence for context: the ContextStore part of the Store interface. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ContextStore {}
