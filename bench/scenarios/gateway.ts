/**
 * (g) Gateway: tool calls to `@modelcontextprotocol/server-everything` (stdio) through the hub's
 * /mcp (`everything__echo`, one SDK client on a 2025-11-25 session, agent bearer token) against the
 * same calls made directly with the SDK client over stdio to a server-everything process of its own.
 * Latency: one call at a time (p50, p99); throughput: 16 calls in flight. Medians over repetitions
 * after a warm-up, and the hub/direct ratios. Runs on its own hub child process.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { type HubProcess, registerAgent, startHub } from '../lib/hub.js';
import { medianOf, round, summarize } from '../lib/stats.js';

type Stats = ReturnType<typeof summarize>;

export interface GatewayRep {
  direct: { seq: Stats; concurrent: Stats & { perSec: number } };
  hub: { seq: Stats; concurrent: Stats & { perSec: number } };
}

export interface GatewayResult {
  calls: number;
  reps: GatewayRep[];
  median?: {
    directP50: number;
    directP99: number;
    hubP50: number;
    hubP99: number;
    directPerSec: number;
    hubPerSec: number;
    /** hub / direct latency (p50, p99) and direct / hub throughput: how much the hub costs. */
    p50Ratio: number;
    p99Ratio: number;
    throughputRatio: number;
  };
  error?: string;
}

const LANES = 16;
const MESSAGE = 'x'.repeat(100);

function everythingEntry(): string {
  const require = createRequire(import.meta.url);
  return join(
    dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')),
    'dist',
    'index.js',
  );
}

type Call = () => Promise<void>;

async function measure(call: Call, calls: number): Promise<GatewayRep['hub']> {
  const seq: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await call();
    seq.push(performance.now() - t0);
  }
  const concurrent: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: LANES }, async (_, lane) => {
      for (let i = lane; i < calls; i += LANES) {
        const t0 = performance.now();
        await call();
        concurrent.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    seq: summarize(seq),
    concurrent: { ...summarize(concurrent), perSec: round(concurrent.length / seconds, 0) },
  };
}

function echoCall(client: Client, name: string): Call {
  return async () => {
    const res = await client.callTool({ name, arguments: { message: MESSAGE } });
    if (res.isError) throw new Error(`${name}: ${JSON.stringify(res.content).slice(0, 300)}`);
  };
}

export async function runGatewayBench(
  opts: { quick: boolean; reps: number },
  log: (line: string) => void,
): Promise<GatewayResult> {
  const calls = opts.quick ? 300 : 1000;
  const result: GatewayResult = { calls, reps: [] };
  let hub: HubProcess | undefined;
  let direct: Client | undefined;
  let viaHub: Client | undefined;
  try {
    const entry = everythingEntry();
    hub = await startHub({
      config: {
        gateway: { servers: [{ name: 'everything', command: process.execPath, args: [entry, 'stdio'] }] },
      },
    });
    const agent = await registerAgent(hub.url, 'bench-gateway');
    viaHub = new Client({ name: 'switchboard-bench-gateway', version: '0.1.0' });
    await viaHub.connect(
      new StreamableHTTPClientTransport(new URL(`${hub.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${agent.token}` } },
      }),
    );
    const hubClient = viaHub;
    let listed = false;
    const deadline = Date.now() + 30_000;
    while (!listed && Date.now() < deadline) {
      listed = (await hubClient.listTools()).tools.some((t) => t.name === 'everything__echo');
      if (!listed) await new Promise((r) => setTimeout(r, 200));
    }
    if (!listed) throw new Error('everything__echo did not appear on the hub within 30 s');

    direct = new Client({ name: 'switchboard-bench-direct', version: '0.1.0' });
    await direct.connect(
      new StdioClientTransport({ command: process.execPath, args: [entry, 'stdio'], stderr: 'ignore' }),
    );

    const hubCall = echoCall(viaHub, 'everything__echo');
    const directCall = echoCall(direct, 'echo');
    await measure(directCall, Math.min(200, calls)); // warm-up
    await measure(hubCall, Math.min(200, calls));
    for (let i = 0; i < opts.reps; i++) {
      // Interleaved, so machine load drifts affect both alike.
      const d = await measure(directCall, calls);
      const h = await measure(hubCall, calls);
      result.reps.push({ direct: d, hub: h });
      log(
        `gateway rep ${i + 1}: direct p50 ${round(d.seq.p50)} ms ${d.concurrent.perSec}/s, ` +
          `hub p50 ${round(h.seq.p50)} ms ${h.concurrent.perSec}/s`,
      );
    }
    const m = (pick: (r: GatewayRep) => number) => medianOf(result.reps, pick);
    const directP50 = m((r) => r.direct.seq.p50);
    const directP99 = m((r) => r.direct.seq.p99);
    const hubP50 = m((r) => r.hub.seq.p50);
    const hubP99 = m((r) => r.hub.seq.p99);
    const directPerSec = m((r) => r.direct.concurrent.perSec);
    const hubPerSec = m((r) => r.hub.concurrent.perSec);
    result.median = {
      directP50: round(directP50),
      directP99: round(directP99),
      hubP50: round(hubP50),
      hubP99: round(hubP99),
      directPerSec: round(directPerSec, 0),
      hubPerSec: round(hubPerSec, 0),
      p50Ratio: round(hubP50 / directP50),
      p99Ratio: round(hubP99 / directP99),
      throughputRatio: round(directPerSec / hubPerSec),
    };
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`gateway failed: ${result.error}`);
  } finally {
    await viaHub?.close().catch(() => {});
    await direct?.close().catch(() => {});
    await hub?.stop();
  }
  return result;
}

export function renderGateway(r: GatewayResult): string {
  if (!r.median) return `(g) gateway: ${r.error ?? 'no result'}`;
  const m = r.median;
  return [
    `(g) gateway: server-everything echo (100 B), ${r.calls} calls per repetition, median of ${r.reps.length}`,
    `    direct (SDK client, stdio)      one at a time p50 ${m.directP50} ms   p99 ${m.directP99} ms   ${LANES} in flight ${m.directPerSec} calls/s`,
    `    through the hub (/mcp → stdio)  one at a time p50 ${m.hubP50} ms   p99 ${m.hubP99} ms   ${LANES} in flight ${m.hubPerSec} calls/s`,
    `    hub / direct                    p50 x${m.p50Ratio}   p99 x${m.p99Ratio}   throughput direct/hub x${m.throughputRatio}`,
  ].join('\n');
}
