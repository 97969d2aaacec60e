/** Persistence for context: the ContextStore part of the Store interface. */
export interface ContextStore {}
