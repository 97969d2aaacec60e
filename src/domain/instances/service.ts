/**
 * Instances: real agent processes the hub spawns, drives and supervises. Each one is registered as
 * an agent (its MCP config points at the hub with its own token), runs in its own process group
 * (recorded in the store, so a restarted hub can kill what a killed hub left behind), and is
 * accounted from its CLI's own result events.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  ADAPTER_NAMES as ADAPTER_LIST,
  type Adapter,
  type AdapterName,
  adapterFor,
  type LaunchSpec,
} from '../../agents/adapters/index.js';
import { channels } from '../../bus/bus.js';
import { CHANNEL_INSTRUCTIONS } from '../../core/delivery/event.js';
import type { Caller } from '../../core/caller.js';
import { forbidden, HubError, notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { iso } from '../../core/time.js';
import type { InstanceRecord, InstanceStatus, RestartPolicy } from '../../store/instances.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import { type CoordinateInput, coordinate } from './coordinate.js';
import { instanceBaseEnv, instanceOwnEnv } from './environment.js';
import { timeLimitReached } from './limits.js';
import { killGroup } from './process.js';
import { describeRoles, rolePrompt } from './roles.js';
import { type DeliverySettingsOf, deliverMail } from './mail-delivery.js';
import { InstanceSupervisor } from './supervisor.js';
import type { TurnOutcome } from './turns.js';
import { instanceView, treeUsage } from './views.js';
import { instanceDelivery } from './wake-rules.js';
import { instanceToken, prepareInstanceFiles } from './workspace.js';
import { Worktrees } from './worktrees.js';
import {
  checkProgram,
  checkSpawn,
  checkTurnSize,
  parseTeamTemplate,
  programFor,
  type SpawnInput,
} from './spawn-rules.js';

export type { SpawnInput } from './spawn-rules.js';

const TERMINAL: InstanceStatus[] = ['stopped', 'failed'];

/** The generated admin token the hub keeps in `<home>/admin-token`, if there is one. */
function readAdminTokenFile(home: string): string | null {
  try {
    return readFileSync(join(home, 'admin-token'), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

export class InstanceService {
  private readonly live = new Map<string, InstanceSupervisor>();
  /** The admin token, once read: no instance's output may carry it. */
  private adminToken: string | null = null;
  /** Instances starting: settles true once ready, false when the start failed. */
  private readonly startups = new Map<string, Promise<boolean>>();
  /** Settles once an ended instance is cleaned up (agent retired, worktree removed or kept). */
  private readonly cleanups = new Map<string, Promise<void>>();
  private readonly worktrees: Worktrees;
  private hubUrl: () => string = () => '';
  private closed = false;
  /** Settles once process groups a previous run left behind are killed. */
  readonly ready: Promise<void>;
  /** The instances a previous run left that can be resumed (once the hub listens). */
  private readonly reaped: Promise<InstanceRecord[]>;
  /** Settles once those are resumed (or failed to). */
  recovered: Promise<void> = Promise.resolve();
  /** The delivery settings of an instance's agent (null: the spawn's own `delivery_settings`). */
  deliverySettingsOf: DeliverySettingsOf | null = null;

  /** `services` gives access to the other domains (agents, messages, ...), complete once the hub is built. */
  constructor(
    protected readonly d: DomainDeps,
    protected readonly services: Services,
  ) {
    this.worktrees = new Worktrees(d.config.home);
    this.reaped = this.reapOrphans().catch((err) => {
      d.logger.error({ err }, 'reaping orphaned instances failed');
      return [];
    });
    this.ready = this.reaped.then(() => undefined);
    d.timers.every('instance time limits', d.config.instances.checkIntervalSeconds * 1000, () =>
      this.checkTimeLimits(),
    );
  }

  /**
   * The hub's base URL, for the MCP config each instance gets (known once the hub listens). Instances
   * a previous run left are resumed from here on.
   */
  attach(opts: { hubUrl: () => string }): void {
    this.hubUrl = opts.hubUrl;
    this.recovered = this.reaped
      .then((left) => this.resumeAll(left))
      .catch((err) => this.d.logger.error({ err }, 'resuming instances after a restart failed'));
  }

  /** The hub's secrets no output may carry: the admin token (from the config, else its file in the data directory). */
  private hubSecrets(): string[] {
    this.adminToken ??= this.d.config.adminToken ?? readAdminTokenFile(this.d.config.home);
    return this.adminToken ? [this.adminToken] : [];
  }

  private get timing() {
    const c = this.d.config.instances;
    return { graceMs: c.stopGraceSeconds * 1000, readyMs: c.readySeconds * 1000 };
  }

  /**
   * Kills every process group a previous run recorded and left running. Answers with the instances
   * to resume; the others are marked failed with the reason.
   */
  private async reapOrphans(): Promise<InstanceRecord[]> {
    const resume: InstanceRecord[] = [];
    for (const r of await this.d.store.instances.unfinishedInstances()) {
      const killed = r.pgid !== null && killGroup(r.pgid, 'SIGKILL');
      this.d.logger.warn({ instance: r.id, pgid: r.pgid, killed }, 'orphaned instance reaped');
      const why = this.unresumable(r);
      if (!why) {
        resume.push(r);
        continue;
      }
      const reason = killed
        ? `the hub restarted; process group ${r.pgid} left by the previous run was killed (${why})`
        : `the hub restarted; the process was already gone (${why})`;
      const worktree = r.worktree?.state === 'active' ? await this.worktrees.release(r.worktree) : r.worktree;
      await this.d.store.instances.updateInstance(r.id, {
        status: 'failed',
        reason,
        endedAt: iso(this.d.clock.now()),
        worktree,
      });
    }
    return resume;
  }

  /** Why an instance a previous run left cannot be resumed (null: it can). */
  private unresumable(r: InstanceRecord): string | null {
    if (!this.d.config.instances.resumeAfterRestart) return 'instances.resumeAfterRestart is off';
    if (r.status === 'starting' || r.status === 'stopping') return `it was ${r.status}`;
    if (!(ADAPTER_LIST as readonly string[]).includes(r.adapter)) return `unknown adapter ${r.adapter}`;
    const adapter = adapterFor(r.adapter as AdapterName);
    if (!adapter.resumable) return `the ${r.adapter} adapter cannot resume a session`;
    if (!instanceToken(this.d.config.home, r.id)) return 'its private files are gone';
    return null;
  }

  /** Brings back the instances a previous run left: same agent, workspace and CLI session. */
  private async resumeAll(left: InstanceRecord[]): Promise<void> {
    const hubUrl = this.hubUrl();
    await Promise.all(
      left.map(async (r) => {
        const lostTurn = r.status === 'busy' || r.status === 'stuck';
        const adapter = adapterFor(r.adapter as AdapterName);
        const token = instanceToken(this.d.config.home, r.id)!;
        const files = prepareInstanceFiles({
          home: this.d.config.home,
          instanceId: r.id,
          hubUrl,
          token,
          workspace: r.workspace,
        });
        let spec: LaunchSpec;
        try {
          spec = this.launchSpec(r, adapter, files, hubUrl, token);
        } catch (err) {
          // E.g. an instances.env reference the restarted hub cannot resolve: say so, leave no limbo.
          await this.d.store.instances.updateInstance(r.id, {
            status: 'failed',
            reason: `the hub restarted and could not resume it: ${(err as Error).message}`,
            endedAt: iso(this.d.clock.now()),
          });
          return;
        }
        spec.resume = adapter.mode === 'per-turn' || r.turns > 0 ? r.sessionId : null;
        r.status = 'starting';
        r.reason = 'the hub restarted; resuming';
        await this.d.store.instances.updateInstance(r.id, { status: r.status, reason: r.reason });
        const sup = this.supervise(r, adapter, spec);
        const ok = await sup.start({ lostTurn });
        this.d.logger.info({ instance: r.id, ok, session: r.sessionId }, 'instance resumed after a restart');
      }),
    );
  }

  private checkTimeLimits(): void {
    const nowMs = this.d.clock.now();
    for (const s of this.live.values()) {
      const reason = timeLimitReached(s.record.limits, {
        startedMs: s.startedMs,
        lastActivityMs: s.lastActivityMs,
        busy: s.turns.busy,
        nowMs,
      });
      if (reason) void s.stop('stopped', reason);
      else void s.checkStuck(nowMs, this.d.config.instances.stuckSeconds * 1000);
    }
  }

  /** The instance whose agent this is, if any. */
  private instanceOfAgent(agentId: string): InstanceSupervisor | undefined {
    for (const s of this.live.values()) if (s.record.agentId === agentId) return s;
    return undefined;
  }

  /** The admin sees every instance; an agent those it (or an instance it runs as) spawned, and itself. */
  private async visible(caller: Caller, r: InstanceRecord): Promise<boolean> {
    if (caller.kind === 'admin') return true;
    if (caller.kind !== 'agent') return false;
    if (r.owner === caller.agentId || r.agentId === caller.agentId) return true;
    for (let p = r.parentId; p;) {
      const parent = await this.d.store.instances.getInstance(p);
      if (!parent) break;
      if (parent.agentId === caller.agentId) return true;
      p = parent.parentId;
    }
    return false;
  }

  private async require(caller: Caller, id: string): Promise<InstanceRecord> {
    await this.ready;
    const r = this.live.get(id)?.record ?? (await this.d.store.instances.getInstance(id));
    if (!r || !(await this.visible(caller, r))) throw notFound(`Instance ${id}`);
    return r;
  }

  /** Refuses what this caller may not ask for, naming the field. */
  private launchSpec(
    r: InstanceRecord,
    adapter: Adapter,
    files: { workspace: string; privateDir: string; mcpConfigFile: string },
    hubUrl: string,
    token: string,
  ): LaunchSpec {
    const base = instanceBaseEnv(this.d.config.instances, adapter, r.launch.command);
    const spec: LaunchSpec = {
      instanceId: r.id,
      workspace: files.workspace,
      privateDir: files.privateDir,
      model: r.model ?? undefined,
      systemPrompt: r.launch.system_prompt,
      mcpConfigFile: files.mcpConfigFile,
      hubMcpUrl: `${hubUrl}/mcp`,
      token,
      command: r.launch.command,
      permissionMode: r.launch.permission_mode ?? 'accept_edits',
      maxTurns: r.limits.max_turns,
      maxCostUsd: r.limits.max_cost_usd,
      sessionId: r.sessionId ?? randomUUID(),
      resume: null,
      baseEnv: base.env,
      secrets: base.secrets,
      extraEnv: instanceOwnEnv({
        hubUrl,
        agentId: r.agentId,
        instanceId: r.id,
        token,
        workspace: files.workspace,
      }),
    };
    for (const f of adapter.files?.(spec) ?? [])
      writeFileSync(join(files.privateDir, f.name), f.content, { mode: 0o600 });
    return spec;
  }

  /** Puts an instance under supervision: live, and cleaned up once it ends. */
  private supervise(record: InstanceRecord, adapter: Adapter, spec: LaunchSpec): InstanceSupervisor {
    const sup = new InstanceSupervisor(record, adapter, spec, this.d, this.timing, this.hubSecrets());
    this.live.set(record.id, sup);
    deliverMail(sup, adapter, this.d, this.services, this.deliverySettingsOf);
    const cleanup = sup.ended.then(() => this.ended(sup));
    this.cleanups.set(record.id, cleanup);
    void cleanup.finally(() => this.cleanups.delete(record.id));
    return sup;
  }

  /**
   * Spawns an instance and answers once it is ready (or throws when it failed to start, with the
   * reason). `waitReady: false` answers at once (spawn_team waits for all its members together).
   */
  async spawn(caller: Caller, input: SpawnInput, opts: { waitReady?: boolean } = {}) {
    await this.ready;
    if (this.closed) throw new HubError('unavailable', 'The hub is shutting down');
    const max = this.d.config.instances.maxConcurrent;
    if (this.live.size >= max) {
      throw new HubError(
        'conflict',
        `${this.live.size} instances are running, the most allowed (instances.maxConcurrent = ${max}); terminate one or raise the limit`,
      );
    }
    const hubUrl = this.hubUrl();
    if (!hubUrl)
      throw new HubError('unavailable', 'The hub is not listening yet; spawn instances once it is');
    const prompt = rolePrompt(this.d.config.home, input.role);
    const adapter = adapterFor(input.adapter);
    checkSpawn(this.d.config.instances, caller, input, adapter);
    checkProgram(this.d.config.instances, input);
    // instances.env references that cannot be resolved fail here, before anything is stored.
    instanceBaseEnv(this.d.config.instances, adapter, undefined);
    if (input.task !== undefined) checkTurnSize(adapter, input.task, 'task');
    const delivery = instanceDelivery(input.delivery, input.delivery_settings);

    let parent: InstanceRecord | undefined;
    const parentId =
      input.parent_id ??
      (caller.kind === 'agent' ? this.instanceOfAgent(caller.agentId)?.record.id : undefined);
    if (parentId) {
      parent = await this.require(caller, parentId).catch(() => {
        throw new HubError('invalid_input', `parent_id: no instance ${parentId} you can see`);
      });
      if (TERMINAL.includes(parent.status))
        throw new HubError('invalid_input', `parent_id: instance ${parentId} has ended`);
    }
    const ownerAgent = caller.kind === 'agent' ? await this.services.agents.find(caller.agentId) : undefined;
    const owner = parent?.owner ?? (caller.kind === 'agent' ? caller.agentId : null);

    const id = newId('ins');
    const name = input.name ?? `${input.role}-${id.slice(-6).toLowerCase()}`;
    const worktree = input.workspace ? await this.worktrees.create(id, input.workspace) : null;
    const reg = await this.services.agents.register(
      {
        name,
        role: input.role,
        capabilities: input.capabilities,
        project: ownerAgent?.project,
        description: `Instance ${id} (${input.adapter})`,
        metadata: { instance_id: id, parent_instance_id: parent?.id ?? null, spawned_by: owner },
      },
      { kind: 'admin' },
    );
    const files = prepareInstanceFiles({
      home: this.d.config.home,
      instanceId: id,
      hubUrl,
      token: reg.token!,
      script: input.script,
      workspace: worktree?.path,
    });
    const restart: RestartPolicy | undefined = input.restart
      ? { max_restarts: input.restart.max_restarts, backoff_seconds: input.restart.backoff_seconds ?? 1 }
      : undefined;
    const record: InstanceRecord = {
      id,
      agentId: reg.agent.agent_id,
      owner,
      parentId: parent?.id ?? null,
      rootId: parent?.rootId ?? id,
      name,
      adapter: input.adapter,
      role: input.role,
      model: input.model ?? null,
      workspace: files.workspace,
      worktree,
      status: 'starting',
      reason: null,
      pid: null,
      pgid: null,
      // Claude Code takes the session id it is given; per-turn CLIs name their own.
      sessionId: adapter.mode === 'session' ? randomUUID() : null,
      limits: input.limits ?? {},
      usage: {},
      tokens: 0,
      costUsd: 0,
      turns: 0,
      exitCode: null,
      exitSignal: null,
      createdAt: iso(this.d.clock.now()),
      lastEventAt: null,
      endedAt: null,
      launch: {
        system_prompt:
          [prompt, input.system_prompt, delivery.mode === 'manual' ? '' : CHANNEL_INSTRUCTIONS]
            .filter(Boolean)
            .join('\n\n') || undefined,
        command: programFor(this.d.config.instances, input, input.script_file ?? files.scriptFile),
        permission_mode: input.permission_mode ?? 'accept_edits',
        ...(restart ? { restart } : {}),
      },
      restarts: 0,
      delivery,
    };
    const spec = this.launchSpec(record, adapter, files, hubUrl, reg.token!);
    await this.d.store.instances.createInstance(record);
    const sup = this.supervise(record, adapter, spec);
    this.publish(record, { type: 'instance.spawned', at: record.createdAt, instance: instanceView(record) });
    const started = sup.start();
    this.startups.set(id, started);
    void started.finally(() => this.startups.delete(id));
    if (opts.waitReady === false) {
      if (input.task)
        void started.then(async (ok) => {
          if (ok) await sup.send(input.task!);
        });
      return this.statusOf(record);
    }
    if (!(await started)) throw this.failedStart(record);
    if (input.task) await sup.send(input.task);
    return this.statusOf(record);
  }

  private failedStart(r: InstanceRecord): HubError {
    return new HubError('unavailable', `Instance ${r.id} failed to start: ${r.reason ?? r.status}`, {
      details: { instance_id: r.id, status: r.status, reason: r.reason },
    });
  }

  private publish(r: InstanceRecord, event: Parameters<DomainDeps['bus']['publish']>[1]): void {
    this.d.bus.publish(channels.all, event);
    if (r.owner) this.d.bus.publish(channels.agent(r.owner), event);
  }

  /** After the process is gone: retire its agent, so broadcasts and peer lists skip it. */
  private async ended(s: InstanceSupervisor): Promise<void> {
    this.live.delete(s.record.id);
    // Suspended at shutdown: it keeps its agent and workspace for the next hub to resume.
    if (s.suspended) return;
    if (s.record.worktree?.state === 'active') {
      const w = await this.worktrees.release(s.record.worktree).catch((err: Error) => ({
        ...s.record.worktree!,
        state: 'kept' as const,
        note: `kept: ${err.message}`,
      }));
      s.record.worktree = w;
      await this.d.store.instances.updateInstance(s.record.id, { worktree: w });
      await s.emit('workspace', { path: w.path, branch: w.branch, state: w.state, note: w.note ?? null });
      if (w.state === 'kept')
        this.d.logger.warn({ instance: s.record.id, worktree: w.path }, w.note ?? 'worktree kept');
    }
    await this.services.agents
      .retire(s.record.agentId, { kind: 'admin' }, `instance ${s.record.id} ${s.record.status}`)
      .catch(() => {});
  }

  async send(
    caller: Caller,
    id: string,
    text: string,
    opts: { wait: boolean; timeoutSeconds?: number; signal?: AbortSignal },
  ) {
    const r = await this.require(caller, id);
    const sup = this.live.get(r.id);
    if (!sup || !sup.acceptsTurns) {
      const when = sup && !TERMINAL.includes(r.status) && r.status !== 'stopping' ? ' yet' : ' any more';
      throw new HubError(
        'conflict',
        `Instance ${id} is ${r.status}${r.reason ? ` (${r.reason})` : ''}; it takes no turns${when}`,
      );
    }
    checkTurnSize(adapterFor(r.adapter as AdapterName), text, 'message');
    const { turn, done } = await sup.send(text);
    if (!opts.wait)
      return { instance_id: id, turn, status: 'sent' as const, text: null, failure: null, result: null };
    const cfg = this.d.config.instances;
    const seconds = Math.min(opts.timeoutSeconds ?? cfg.defaultWaitSeconds, cfg.maxWaitSeconds);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race<TurnOutcome | 'timeout'>([
      done,
      new Promise((resolve) => {
        timer = setTimeout(() => resolve('timeout'), seconds * 1000);
        opts.signal?.addEventListener('abort', () => resolve('timeout'), { once: true });
      }),
    ]).finally(() => clearTimeout(timer));
    if (outcome === 'timeout') {
      return {
        instance_id: id,
        turn,
        status: 'timeout' as const,
        text: null,
        failure: `no result within ${seconds} s; the turn is still running (read get_instance_output, or terminate_instance)`,
        result: null,
      };
    }
    return { instance_id: id, ...this.outcomeView(outcome) };
  }

  private outcomeView(o: TurnOutcome) {
    const r = o.result;
    return {
      turn: o.turn,
      status: o.status,
      text: o.text,
      failure: o.failure,
      result: r
        ? {
            subtype: r.subtype,
            num_turns: r.num_turns,
            usage: r.usage,
            total_cost_usd: r.total_cost_usd,
            permission_denials: r.permission_denials,
            session_id: r.session_id,
          }
        : null,
    };
  }

  async output(caller: Caller, id: string, since: string | undefined, limit: number) {
    const r = await this.require(caller, id);
    const after = since ? Number(since) : 0;
    if (!Number.isInteger(after) || after < 0)
      throw new HubError('invalid_input', 'since: a cursor from next_cursor');
    const rows = await this.d.store.instances.instanceEvents(r.id, after, limit + 1);
    const page = rows.slice(0, limit);
    const events = page.map((e) => ({ cursor: String(e.seq), at: e.at, kind: e.kind, ...e.data }));
    const text = page
      .filter((e) => e.kind === 'text')
      .map((e) => String(e.data.text))
      .join('\n');
    return {
      instance_id: r.id,
      status: r.status,
      events,
      text,
      next_cursor: page.length ? String(page.at(-1)!.seq) : String(after),
      has_more: rows.length > limit,
    };
  }

  private async statusOf(r: InstanceRecord) {
    const tree = await this.d.store.instances.listInstances({ rootId: r.rootId });
    const sup = this.live.get(r.id);
    return {
      ...instanceView(r),
      busy: sup?.turns.busy ?? false,
      tree_usage: treeUsage(r.id, tree),
    };
  }

  async status(caller: Caller, id: string) {
    return this.statusOf(await this.require(caller, id));
  }

  async list(caller: Caller, filter: { status?: InstanceStatus; parent_id?: string; root_id?: string }) {
    await this.ready;
    const rows = await this.d.store.instances.listInstances({
      status: filter.status,
      parentId: filter.parent_id,
      rootId: filter.root_id,
    });
    const out = [];
    for (const r of rows) {
      const current = this.live.get(r.id)?.record ?? r;
      if (await this.visible(caller, current)) out.push(instanceView(current));
    }
    return out;
  }

  /** Stops an instance and all its descendants (children first); answers with every id stopped. */
  async terminate(caller: Caller, id: string, reason?: string) {
    const r = await this.require(caller, id);
    if (caller.kind === 'agent' && r.agentId === caller.agentId && r.owner !== caller.agentId) {
      throw forbidden('An instance may not terminate itself; its parent or owner may');
    }
    const tree = await this.d.store.instances.listInstances({ rootId: r.rootId });
    const ids = this.subtree(r.id, tree);
    const why = reason ?? `terminated by ${caller.kind === 'agent' ? caller.agentId : caller.kind}`;
    await Promise.all(
      ids.map(async (i) => {
        await this.live.get(i)?.stop('stopped', i === r.id ? why : `parent ${r.id} was terminated`);
        await this.cleanups.get(i);
      }),
    );
    const after = await Promise.all(ids.map((i) => this.d.store.instances.getInstance(i)));
    return {
      terminated: after.filter(Boolean).map((x) => ({
        instance_id: x!.id,
        status: x!.status,
        reason: x!.reason,
        worktree: x!.worktree
          ? {
              path: x!.worktree.path,
              branch: x!.worktree.branch,
              state: x!.worktree.state,
              note: x!.worktree.note ?? null,
            }
          : null,
      })),
    };
  }

  private subtree(root: string, all: InstanceRecord[]): string[] {
    const out = [root];
    for (let i = 0; i < out.length; i++) for (const r of all) if (r.parentId === out[i]) out.push(r.id);
    return out.reverse();
  }

  roles() {
    return describeRoles(this.d.config.home);
  }

  /** Spawns one instance per member (inline or from a template file); all or none. */
  async spawnTeam(
    caller: Caller,
    input: {
      members?: Array<Omit<SpawnInput, 'parent_id'>>;
      template_file?: string;
      task?: string;
      parent_id?: string;
    },
  ) {
    if ((input.members === undefined) === (input.template_file === undefined))
      throw new HubError(
        'invalid_input',
        'members: give either members (a list) or template_file, not both or neither',
      );
    let members = input.members;
    if (input.template_file !== undefined) {
      if (caller.kind !== 'admin' && !this.d.config.instances.allowAgentCommands)
        throw new HubError(
          'forbidden',
          'template_file: only the admin may name a file on the hub host; pass members inline',
        );
      members = parseTeamTemplate(input.template_file);
    }
    const spawned: Array<Awaited<ReturnType<InstanceService['spawn']>>> = [];
    try {
      // Launched one after another, then all awaited together: the team starts in parallel.
      for (const m of members!) {
        spawned.push(
          await this.spawn(
            caller,
            { ...m, task: m.task ?? input.task, parent_id: input.parent_id },
            { waitReady: false },
          ),
        );
      }
      const ready = await Promise.all(spawned.map((v) => this.startups.get(v.instance_id) ?? true));
      const failed = spawned.find((_, i) => !ready[i]);
      if (failed) {
        const r = (await this.d.store.instances.getInstance(failed.instance_id))!;
        throw this.failedStart(r);
      }
      for (let i = 0; i < spawned.length; i++) {
        const r = this.live.get(spawned[i]!.instance_id)?.record;
        if (r) spawned[i] = await this.statusOf(r);
      }
    } catch (err) {
      await Promise.all(
        spawned.map((v) => this.terminate(caller, v.instance_id, 'its team failed to spawn').catch(() => {})),
      );
      throw err;
    }
    return spawned;
  }

  /** Stops the instance's current turn; the instance stays for the next one when its CLI allows. */
  async interrupt(caller: Caller, id: string) {
    const r = await this.require(caller, id);
    const sup = this.live.get(r.id);
    if (!sup || !sup.acceptsTurns)
      throw new HubError('conflict', `Instance ${id} is ${r.status}; there is nothing to interrupt`);
    const { busy, method } = sup.interrupt();
    await sup.emit('interrupt', { method, busy });
    return { instance_id: r.id, interrupted: busy, method, status: sup.record.status };
  }

  /** One task to several instances: parallel, sequential (each answer feeds the next), or consensus by vote. */
  async coordinate(caller: Caller, input: CoordinateInput, signal?: AbortSignal) {
    return coordinate(this.services, (c, id, text, o) => this.send(c, id, text, o), caller, input, signal);
  }

  /** Hub shutdown: stop every instance (no process is left behind). */
  async shutdown(): Promise<void> {
    this.closed = true;
    this.d.timers.stop('instance time limits');
    // Instances that can resume are only suspended: their processes stop, and the next hub on this
    // data directory brings them back (instances.resumeAfterRestart). The others end here.
    await Promise.all(
      [...this.live.values()].map((s) =>
        this.unresumable(s.record) === null && s.isReady
          ? s.suspend('the hub shut down; the instance resumes when the hub starts again')
          : s.stop('stopped', 'the hub shut down'),
      ),
    );
    await Promise.all([...this.cleanups.values()]);
  }
}
