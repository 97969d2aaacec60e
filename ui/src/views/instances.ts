/**
 * Instances: the parent/child tree (list_instances: the admin sees all, an agent the ones it spawned),
 * each with status, role, turns, tokens and cost against its budget, and its live output (a bounded
 * buffer per instance, filled from get_instance_output and then from instance.output events). The
 * admin gets Interrupt and Terminate buttons; an agent token sees none. Usage is re-read
 * (get_instance_status) when a turn's result or a status change arrives, never on a timer.
 */
import type { StreamedEvent } from '../../../src/client/types.js';
import type { OpOutput } from '../../../src/client/types.js';
import { fill, h, time } from '../dom.js';
import { changed, type State } from '../state.js';
import { bar, brief, coalesce, count, failure, usd } from './kit.js';
import type { ViewModule } from './registry.js';
import './instances.css';

type Instance = OpOutput<'list_instances'>['instances'][number];
type Line = { cursor: number; at: string; kind: string; text: string };

/** Output lines kept per instance, lines shown in the tree, and output pages read when catching up. */
const BUFFER = 200;
const TAIL = 6;
const PAGES = 5;
const ENDED = new Set(['stopped', 'failed']);

const instances = new Map<string, Instance>();
const output = new Map<string, Line[]>();
let selected: string | undefined;
let loadError: unknown;
let notice: { text: string; error: boolean } | undefined;

/** One output event as a line of text. */
export function describeOutput(e: Record<string, unknown>): string {
  const s = (v: unknown) => (typeof v === 'string' ? v : brief(v));
  switch (e.kind) {
    case 'text':
      return s(e.text);
    case 'user':
      return `← ${s(e.text)}`;
    case 'tool_use':
      return `tool ${s(e.name)} ${brief(e.input, 120)}`;
    case 'tool_result':
      return `tool result ${e.is_error === true ? 'error' : 'ok'}: ${brief(e.content, 120)}`;
    case 'result':
      return e.ok === false
        ? `turn failed: ${s(e.failure ?? e.subtype ?? 'failed')}`
        : `turn done${typeof e.total_cost_usd === 'number' ? ` · ${usd(e.total_cost_usd)}` : ''}`;
    case 'init':
      return `init${typeof e.model === 'string' ? ` model ${e.model}` : ''}`;
    case 'error':
      return `error: ${s(e.message)}`;
    default: {
      const { kind, cursor: _c, at: _a, ...rest } = e;
      return `${s(kind)} ${brief(rest, 160)}`;
    }
  }
}

/** Adds lines to an instance's buffer in cursor order, once each, keeping the newest BUFFER. */
function addLines(id: string, lines: Line[]): void {
  const buf = output.get(id) ?? [];
  const seen = new Set(buf.map((l) => l.cursor));
  for (const l of lines) if (!seen.has(l.cursor)) buf.push(l);
  buf.sort((a, b) => a.cursor - b.cursor);
  if (buf.length > BUFFER) buf.splice(0, buf.length - BUFFER);
  output.set(id, buf);
}

async function loadOutput(state: State, id: string): Promise<void> {
  let since = output.get(id)?.at(-1)?.cursor;
  for (let page = 0; page < PAGES; page++) {
    const res = await state.client.get_instance_output({
      instance_id: id,
      ...(since !== undefined ? { since: String(since) } : {}),
      limit: 1000,
    });
    addLines(
      id,
      res.events.map((e) => ({
        cursor: Number(e.cursor),
        at: e.at,
        kind: e.kind,
        text: describeOutput(e as Record<string, unknown>),
      })),
    );
    since = Number(res.next_cursor);
    if (!res.has_more) break;
  }
}

async function load(state: State): Promise<void> {
  try {
    const { instances: list } = await state.client.list_instances({});
    instances.clear();
    for (const i of list) instances.set(i.instance_id, i);
    loadError = undefined;
    changed('instances');
    // Output of the live ones (and the selected one) first; ended ones keep what was read before.
    const wanted = list.filter(
      (i) => !ENDED.has(i.status) || i.instance_id === selected || !output.has(i.instance_id),
    );
    await Promise.all(wanted.slice(-50).map((i) => loadOutput(state, i.instance_id).catch(() => undefined)));
  } catch (err) {
    loadError = err;
  }
  changed('instances');
}

