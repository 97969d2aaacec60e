/**
 * Tasks: a board by status (list_tasks: every unfinished task, and the newest finished ones), a card
 * per task with its title, holder and attempts; click one for its detail: its tree (parent and
 * children), its claims and re-opens (list_task_attempts), progress, question, result. Live: each task.* event carries
 * the whole task, so the card moves column at once. An agent token sees its project's tasks (the op is
 * scoped) and moves live on the events of tasks it created or holds (the ones its stream carries).
 */
import type { TaskView } from '../../../src/core/wire/index.js';
import type { OpOutput, StreamedEvent } from '../../../src/client/types.js';
import { fill, h, time } from '../dom.js';
import { changed, type State } from '../state.js';
import { bar, brief, failure, full } from './kit.js';
import type { ViewModule } from './registry.js';
import './tasks.css';

type Status = TaskView['status'];
const COLUMNS: Array<{ status: Status; label: string }> = [
  { status: 'open', label: 'Open' },
  { status: 'claimed', label: 'Claimed' },
  { status: 'in_progress', label: 'In progress' },
  { status: 'input_required', label: 'Input required' },
  { status: 'completed', label: 'Completed' },
  { status: 'failed', label: 'Failed' },
  { status: 'cancelled', label: 'Cancelled' },
];
const UNFINISHED: Status[] = ['open', 'claimed', 'in_progress', 'input_required'];
const FINISHED: Status[] = ['completed', 'failed', 'cancelled'];
/** Finished tasks loaded (newest first), and cards shown per column. */
const FINISHED_LOADED = 200;
const CARDS_PER_COLUMN = 50;
type Attempt = OpOutput<'list_task_attempts'>['attempts'][number];

const tasks = new Map<string, TaskView>();
/** The selected task's claims (list_task_attempts), re-read when one of its events arrives. */
let attempts: { taskId: string; list: Attempt[] } | undefined;
let selected: string | undefined;
let loadError: unknown;

async function load(state: State): Promise<void> {
  try {
    const [live, done] = await Promise.all([
      state.client.list_tasks({ status: UNFINISHED, limit: 1000 }),
      state.client.list_tasks({ status: FINISHED, limit: FINISHED_LOADED }),
    ]);
    tasks.clear();
    for (const t of [...live.tasks, ...done.tasks]) tasks.set(t.task_id, t);
    loadError = undefined;
  } catch (err) {
    loadError = err;
  }
  changed('tasks');
}

/** The children of the selected task, finished ones included (the board keeps only the newest). */
async function loadChildren(state: State, taskId: string): Promise<void> {
  try {
    const { tasks: children } = await state.client.list_tasks({ parent_task_id: taskId, limit: 1000 });
    for (const t of children) tasks.set(t.task_id, t);
    changed('tasks');
  } catch {
    /* the detail shows the children the board knows */
  }
}

async function loadAttempts(state: State, taskId: string): Promise<void> {
  try {
    const { attempts: list } = await state.client.list_task_attempts({ task_id: taskId });
    if (selected === taskId) attempts = { taskId, list };
  } catch {
    /* the detail shows the task's own counts */
  }
  changed('tasks');
}

function onEvent(state: State, event: StreamedEvent): void {
  if (!event.type.startsWith('task.') || !('task' in event)) return;
  const task = event.task as TaskView;
  if (state.identity.kind === 'agent' && task.project !== state.identity.project) return;
  const known = tasks.get(task.task_id);
  if (known && known.version > task.version) return; // an older event arriving late
  tasks.set(task.task_id, task);
  if (task.task_id === selected && event.type !== 'task.progress') void loadAttempts(state, task.task_id);
  changed('tasks');
}

// ---------------------------------------------------------------- board

