/**
 * Live event fan-out. Domain services publish after the store has committed; surfaces subscribe
 * (WebSocket frames, SSE events, MCP notifications, waking blocked waits). A push is never the
 * only copy of anything: clients that were away read it back from the store by cursor.
 */
import type { HubEvent } from './events.js';

export type Unsubscribe = () => void;
export type Listener = (event: HubEvent) => void;

export interface Bus {
  /** Deliver to the listeners of exactly this channel. */
  publish(channel: string, event: HubEvent): void;
  /** Every event of this channel, whichever node published it (pushes to clients, waking waits). */
  subscribe(channel: string, listener: Listener): Unsubscribe;
  /**
   * Only the events published on this node. For listeners whose effect must happen once in the
   * whole cluster (writing rollups, claiming, releasing, fanning an event out again): in cluster
   * mode every node hears every event, and each node acting on it would act N times.
   */
  subscribeLocal(channel: string, listener: Listener): Unsubscribe;
  listenerCount(channel?: string): number;
}

/** Channel names in one place. */
export const channels = {
  /** Everything addressed to one agent: deliveries, acks of its messages. */
  agent: (agentId: string) => `agent:${agentId}`,
  /** Hub-wide events (admin streams, `tail`, metrics): one per happening, not one per recipient. */
  all: '*',
  /** Calls to one node of a cluster and its answers (never forwarded to clients). */
  node: (nodeId: string) => `node:${nodeId}`,
};

export class InProcessBus implements Bus {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly onListenerError?: (err: unknown) => void) {}

  publish(channel: string, event: HubEvent): void {
    this.dispatch(this.listeners.get(channel), event);
  }

  private dispatch(set: Set<Listener> | undefined, event: HubEvent): void {
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(event);
      } catch (err) {
        this.onListenerError?.(err);
      }
    }
  }

  subscribe(channel: string, listener: Listener): Unsubscribe {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    set.add(listener);
    return () => {
      const s = this.listeners.get(channel);
      if (!s) return;
      s.delete(listener);
      if (s.size === 0) this.listeners.delete(channel);
    };
  }

  /** One process is the whole cluster: every event is local. */
  subscribeLocal(channel: string, listener: Listener): Unsubscribe {
    return this.subscribe(channel, listener);
  }

  listenerCount(channel?: string): number {
    if (channel) return this.listeners.get(channel)?.size ?? 0;
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }
}
