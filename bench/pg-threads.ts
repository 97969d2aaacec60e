/**
 * Standalone measurement (not part of `npm run bench`): what storing a message costs on PostgreSQL,
 * through the store's own group-commit send path (`PostgresStore.insertMessage`), in one process with
 * a throwaway PostgreSQL server, for this build and optionally another build's `dist/` in the same run
 * (rounds interleaved, the order alternating), so the ratio holds on a busy machine.
 *
 * Per round and build, on a fresh database: `start` — N messages that each start a thread (one sender,
 * two recipients); `reply` — one reply per thread from a recipient to the other two, on the same store
 * (the node that stored the roots); `reply-cold` — one more reply per thread from a second store on the
 * same database (another node: it has seen none of the roots). Sends go `--window` at a time (the
 * batcher groups what arrives together). Figures per stored message: wall time, this process's CPU,
 * the PostgreSQL server's CPU (its processes' utime + stime from /proc, ended backends included), and
 * the `thread_participants` rows written. Medians over rounds; ratios other ÷ this.
 *
 *   npm run build && node dist/bench/pg-threads.js [--messages=3000] [--rounds=5] [--window=32]
 *     [--compare-dist=/work/wt/base10/dist]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../src/store/postgres/throwaway.js';
import type { NewMessage, Store } from '../src/store/types.js';
import { median, round } from './lib/stats.js';

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const MESSAGES = Number(arg('messages', '3000'));
const ROUNDS = Number(arg('rounds', '5'));
const WINDOW = Number(arg('window', '32'));
const COMPARE = arg('compare-dist', '');

interface StoreModule {
  PostgresStore: { open(url: string): Promise<Store & { close(): Promise<void> }> };
}

const PHASES = ['start', 'reply', 'reply-cold'] as const;
type Phase = (typeof PHASES)[number];
interface Figures {
  wallUs: number;
  clientUs: number;
  serverUs: number;
  rows: number;
}

// ------------------------------------------------------------------ the server's CPU

const TICK_US = 10_000; // USER_HZ = 100 on Linux

function statFields(pid: string): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // ended meanwhile
  }
}

/** The postmaster listening on `port` (its command line holds `-p <port>`). */
function postmasterOf(port: number): string {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const i = cmd.indexOf('-p');
      if (cmd[0].endsWith('/postgres') && i >= 0 && cmd[i + 1] === String(port)) return pid;
    } catch {
      /* gone */
    }
  }
  throw new Error(`no postmaster on port ${port}`);
}

/** CPU µs of the server so far: the postmaster (with its ended children) and its live children. */
function serverCpuUs(postmaster: string): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    const f = statFields(pid);
    if (!f) continue;
    // After the command: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
    if (pid === postmaster) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    else if (f[1] === postmaster) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks * TICK_US;
}

// ------------------------------------------------------------------ one round of one build

const message = (id: string, from: string, recipients: string[], threadId: string): NewMessage => ({
  id,
  from,
  to: recipients,
  type: 'message',
  subject: null,
  body: { text: `message ${id} about the plan for the day` },
  threadId,
  replyTo: null,
  correlationId: null,
  importance: 'normal',
  ackRequired: false,
  project: 'default',
  createdAt: new Date().toISOString(),
  expiresAt: null,
  idempotencyKey: null,
  recipients,
});

async function sendAll(store: Store, messages: NewMessage[]): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < messages.length) await store.insertMessage(messages[next++]);
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
}

