/**
 * A backlog of analytics records (a burst past what the hub writes, as after WebSocket saturation)
 * is written in short transactions and counted exactly: each delta folds at most FOLD_RECORDS
 * records (a backlog of 100,000 folded at once held the event loop 50–140 ms while it was taken and
 * split), and at most one flush waits behind the running one, whatever keeps arriving.
 */
import { expect, it } from 'vitest';
import { channels } from '../src/bus/bus.js';
import type { MessageView } from '../src/core/wire/message.js';
import { FOLD_RECORDS, WRITE_THREAD_ROWS } from '../src/domain/analytics/flush-slice.js';
import type { RollupDelta } from '../src/store/analytics.js';
import { hubPerTest } from './helpers/hub.js';

const hubs = hubPerTest();

it('writes a backlog that keeps growing during its flushes in bounded, exact writes', async () => {
  const t = await hubs.start({ rateLimit: { enabled: false } });
  const alpha = await t.register('Alpha');
  const beta = await t.register('Beta');
  const analytics = t.hub.store.analytics;
  const apply = analytics.apply.bind(analytics);
  let applies = 0;
  let largest = 0;
  let mostFolded = 0;
  analytics.apply = (d: RollupDelta) => {
    applies++;
    largest = Math.max(largest, d.threads.length);
    // The delta's records: its first write carries the pair row alpha → beta, one message each.
    for (const p of d.pairs) mostFolded = Math.max(mostFolded, p.messages);
    return apply(d);
  };
  // 60,000 one-message threads (two thread rows each), published 1,000 per turn of the event loop:
  // past MAX_PENDING (20,000) while flushes run, as under sustained overload.
  const at = new Date().toISOString();
  const N = 60_000;
  for (let i = 0; i < N; i++) {
    const message = {
      message_id: `m${i}`,
      thread_id: `m${i}`,
      from: alpha.id,
      type: 'message',
      created_at: at,
      reply_to: null,
      ack_required: false,
    } as unknown as MessageView;
    t.hub.bus.publish(channels.all, { type: 'message.sent', at, message, recipients: [beta.id] });
    if (i % 1000 === 999) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await t.hub.services.analytics.recorder.flush();

  // No delta folded more than FOLD_RECORDS records (taking and splitting one is a synchronous step),
  // no write held more than WRITE_THREAD_ROWS thread rows, and writes were full ones but for the
  // last of each delta: no trickle of tiny flushes.
  expect(mostFolded).toBeGreaterThan(0);
  expect(mostFolded).toBeLessThanOrEqual(FOLD_RECORDS);
  expect(largest).toBeLessThanOrEqual(WRITE_THREAD_ROWS);
  const deltas = Math.ceil(N / FOLD_RECORDS) + 8;
  expect(applies).toBeLessThanOrEqual(Math.ceil((2 * N) / WRITE_THREAD_ROWS) + deltas);
  const r = await t.api('GET', '/api/v1/analytics/usage', { token: t.adminToken });
  expect(r.status).toBe(200);
  const rows = (r.body as { agents: Array<{ agent_id: string; sent: number; received: number }> }).agents;
  expect(rows.find((a) => a.agent_id === alpha.id)).toMatchObject({ sent: N, received: 0 });
  expect(rows.find((a) => a.agent_id === beta.id)).toMatchObject({ sent: 0, received: N });
});
