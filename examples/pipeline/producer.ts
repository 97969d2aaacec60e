/**
 * The producer: registers, waits for a processor, emits `--count` sensor readings (type `data`) to
 * `capability:pipeline-processor`, then an `end` marker with the total, and retires.
 */
import { CAPABILITY, createAgent, options, run, TYPE, waitForPeer } from './common.js';
import { reading } from './data.js';

run('producer', async (onStop) => {
  const opts = options({ count: { type: 'string' } });
  const count = Number(opts.values.count ?? 12);
  if (!Number.isInteger(count) || count < 1) throw new Error('--count expects a whole number above 0');
  const agent = createAgent('producer', CAPABILITY.producer, opts);
  onStop(() => agent.close({ retire: true, reason: 'producer stopped' }));

  const me = await agent.register();
  console.log(`producer: registered as ${me.agent_id} at ${agent.hub.url}`);
  await waitForPeer(agent, CAPABILITY.processor, opts, 'producer');

  const to = `capability:${CAPABILITY.processor}`;
  for (let seq = 1; seq <= count; seq++) {
    const r = reading(seq);
    await agent.send(
      to,
      { ...r },
      { type: TYPE.data, subject: `reading ${seq}`, idempotency_key: `reading-${me.agent_id}-${seq}` },
    );
    console.log(`producer: #${seq} ${r.sensor} ${r.celsius} °C`);
  }
  await agent.send(to, { total: count }, { type: TYPE.end, subject: 'end of stream' });
  console.log(`producer: sent ${count} readings and the end marker to ${to}`);
  await agent.close({ retire: true, reason: 'done' });
});