async function round1(
  mod: StoreModule,
  server: ThrowawayPostgres,
  postmaster: string,
  tag: string,
): Promise<Record<Phase, Figures>> {
  const url = await server.createDatabase();
  const name = new URL(url).pathname.slice(1);
  const a = await mod.PostgresStore.open(url);
  const b = await mod.PostgresStore.open(url);
  const counter = new pg.Client({ connectionString: url });
  await counter.connect();
  const rows = async () =>
    Number((await counter.query('SELECT count(*) AS n FROM thread_participants')).rows[0].n);
  const agent = (k: string, i: number) => `ag_${k}${i % 40}`;
  const roots = Array.from({ length: MESSAGES }, (_, i) =>
    message(`msg_${tag}_r${i}`, agent('a', i), [agent('b', i), agent('c', i)], `msg_${tag}_r${i}`),
  );
  const batches: Record<Phase, [Store, NewMessage[]]> = {
    start: [a, roots],
    reply: [
      a,
      roots.map((r, i) => message(`msg_${tag}_w${i}`, agent('b', i), [agent('a', i), agent('c', i)], r.id)),
    ],
    'reply-cold': [
      b,
      roots.map((r, i) => message(`msg_${tag}_c${i}`, agent('c', i), [agent('a', i), agent('b', i)], r.id)),
    ],
  };
  const out = {} as Record<Phase, Figures>;
  try {
    for (const phase of PHASES) {
      const [store, messages] = batches[phase];
      const rowsBefore = await rows();
      const server0 = serverCpuUs(postmaster);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await sendAll(store, messages);
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const serverUs = serverCpuUs(postmaster) - server0;
      out[phase] = {
        wallUs: (wall * 1000) / messages.length,
        clientUs: (cpu.user + cpu.system) / messages.length,
        serverUs: serverUs / messages.length,
        rows: ((await rows()) - rowsBefore) / messages.length,
      };
    }
  } finally {
    await counter.end();
    await a.close();
    await b.close();
    await server.dropDatabase(name);
  }
  return out;
}

// ------------------------------------------------------------------ main

async function main() {
  const builds: Array<[string, StoreModule]> = [
    ['this', (await import('../src/store/postgres/index.js')) as unknown as StoreModule],
  ];
  if (COMPARE) {
    builds.push(['other', (await import(`${COMPARE}/src/store/postgres/index.js`)) as StoreModule]);
  }
  const load0 = loadavg();
  const server = await startThrowawayPostgres();
  const postmaster = postmasterOf(server.port);
  const results = new Map<string, Array<Record<Phase, Figures>>>(builds.map(([n]) => [n, []]));
  try {
    // One unmeasured warm-up of each build (JIT, the server's caches).
    for (const [, mod] of builds) await round1(mod, server, postmaster, 'warm');
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? builds : [...builds].reverse();
      for (const [name, mod] of order) results.get(name)!.push(await round1(mod, server, postmaster, `${r}`));
    }
  } finally {
    await server.stop();
  }
  const load1 = loadavg();
  console.log(
    `${MESSAGES} messages per phase, window ${WINDOW}, ${ROUNDS} rounds; load ${load0.map((l) => l.toFixed(2)).join(' ')} → ${load1.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const keys: Array<keyof Figures> = ['wallUs', 'clientUs', 'serverUs', 'rows'];
  console.log(['phase', 'build', ...keys.map((k) => `${k} (median)`)].join('\t'));
  for (const phase of PHASES) {
    for (const [name] of builds) {
      const rs = results.get(name)!;
      console.log([phase, name, ...keys.map((k) => round(median(rs.map((x) => x[phase][k])), 2))].join('\t'));
    }
    if (COMPARE) {
      const ratio = (k: keyof Figures) => {
        const per = results.get('this')!.map((t, i) => results.get('other')![i][phase][k] / t[phase][k]);
        return round(median(per), 2);
      };
      console.log(
        [phase, 'other÷this', ...keys.map((k) => (k === 'rows' ? '' : `×${ratio(k)}`))].join('\t'),
        '(median of per-round ratios)',
      );
      const total = (x: Figures) => x.clientUs + x.serverUs;
      const per = results
        .get('this')!
        .map((t, i) => total(results.get('other')![i][phase]) / total(t[phase]));
      console.log(`${phase}\tclient+server CPU other÷this ×${round(median(per), 2)}`);
    }
  }
}

void main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
