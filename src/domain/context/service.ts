/**
 * Shared context: scoped JSON values with versions, compare-and-set, expiry, history and watchers.
 * Every change is committed first, then published: on the hub-wide channel, on the key's own
 * channel (blocked watch_context calls, MCP resource watches) and on each watching agent's channel.
 */
import { channels } from '../../bus/bus.js';
import { contextKeyChannel, type ContextChangedEvent } from '../../bus/context-events.js';
import { HubError, notFound } from '../../core/errors.js';
import { iso } from '../../core/time.js';
import type { ContextAddress, ContextChange, ContextEntry, ContextScope } from '../../store/context.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import { CONTEXT_KEY_PATTERN, CONTEXT_LIMITS } from './limits.js';
import { checkWrite, type ContextActor, resolveScopeId } from './scopes.js';
import type { ContextChangeView, ContextEntryView } from '../../core/wire/index.js';
import { changeView, entryView } from './views.js';
import { channelWaiter } from './wait.js';

export interface KeyRef {
  scope: ContextScope;
  scope_id?: string;
  key: string;
}

export interface SetInput extends KeyRef {
  value: unknown;
  expected_version?: number;
  ttl_seconds?: number;
}

export interface WatchInput extends KeyRef {
  since_version?: number;
  timeout_seconds?: number;
}

export interface WatchResult {
  changed: boolean;
  timed_out: boolean;
  version: number;
  entry: ContextEntryView | null;
}

const describe = (a: ContextAddress) => `${a.scope}${a.scopeId ? `:${a.scopeId}` : ''}/${a.key}`;

export class ContextService {
  /** `services` gives access to the other domains (agents, messages, ...), complete once the hub is built. */
  constructor(
    protected readonly d: DomainDeps,
    protected readonly services: Services,
  ) {}

  private now(): string {
    return iso(this.d.clock.now());
  }

  /** The key's address for this actor, after the read rule of its scope (reading, writing and watching alike). */
  async address(actor: ContextActor, ref: KeyRef): Promise<ContextAddress> {
    if (!CONTEXT_KEY_PATTERN.test(ref.key)) {
      throw new HubError(
        'invalid_input',
        'key: 1-200 characters of letters, digits, ".", "_", ":", "-", starting with a letter or digit',
      );
    }
    return { scope: ref.scope, scopeId: await this.scopeId(actor, ref.scope, ref.scope_id), key: ref.key };
  }

  /**
   * The scope's id for this actor, or `forbidden`: a project's context is its agents' own; a
   * conversation's (scope_id = a thread id) belongs to the agents who sent or received a message in
   * that thread. The admin (actor null) may use any.
   */
  async scopeId(actor: ContextActor, scope: ContextScope, named: string | undefined): Promise<string> {
    const id = resolveScopeId(actor, scope, named);
    if (scope === 'conversation' && actor && !(await this.inThread(actor.id, id))) {
      throw new HubError(
        'forbidden',
        `scope_id: the conversation context of thread ${id} is open only to the agents who sent or received ` +
          `a message in that thread (or the admin); ${actor.id} has not`,
      );
    }
    return id;
  }

  private inThread(agentId: string, threadId: string): Promise<boolean> {
    return this.services.messages.inThread(agentId, threadId);
  }

  async get(actor: ContextActor, ref: KeyRef): Promise<ContextEntryView> {
    const a = await this.address(actor, ref);
    const entry = await this.d.store.context.getContext(a, this.now());
    if (!entry) throw notFound(`Context key ${describe(a)}`);
    return entryView(entry);
  }

  async set(actor: ContextActor, input: SetInput): Promise<ContextEntryView> {
    const a = await this.address(actor, input);
    checkWrite(actor, a);
    const text = JSON.stringify(input.value);
    if (text === undefined) throw new HubError('invalid_input', 'value: give a JSON value');
    const size = Buffer.byteLength(text);
    if (size > CONTEXT_LIMITS.maxValueBytes) {
      throw new HubError(
        'payload_too_large',
        `value is ${size} bytes as JSON; the largest context value is ${CONTEXT_LIMITS.maxValueBytes} bytes`,
      );
    }
    const nowMs = this.d.clock.now();
    const at = iso(nowMs);
    // One store write decides compare-and-set and the scope's key limit together with the write,
    // so concurrent calls (group-committed on SQLite) are each judged exactly, in order.
    const result = await this.d.store.context.setContext({
      ...a,
      value: input.value,
      text,
      expectedVersion: input.expected_version,
      by: actor?.id ?? null,
      at,
      expiresAt: input.ttl_seconds ? iso(nowMs + input.ttl_seconds * 1000) : null,
      maxKeys: CONTEXT_LIMITS.maxKeysPerScope,
    });
    if ('full' in result) {
      throw new HubError(
        'conflict',
        `The ${a.scope} scope already holds ${result.count} keys, the most it may; delete some first`,
      );
    }
    if ('stale' in result) throw this.stale(a, input.expected_version ?? 0, result.current);
    await this.publish({
      ...a,
      version: result.version,
      change: 'set',
      value: result.value,
      changedBy: result.updatedBy,
      changedAt: at,
      expiresAt: result.expiresAt,
    });
    return entryView(result);
  }

  private stale(a: ContextAddress, expected: number, current: ContextEntry | null): HubError {
    const version = current?.version ?? 0;
    return new HubError(
      'conflict',
      `${describe(a)} is at version ${version}${current ? '' : ' (absent)'}, not ${expected}: ` +
        'read it again and retry with expected_version set to the current version',
      {
        details: {
          current_version: version,
          current_value: current?.value ?? null,
          current: current && entryView(current),
        },
      },
    );
  }

