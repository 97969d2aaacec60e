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
import { WorkExhausted } from '../../core/wildcard.js';
import { clashes, findConflicts } from './conflicts.js';
import { type CompiledGlob, compileGlob, parseNewGlob, segmentsMatch } from './globs.js';
import { LEASE_LIMITS } from './limits.js';
import { LeaseMatcher, tooMuchMatching, Turns } from './matching.js';
import type { LeaseConflict } from '../../core/wire/index.js';
import { leaseView } from './views.js';

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

/** Why an acquire was refused other than by a clash: a cap on leases held, or on the matching work. */
type Refusal = { limit: 'maxPerAgent' } | { limit: 'maxMatchSteps'; err: WorkExhausted; live: number };
type Blocker = LeaseConflict | Refusal;
type Requested = Array<{ text: string; glob: CompiledGlob }>;
const isRefusal = (b: Blocker): b is Refusal => 'limit' in b;

export class LeaseService {
  private readonly matcher: LeaseMatcher;
  /** The tail of each project's queue of acquires. */
  private readonly acquiring = new Map<string, Promise<unknown>>();

  /** `services` gives access to the other domains (agents, messages, ...), complete once the hub is built. */
  constructor(
    protected readonly d: DomainDeps,
    protected readonly services: Services,
  ) {
    this.matcher = new LeaseMatcher(d.config.leases.maxMatchSteps);
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
    if (input.patterns.length > LEASE_LIMITS.maxPatterns) {
      throw new HubError(
        'invalid_input',
        `patterns: ${input.patterns.length} patterns, more than the ${LEASE_LIMITS.maxPatterns} one lease may hold; ` +
          'use ** or a directory/ to cover many files with one pattern',
      );
    }
    const texts = new Set<string>();
    const requested = input.patterns.flatMap((raw, i) => {
      const parsed = parseNewGlob(raw);
      if ('error' in parsed)
        throw new HubError('invalid_input', `patterns.${i}: ${JSON.stringify(raw)} ${parsed.error}`);
      if (texts.has(parsed.text)) return [];
      texts.add(parsed.text);
      return [{ text: parsed.text, glob: compileGlob(parsed.glob) }];
    });
    return this.inTurn(holder.project, () => this.acquireNow(holder, input, requested));
  }

  /**
   * Acquires of one project run one after the other: each compares its patterns with the project's
   * live leases before its write, giving the event loop turns as it goes, and inside the write only
   * with leases that came since (none, unless another hub node shares the store). So the matching
   * work never piles up inside one write, where nothing else can run.
   */
  private inTurn<T>(project: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.acquiring.get(project) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.acquiring.set(project, tail);
    void tail.then(() => {
      if (this.acquiring.get(project) === tail) this.acquiring.delete(project);
    });
    return next;
  }

