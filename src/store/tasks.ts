/** Persistence for tasks: the TaskStore part of the Store interface. */
export interface TaskStore {}