  async delete(
    actor: ContextActor,
    ref: KeyRef & { expected_version?: number },
  ): Promise<{ deleted: boolean; version: number | null }> {
    const a = await this.address(actor, ref);
    checkWrite(actor, a);
    const result = await this.d.store.context.deleteContext(a, {
      expectedVersion: ref.expected_version,
      by: actor?.id ?? null,
      at: this.now(),
    });
    if (!result) return { deleted: false, version: null };
    if ('stale' in result) throw this.stale(a, ref.expected_version ?? 0, result.current);
    await this.publish(result);
    return { deleted: true, version: result.version };
  }

  async list(
    actor: ContextActor,
    input: { scope: ContextScope; scope_id?: string; prefix?: string; limit?: number; after?: string },
  ): Promise<{ scope: string; scope_id: string; entries: ContextEntryView[]; next_after: string | null }> {
    const scopeId = await this.scopeId(actor, input.scope, input.scope_id);
    const limit = input.limit ?? 100;
    const entries = await this.d.store.context.listContext(input.scope, scopeId, {
      prefix: input.prefix,
      after: input.after,
      now: this.now(),
      limit: limit + 1,
    });
    const page = entries.slice(0, limit);
    return {
      scope: input.scope,
      scope_id: scopeId,
      entries: page.map(entryView),
      next_after: entries.length > limit ? (page.at(-1)?.key ?? null) : null,
    };
  }

  async history(
    actor: ContextActor,
    ref: KeyRef & { limit?: number },
  ): Promise<{ scope: string; scope_id: string; key: string; changes: ContextChangeView[] }> {
    const a = await this.address(actor, ref);
    const changes = await this.d.store.context.contextHistory(a, ref.limit ?? 50);
    if (changes.length === 0) throw notFound(`Context key ${describe(a)} (it has no history)`);
    return { scope: a.scope, scope_id: a.scopeId, key: a.key, changes: changes.map(changeView) };
  }

  /**
   * Returns at once when the key's version differs from `since_version` (default: the version at
   * the call); otherwise blocks until it changes (woken by the bus), the timeout passes or the
   * caller goes away. An absent key is version 0.
   */
  async watch(
    actor: ContextActor,
    input: WatchInput,
    signal?: AbortSignal,
    onProgress?: (elapsedSeconds: number, totalSeconds: number) => void,
  ): Promise<WatchResult> {
    const a = await this.address(actor, input);
    const timeout = Math.min(
      input.timeout_seconds ?? CONTEXT_LIMITS.defaultWaitSeconds,
      CONTEXT_LIMITS.maxWaitSeconds,
    );
    const waiter = channelWaiter(this.d.bus, contextKeyChannel(a.scope, a.scopeId, a.key), signal);
    const started = Date.now();
    const deadline = started + timeout * 1000;
    const progress = onProgress
      ? setInterval(() => onProgress(Math.round((Date.now() - started) / 1000), timeout), 5000)
      : undefined;
    try {
      let since = input.since_version;
      for (;;) {
        const entry = await this.d.store.context.getContext(a, this.now());
        const version = entry?.version ?? 0;
        since ??= version;
        const view = entry ? entryView(entry) : null;
        if (version !== since) return { changed: true, timed_out: false, version, entry: view };
        // A key with a TTL changes when it expires: wake then and sweep, so its watchers see the expiry.
        const remaining = deadline - Date.now();
        const untilExpiry = entry?.expiresAt
          ? Math.max(Date.parse(entry.expiresAt) - this.d.clock.now(), 0) + 50
          : Number.POSITIVE_INFINITY;
        const woken = await waiter.next(Math.min(remaining, untilExpiry));
        if (woken) continue;
        if (Date.now() >= deadline || signal?.aborted) {
          return { changed: false, timed_out: true, version, entry: view };
        }
        await this.sweep();
      }
    } finally {
      waiter.close();
      if (progress) clearInterval(progress);
    }
  }

  /** Pushes this key's (or with key '*', the whole scope's) changes to the agent's channel. */
  async subscribe(
    actor: NonNullable<ContextActor>,
    ref: Omit<KeyRef, 'key'> & { key?: string },
    on: boolean,
  ): Promise<{ scope: string; scope_id: string; key: string; subscribed: boolean }> {
    const key = ref.key ?? '*';
    const a =
      key === '*'
        ? { scope: ref.scope, scopeId: await this.scopeId(actor, ref.scope, ref.scope_id), key }
        : await this.address(actor, { ...ref, key });
    if (on) await this.d.store.context.addContextWatcher(a, actor.id, this.now());
    else await this.d.store.context.removeContextWatcher(a, actor.id);
    return { scope: a.scope, scope_id: a.scopeId, key, subscribed: on };
  }

  /** Removes expired keys and tells watchers; the hub runs this on a timer. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const expired = await this.d.store.context.sweepContext(this.now(), CONTEXT_LIMITS.sweepBatch);
      for (const change of expired) await this.publish(change);
      total += expired.length;
      if (expired.length < CONTEXT_LIMITS.sweepBatch) return total;
    }
  }

  private async publish(c: ContextChange): Promise<void> {
    const event: ContextChangedEvent = {
      type: 'context.changed',
      at: c.changedAt,
      scope: c.scope,
      scope_id: c.scopeId,
      key: c.key,
      change: c.change,
      version: c.version,
      value: c.value,
      by: c.changedBy,
      expires_at: c.expiresAt,
    };
    const { bus } = this.d;
    bus.publish(channels.all, event);
    bus.publish(contextKeyChannel(c.scope, c.scopeId, c.key), event);
    for (const agentId of await this.d.store.context.contextWatchers(c)) {
      bus.publish(channels.agent(agentId), event);
    }
  }
}
