/**
 * Instances: real agent processes the hub spawns, drives and supervises. Each one is registered as
 * an agent (its MCP config points at the hub with its own token), runs in its own process group
 * (recorded in the store, so a restarted hub can kill what a killed hub left behind), and is
 * accounted from its CLI's own result events.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative as relativePath, resolve as resolvePath } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  type AdapterName,
  adapterFor,
  scriptedCommand,
  type SessionAdapter,
} from '../../agents/adapters/index.js';
import { channels } from '../../bus/bus.js';
import type { Caller } from '../../core/caller.js';
import { forbidden, HubError, notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { iso } from '../../core/time.js';
import type { InstanceLimits, InstanceRecord, InstanceStatus } from '../../store/instances.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import { timeLimitReached } from './limits.js';
import { AgentProcess, killGroup } from './process.js';
import { describeRoles, rolePrompt } from './roles.js';
import { readFileSync } from 'node:fs';
import { InstanceSupervisor } from './supervisor.js';
import type { TurnOutcome } from './turns.js';
import { instanceView, treeUsage } from './views.js';
import { type CoordinateInput, coordinate } from './coordinate.js';
import { prepareInstanceFiles } from './workspace.js';
import { Worktrees } from './worktrees.js';

export interface SpawnInput {
  name?: string;
  adapter: AdapterName;
  role: string;
  model?: string;
  system_prompt?: string;
  task?: string;
  command?: string[];
  script?: Record<string, unknown>;
  script_file?: string;
  limits?: InstanceLimits;
  parent_id?: string;
  capabilities?: string[];
  /** A git worktree of this repository on its own branch, instead of a fresh directory. */
  workspace?: { repo: string; branch?: string };
}

const TERMINAL: InstanceStatus[] = ['stopped', 'failed'];

export class InstanceService {
  private readonly live = new Map<string, InstanceSupervisor>();
  /** Settles once an ended instance is cleaned up (agent retired, worktree removed or kept). */
  private readonly cleanups = new Map<string, Promise<void>>();
  private readonly worktrees: Worktrees;
  private hubUrl: () => string = () => '';
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  /** Settles once process groups a previous run left behind are killed. */
  readonly ready: Promise<void>;

  /** `services` gives access to the other domains (agents, messages, ...), complete once the hub is built. */
  constructor(
    protected readonly d: DomainDeps,
    protected readonly services: Services,
  ) {
    this.worktrees = new Worktrees(d.config.home);
    this.ready = this.reapOrphans().catch((err) =>
      d.logger.error({ err }, 'reaping orphaned instances failed'),
    );
    this.timer = setInterval(() => this.checkTimeLimits(), d.config.instances.checkIntervalSeconds * 1000);
    this.timer.unref();
  }

  /** The hub's base URL, for the MCP config each instance gets (known once the hub listens). */
  attach(opts: { hubUrl: () => string }): void {
    this.hubUrl = opts.hubUrl;
  }

  private get graceMs(): number {
    return this.d.config.instances.stopGraceSeconds * 1000;
  }

