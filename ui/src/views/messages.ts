/**
 * Messages: the live feed of what the caller may see, full-text search, a thread view (get_thread) and
 * a compose box. The admin writes as its own "overseer" agent, registered on first use.
 */
import { bodyText, fill, h, time } from '../dom.js';
import { type State, visible } from '../state.js';
import type { MessageView } from '../../../src/client/types.js';

export const OVERSEER = 'overseer';

let searchResults: MessageView[] | undefined;
let openThread: string | undefined;
/** The newest feed message already shown: newer ones in the open thread reload it. */
let newestShown: string | undefined;

function messageItem(m: MessageView, onOpen: (thread: string) => void): HTMLElement {
  const to = Array.isArray(m.to) ? m.to.join(', ') : m.to;
  return h(
    'li',
    { 'data-message-id': m.message_id, onClick: () => onOpen(m.thread_id) },
    h('div', { class: 'meta' }, `${time(m.created_at)} · ${m.from} → ${to} · ${m.type}`),
    m.subject ? h('strong', {}, m.subject) : null,
    h('div', { class: 'body' }, bodyText(m.body)),
  );
}

export function renderMessages(el: HTMLElement, state: State): void {
  if (!el.querySelector('[data-role=feed]')) build(el, state);
  const open = (thread: string) => void showThread(el, state, thread);
  const list = searchResults ?? state.feed;
  fill(
    el.querySelector('[data-role=feed-title]')!,
    searchResults ? `Search results (${searchResults.length})` : 'Live feed',
  );
  fill(
    el.querySelector('[data-role=feed]')!,
    ...list.map((m) => messageItem(m, open)),
    list.length === 0
      ? h('li', { class: 'muted' }, searchResults ? 'Nothing found.' : 'Waiting for messages…')
      : null,
  );
  const fresh = newestShown
    ? state.feed.slice(
        0,
        state.feed.findIndex((m) => m.message_id === newestShown),
      )
    : [];
  newestShown = state.feed[0]?.message_id;
  if (openThread && fresh.some((m) => m.thread_id === openThread)) void showThread(el, state, openThread);
  const select = el.querySelector('select[name=to]') as HTMLSelectElement;
  const chosen = select.value;
  const options = [...state.agents.values()]
    .filter((a) => visible(state, a) && a.status !== 'retired' && a.agent_id !== OVERSEER)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((a) => h('option', { value: a.agent_id }, `${a.name} (${a.agent_id})`));
  fill(select, h('option', { value: 'ALL' }, 'ALL (broadcast)'), ...options);
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
}

function build(el: HTMLElement, state: State): void {
  const search = h(
    'form',
    {
      class: 'row',
      'data-role': 'search',
      onSubmit: async (e: Event) => {
        e.preventDefault();
        const query = (search.querySelector('input') as HTMLInputElement).value.trim();
        searchResults = query
          ? (await state.client.search_messages({ query, limit: 100 })).messages
          : undefined;
        renderMessages(el, state);
      },
    },
    h('input', { name: 'query', placeholder: 'Search messages', 'aria-label': 'search messages' }),
    h('button', { class: 'primary', type: 'submit' }, 'Search'),
  );
  const status = h('div', { class: 'meta', 'data-role': 'compose-status' });
  const compose = h(
    'form',
    {
      'data-role': 'compose',
      onSubmit: async (e: Event) => {
        e.preventDefault();
        const form = e.target as HTMLFormElement;
        const data = new FormData(form);
        try {
          const sent = await send(state, {
            to: String(data.get('to')),
            subject: String(data.get('subject') ?? '') || undefined,
            body: String(data.get('body') ?? ''),
          });
          fill(status, `Sent ${sent}`);
          (form.elements.namedItem('body') as HTMLTextAreaElement).value = '';
        } catch (err) {
          fill(status, h('span', { class: 'error' }, (err as Error).message));
        }
      },
    },
    h('select', { name: 'to', 'aria-label': 'recipient' }),
    h('input', { name: 'subject', placeholder: 'Subject (optional)', 'aria-label': 'subject' }),
    h('textarea', { name: 'body', placeholder: 'Message', 'aria-label': 'message', required: true }),
    h('button', { class: 'primary', type: 'submit' }, 'Send'),
    status,
  );
  const who = state.identity.kind === 'admin' ? `as ${OVERSEER}` : `as ${state.identity.agent_id}`;
  fill(
    el,
    h(
      'div',
      { class: 'cols' },
      h(
        'div',
        {},
        h('div', { class: 'panel' }, search),
        h(
          'section',
          { class: 'panel' },
          h('h2', { 'data-role': 'feed-title' }),
          h('ul', { class: 'feed', 'data-role': 'feed', 'data-testid': 'feed' }),
        ),
      ),
      h(
        'div',
        {},
        h('section', { class: 'panel' }, h('h2', {}, `Compose ${who}`), compose),
        h(
          'section',
          { class: 'panel', 'data-role': 'thread', 'data-testid': 'thread' },
          h('h2', {}, 'Thread'),
          h('p', { class: 'muted' }, 'Click a message to open its thread.'),
        ),
      ),
    ),
  );
  if (openThread) void showThread(el, state, openThread);
}

async function showThread(el: HTMLElement, state: State, threadId: string): Promise<void> {
  openThread = threadId;
  const panel = el.querySelector('[data-role=thread]')!;
  try {
    const { messages } = await state.client.get_thread({ thread_id: threadId });
    fill(
      panel,
      h('h2', {}, 'Thread'),
      h('div', { class: 'meta' }, threadId),
      h('ul', { class: 'feed' }, ...messages.map((m) => messageItem(m, () => undefined))),
    );
    panel.setAttribute('data-thread-id', threadId);
  } catch (err) {
    fill(panel, h('h2', {}, 'Thread'), h('p', { class: 'error' }, (err as Error).message));
  }
}

let overseerReady: Promise<unknown> | undefined;

/** Sends as the caller's agent, or for the admin as the overseer (registered once per page). */
async function send(state: State, msg: { to: string; subject?: string; body: string }): Promise<string> {
  if (state.identity.kind === 'agent') {
    return (await state.client.send_message(msg)).message_id;
  }
  overseerReady ??= state.client
    .register_agent({
      agent_id: OVERSEER,
      name: 'Overseer',
      role: 'overseer',
      description: 'A person at the dashboard',
    })
    .catch((err: unknown) => {
      overseerReady = undefined;
      throw err;
    });
  await overseerReady;
  return (await state.client.send_message({ ...msg, from: OVERSEER })).message_id;
}
