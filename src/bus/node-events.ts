/**
 * Node-to-node calls over the bus (cluster mode): a node asks the node that owns something (an
 * instance's process) to act on it, and gets the answer back. These travel only on `node:<id>`
 * channels, which no client surface subscribes to; they never reach a WebSocket, SSE stream or tail.
 */
export type NodeEvent =
  | {
      type: 'node.call';
      at: string;
      call_id: string;
      /** The asking node: the answer goes to its channel. */
      from_node: string;
      op: string;
      args: unknown;
    }
  | {
      type: 'node.reply';
      at: string;
      call_id: string;
      ok: boolean;
      result?: unknown;
      error?: { code: string; message: string };
    };
