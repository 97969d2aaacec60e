/**
 * The history rollups of many thread-starting messages (the send path's common case, which writes
 * the fewest rollup rows it can: schema version 24 counts a day's threads from its hours' rows).
 * Threads and participants per hour and day, per project and for every project, for ranges that cut
 * hours and days, must equal a direct count of what was sent, the per-minute rollups (the same query
 * limited to every agent), and a rebuild from the log.
 */
import { expect, it } from 'vitest';
import { TestClock } from './helpers/clock.js';
import { hubPerTest } from './helpers/hub.js';
import { type Agent, fiveAgents } from './helpers/traffic.js';

const hubs = hubPerTest();

const START = Date.parse('2026-03-01T21:07:00.000Z');
const MESSAGES = 90;
/** Minutes between sends: the messages span about 28 hours, across a day boundary. */
const STEP = 19;

interface Sent {
  minute: number;
  thread: string;
  from: string;
  to: string;
}

it('counts many thread-starting messages across two projects exactly, live, per minute and rebuilt', async () => {
  const clock = new TestClock(START);
  const t = await hubs.start({ analytics: { cacheSeconds: 0 } }, { clock });
  const { a, b, c, d, e } = await fiveAgents(t);
  const project = new Map<string, string>([
    [a.id, 'default'],
    [b.id, 'default'],
    [c.id, 'default'],
    [d.id, 'other'],
    [e.id, 'other'],
  ]);
  const agents = new Map([a, b, c, d, e].map((x) => [x.id, x]));
  // Senders and recipients in turn, some across projects; every 6th message continues the thread
  // of the message 4 before it (so some threads span hours and the day boundary).
  const pairs: Array<[Agent, Agent]> = [
    [a, b],
    [d, e],
    [b, c],
    [e, a],
    [c, d],
    [b, a],
    [d, b],
  ];
  const sent: Sent[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    clock.set(START + i * STEP * 60_000);
    const earlier = i % 6 === 5 ? sent[i - 4]! : undefined;
    // A continuation is the earlier message's recipient answering its sender in that thread.
    const [from, to] = earlier
      ? [agents.get(earlier.to)!, agents.get(earlier.from)!]
      : pairs[i % pairs.length]!;
    const continued = earlier?.thread;
    const r = await t.api('POST', '/api/v1/messages', {
      token: from.token,
      body: { to: to.id, body: `m${i}`, ...(continued ? { thread_id: continued } : {}) },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const { thread_id } = r.body as { thread_id: string };
    if (!continued) expect(thread_id).toBe((r.body as { message_id: string }).message_id);
    sent.push({ minute: Math.floor(clock.ms / 60_000), thread: thread_id, from: from.id, to: to.id });
  }

  // What the messages say: a thread row per (message, sender) and (message, recipient), each in its
  // agent's project; a bucket's threads and participants are the distinct ones among its rows.
  const rows = sent.flatMap((s) => [
    { minute: s.minute, thread: s.thread, agent: s.from, project: project.get(s.from)!, sent: 1 },
    { minute: s.minute, thread: s.thread, agent: s.to, project: project.get(s.to)!, sent: 0 },
  ]);
  const expected = (size: number, scope?: string, since?: number, until?: number) => {
    const inRange = rows.filter(
      (r) =>
        (scope === undefined || r.project === scope) &&
        (since === undefined || r.minute >= since) &&
        (until === undefined || r.minute < until),
    );
    const buckets = new Map<number, { messages: number; threads: Set<string>; agents: Set<string> }>();
    for (const r of inRange) {
      const k = Math.floor(r.minute / size) * size;
      const x = buckets.get(k) ?? { messages: 0, threads: new Set(), agents: new Set() };
      x.messages += r.sent;
      x.threads.add(r.thread);
      x.agents.add(r.agent);
      buckets.set(k, x);
    }
    return {
      series: [...buckets.entries()]
        .sort(([x], [y]) => x - y)
        .map(([k, x]) => [new Date(k * 60_000).toISOString(), x.messages, x.threads.size, x.agents.size]),
      totals: {
        messages: inRange.reduce((n, r) => n + r.sent, 0),
        threads: new Set(inRange.map((r) => r.thread)).size,
        participants: new Set(inRange.map((r) => r.agent)).size,
      },
    };
  };

  const admin = { token: t.adminToken };
  const history = async (query: string) => {
    const r = await t.api('GET', `/api/v1/analytics/history?threads_limit=100&${query}`, admin);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const { cached: _c, age_seconds: _a, ...rest } = r.body as Record<string, unknown>;
    return rest as { series: any[]; totals: any; threads: any[] };
  };
  const minuteOf = (iso: string) => Math.floor(Date.parse(iso) / 60_000);
  const ranges: Array<[string | undefined, string | undefined]> = [
    [undefined, undefined],
    ['2026-03-01T22:30:00.000Z', undefined],
    [undefined, '2026-03-02T13:00:00.000Z'],
    ['2026-03-01T23:13:00.000Z', '2026-03-02T05:47:00.000Z'],
    ['2026-03-02T00:00:00.000Z', '2026-03-03T00:00:00.000Z'],
    ['2026-03-02T07:00:00.000Z', '2026-03-02T09:00:00.000Z'],
  ];
  const answers: Record<string, unknown> = {};
  let checked = 0;
  for (const [bucket, size] of [
    ['hour', 60],
    ['day', 1440],
  ] as const)
    for (const scope of [undefined, 'default', 'other'])
      for (const [since, until] of ranges) {
        const q = [
          `bucket=${bucket}`,
          scope ? `project=${scope}` : '',
          since ? `since=${since}` : '',
          until ? `until=${until}` : '',
        ]
          .filter(Boolean)
          .join('&');
        const fast = await history(q);
        const want = expected(
          size,
          scope,
          since === undefined ? undefined : minuteOf(since),
          until === undefined ? undefined : minuteOf(until),
        );
        expect(
          fast.series.map((s) => [s.bucket_start, s.messages, s.threads, s.participants]),
          q,
        ).toEqual(want.series);
        expect(fast.totals, q).toMatchObject(want.totals);
        // The per-minute rollups (a query limited to every agent reads them) say the same.
        expect(await history(`${q}&capability=all`), q).toEqual(fast);
        answers[q] = fast;
        checked++;
      }
  expect(checked).toBe(2 * 3 * ranges.length);
  // Every thread counted once over all time, whatever its hours and days.
  expect(answers['bucket=day']).toMatchObject({
    totals: { threads: MESSAGES - Math.floor(MESSAGES / 6) },
  });

  // A rebuild from the log writes the same rollups.
  const rebuilt = await t.api('POST', '/api/v1/analytics/rebuild', { ...admin, body: {} });
  expect(rebuilt.status).toBe(200);
  for (const [q, answer] of Object.entries(answers)) expect(await history(q), q).toEqual(answer);
});
