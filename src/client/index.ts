/** The Switchboard TypeScript client: `HubClient` (every operation, typed) and `AgentClient` (one agent). */

export type {
  AgentClientOptions,
  Listening,
  ListenOptions,
  MessageHandler,
  RequestOptions,
  SendOptions,
} from './agent-client.js';
export { AgentClient } from './agent-client.js';
export type { BackoffOptions } from './backoff.js';
export { SwitchboardError } from './errors.js';
export { DEFAULT_URL, HubUrls, normalizeUrl, parseUrls } from './failover.js';
export type { HubClientOptions, OperationMethods } from './hub-client.js';
export { HubClient } from './hub-client.js';
export type { HubSocketOptions, ServerFrame, SocketState } from './socket.js';
export { HubSocket } from './socket.js';
export type { EventStreamOptions } from './sse.js';
export type * from './types.js';
