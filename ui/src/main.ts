/**
 * The dashboard: reads its token (auth.ts), learns who it is, loads the agents and the hub's status,
 * then follows the hub's SSE stream (fetch-based, so the token goes in the Authorization header) and
 * re-renders the open view on every change. It reconnects with a growing pause if the stream drops.
 */
import { HubClient } from '../../src/client/hub-client.js';
import { SwitchboardError } from '../../src/client/errors.js';
import type { StreamedEvent } from '../../src/client/types.js';
import { forgetToken, takeToken } from './auth.js';
import { fill, h } from './dom.js';
import { changed, FEED_SIZE, type Identity, onChange, type State, visible } from './state.js';
import { VIEWS, type ViewModule } from './views/registry.js';

const main = document.getElementById('main')!;
let current: ViewModule = VIEWS[0]!;

function show(view: ViewModule, state: State): void {
  current = view;
  main.replaceChildren();
  main.dataset.view = view.id;
  for (const b of document.querySelectorAll<HTMLButtonElement>('#nav button'))
    b.classList.toggle('active', b.dataset.view === view.id);
  view.render(main, state);
  void Promise.resolve(view.open?.(main, state)).catch(() => {
    /* a view shows its own load errors */
  });
}

async function whoAmI(client: HubClient): Promise<Identity> {
  try {
    const { agent } = await client.whoami({});
    return { kind: 'agent', agent_id: agent.agent_id, project: agent.project };
  } catch (err) {
    // The admin token is valid but names no agent: whoami asks it to name one.
    if (err instanceof SwitchboardError && err.code === 'invalid_input') return { kind: 'admin' };
    throw err;
  }
}

async function loadAgents(state: State): Promise<void> {
  const project = state.identity.kind === 'agent' ? state.identity.project : undefined;
  state.agents.clear();
  for (let offset = 0; ;) {
    const page = await state.client.list_agents({ project, limit: 500, offset });
    for (const a of page.agents) state.agents.set(a.agent_id, a);
    offset += page.agents.length;
    if (page.agents.length === 0 || offset >= page.total) break;
  }
  changed('agents');
}

let statusTimer: ReturnType<typeof setTimeout> | undefined;
function refreshStatus(state: State): void {
  if (statusTimer) return;
  statusTimer = setTimeout(async () => {
    statusTimer = undefined;
    try {
      state.status = await state.client.hub_status();
      changed('status');
    } catch {
      /* the next event tries again */
    }
  }, 250);
}

function apply(state: State, event: StreamedEvent): void {
  for (const view of VIEWS) view.onEvent?.(state, event);
  switch (event.type) {
    case 'agent.registered':
    case 'agent.updated':
      if (!visible(state, event.agent)) return;
      state.agents.set(event.agent.agent_id, { ...state.agents.get(event.agent.agent_id), ...event.agent });
      changed('agents');
      refreshStatus(state);
      return;
    case 'agent.status': {
      const agent = state.agents.get(event.agent_id);
      if (!agent) return;
      state.agents.set(event.agent_id, { ...agent, status: event.status });
      changed('agents');
      refreshStatus(state);
      return;
    }
    case 'agent.retired':
      state.agents.delete(event.agent_id);
      changed('agents');
      refreshStatus(state);
      return;
    case 'message.sent':
    case 'message':
      if (state.feed.some((m) => m.message_id === event.message.message_id)) return;
      state.feed.unshift(event.message);
      state.feed.length = Math.min(state.feed.length, FEED_SIZE);
      changed('feed');
      return;
  }
}

function setLive(state: State, live: boolean): void {
  state.live = live;
  const el = document.getElementById('live')!;
  el.className = `live ${live ? 'on' : 'off'}`;
  el.textContent = live ? 'live' : 'reconnecting…';
}

async function follow(state: State): Promise<void> {
  let opened = 0;
  for (let pause = 500; ; pause = Math.min(pause * 2, 10_000)) {
    try {
      for await (const event of state.client.events({
        onOpen: () => {
          setLive(state, true);
          pause = 500;
          // Catch up on what changed while the stream was down.
          void loadAgents(state);
          refreshStatus(state);
          // The open view reloads its own data too (not on the first connect: show() just loaded it).
          if (opened++ > 0) void Promise.resolve(current.open?.(main, state)).catch(() => undefined);
        },
      })) {
        apply(state, event);
      }
    } catch (err) {
      if (err instanceof SwitchboardError && err.code === 'unauthorized') return loggedOut(err.message);
    }
    setLive(state, false);
    await new Promise((r) => setTimeout(r, pause));
  }
}

function loggedOut(reason: string): void {
  forgetToken();
  fill(
    main,
    h(
      'div',
      { class: 'panel' },
      h('h2', {}, 'Not signed in'),
      h('p', {}, reason),
      h(
        'p',
        { class: 'muted' },
        'Run ',
        h('code', {}, 'switchboard dashboard'),
        ' and open the link it prints.',
      ),
    ),
  );
}

async function start(): Promise<void> {
  const token = takeToken();
  if (!token) return loggedOut('This page needs a token.');
  const client = new HubClient({ url: window.location.origin, token });
  let identity: Identity;
  try {
    identity = await whoAmI(client);
  } catch (err) {
    return loggedOut((err as Error).message);
  }
  const state: State = { client, identity, agents: new Map(), feed: [], live: false };
  document.getElementById('who')!.textContent =
    identity.kind === 'admin' ? 'admin' : `agent ${identity.agent_id} · project ${identity.project}`;
  const nav = document.getElementById('nav')!;
  for (const view of VIEWS) {
    nav.append(h('button', { 'data-view': view.id, onClick: () => show(view, state) }, view.label));
  }
  onChange((topic) => {
    if (current.topics.includes(topic)) current.render(main, state);
  });
  show(VIEWS[0]!, state);
  await loadAgents(state);
  refreshStatus(state);
  void follow(state);
}

void start();