// Usage changes with each turn's result: re-read the instances that had one, coalesced.
const stale = new Set<string>();
let refreshState: State | undefined;
const refreshUsage = coalesce(async () => {
  const ids = [...stale];
  stale.clear();
  await Promise.all(
    ids.map(async (id) => {
      const fresh = await refreshState!.client
        .get_instance_status({ instance_id: id })
        .catch(() => undefined);
      if (fresh) instances.set(id, fresh);
    }),
  );
  changed('instances');
}, 150);

function markStale(state: State, id: string): void {
  refreshState = state;
  stale.add(id);
  refreshUsage();
}

function onEvent(state: State, event: StreamedEvent): void {
  switch (event.type) {
    case 'instance.spawned':
    case 'instance.ended':
      instances.set(event.instance.instance_id, event.instance as Instance);
      break;
    case 'instance.status': {
      const i = instances.get(event.instance_id);
      if (i) instances.set(event.instance_id, { ...i, status: event.status, reason: event.reason });
      markStale(state, event.instance_id);
      break;
    }
    case 'instance.stuck': {
      const i = instances.get(event.instance_id);
      if (i) instances.set(event.instance_id, { ...i, status: 'stuck' });
      break;
    }
    case 'instance.restarted': {
      const i = instances.get(event.instance_id);
      if (i) instances.set(event.instance_id, { ...i, restarts: event.restarts });
      break;
    }
    case 'instance.output': {
      const kind = String(event.event.kind ?? '');
      addLines(event.instance_id, [
        { cursor: Number(event.cursor), at: event.at, kind, text: describeOutput(event.event) },
      ]);
      if (kind === 'result') markStale(state, event.instance_id);
      break;
    }
    default:
      return;
  }
  changed('instances');
}

// ---------------------------------------------------------------- actions

async function act(state: State, label: string, run: () => Promise<string>): Promise<void> {
  try {
    notice = { text: `${label}: ${await run()}`, error: false };
  } catch (err) {
    notice = { text: `${label}: ${(err as Error).message}`, error: true };
  }
  changed('instances');
}

function actions(state: State, i: Instance): HTMLElement | null {
  if (state.identity.kind !== 'admin' || ENDED.has(i.status)) return null;
  const id = i.instance_id;
  return h(
    'span',
    { class: 'instance-actions' },
    h(
      'button',
      {
        class: 'small',
        'data-action': 'interrupt',
        onClick: (e: Event) => {
          e.stopPropagation();
          void act(state, `Interrupt ${i.name}`, async () => {
            const r = await state.client.interrupt_instance({ instance_id: id });
            return r.interrupted ? `turn stopped (${r.method})` : 'no turn was running';
          });
        },
      },
      'Interrupt',
    ),
    h(
      'button',
      {
        class: 'small danger',
        'data-action': 'terminate',
        onClick: (e: Event) => {
          e.stopPropagation();
          void act(state, `Terminate ${i.name}`, async () => {
            const r = await state.client.terminate_instance({
              instance_id: id,
              reason: 'terminated from the dashboard',
            });
            return r.terminated.map((x) => `${x.instance_id} ${x.status}`).join(', ') || 'already ended';
          });
        },
      },
      'Terminate',
    ),
  );
}

// ---------------------------------------------------------------- tree

