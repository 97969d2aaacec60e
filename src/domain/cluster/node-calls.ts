/**
 * Asking another node to do something only it can do (cluster mode): an instance's process lives on
 * the node that spawned it, so `send_to_instance`, `interrupt_instance` and `terminate_instance` that
 * arrive on another node are forwarded to that owner. A call is a `node.call` event on the owner's
 * bus channel; the answer (a result, or the HubError it threw, code and message kept) comes back as a
 * `node.reply` on the caller's channel. The cluster bus carries both between nodes; an owner that
 * does not answer in time (it died, or the database is unreachable) gives `unavailable`.
 */
import { channels, type Bus, type Unsubscribe } from '../../bus/bus.js';
import type { NodeEvent } from '../../bus/node-events.js';
import { ERROR_CODES, type ErrorCode, HubError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';

export type NodeHandler = (args: any) => Promise<unknown>;

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
}

export class NodeCalls {
  private readonly handlers = new Map<string, NodeHandler>();
  private readonly pending = new Map<string, Pending>();
  private unsubscribe: Unsubscribe | undefined;

  constructor(
    private readonly bus: Bus,
    readonly nodeId: string,
    private readonly logger?: Logger,
  ) {}

  /** Registers what this node does for `op` when another node asks. */
  handle(op: string, fn: NodeHandler): void {
    this.handlers.set(op, fn);
  }

  /** Starts answering calls and receiving answers on this node's channel. */
  start(): void {
    this.unsubscribe ??= this.bus.subscribe(channels.node(this.nodeId), (event) => {
      if (event.type === 'node.call') void this.answer(event);
      else if (event.type === 'node.reply') this.settle(event);
    });
  }

  /** Stops; calls still waiting fail with `unavailable`. */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new HubError('unavailable', 'This hub node is shutting down'));
      this.pending.delete(id);
    }
  }

  /** Runs `op` on `node` and answers with its result, or throws the error it threw there. */
  call<T>(node: string, op: string, args: unknown, timeoutMs: number): Promise<T> {
    if (!this.unsubscribe) this.start();
    const callId = newId('call');
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(callId);
        reject(
          new HubError(
            'unavailable',
            `Hub node ${node}, which runs this, did not answer within ${Math.round(timeoutMs / 1000)} s; ` +
              'if it died, another node takes its work over once its heartbeat stops — try again then',
          ),
        );
      }, timeoutMs);
      timer.unref();
      this.pending.set(callId, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.bus.publish(channels.node(node), {
        type: 'node.call',
        at: new Date().toISOString(),
        call_id: callId,
        from_node: this.nodeId,
        op,
        args,
      });
    });
  }

  private async answer(event: Extract<NodeEvent, { type: 'node.call' }>): Promise<void> {
    const reply = (body: { ok: boolean; result?: unknown; error?: { code: string; message: string } }) =>
      this.bus.publish(channels.node(event.from_node), {
        type: 'node.reply',
        at: new Date().toISOString(),
        call_id: event.call_id,
        ...body,
      });
    const handler = this.handlers.get(event.op);
    if (!handler) {
      reply({
        ok: false,
        error: { code: 'unavailable', message: `Hub node ${this.nodeId} cannot do ${event.op}` },
      });
      return;
    }
    try {
      reply({ ok: true, result: await handler(event.args) });
    } catch (err) {
      if (err instanceof HubError) reply({ ok: false, error: { code: err.code, message: err.message } });
      else {
        this.logger?.error({ err, op: event.op }, 'a call from another node failed');
        reply({
          ok: false,
          error: { code: 'internal', message: `${event.op} failed on hub node ${this.nodeId}` },
        });
      }
    }
  }

  private settle(event: Extract<NodeEvent, { type: 'node.reply' }>): void {
    const p = this.pending.get(event.call_id);
    if (!p) return; // timed out already, or not ours
    this.pending.delete(event.call_id);
    clearTimeout(p.timer);
    if (event.ok) p.resolve(event.result);
    else {
      const code = (ERROR_CODES as readonly string[]).includes(event.error?.code ?? '')
        ? (event.error!.code as ErrorCode)
        : 'internal';
      p.reject(new HubError(code, event.error?.message ?? 'failed on another hub node'));
    }
  }
}
