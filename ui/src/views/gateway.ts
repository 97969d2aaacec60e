/**
 * Gateway: the downstream MCP servers with health and breaker state (list_servers), per-tool calls,
 * errors and latency (analytics_tools), the approvals queue with Approve / Deny (list_approvals,
 * approve_call, deny_call: held downstream calls and Claude Code sessions' permission prompts relayed
 * by `switchboard mcp --permission-relay`), and workflow runs with their steps (list_workflows, get_workflow). Live:
 * gateway.server_health changes a server's row at once; approval, tools and workflow events re-read
 * what they name. Servers and approvals are the admin's: an agent token sees its own workflow runs
 * and the tool figures analytics gives it, and no buttons.
 */
import type { OpOutput, StreamedEvent } from '../../../src/client/types.js';
import { fill, h, time } from '../dom.js';
import { changed, type State } from '../state.js';
import { brief, coalesce, count, failure, full, ms } from './kit.js';
import type { ViewModule } from './registry.js';
import './gateway.css';

type Server = OpOutput<'list_servers'>['servers'][number];
type Approval = OpOutput<'list_approvals'>['approvals'][number];
type ToolFigures = OpOutput<'analytics_tools'>['tools'][number];
type Run = OpOutput<'list_workflows'>['runs'][number];
type RunDetail = OpOutput<'get_workflow'>;

/** Approvals and runs read per load; decided approvals shown under the queue. */
const APPROVALS = 200;
const RUNS = 30;
const DECIDED_SHOWN = 10;

const data = {
  servers: new Map<string, Server>(),
  approvals: [] as Approval[],
  tools: [] as ToolFigures[],
  runs: [] as Run[],
  run: undefined as RunDetail | undefined,
  selectedRun: undefined as string | undefined,
  errors: new Map<string, unknown>(),
  notice: undefined as { text: string; error: boolean } | undefined,
};
let current: State | undefined;

const isAdmin = (state: State) => state.identity.kind === 'admin';

/** Runs one part's load, keeping its error for the view (and clearing an old one). */
async function part(name: string, load: () => Promise<void>): Promise<void> {
  try {
    await load();
    data.errors.delete(name);
  } catch (err) {
    data.errors.set(name, err);
  }
  changed('gateway');
}

const loadServers = (state: State) =>
  part('servers', async () => {
    const { servers } = await state.client.list_servers({});
    data.servers = new Map(servers.map((s) => [s.name, s]));
  });

const loadApprovals = (state: State) =>
  part('approvals', async () => {
    data.approvals = (await state.client.list_approvals({ limit: APPROVALS })).approvals;
  });

const loadTools = (state: State) =>
  part('tools', async () => {
    data.tools = (await state.client.analytics_tools({})).tools;
  });

const loadRuns = (state: State) =>
  part('runs', async () => {
    data.runs = (await state.client.list_workflows({ limit: RUNS })).runs;
    data.selectedRun ??= data.runs[0]?.run_id;
    if (data.selectedRun) data.run = await state.client.get_workflow({ run_id: data.selectedRun });
  });

async function load(state: State): Promise<void> {
  current = state;
  await Promise.all([
    ...(isAdmin(state) ? [loadServers(state), loadApprovals(state)] : []),
    loadTools(state),
    loadRuns(state),
  ]);
}

/** Re-reads one part for the page's state (admin-only parts for the admin alone), coalesced. */
const reload = (load: (state: State) => Promise<void>, delay: number, adminOnly = false) =>
  coalesce(() => (current && (!adminOnly || isAdmin(current)) ? load(current) : undefined), delay);
const reloadServers = reload(loadServers, 150, true);
const reloadApprovals = reload(loadApprovals, 100, true);
const reloadRuns = reload(loadRuns, 150);
/** Call figures move with every call; there is no event per call, so they follow the ones that show calls. */
const reloadTools = reload(loadTools, 1000);

function onEvent(state: State, event: StreamedEvent): void {
  current = state;
  switch (event.type) {
    case 'gateway.server_health': {
      const s = data.servers.get(event.server);
      if (s) {
        data.servers.set(event.server, {
          ...s,
          state: event.state as Server['state'],
          health: event.health as Server['health'],
          breaker: { ...s.breaker, state: event.breaker as Server['breaker']['state'] },
        });
        changed('gateway');
      }
      reloadServers();
      reloadTools();
      return;
    }
    case 'gateway.tools_changed':
      reloadServers();
      return;
    case 'gateway.approval': {
      const a = data.approvals.find((x) => x.id === event.approval_id);
      if (a) {
        a.status = event.status as Approval['status'];
        changed('gateway');
      }
      reloadApprovals();
      reloadTools();
      return;
    }
    case 'workflow.run':
      if (event.status === 'running' && !event.resumed && data.selectedRun === undefined)
        data.selectedRun = event.run_id;
      reloadRuns();
      reloadTools();
      return;
    case 'workflow.step':
      if (data.run?.run_id === event.run_id) {
        const step = data.run.steps.find((s) => s.id === event.step_id);
        if (step) Object.assign(step, { status: event.status, attempts: event.attempts, error: event.error });
        changed('gateway');
      }
      reloadRuns();
      return;
  }
}

