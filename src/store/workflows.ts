/** Persistence for workflows: the WorkflowStore part of the Store interface. */
export interface WorkflowStore {}