function budget(i: Instance): HTMLElement {
  const { tokens, cost_usd, turns } = i.usage;
  const { max_tokens, max_cost_usd, max_turns } = i.limits;
  const of = (n: number | undefined, f: (n: number) => string) => (n ? ` of ${f(n)}` : '');
  return h(
    'div',
    { class: 'instance-budget' },
    h(
      'span',
      { 'data-role': 'turns' },
      `${count(turns)} turn${turns === 1 ? '' : 's'}${of(max_turns, count)}`,
    ),
    h(
      'span',
      { 'data-role': 'tokens' },
      bar(tokens, max_tokens, `${count(tokens)} tokens${of(max_tokens, count)}`),
    ),
    h(
      'span',
      { 'data-role': 'cost' },
      bar(cost_usd, max_cost_usd, `${usd(cost_usd)}${of(max_cost_usd, usd)}`),
    ),
  );
}

function node(state: State, i: Instance, children: Map<string, Instance[]>, depth: number): HTMLElement[] {
  const lines = output.get(i.instance_id) ?? [];
  const row = h(
    'li',
    {
      class: `instance depth-${Math.min(depth, 6)}${i.instance_id === selected ? ' selected' : ''}`,
      'data-instance-id': i.instance_id,
      onClick: () => {
        selected = i.instance_id;
        changed('instances');
      },
    },
    h(
      'div',
      { class: 'instance-head' },
      depth ? h('span', { class: 'muted' }, '└ ') : null,
      h('strong', {}, i.name),
      h('span', { class: `status ${i.status}`, 'data-role': 'status' }, i.status),
      h(
        'span',
        { class: 'meta' },
        `${i.role} · ${i.adapter}${i.model ? ` · ${i.model}` : ''} · ${i.instance_id}`,
      ),
      actions(state, i),
    ),
    budget(i),
    i.reason ? h('div', { class: 'meta' }, i.reason) : null,
    h(
      'pre',
      { class: 'instance-output', 'data-role': 'output' },
      lines.length
        ? lines
            .slice(-TAIL)
            .map((l) => l.text)
            .join('\n')
        : '(no output yet)',
    ),
  );
  const kids = children.get(i.instance_id) ?? [];
  return [row, ...kids.flatMap((c) => node(state, c, children, depth + 1))];
}

function tree(state: State): HTMLElement {
  const children = new Map<string, Instance[]>();
  const roots: Instance[] = [];
  const all = [...instances.values()].sort((a, b) => a.created_at.localeCompare(b.created_at));
  for (const i of all) {
    if (i.parent_id && instances.has(i.parent_id)) {
      const list = children.get(i.parent_id) ?? [];
      list.push(i);
      children.set(i.parent_id, list);
    } else roots.push(i);
  }
  return h(
    'ul',
    { class: 'instance-tree', 'data-testid': 'instance-tree' },
    ...roots.flatMap((r) => node(state, r, children, 0)),
  );
}

function outputPanel(i: Instance): HTMLElement {
  const lines = output.get(i.instance_id) ?? [];
  return h(
    'section',
    { class: 'panel', 'data-testid': 'instance-output' },
    h('h2', {}, `Output of ${i.name}`),
    h(
      'div',
      { class: 'meta' },
      `last ${lines.length} events (up to ${BUFFER}) · started ${time(i.created_at)}`,
    ),
    h(
      'ol',
      { class: 'instance-lines' },
      ...lines.map((l) =>
        h('li', { class: `kind-${l.kind}` }, h('span', { class: 'meta' }, time(l.at)), ' ', l.text),
      ),
    ),
  );
}

function render(el: HTMLElement, state: State): void {
  const chosen = selected ? instances.get(selected) : undefined;
  const live = [...instances.values()].filter((i) => !ENDED.has(i.status)).length;
  fill(
    el,
    h(
      'section',
      { class: 'panel' },
      h('h2', {}, `Instances (${live} running of ${instances.size})`),
      loadError ? failure(loadError) : null,
      notice ? h('p', { class: notice.error ? 'error' : 'meta', 'data-role': 'notice' }, notice.text) : null,
      instances.size ? tree(state) : h('p', { class: 'muted' }, 'No instances yet.'),
    ),
    chosen ? outputPanel(chosen) : null,
  );
}

export const instancesView: ViewModule = {
  id: 'instances',
  label: 'Instances',
  topics: ['instances'],
  render,
  open: (_el, state) => load(state),
  onEvent,
};
