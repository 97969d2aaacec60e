/** Events of the gateway capability (added to HubEvent). Published on `channels.all` and GATEWAY_CHANNEL. */
export const GATEWAY_CHANNEL = 'gateway';

export type GatewayEvent =
  /** The set of downstream tools the hub republishes changed (a server connected, changed or went away). */
  | { type: 'gateway.tools_changed'; at: string; server: string; tools: number }
  /** A server's prompts, resources or resource templates changed (connected, list_changed, went away). */
  | { type: 'gateway.catalog_changed'; at: string; server: string; prompts: number; resources: number }
  /** A downstream resource someone subscribed to changed; `uri` is the URI our clients see. */
  | { type: 'gateway.resource_updated'; at: string; server: string; uri: string }
  /** A server's connection state or health changed. */
  | {
      type: 'gateway.server_health';
      at: string;
      server: string;
      state: string;
      health: string;
      breaker: string;
    }
  /**
   * A call was put on hold for approval, or a session's permission prompt was relayed (`kind`), or
   * either was decided (approved, denied, timed out, cancelled). `project`: the requesting agent's.
   */
  | {
      type: 'gateway.approval';
      at: string;
      approval_id: string;
      kind: 'gateway_call' | 'permission';
      project: string | null;
      tool: string;
      server: string;
      status: string;
    };