function card(t: TaskView, select: (id: string) => void): HTMLElement {
  const reopened = t.status === 'open' && t.attempts > 0;
  return h(
    'li',
    {
      class: `task-card${t.task_id === selected ? ' selected' : ''}`,
      'data-task-id': t.task_id,
      tabindex: 0,
      onClick: () => select(t.task_id),
      onKeydown: (e: Event) => (e as KeyboardEvent).key === 'Enter' && select(t.task_id),
    },
    h('div', { class: 'task-title' }, t.title),
    h(
      'div',
      { class: 'meta' },
      h('span', { 'data-role': 'holder' }, t.assignee ? `held by ${t.assignee}` : 'unclaimed'),
      ' · ',
      h('span', { 'data-role': 'attempts' }, `attempt ${t.attempts} of ${t.max_attempts}`),
    ),
    reopened ? h('div', { class: 'badge warn' }, `re-opened ×${t.attempts}`) : null,
    t.parent_task_id
      ? h('div', { class: 'meta' }, `child of ${tasks.get(t.parent_task_id)?.title ?? t.parent_task_id}`)
      : null,
    t.progress !== null && !FINISHED.includes(t.status)
      ? bar(t.progress, 100, progressLabel(t), false)
      : null,
  );
}

const progressLabel = (t: TaskView) =>
  `${Math.round(t.progress ?? 0)}%${t.progress_note ? ` · ${t.progress_note}` : ''}`;

function newestFirst(a: TaskView, b: TaskView): number {
  return b.priority - a.priority || b.updated_at.localeCompare(a.updated_at);
}

function board(select: (id: string) => void): HTMLElement {
  const byStatus = new Map<Status, TaskView[]>(COLUMNS.map((c) => [c.status, []]));
  for (const t of tasks.values()) byStatus.get(t.status)?.push(t);
  return h(
    'div',
    { class: 'task-board', 'data-testid': 'task-board' },
    ...COLUMNS.map(({ status, label }) => {
      const list = byStatus.get(status)!.sort(newestFirst);
      return h(
        'section',
        { class: `task-column ${status}`, 'data-testid': `task-column-${status}` },
        h('h3', {}, label, h('span', { class: 'count' }, String(list.length))),
        h('ul', {}, ...list.slice(0, CARDS_PER_COLUMN).map((t) => card(t, select))),
        list.length > CARDS_PER_COLUMN
          ? h('p', { class: 'meta' }, `+${list.length - CARDS_PER_COLUMN} more`)
          : null,
      );
    }),
  );
}

// ---------------------------------------------------------------- detail

function link(id: string, select: (id: string) => void): HTMLElement {
  const t = tasks.get(id);
  return h(
    'button',
    { class: 'link', 'data-task-link': id, onClick: () => select(id) },
    t ? `${t.title} (${t.status})` : id,
  );
}

function fact(label: string, ...value: Array<Node | string | null>): HTMLElement {
  return h('div', { class: 'fact' }, h('span', { class: 'muted' }, label), h('span', {}, ...value));
}

function attemptsTable(t: TaskView): HTMLElement | null {
  const list = attempts?.taskId === t.task_id ? attempts.list : [];
  if (!list.length) return null;
  return h(
    'table',
    { class: 'task-attempts' },
    h('thead', {}, h('tr', {}, ...['#', 'Holder', 'Claimed', 'Ended', 'Outcome'].map((x) => h('th', {}, x)))),
    h(
      'tbody',
      {},
      ...list.map((a) =>
        h(
          'tr',
          { 'data-attempt': a.attempt },
          h('td', {}, String(a.attempt)),
          h('td', {}, a.agent_id),
          h('td', {}, time(a.claimed_at)),
          h('td', {}, a.ended_at ? time(a.ended_at) : ''),
          h('td', {}, h('span', { class: `status ${a.outcome ?? 'claimed'}` }, a.outcome ?? 'running')),
        ),
      ),
    ),
  );
}

