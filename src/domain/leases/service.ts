/**
 * File leases: an agent holds glob patterns exclusively or shared for a while. Acquiring is
 * all-or-nothing and checked against the project's live leases inside one write, so two agents can
 * never both win overlapping exclusive leases. Expired leases count as gone at once and are swept.
 */
import { channels } from '../../bus/bus.js';
import type { LeaseEvent } from '../../bus/lease-events.js';
import { HubError, notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { iso } from '../../core/time.js';
import type { LeaseMode, LeaseRecord } from '../../store/leases.js';
import type { AgentRecord } from '../../store/types.js';
import type { DomainDeps } from '../deps.js';
import { releaseLeasesOfRetired } from './retired.js';
import type { Services } from '../index.js';
import { findConflicts } from './conflicts.js';
import { compileGlob, globsOverlap, parseGlob } from './globs.js';
import { LEASE_LIMITS } from './limits.js';
import { type LeaseConflict, leaseView } from './views.js';

export interface AcquireInput {
  patterns: string[];
  mode?: LeaseMode;
  ttl_seconds?: number;
  reason?: string;
}

export interface PathCheck {
  path: string;
  /** Held exclusively by an agent other than the one asking. */
  blocked: boolean;
  leases: Array<LeaseConflict>;
}

export class LeaseService {
  /** `services` gives access to the other domains (agents, messages, ...), complete once the hub is built. */
  constructor(
    protected readonly d: DomainDeps,
    protected readonly services: Services,
  ) {
    releaseLeasesOfRetired(d, (agentId) => this.releaseAllOf(agentId));
  }

  /** Releases every live lease an agent holds; returns how many. */
  async releaseAllOf(agentId: string): Promise<number> {
    const held = await this.d.store.leases.listLeases({ holder: agentId, now: this.now() });
    let released = 0;
    for (const lease of held) {
      if (await this.d.store.leases.releaseLease(lease.id)) {
        released++;
        await this.publish('lease.released', lease, this.now());
      }
    }
    return released;
  }

  private now(): string {
    return iso(this.d.clock.now());
  }

  async acquire(holder: AgentRecord, input: AcquireInput) {
    const requested = input.patterns.map((raw, i) => {
      const parsed = parseGlob(raw);
      if ('error' in parsed)
        throw new HubError('invalid_input', `patterns.${i}: ${JSON.stringify(raw)} ${parsed.error}`);
      return parsed;
    });
    const mode = input.mode ?? 'exclusive';
    const ttl = input.ttl_seconds ?? LEASE_LIMITS.defaultTtlSeconds;
    const nowMs = this.d.clock.now();
    const at = iso(nowMs);
    const lease: LeaseRecord = {
      id: newId('lease'),
      project: holder.project,
      holder: holder.id,
      mode,
      patterns: [...new Set(requested.map((r) => r.text))],
      reason: input.reason ?? null,
      ttlSeconds: ttl,
      acquiredAt: at,
      renewedAt: at,
      expiresAt: iso(nowMs + ttl * 1000),
    };
    const max = this.d.config.leases.maxPerAgent;
    let held = 0;
    const result = await this.d.store.leases.acquireLease(lease, at, (live) => {
      held = live.filter((l) => l.holder === holder.id).length;
      // The cap is checked in the same write as the conflicts, so concurrent acquires cannot pass it.
      if (held >= max) return [null];
      return findConflicts(holder.id, mode, requested, live);
    });
    if ('conflicts' in result) {
      const conflicts = result.conflicts.filter((c): c is LeaseConflict => c !== null);
      if (conflicts.length === 0) {
        throw new HubError(
          'conflict',
          `${holder.id} already holds ${held} leases, the most one agent may hold (leases.maxPerAgent = ${max}); ` +
            'release some (release_lease) or widen one lease with more patterns; nothing was leased',
          { details: { held, max } },
        );
      }
      throw await this.refusal(conflicts);
    }
    await this.publish('lease.acquired', result.lease, at);
    return leaseView(result.lease);
  }

  private async refusal(conflicts: LeaseConflict[]): Promise<HubError> {
    const first = conflicts[0] as LeaseConflict;
    const holder = await this.d.store.getAgent(first.holder);
    const who = holder ? `${holder.name} (${holder.id})` : first.holder;
    const others =
      conflicts.length > 1 ? ` and ${conflicts.length - 1} more clash(es), listed in details` : '';
    return new HubError(
      'conflict',
      `${first.requested} overlaps ${first.pattern}, leased ${first.mode} by ${who} until ${first.expires_at}` +
        `${first.reason ? ` (${first.reason})` : ''}${others}; nothing was leased`,
      {
        details: {
          conflicts,
          holder: first.holder,
          holder_name: holder?.name ?? null,
          expires_at: first.expires_at,
        },
      },
    );
  }

  /** The live lease, if the actor (null: the admin) may change it. */
  private async owned(actor: AgentRecord | null, leaseId: string): Promise<LeaseRecord> {
    const lease = await this.d.store.leases.getLease(leaseId, this.now());
    if (!lease) throw notFound(`Lease ${leaseId} (it may have expired or been released)`);
    if (actor && lease.holder !== actor.id) {
      throw new HubError(
        'forbidden',
        `Lease ${leaseId} is held by ${lease.holder}; only its holder (or the admin) may change it`,
      );
    }
    return lease;
  }

  async renew(actor: AgentRecord | null, leaseId: string, ttlSeconds?: number) {
    const lease = await this.owned(actor, leaseId);
    const ttl = ttlSeconds ?? lease.ttlSeconds;
    const nowMs = this.d.clock.now();
    const renewed = await this.d.store.leases.renewLease(leaseId, iso(nowMs), iso(nowMs + ttl * 1000), ttl);
    if (!renewed) throw notFound(`Lease ${leaseId} (it expired before the renewal)`);
    await this.publish('lease.renewed', renewed, iso(nowMs));
    return leaseView(renewed);
  }

  async release(actor: AgentRecord | null, leaseId: string) {
    const lease = await this.owned(actor, leaseId);
    const released = await this.d.store.leases.releaseLease(leaseId);
    if (released) await this.publish('lease.released', lease, this.now());
    return { lease_id: leaseId, released };
  }

  async list(filter: { project?: string; holder?: string; path?: string }) {
    const leases = await this.d.store.leases.listLeases({
      project: filter.project,
      holder: filter.holder,
      now: this.now(),
    });
    const path = filter.path === undefined ? undefined : normalizePath(filter.path, 'path');
    const matching = path ? leases.filter((l) => l.patterns.some((p) => matchesPattern(p, path))) : leases;
    return matching.map(leaseView);
  }

  /** Which of these paths are leased, by whom; `blocked` when another agent holds one exclusively. */
  async check(asker: string | null, project: string | undefined, paths: string[]): Promise<PathCheck[]> {
    const normalized = paths.map((p, i) => normalizePath(p, `paths.${i}`));
    const leases = await this.d.store.leases.listLeases({ project, now: this.now() });
    const matchers = leases.map((l) => ({
      lease: l,
      patterns: l.patterns.map((p) => ({ p, test: matcher(p) })),
    }));
    return normalized.map((path) => {
      const hits: LeaseConflict[] = [];
      for (const { lease: l, patterns } of matchers) {
        const pattern = patterns.find((x) => x.test(path))?.p;
        if (!pattern) continue;
        hits.push({
          lease_id: l.id,
          holder: l.holder,
          mode: l.mode,
          pattern,
          requested: path,
          expires_at: l.expiresAt,
          reason: l.reason,
        });
      }
      return {
        path,
        blocked: hits.some((h) => h.mode === 'exclusive' && h.holder !== asker),
        leases: hits,
      };
    });
  }

  /** Removes expired leases and tells their holders; the hub runs this on a timer. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const at = this.now();
      const expired = await this.d.store.leases.sweepLeases(at, LEASE_LIMITS.sweepBatch);
      for (const l of expired) await this.publish('lease.expired', l, at);
      total += expired.length;
      if (expired.length < LEASE_LIMITS.sweepBatch) return total;
    }
  }

  /**
   * Hub-wide, to the holder, and to every agent of the project holding a live lease that overlaps
   * this one (any mode): whoever works on the same files learns when they are taken or freed.
   */
  private async publish(type: LeaseEvent['type'], lease: LeaseRecord, at: string): Promise<void> {
    const event: LeaseEvent = { type, at, lease: leaseView(lease) };
    this.d.bus.publish(channels.all, event);
    const to = new Set([lease.holder]);
    const live = await this.d.store.leases.listLeases({ project: lease.project, now: at });
    for (const other of live) if (!to.has(other.holder) && leasesOverlap(lease, other)) to.add(other.holder);
    for (const agentId of to) this.d.bus.publish(channels.agent(agentId), event);
  }
}

function globsOf(lease: LeaseRecord) {
  return lease.patterns.flatMap((p) => {
    const parsed = parseGlob(p);
    return 'error' in parsed ? [] : [parsed.glob];
  });
}

function leasesOverlap(a: LeaseRecord, b: LeaseRecord): boolean {
  const theirs = globsOf(b);
  return globsOf(a).some((mine) => theirs.some((other) => globsOverlap(mine, other)));
}

function matcher(pattern: string): (path: string) => boolean {
  const parsed = parseGlob(pattern);
  return 'error' in parsed ? () => false : compileGlob(parsed.glob);
}

const matchesPattern = (pattern: string, path: string): boolean => matcher(pattern)(path);

/** A repository-relative path: leading `./` dropped; absolute, empty and `..` paths refused. */
function normalizePath(raw: string, field: string): string {
  let path = raw;
  while (path.startsWith('./')) path = path.slice(2);
  const segs = path.split('/');
  if (!path || path.startsWith('/') || segs.some((s) => s === '' || s === '..' || s === '.')) {
    throw new HubError(
      'invalid_input',
      `${field}: ${JSON.stringify(raw)} is not a path relative to the repository root`,
    );
  }
  return path;
}
