/**
 * (b) MCP round trip through `/mcp` (Streamable HTTP) with two official SDK clients
 * (`@modelcontextprotocol/client`), each authenticated by its own agent's bearer token.
 *
 * One round trip: client B calls `wait_for_messages` and, at the same moment, client A calls
 * `send_message` to B with a 100-byte body; the round trip is from A's call to B's
 * `wait_for_messages` returning that message. A's `send_message` call time is reported too.
 *
 * Where the time goes (`split`), p50s from the same repetition: after the round trips, as many
 * `GET /health` (the HTTP floor: fetch, loopback, fastify) and calls by client A of a tool that does
 * not exist (the floor plus the MCP transport, SDKs and tools/call dispatch up to the tool lookup,
 * answered with a JSON-RPC error: `ping`, which 2026-07-28 does not have, without the lookup); the
 * hub's send_message handler time (/metrics); so a send_message call is HTTP floor + MCP layer
 * (no-such-tool call − HTTP) + tool layer (send − no-such-tool call − op) + op,
 * and B's answer comes `afterSend` (round trip − send call) after A's: the wake-up and B's response.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startFloorServer } from '../lib/floor.js';
import { cpuSeconds, type HubProcess, registerAgent } from '../lib/hub.js';
import { histogramMeanMs, scrape } from '../lib/metrics.js';
import { round, roundStats, summarize } from '../lib/stats.js';

export type McpEra = 'legacy' | 'auto';

export interface McpRep {
  era: McpEra;
  roundTrips: number;
  /** Waits that returned without the expected message (retried). */
  extraWaits: number;
  rtMs: { n: number; p50: number; p90: number; p99: number; max: number };
  sendMs: { n: number; p50: number; p90: number; p99: number; max: number };
  perSec: number;
  /** Hub CPU and this process's CPU (both MCP clients) per round trip, in ms. */
  hubCpuMsPerRoundTrip: number;
  clientCpuMsPerRoundTrip: number;
  /** Mean time inside the hub's operation handlers (from /metrics), in ms: the rest is MCP transport and SDKs. */
  serverSendOpMs: number;
  serverWaitOpMs: number;
  /** p50s in ms (see the header): GET /health, a call of no such tool, and per round trip (round trip − send call). */
  split: { httpMs: number; noToolMs: number; afterSendMs: number };
}

/**
 * The SDK floor (mcp-floor-server.ts) as a child process, shaped like a hub for McpPair: the same two
 * tools answered from memory by the SDK's documented wiring, measured by the same clients.
 */
export function startMcpFloor(): Promise<HubProcess> {
  return startFloorServer('mcp-floor-server.js');
}

/** Does POST /mcp exist? Returns undefined when it answers, else why not. */
export async function probeMcp(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'switchboard-bench-probe', version: '0' },
        },
      }),
      signal: AbortSignal.timeout(5000),
    });
    await res.body?.cancel();
    if (res.status === 404) return 'POST /mcp answered 404 (the MCP surface is not mounted in this build)';
    return undefined;
  } catch (err) {
    return `POST /mcp failed: ${(err as Error).message}`;
  }
}