function attemptsPart(t: TaskView): HTMLElement {
  // failure_reason stays with the task after a re-open: it names why the previous attempt ended.
  const ended = t.status === 'failed' || t.status === 'cancelled';
  const lastEnded =
    t.failure_reason &&
    (ended
      ? `${t.status}: ${t.failure_reason}`
      : `re-opened after attempt ${t.status === 'open' ? t.attempts : t.attempts - 1}: ${t.failure_reason}`);
  return h(
    'div',
    { 'data-role': 'attempts' },
    h('h3', {}, 'Claims and attempts'),
    fact('attempts', `${t.attempts} of ${t.max_attempts}`),
    t.assignee ? fact('held by', t.assignee) : null,
    t.claimed_at ? fact('claimed', time(t.claimed_at)) : null,
    t.started_at ? fact('started', time(t.started_at)) : null,
    t.lease_expires_at ? fact('lease until', time(t.lease_expires_at)) : null,
    lastEnded ? h('p', { class: 'badge warn' }, lastEnded) : null,
    attemptsTable(t),
  );
}

function detail(t: TaskView, select: (id: string) => void): HTMLElement {
  const children = [...tasks.values()]
    .filter((c) => c.parent_task_id === t.task_id)
    .sort((a, b) => a.created_at.localeCompare(b.created_at));
  return h(
    'section',
    { class: 'panel task-detail', 'data-testid': 'task-detail', 'data-task-id': t.task_id },
    h('h2', {}, t.title, ' ', h('span', { class: `status ${t.status}`, 'data-role': 'status' }, t.status)),
    h('div', { class: 'meta' }, `${t.task_id} · project ${t.project} · created by ${t.created_by}`),
    t.description ? h('p', { class: 'body' }, t.description) : null,
    h(
      'div',
      { class: 'task-detail-cols' },
      h(
        'div',
        {},
        h('h3', {}, 'Tree'),
        fact('parent', t.parent_task_id ? link(t.parent_task_id, select) : 'none'),
        h(
          'div',
          { 'data-role': 'children' },
          fact('children', children.length ? String(children.length) : 'none'),
          children.length
            ? h(
                'ul',
                { class: 'task-children' },
                ...children.map((c) => h('li', {}, link(c.task_id, select))),
              )
            : null,
        ),
        t.required_capabilities.length ? fact('needs', t.required_capabilities.join(', ')) : null,
        fact('priority', String(t.priority)),
        t.deadline ? fact('deadline', time(t.deadline)) : null,
      ),
      attemptsPart(t),
      h(
        'div',
        {},
        h('h3', {}, 'Progress and result'),
        t.progress !== null
          ? bar(t.progress, 100, progressLabel(t), false)
          : h('p', { class: 'meta' }, 'No progress reported.'),
        t.question ? fact('asks', t.question) : null,
        t.answer !== null && t.answer !== undefined ? fact('answer', brief(t.answer)) : null,
        t.result !== null && t.result !== undefined
          ? h('pre', { class: 'task-result', 'data-role': 'result' }, full(t.result))
          : null,
        t.artifacts.length
          ? h('ul', {}, ...t.artifacts.map((a) => h('li', {}, a.name, a.uri ? ` — ${a.uri}` : '')))
          : null,
        t.finished_at ? fact('finished', time(t.finished_at)) : null,
      ),
    ),
  );
}

function render(el: HTMLElement, state: State): void {
  const select = (id: string) => {
    selected = id;
    attempts = undefined;
    render(el, state);
    void loadChildren(state, id);
    void loadAttempts(state, id);
  };
  const chosen = selected ? tasks.get(selected) : undefined;
  fill(
    el,
    loadError ? h('section', { class: 'panel' }, failure(loadError)) : null,
    board(select),
    chosen
      ? detail(chosen, select)
      : h(
          'p',
          { class: 'muted' },
          tasks.size ? 'Click a task for its tree, attempts and result.' : 'No tasks yet.',
        ),
  );
}

export const tasksView: ViewModule = {
  id: 'tasks',
  label: 'Tasks',
  topics: ['tasks'],
  render,
  open: (_el, state) => load(state),
  onEvent,
};
