/**
 * The wire shapes: each view clients see (snake_case, ISO times) defined once, as a zod schema with
 * its type by `z.infer`. Operations use the schemas as outputs, bus events and domain views the types;
 * the TS client and the dashboard get them through the operations' outputs.
 */
export * from './agent.js';
export * from './approval.js';
export * from './context.js';
export * from './instance.js';
export * from './lease.js';
export * from './message.js';
export * from './server.js';
export * from './task.js';
export * from './vote.js';
export * from './workflow.js';
