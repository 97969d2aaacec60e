/**
 * The processor: registers, waits for an analyzer, then for each `data` reading adds °F and a comfort
 * level and forwards it (type `processed`) to `capability:pipeline-analyzer`. On `end` it forwards the
 * marker and exits, unless `--follow` keeps it serving further runs.
 */
import type { InboxMessageView } from '../../src/client/index.js';
import { CAPABILITY, createAgent, options, run, TYPE, waitForPeer } from './common.js';
import { processReading, type Reading } from './data.js';

run('processor', async (onStop) => {
  const opts = options({ follow: { type: 'boolean' } });
  const follow = opts.values.follow === true;
  const agent = createAgent('processor', CAPABILITY.processor, opts);
  onStop(() => agent.close({ retire: true, reason: 'processor stopped' }));

  const me = await agent.register();
  console.log(`processor: registered as ${me.agent_id} at ${agent.hub.url}`);
  await waitForPeer(agent, CAPABILITY.analyzer, opts, 'processor');
  const to = `capability:${CAPABILITY.analyzer}`;

  let processed = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const listening = await agent.listen(async (message: InboxMessageView) => {
    if (message.type === TYPE.data) {
      const out = processReading(message.body as Reading);
      await agent.send(
        to,
        { ...out },
        { type: TYPE.processed, subject: `processed ${out.seq}`, reply_to: message.message_id },
      );
      processed++;
      console.log(
        `processor: #${out.seq} ${out.sensor} ${out.celsius} °C → ${out.fahrenheit} °F (${out.level})`,
      );
    } else if (message.type === TYPE.end) {
      const total = (message.body as { total?: number }).total;
      await agent.send(to, { total, processed }, { type: TYPE.end, subject: 'end of stream' });
      console.log(`processor: forwarded ${processed} readings and the end marker`);
      processed = 0;
      if (!follow) finish();
    }
  });
  await finished;
  await listening.stop();
  await agent.close({ retire: true, reason: 'done' });
});
