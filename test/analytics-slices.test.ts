/**
 * The analytics recorders write a long queue in slices (FLUSH_SLICE records at a time), yielding
 * between them. Sends that arrive faster than a flush (several slices' worth in one tick, as
 * AgentClient batches them over its socket) must count exactly as if written at once: a request and
 * its response in different slices, threads started in one slice and continued in a later one.
 */
import { expect, it } from 'vitest';
import { AgentClient } from '../src/client/index.js';
import { FLUSH_SLICE } from '../src/domain/analytics/flush-slice.js';
import { hubPerTest, type TestHub } from './helpers/hub.js';

const clients: AgentClient[] = [];
const hubs = hubPerTest(async () => {
  for (const c of clients.splice(0)) await c.close();
});

const REQUESTS = Math.ceil(FLUSH_SLICE * 1.5);
const THREADS = 10;
const NOTES = FLUSH_SLICE * 2;

async function agent(t: TestHub, name: string): Promise<AgentClient> {
  const c = new AgentClient({ url: t.url, name, agentId: name.toLowerCase() });
  clients.push(c);
  await c.register();
  await c.listen(() => {}, { markRead: false });
  return c;
}

const figures = (body: Record<string, unknown>) => {
  const { cached: _c, age_seconds: _a, ...rest } = body;
  return rest;
};

it('counts several slices of sends exactly, and as a rebuild from the log does', async () => {
  const t = await hubs.start({ rateLimit: { enabled: false } });
  const [lead, worker, writer] = await Promise.all(
    ['Lead', 'Worker', 'Writer', 'Reader'].map((n) => agent(t, n)),
  );
  // Each burst is sent in one tick, so the recorders queue more than a slice before they flush.
  const requests = await Promise.all(
    Array.from({ length: REQUESTS }, (_, i) =>
      lead.send('worker', `task ${i}`, { type: 'request', ack_required: true }),
    ),
  );
  const starts = await Promise.all(
    Array.from({ length: THREADS }, (_, i) => writer.send('reader', `topic ${i}`)),
  );
  // Answers and follow-ups after their requests and thread starts: in later slices.
  await Promise.all([
    ...requests.map((r, i) => worker.send('lead', `done ${i}`, { type: 'response', reply_to: r.message_id })),
    ...Array.from({ length: NOTES }, (_, i) =>
      writer.send('reader', `more ${i}`, { thread_id: starts[i % THREADS]!.thread_id }),
    ),
  ]);
  await worker.hub.ack_message({ message_ids: requests.slice(0, 100).map((r) => r.message_id) });
  await t.hub.services.analytics.recorder.flush();

  const admin = { token: t.adminToken };
  const get = async (what: string, query = '') => {
    const r = await t.api('GET', `/api/v1/analytics/${what}?project=default${query}`, admin);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as Record<string, unknown>;
  };
  const usage = await get('usage');
  const sent = Object.fromEntries(
    (usage.agents as Array<{ agent_id: string; sent: number; received: number }>).map((a) => [
      a.agent_id,
      [a.sent, a.received],
    ]),
  );
  expect(sent).toMatchObject({
    lead: [REQUESTS, REQUESTS],
    worker: [REQUESTS, REQUESTS],
    writer: [THREADS + NOTES, 0],
    reader: [0, THREADS + NOTES],
  });
  const eng = await get('engagement', '&bucket=minute');
  expect(eng.totals).toMatchObject({ requests: REQUESTS, answered: REQUESTS, acks: 100 });
  const perf = await get('performance', '&bucket=minute');
  const metrics = perf.metrics as Record<string, { count: number }>;
  expect(metrics.response!.count).toBe(REQUESTS);
  expect(metrics.ack!.count).toBe(100);
  // A first response per thread someone else answered in: each request's thread, none of the notes'.
  expect(metrics.first_response!.count).toBe(REQUESTS);
  const history = await get('history', '&bucket=hour');
  expect(history.totals).toMatchObject({
    messages: 2 * REQUESTS + THREADS + NOTES,
    threads: REQUESTS + THREADS,
  });
  // A day's threads are counted as each write finds them new (a flush writes in several
  // transactions): every thread once (twice only for a thread whose messages straddle midnight UTC).
  const days = await get('history', '&bucket=day');
  const perDay = (days.series as Array<{ threads: number }>).map((b) => b.threads);
  if (perDay.length === 1) expect(perDay[0]).toBe(REQUESTS + THREADS);
  else expect(perDay.reduce((n, x) => n + x, 0)).toBeGreaterThanOrEqual(REQUESTS + THREADS);

  // A rebuild from the log (which does not go through the recorders) gives the same figures.
  const before = {
    usage: figures(usage),
    eng: figures(eng),
    perf: figures(perf),
    history: figures(history),
    days: figures(days),
  };
  await t.hub.store.analytics.clear();
  expect((await t.api('POST', '/api/v1/analytics/rebuild', { ...admin, body: {} })).status).toBe(200);
  expect({
    usage: figures(await get('usage')),
    eng: figures(await get('engagement', '&bucket=minute')),
    perf: figures(await get('performance', '&bucket=minute')),
    history: figures(await get('history', '&bucket=hour')),
    days: figures(await get('history', '&bucket=day')),
  }).toEqual(before);
});