// ---------------------------------------------------------------- actions

async function decide(state: State, a: Approval, approve: boolean): Promise<void> {
  try {
    const reason = `${approve ? 'approved' : 'denied'} from the dashboard`;
    const { approval } = approve
      ? await state.client.approve_call({ id: a.id, reason })
      : await state.client.deny_call({ id: a.id, reason });
    data.notice = { text: `${approval.tool}: ${approval.status}`, error: false };
    await loadApprovals(state);
  } catch (err) {
    data.notice = { text: `${a.tool}: ${(err as Error).message}`, error: true };
    changed('gateway');
  }
}

// ---------------------------------------------------------------- parts

const table = (testid: string, heads: string[], rows: HTMLElement[]) =>
  h(
    'table',
    { 'data-testid': testid },
    h('thead', {}, h('tr', {}, ...heads.map((t) => h('th', {}, t)))),
    h('tbody', {}, ...rows),
  );

const HEALTH_CLASS: Record<string, string> = { healthy: 'good', degraded: 'warn', unhealthy: 'bad' };
const BREAKER_CLASS: Record<string, string> = { closed: 'good', half_open: 'warn', open: 'bad' };

function serversPart(): HTMLElement {
  const servers = [...data.servers.values()].sort((a, b) => a.name.localeCompare(b.name));
  return h(
    'section',
    { class: 'panel' },
    h('h2', {}, `Servers (${servers.length})`),
    data.errors.has('servers') ? failure(data.errors.get('servers')) : null,
    servers.length
      ? table(
          'gateway-servers',
          ['Server', 'State', 'Health', 'Breaker', 'Tools', 'Last error'],
          servers.map((s) =>
            h(
              'tr',
              { 'data-server': s.name },
              h(
                'td',
                {},
                h('strong', {}, s.name),
                h('div', { class: 'meta' }, `${s.transport} · ${s.source}`),
              ),
              h('td', { 'data-role': 'state' }, s.state),
              h(
                'td',
                {},
                h(
                  'span',
                  { class: `badge ${HEALTH_CLASS[s.health] ?? ''}`, 'data-role': 'health' },
                  s.health,
                ),
              ),
              h(
                'td',
                {},
                h(
                  'span',
                  { class: `badge ${BREAKER_CLASS[s.breaker.state] ?? ''}`, 'data-role': 'breaker' },
                  s.breaker.state,
                ),
                s.breaker.consecutive_failures
                  ? h('div', { class: 'meta' }, `${s.breaker.consecutive_failures} failures in a row`)
                  : null,
                s.breaker.retry_at
                  ? h('div', { class: 'meta' }, `retry at ${time(s.breaker.retry_at)}`)
                  : null,
              ),
              h('td', {}, String(s.tools.length)),
              h('td', { class: 'meta' }, s.last_error ? brief(s.last_error, 120) : ''),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'No downstream servers (gateway.servers in the config, or add_server).'),
  );
}

function toolsPart(state: State): HTMLElement {
  const tools = [...data.tools].sort((a, b) => b.calls - a.calls);
  return h(
    'section',
    { class: 'panel' },
    h('h2', {}, 'Tools: calls, errors, latency'),
    data.errors.has('tools') ? failure(data.errors.get('tools')) : null,
    tools.length
      ? table(
          'gateway-tools',
          ['Tool', 'Calls', 'Errors', 'Error rate', 'p50', 'p95', 'p99'],
          tools.map((t) =>
            h(
              'tr',
              { 'data-tool': t.name },
              h('td', {}, t.name),
              h('td', {}, count(t.calls)),
              h('td', { class: t.errors ? 'error' : '' }, count(t.errors)),
              h('td', {}, `${(t.error_rate * 100).toFixed(1)}%`),
              h('td', {}, ms(t.p50_ms)),
              h('td', {}, ms(t.p95_ms)),
              h('td', {}, ms(t.p99_ms)),
            ),
          ),
        )
      : h(
          'p',
          { class: 'muted' },
          isAdmin(state)
            ? 'No downstream calls yet.'
            : 'Downstream tool figures are hub-wide: the admin sees them.',
        ),
  );
}

/** What is asked: the held call (tool, rule) or the prompt (tool, what it is about to do). */
function requestCell(a: Approval): HTMLElement {
  const permission = a.kind === 'permission';
  return h(
    'td',
    {},
    h(
      'span',
      { class: `badge ${permission ? 'warn' : ''}`, 'data-role': 'kind' },
      permission ? 'permission' : 'call',
    ),
    ' ',
    h('strong', { 'data-role': 'tool' }, a.tool),
    h(
      'div',
      { class: 'meta', 'data-role': 'description' },
      permission ? brief(a.description ?? '', 300) : (a.rule ?? ''),
    ),
  );
}

function approvalRow(state: State, a: Approval): HTMLElement {
  const pending = a.status === 'pending';
  const who = a.project ? `${a.requested_by} · project ${a.project}` : a.requested_by;
  return h(
    'tr',
    { 'data-approval-id': a.id, 'data-status': a.status, 'data-kind': a.kind },
    requestCell(a),
    h(
      'td',
      {},
      h(
        'code',
        { 'data-role': 'input' },
        a.kind === 'permission' ? brief(a.input_preview ?? '', 300) : brief(a.args, 200),
      ),
    ),
    h('td', { class: 'meta' }, h('span', { 'data-role': 'agent' }, who), h('br', {}), time(a.requested_at)),
    h(
      'td',
      {},
      pending
        ? h(
            'span',
            { class: 'approval-actions' },
            h(
              'button',
              { class: 'small ok', 'data-action': 'approve', onClick: () => void decide(state, a, true) },
              'Approve',
            ),
            h(
              'button',
              { class: 'small danger', 'data-action': 'deny', onClick: () => void decide(state, a, false) },
              'Deny',
            ),
            h(
              'div',
              { class: 'meta' },
              a.kind === 'permission'
                ? `left to the session's own dialog at ${time(a.expires_at)}`
                : `denied at ${time(a.expires_at)} without a decision`,
            ),
          )
        : h(
            'span',
            {},
            h('span', { class: `badge ${a.status === 'approved' ? 'good' : 'bad'}` }, a.status),
            h(
              'div',
              { class: 'meta' },
              [a.decided_by, a.decided_at && time(a.decided_at)].filter(Boolean).join(' · '),
            ),
          ),
    ),
  );
}

function approvalsPart(state: State): HTMLElement {
  const pending = data.approvals.filter((a) => a.status === 'pending');
  const decided = data.approvals.filter((a) => a.status !== 'pending').slice(0, DECIDED_SHOWN);
  return h(
    'section',
    { class: 'panel' },
    h('h2', {}, `Approvals queue (${pending.length} waiting)`),
    data.errors.has('approvals') ? failure(data.errors.get('approvals')) : null,
    data.notice
      ? h('p', { class: data.notice.error ? 'error' : 'meta', 'data-role': 'notice' }, data.notice.text)
      : null,
    pending.length || decided.length
      ? table(
          'gateway-approvals',
          ['Request', 'Input', 'Requested by', 'Decision'],
          [...pending, ...decided].map((a) => approvalRow(state, a)),
        )
      : h(
          'p',
          { class: 'muted' },
          'Nothing waits for approval: no held calls (gateway.approvals.rules) and no permission prompts (switchboard mcp --permission-relay).',
        ),
  );
}

function runsPart(state: State): HTMLElement {
  const select = (id: string) => {
    data.selectedRun = id;
    void loadRuns(state);
  };
  const run = data.run;
  return h(
    'section',
    { class: 'panel' },
    h('h2', {}, `Workflow runs (${data.runs.length})`),
    data.errors.has('runs') ? failure(data.errors.get('runs')) : null,
    h(
      'div',
      { class: 'cols' },
      data.runs.length
        ? table(
            'gateway-runs',
            ['Run', 'Status', 'Started', 'By'],
            data.runs.map((r) =>
              h(
                'tr',
                { 'data-run-id': r.run_id, class: r.run_id === data.selectedRun ? 'selected' : '' },
                h(
                  'td',
                  {},
                  h('button', { class: 'link', onClick: () => select(r.run_id) }, r.name ?? r.run_id),
                ),
                h('td', {}, h('span', { class: `status ${r.status}` }, r.status)),
                h('td', { class: 'meta' }, time(r.created_at)),
                h('td', { class: 'meta' }, r.started_by),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'No workflow runs yet.'),
      run
        ? h(
            'div',
            { 'data-testid': 'gateway-steps', 'data-run-id': run.run_id },
            h('h3', {}, `Steps of ${run.name ?? run.run_id}`),
            h(
              'ol',
              { class: 'workflow-steps' },
              ...run.steps.map((s) =>
                h(
                  'li',
                  { 'data-step-id': s.id, class: s.parent ? 'branch' : '' },
                  h('strong', {}, s.id),
                  ' ',
                  h('span', { class: `status ${s.status}` }, s.status),
                  h(
                    'span',
                    { class: 'meta' },
                    ` ${s.call ?? 'parallel'}${s.attempts > 1 ? ` · ${s.attempts} attempts` : ''}`,
                  ),
                  s.error ? h('div', { class: 'error' }, s.error) : null,
                  s.output !== null && s.output !== undefined ? h('pre', {}, full(s.output)) : null,
                ),
              ),
            ),
            run.error ? h('p', { class: 'error' }, run.error) : null,
          )
        : null,
    ),
  );
}

function render(el: HTMLElement, state: State): void {
  fill(
    el,
    isAdmin(state)
      ? serversPart()
      : h(
          'section',
          { class: 'panel' },
          h('h2', {}, 'Servers and approvals'),
          h('p', { class: 'muted' }, 'Downstream servers and the approvals queue are for the admin token.'),
        ),
    isAdmin(state) ? approvalsPart(state) : null,
    toolsPart(state),
    runsPart(state),
  );
}

export const gatewayView: ViewModule = {
  id: 'gateway',
  label: 'Gateway',
  topics: ['gateway'],
  render,
  open: (_el, state) => load(state),
  onEvent,
};
