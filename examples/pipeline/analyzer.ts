/**
 * The analyzer: registers, aggregates each `processed` reading per sensor (count, min, max, mean) and
 * by comfort level, and on `end` prints the result (`--json`: one JSON line) and exits.
 */
import type { InboxMessageView } from '../../src/client/index.js';
import { CAPABILITY, createAgent, options, run, TYPE } from './common.js';
import type { ProcessedReading } from './data.js';

export interface SensorStats {
  count: number;
  min_c: number;
  max_c: number;
  mean_c: number;
  mean_f: number;
}

export interface Summary {
  total: number;
  expected: number | null;
  sensors: Record<string, SensorStats>;
  levels: Record<string, number>;
}

const round = (n: number) => Math.round(n * 100) / 100;

class Aggregate {
  private readonly sensors = new Map<
    string,
    { count: number; min: number; max: number; sumC: number; sumF: number }
  >();
  private readonly levels: Record<string, number> = {};
  private readonly seen = new Set<number>();

  add(r: ProcessedReading): void {
    if (this.seen.has(r.seq)) return;
    this.seen.add(r.seq);
    const s = this.sensors.get(r.sensor) ?? { count: 0, min: Infinity, max: -Infinity, sumC: 0, sumF: 0 };
    s.count++;
    s.min = Math.min(s.min, r.celsius);
    s.max = Math.max(s.max, r.celsius);
    s.sumC += r.celsius;
    s.sumF += r.fahrenheit;
    this.sensors.set(r.sensor, s);
    this.levels[r.level] = (this.levels[r.level] ?? 0) + 1;
  }

  summary(expected: number | null): Summary {
    const sensors: Record<string, SensorStats> = {};
    for (const name of [...this.sensors.keys()].sort()) {
      const s = this.sensors.get(name)!;
      sensors[name] = {
        count: s.count,
        min_c: s.min,
        max_c: s.max,
        mean_c: round(s.sumC / s.count),
        mean_f: round(s.sumF / s.count),
      };
    }
    return { total: this.seen.size, expected, sensors, levels: { ...this.levels } };
  }
}

function print(summary: Summary): void {
  console.log(
    `analyzer: ${summary.total} readings from ${Object.keys(summary.sensors).length} sensors` +
      (summary.expected !== null && summary.expected !== summary.total
        ? ` (expected ${summary.expected})`
        : ''),
  );
  console.log('sensor  count  min °C  max °C  mean °C  mean °F');
  for (const [name, s] of Object.entries(summary.sensors)) {
    console.log(
      `${name.padEnd(6)}  ${String(s.count).padStart(5)}  ${String(s.min_c).padStart(6)}  ${String(s.max_c).padStart(6)}  ` +
        `${String(s.mean_c).padStart(7)}  ${String(s.mean_f).padStart(7)}`,
    );
  }
  console.log(
    `levels: ${Object.entries(summary.levels)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
}

run('analyzer', async (onStop) => {
  const opts = options({ json: { type: 'boolean' } });
  const agent = createAgent('analyzer', CAPABILITY.analyzer, opts);
  onStop(() => agent.close({ retire: true, reason: 'analyzer stopped' }));

  const me = await agent.register();
  console.error(`analyzer: registered as ${me.agent_id} at ${agent.hub.url}; waiting for processed readings`);
  const aggregate = new Aggregate();
  let summary: Summary | undefined;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const listening = await agent.listen((message: InboxMessageView) => {
    if (message.type === TYPE.processed) aggregate.add(message.body as ProcessedReading);
    else if (message.type === TYPE.end) {
      const total = (message.body as { total?: number }).total;
      summary = aggregate.summary(typeof total === 'number' ? total : null);
      finish();
    }
  });
  await finished;
  await listening.stop();
  await agent.close({ retire: true, reason: 'done' });
  if (!summary) return;
  if (opts.values.json) console.log(JSON.stringify(summary));
  else print(summary);
});