async function connect(url: string, token: string, era: McpEra): Promise<Client> {
  const client = new Client(
    { name: 'switchboard-bench', version: '0.1.0' },
    era === 'auto' ? { versionNegotiation: { mode: 'auto' } } : {},
  );
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

function toolError(result: unknown): string | undefined {
  const r = result as { isError?: boolean; content?: Array<{ text?: string }> };
  if (!r.isError) return undefined;
  return (
    r.content
      ?.map((c) => c.text ?? '')
      .join(' ')
      .slice(0, 300) || 'tool error'
  );
}

export class McpPair {
  private seq = 0;

  private constructor(
    readonly era: McpEra,
    private readonly a: Client,
    private readonly b: Client,
    private readonly bId: string,
    private readonly bodyBytes: number,
    private readonly hub: HubProcess,
  ) {}

  static async open(hub: HubProcess, era: McpEra, bodyBytes: number): Promise<McpPair> {
    const [ra, rb] = [
      await registerAgent(hub.url, `bench-mcp-a-${era}`),
      await registerAgent(hub.url, `bench-mcp-b-${era}`),
    ];
    const a = await connect(hub.url, ra.token, era);
    let b: Client;
    try {
      b = await connect(hub.url, rb.token, era);
    } catch (err) {
      await a.close().catch(() => {});
      throw err;
    }
    return new McpPair(era, a, b, rb.id, bodyBytes, hub);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.a.close(), this.b.close()]);
  }

  /** `floors`: also measure the HTTP and no-such-tool floors (`split`); off for warm-ups and CPU profiles. */
  async run(roundTrips: number, floors = true): Promise<McpRep> {
    const rt: number[] = [];
    const send: number[] = [];
    const afterSend: number[] = [];
    let extraWaits = 0;
    const before = await scrape(this.hub.url);
    const hubCpu0 = cpuSeconds(this.hub.pid);
    const self0 = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < roundTrips; i++) {
      const head = `mcp:${++this.seq}:`;
      const body = head + 'x'.repeat(Math.max(0, this.bodyBytes - head.length));
      const t0 = performance.now();
      const waitFirst = this.b.callTool({ name: 'wait_for_messages', arguments: { timeout_seconds: 10 } });
      const sent = await this.a.callTool({ name: 'send_message', arguments: { to: this.bId, body } });
      const tSend = performance.now();
      const sendErr = toolError(sent);
      if (sendErr) throw new Error(`send_message failed: ${sendErr}`);
      let got = await waitFirst;
      for (let tries = 0; !JSON.stringify(got).includes(head); tries++) {
        const err = toolError(got);
        if (err) throw new Error(`wait_for_messages failed: ${err}`);
        if (tries >= 5)
          throw new Error(`wait_for_messages did not return message ${head} after ${tries + 1} waits`);
        extraWaits++;
        got = await this.b.callTool({ name: 'wait_for_messages', arguments: { timeout_seconds: 10 } });
      }
      const tDone = performance.now();
      send.push(tSend - t0);
      rt.push(tDone - t0);
      afterSend.push(tDone - tSend);
    }
    const elapsed = (performance.now() - started) / 1000;
    const hubCpu = cpuSeconds(this.hub.pid) - hubCpu0;
    const self = process.cpuUsage(self0);
    const after = await scrape(this.hub.url);
    // The floors, after the CPU figures were taken (they are not part of a round trip).
    const http: number[] = [];
    const noTool: number[] = [];
    for (let i = 0; floors && i < roundTrips; i++) {
      const t0 = performance.now();
      const res = await fetch(`${this.hub.url}/health`);
      await res.arrayBuffer();
      const t1 = performance.now();
      // A call of a tool that does not exist: the same request path up to the tool lookup (2026-07-28
      // has no ping), answered with a JSON-RPC error.
      await this.a.callTool({ name: 'bench_no_such_tool', arguments: {} }).catch(() => undefined);
      http.push(t1 - t0);
      noTool.push(performance.now() - t1);
    }
    const opMs = (op: string) =>
      round(histogramMeanMs(before, after, 'switchboard_operation_duration_seconds', `op="${op}"`), 3);
    return {
      era: this.era,
      roundTrips,
      extraWaits,
      rtMs: roundStats(summarize(rt)),
      sendMs: roundStats(summarize(send)),
      perSec: round(roundTrips / elapsed, 0),
      hubCpuMsPerRoundTrip: round((hubCpu * 1000) / roundTrips, 3),
      clientCpuMsPerRoundTrip: round((self.user + self.system) / 1000 / roundTrips, 3),
      serverSendOpMs: opMs('send_message'),
      serverWaitOpMs: opMs('wait_for_messages'),
      split: {
        httpMs: floors ? round(summarize(http).p50, 3) : Number.NaN,
        noToolMs: floors ? round(summarize(noTool).p50, 3) : Number.NaN,
        afterSendMs: round(summarize(afterSend).p50, 3),
      },
    };
  }
}
