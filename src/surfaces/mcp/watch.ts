/**
 * Resource changes from bus events: agent.* events change the agent list; a `message` event on an
 * agent's channel changes its inbox; a `context.changed` event on a key's channel changes that key. Used by 2025 sessions (resources/subscribe) and by 2026
 * listen streams (subscriptions/listen) alike.
 */
import { type Bus, channels, type Unsubscribe } from '../../bus/bus.js';
import { contextKeyChannel } from '../../bus/context-events.js';
import { GATEWAY_CHANNEL } from '../../bus/gateway-events.js';
import type { ResourceTarget } from './resource-uris.js';

export function watchResource(bus: Bus, target: ResourceTarget, changed: () => void): Unsubscribe {
  if (target.kind === 'agents') {
    return bus.subscribe(channels.all, (event) => {
      if (event.type.startsWith('agent.')) changed();
    });
  }
  if (target.kind === 'gateway') {
    const release = target.hold();
    const stop = bus.subscribe(GATEWAY_CHANNEL, (event) => {
      if (event.type === 'gateway.resource_updated' && event.uri === target.uri) changed();
    });
    return () => {
      stop();
      release();
    };
  }
  if (target.kind === 'context') {
    return bus.subscribe(contextKeyChannel(target.scope, target.scopeId, target.key), changed);
  }
  return bus.subscribe(channels.agent(target.agentId), (event) => {
    if (event.type === 'message') changed();
  });
}

/**
 * Reference-counted watches for the 2026 listen streams: the bus is only listened to while some open
 * stream asked for that resource; each change is published once to the handler's notifier.
 */
export class ListenWatches {
  private readonly watches = new Map<string, { holders: number; stop: Unsubscribe }>();

  constructor(
    private readonly bus: Bus,
    private readonly publish: (uri: string) => void,
  ) {}

  /** Holds watches on these resources until the returned release is called (idempotent). */
  hold(resources: Array<{ uri: string; target: ResourceTarget }>): () => void {
    for (const { uri, target } of resources) {
      const held = this.watches.get(uri);
      if (held) held.holders += 1;
      else
        this.watches.set(uri, { holders: 1, stop: watchResource(this.bus, target, () => this.publish(uri)) });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const { uri } of resources) {
        const held = this.watches.get(uri);
        if (!held) continue;
        held.holders -= 1;
        if (held.holders <= 0) {
          held.stop();
          this.watches.delete(uri);
        }
      }
    };
  }

  get size(): number {
    return this.watches.size;
  }

  close(): void {
    for (const { stop } of this.watches.values()) stop();
    this.watches.clear();
  }
}