  private async acquireNow(holder: AgentRecord, input: AcquireInput, requested: Requested) {
    const mode: LeaseMode = input.mode ?? 'exclusive';
    const ttl = input.ttl_seconds ?? LEASE_LIMITS.defaultTtlSeconds;
    const nowMs = this.d.clock.now();
    const at = iso(nowMs);
    const lease: LeaseRecord = {
      id: newId('lease'),
      project: holder.project,
      holder: holder.id,
      mode,
      patterns: requested.map((r) => r.text),
      reason: input.reason ?? null,
      ttlSeconds: ttl,
      acquiredAt: at,
      renewedAt: at,
      expiresAt: iso(nowMs + ttl * 1000),
    };
    const budget = this.matcher.budget();
    const before = await this.d.store.leases.listLeases({ project: holder.project, now: at });
    const livePatterns = (live: LeaseRecord[]) => live.reduce((n, l) => n + l.patterns.length, 0);
    const tooMuch = (err: WorkExhausted, live: number) =>
      tooMuchMatching(
        err,
        `Checking ${requested.length} pattern(s) against the ${live} live lease pattern(s) of project ${holder.project}`,
        'lease fewer or simpler patterns (fewer * and ?); nothing was leased',
      );
    const early: LeaseConflict[] = [];
    try {
      const turns = new Turns(budget);
      for (const clash of clashes(holder.id, mode, requested, before, this.matcher, budget)) {
        if (clash) early.push(clash);
        else if (turns.due) await turns.pause();
      }
    } catch (err) {
      if (err instanceof WorkExhausted) throw tooMuch(err, livePatterns(before));
      throw err;
    }
    if (early.length > 0) throw await this.refusal(early);
    const seen = new Set(before.map((l) => l.id));
    const max = this.d.config.leases.maxPerAgent;
    let held = 0;
    const result = await this.d.store.leases.acquireLease<Blocker>(lease, at, (live) => {
      held = live.filter((l) => l.holder === holder.id).length;
      // The cap is checked in the same write as the conflicts, so concurrent acquires cannot pass it.
      if (held >= max) return [{ limit: 'maxPerAgent' }];
      const fresh = live.filter((l) => !seen.has(l.id));
      try {
        return findConflicts(holder.id, mode, requested, fresh, this.matcher, budget);
      } catch (err) {
        if (!(err instanceof WorkExhausted)) throw err;
        return [{ limit: 'maxMatchSteps', err, live: livePatterns(live) }];
      }
    });
    if ('conflicts' in result) {
      const refusal = result.conflicts.find(isRefusal);
      if (refusal?.limit === 'maxMatchSteps') throw tooMuch(refusal.err, refusal.live);
      if (refusal) {
        throw new HubError(
          'conflict',
          `${holder.id} already holds ${held} leases, the most one agent may hold (leases.maxPerAgent = ${max}); ` +
            'release some (release_lease) or widen one lease with more patterns; nothing was leased',
          { details: { held, max } },
        );
      }
      throw await this.refusal(result.conflicts.filter((c): c is LeaseConflict => !isRefusal(c)));
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
    if (filter.path === undefined) return leases.map(leaseView);
    const segs = normalizePath(filter.path, 'path').split('/');
    const budget = this.matcher.budget();
    const turns = new Turns(budget);
    const matching: LeaseRecord[] = [];
    try {
      for (const l of leases) {
        if (this.matcher.globsOf(l, budget).some((g) => segmentsMatch(g.glob, segs, budget)))
          matching.push(l);
        if (turns.due) await turns.pause();
      }
    } catch (err) {
      if (!(err instanceof WorkExhausted)) throw err;
      throw tooMuchMatching(
        err,
        `Matching the path against ${leases.length} live lease(s)`,
        'narrow the list with holder',
      );
    }
    return matching.map(leaseView);
  }

  /** Which of these paths are leased, by whom; `blocked` when another agent holds one exclusively. */
  async check(asker: string | null, project: string | undefined, paths: string[]): Promise<PathCheck[]> {
    if (paths.length > LEASE_LIMITS.maxPathsPerCheck) {
      throw new HubError(
        'invalid_input',
        `paths: ${paths.length} paths, more than the ${LEASE_LIMITS.maxPathsPerCheck} one check may ask about; split the check`,
      );
    }
    const normalized = paths.map((p, i) => normalizePath(p, `paths.${i}`));
    const leases = await this.d.store.leases.listLeases({ project, now: this.now() });
    const budget = this.matcher.budget();
    const out: PathCheck[] = [];
    try {
      const matchers = leases.map((lease) => ({ lease, globs: this.matcher.globsOf(lease, budget) }));
      const turns = new Turns(budget);
      for (const path of normalized) {
        const segs = path.split('/');
        budget.spend(segs.length);
        const hits: LeaseConflict[] = [];
        for (const { lease: l, globs } of matchers) {
          if (turns.due) await turns.pause();
          const pattern = globs.find((g) => segmentsMatch(g.glob, segs, budget))?.pattern;
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
        out.push({
          path,
          blocked: hits.some((h) => h.mode === 'exclusive' && h.holder !== asker),
          leases: hits,
        });
      }
    } catch (err) {
      if (!(err instanceof WorkExhausted)) throw err;
      const patterns = leases.reduce((n, l) => n + l.patterns.length, 0);
      throw tooMuchMatching(
        err,
        `Checking ${paths.length} path(s) against the ${patterns} live lease pattern(s)${project ? ` of project ${project}` : ''}`,
        'check fewer paths per call',
      );
    }
    return out;
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
    const budget = this.matcher.budget();
    const turns = new Turns(budget);
    for (const other of live) {
      if (to.has(other.holder)) continue;
      if (turns.due) await turns.pause();
      try {
        if (this.matcher.leasesOverlap(lease, other, budget)) to.add(other.holder);
      } catch (err) {
        if (!(err instanceof WorkExhausted)) throw err;
        // Out of budget: the holders not yet compared may overlap, so they hear of it too (a spare
        // event costs them little; a missed one would leave them working on files someone took).
        to.add(other.holder);
      }
    }
    for (const agentId of to) this.d.bus.publish(channels.agent(agentId), event);
  }
}

/** A repository-relative path: leading `./` dropped; absolute, empty, `..` and over-long paths refused. */
function normalizePath(raw: string, field: string): string {
  if (raw.length > LEASE_LIMITS.maxPathLength) {
    throw new HubError(
      'invalid_input',
      `${field}: the path has ${raw.length} characters, more than the ${LEASE_LIMITS.maxPathLength} a path may have`,
    );
  }
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
