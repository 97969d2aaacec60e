/**
 * The producer → processor → analyzer example, run as three real programs (the built
 * `dist/examples/pipeline/*.js`) against a test hub, started in the least forgiving order: the producer
 * first, then the processor, then the analyzer. The analyzer's printed result must match the data.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reading, SENSORS } from '../examples/pipeline/data.js';
import { startTestHub, type TestHub } from './helpers/hub.js';

const DIST = join(import.meta.dirname, '..', 'dist', 'examples', 'pipeline');

interface Program {
  child: ChildProcess;
  /** Resolves when stderr or stdout has shown this text. */
  shows(text: string): Promise<void>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

let h: TestHub;
const running: ChildProcess[] = [];

function start(name: string, args: string[] = []): Program {
  const child = spawn(process.execPath, [join(DIST, `${name}.js`), ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, SWITCHBOARD_URL: h.url },
    stdio: 'pipe',
  });
  running.push(child);
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ text: string; resolve(): void }> = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (stdout.includes(w.text) || stderr.includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout?.on('data', (d) => {
    stdout += d;
    check();
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
    check();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return {
    child,
    shows: (text) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ text, resolve });
        check();
        void done.then((r) =>
          reject(new Error(`${name} exited (${r.code}) before showing "${text}": ${r.stderr}`)),
        );
      }),
    done,
  };
}

function expected(count: number) {
  const sensors: Record<string, { count: number; min_c: number; max_c: number; mean_c: number }> = {};
  for (const name of SENSORS) {
    const temps = Array.from({ length: count }, (_, i) => reading(i + 1))
      .filter((r) => r.sensor === name)
      .map((r) => r.celsius);
    if (temps.length === 0) continue;
    sensors[name] = {
      count: temps.length,
      min_c: Math.min(...temps),
      max_c: Math.max(...temps),
      mean_c: temps.reduce((a, b) => a + b, 0) / temps.length,
    };
  }
  return sensors;
}

beforeAll(async () => {
  h = await startTestHub();
});

afterAll(async () => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  await h?.close();
});

describe('examples/pipeline', () => {
  it('moves every reading producer → processor → analyzer and prints the right aggregate', async () => {
    const count = 20;
    const producer = start('producer', ['--count', String(count)]);
    await producer.shows('waiting for a pipeline-processor');
    const processor = start('processor');
    await processor.shows('waiting for a pipeline-analyzer');
    const analyzer = start('analyzer', ['--json']);

    const [p, q, a] = await Promise.all([producer.done, processor.done, analyzer.done]);
    expect(p.code).toBe(0);
    expect(q.code).toBe(0);
    expect(a.code).toBe(0);
    expect(p.stdout).toContain(`sent ${count} readings and the end marker`);
    expect(q.stdout.split('\n').filter((l) => / °F \((cold|mild|hot)\)$/.test(l))).toHaveLength(count);

    const summary = JSON.parse(a.stdout.trim().split('\n').pop() ?? '');
    expect(summary.total).toBe(count);
    expect(summary.expected).toBe(count);
    const want = expected(count);
    expect(Object.keys(summary.sensors)).toEqual(Object.keys(want).sort());
    for (const [name, stats] of Object.entries(want)) {
      const got = summary.sensors[name];
      expect(got.count).toBe(stats.count);
      expect(got.min_c).toBe(stats.min_c);
      expect(got.max_c).toBe(stats.max_c);
      expect(got.mean_c).toBeCloseTo(stats.mean_c, 2);
      expect(got.mean_f).toBeCloseTo((stats.mean_c * 9) / 5 + 32, 1);
    }
    const levels = summary.levels as Record<string, number>;
    expect(Object.values(levels).reduce((x, y) => x + y, 0)).toBe(count);

    // Each program retired itself on the way out, so no stale agent is left to receive broadcasts.
    const agents = await h.api('GET', '/api/v1/agents?project=pipeline&include_retired=true');
    expect(
      agents.body.agents.map((x: { name: string; status: string }) => [x.name, x.status]).sort(),
    ).toEqual([
      ['analyzer', 'retired'],
      ['processor', 'retired'],
      ['producer', 'retired'],
    ]);
  });

  it('prints a readable table without --json, and explains a bad option', async () => {
    const analyzer = start('analyzer');
    await analyzer.shows('waiting for processed readings');
    const processor = start('processor');
    const producer = start('producer', ['--count', '3']);
    const [a, q, p] = await Promise.all([analyzer.done, processor.done, producer.done]);
    expect([a.code, q.code, p.code]).toEqual([0, 0, 0]);
    expect(a.stdout).toContain('analyzer: 3 readings from 3 sensors');
    expect(a.stdout).toMatch(/^sensor\s+count\s+min °C\s+max °C\s+mean °C\s+mean °F$/m);
    expect(a.stdout).toMatch(/^north\s+1\s+4\.7\s+4\.7\s+4\.7\s+40\.5$/m);

    const bad = await start('producer', ['--count', 'many']).done;
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('producer: --count expects a whole number above 0');
  });
});