  /** Kills every process group a previous run recorded and left running, and says so in the store. */
  private async reapOrphans(): Promise<void> {
    for (const r of await this.d.store.instances.unfinishedInstances()) {
      const killed = r.pgid !== null && killGroup(r.pgid, 'SIGKILL');
      const reason = killed
        ? `the hub restarted; process group ${r.pgid} left by the previous run was killed`
        : 'the hub restarted; the process was already gone';
      const worktree = r.worktree?.state === 'active' ? await this.worktrees.release(r.worktree) : r.worktree;
      await this.d.store.instances.updateInstance(r.id, {
        status: 'failed',
        reason,
        endedAt: iso(this.d.clock.now()),
        worktree,
      });
      this.d.logger.warn({ instance: r.id, pgid: r.pgid, killed }, 'orphaned instance reaped');
    }
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

  async spawn(caller: Caller, input: SpawnInput) {
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
    if (input.adapter === 'scripted' && !input.script && !input.script_file)
      throw new HubError(
        'invalid_input',
        'script: the scripted adapter needs script (a JSON script) or script_file',
      );
    if (input.adapter === 'command' && !input.command?.length)
      throw new HubError('invalid_input', 'command: the command adapter needs command: [program, ...args]');
    // Choosing the program to run, or a path on the hub host, is running code on this machine.
    const outsideRoots =
      input.workspace !== undefined &&
      !insideAny(input.workspace.repo, this.d.config.instances.agentRepoRoots);
    if (
      (input.command || input.script_file || outsideRoots) &&
      caller.kind !== 'admin' &&
      !this.d.config.instances.allowAgentCommands
    ) {
      const field = input.command ? 'command' : input.script_file ? 'script_file' : 'workspace.repo';
      throw new HubError(
        'forbidden',
        field === 'workspace.repo'
          ? 'workspace.repo: agents may use repositories under instances.agentRepoRoots in the config ' +
              `(${this.d.config.instances.agentRepoRoots.join(', ') || 'none configured'}); only the admin may name another path`
          : `${field}: only the admin may choose the program or a file on the hub host; agents may spawn ` +
              'claude-code (the configured program) or scripted instances with an inline script ' +
              '(set instances.allowAgentCommands to true in the config to allow it)',
      );
    }

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
      sessionId: randomUUID(),
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
    };
    const adapter = adapterFor(input.adapter) as SessionAdapter;
    const launch = adapter.launch({
      instanceId: id,
      workspace: files.workspace,
      model: input.model,
      systemPrompt: [prompt, input.system_prompt].filter(Boolean).join('\n\n'),
      mcpConfigFile: files.mcpConfigFile,
      privateDir: files.privateDir,
      hubMcpUrl: `${hubUrl}/mcp`,
      token: reg.token!,
      permissionMode: 'accept_edits',
      command:
        input.adapter === 'claude-code'
          ? (input.command ?? this.d.config.instances.claudeCommand)
          : input.adapter === 'scripted'
            ? scriptedCommand('claude-code', (input.script_file ?? files.scriptFile)!)
            : input.command,
      maxTurns: input.limits?.max_turns,
      maxCostUsd: input.limits?.max_cost_usd,
      sessionId: record.sessionId!,
      baseEnv: process.env,
      extraEnv: {
        SWITCHBOARD_URL: hubUrl,
        SWITCHBOARD_AGENT_ID: record.agentId,
        SWITCHBOARD_INSTANCE_ID: id,
      },
    });
    await this.d.store.instances.createInstance(record);
    const sup = new InstanceSupervisor(record, adapter, this.d, this.graceMs);
    this.live.set(id, sup);
    const cleanup = sup.ended.then(() => this.ended(sup));
    this.cleanups.set(id, cleanup);
    void cleanup.finally(() => this.cleanups.delete(id));
    const proc = new AgentProcess(launch, files.workspace, (line) => sup.onLine(line));
    sup.attach(proc);
    if (proc.pid > 0) {
      record.pid = proc.pid;
      record.pgid = proc.pid;
      await this.d.store.instances.updateInstance(id, { pid: proc.pid, pgid: proc.pid });
      await sup.setStatus('idle', null);
    }
    this.publish(record, { type: 'instance.spawned', at: record.createdAt, instance: instanceView(record) });
    if (input.task && proc.pid > 0) await sup.send(input.task);
    return this.statusOf(record);
  }

  private publish(r: InstanceRecord, event: Parameters<DomainDeps['bus']['publish']>[1]): void {
    this.d.bus.publish(channels.all, event);
    if (r.owner) this.d.bus.publish(channels.agent(r.owner), event);
  }

  /** After the process is gone: retire its agent, so broadcasts and peer lists skip it. */
  private async ended(s: InstanceSupervisor): Promise<void> {
    this.live.delete(s.record.id);
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
    if (!sup || !sup.proc.running || r.status === 'stopping') {
      throw new HubError(
        'conflict',
        `Instance ${id} is ${r.status}${r.reason ? ` (${r.reason})` : ''}; it takes no more turns`,
      );
    }
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
      for (const m of members!) {
        spawned.push(
          await this.spawn(caller, { ...m, task: m.task ?? input.task, parent_id: input.parent_id }),
        );
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
    if (!sup || !sup.proc.running)
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
    clearInterval(this.timer);
    await Promise.all([...this.live.values()].map((s) => s.stop('stopped', 'the hub shut down')));
    await Promise.all([...this.cleanups.values()]);
  }
}

/** A team template: `{members: [...]}` or the list itself, each member as spawn_instance takes it. */
function parseTeamTemplate(file: string): Array<Omit<SpawnInput, 'parent_id'>> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new HubError('invalid_input', `template_file: cannot read ${file}: ${(err as Error).message}`);
  }
  const list = Array.isArray(raw) ? raw : (raw as { members?: unknown })?.members;
  if (!Array.isArray(list) || list.length === 0)
    throw new HubError(
      'invalid_input',
      `template_file: ${file} holds no members (expected {"members": [{"role": ...}]})`,
    );
  return list.map((m, i) => {
    if (typeof m !== 'object' || m === null || typeof (m as { role?: unknown }).role !== 'string')
      throw new HubError('invalid_input', `template_file: member ${i} needs a role`);
    return { adapter: 'claude-code', ...(m as object) } as Omit<SpawnInput, 'parent_id'>;
  });
}

/** Whether `path` (symlinks resolved) lies inside one of `roots`. */
function insideAny(path: string, roots: readonly string[]): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(resolvePath(p));
    } catch {
      return resolvePath(p);
    }
  };
  const target = real(path);
  return roots.some((root) => {
    const rel = relativePath(real(root), target);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  });
}
