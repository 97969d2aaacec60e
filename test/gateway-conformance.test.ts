/**
 * Conformance through the hub: the official suite (@modelcontextprotocol/conformance 0.1.13) runs its
 * server scenarios against the conformance fixture server directly (Streamable HTTP), then against the
 * hub's /mcp with that same fixture behind it in passthrough mode (so the suite's fixture names and
 * URIs — `test_simple_text`, `test://static-text`, `test_simple_prompt` — reach it unchanged). Every
 * scenario that passes directly must pass through the hub.
 *
 * Scenarios run (meaningful through a proxy: the request goes through the hub to the downstream
 * server and the answer comes back): the handshake and listing ones (server-initialize, ping,
 * tools-list), every tools-call-* scenario whose answer is the tool's result, json-schema-2020-12
 * (the downstream schema must reach the client unchanged), resources-* and prompts-*.
 *
 * Not run through the hub, and why:
 *   - tools-call-with-logging, tools-call-sampling, tools-call-elicitation,
 *     elicitation-sep1034-defaults, elicitation-sep1330-enums: the downstream server sends log
 *     notifications or asks the client (sampling, elicitation) mid-call; the hub does not relay
 *     server-to-client requests or downstream log messages to its callers.
 *   - completion-complete: completions are not relayed (and the fixture implements none).
 *   - server-sse-polling, server-sse-multiple-streams, dns-rebinding-protection, logging-set-level:
 *     they test the hub's own HTTP transport and logging, not the downstream server; conformance.test.ts
 *     runs them against /mcp.
 *
 * The suite's client sends no Authorization header and the hub gives downstream servers only to
 * identified callers, so the hub run goes through a small relay in this test that adds the admin
 * bearer token and forwards everything else (streams included) unchanged.
 */
import { execFile } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { CONFORMANCE_FIXTURE, eventually, type HttpDownstream, startHttpFixture } from './gateway-support.js';

const SCENARIOS = [
  'server-initialize',
  'ping',
  'tools-list',
  'tools-call-simple-text',
  'tools-call-image',
  'tools-call-audio',
  'tools-call-embedded-resource',
  'tools-call-mixed-content',
  'tools-call-error',
  'tools-call-with-progress',
  'json-schema-2020-12',
  'resources-list',
  'resources-read-text',
  'resources-read-binary',
  'resources-templates-read',
  'resources-subscribe',
  'resources-unsubscribe',
  'prompts-list',
  'prompts-get-simple',
  'prompts-get-with-args',
  'prompts-get-embedded-resource',
  'prompts-get-with-image',
];

let fixture: HttpDownstream;
let t: TestHub;
let relay: Server;
let relayUrl: string;

function conformance(url: string, scenario: string): Promise<{ passed: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['--no-install', 'conformance', 'server', '--url', url, '--scenario', scenario],
      { timeout: 60_000, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
      (err, stdout, stderr) => {
        const output = `${stdout}\n${stderr}`;
        const passed = !err && /Passed: (\d+)\/\1, 0 failed/.test(output) && !output.includes('FAILURE');
        resolve({ passed, output });
      },
    );
  });
}

/** Runs the scenarios, four at a time; scenario → outcome. */
async function runAll(url: string): Promise<Map<string, { passed: boolean; output: string }>> {
  const results = new Map<string, { passed: boolean; output: string }>();
  const queue = [...SCENARIOS];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let s = queue.shift(); s !== undefined; s = queue.shift())
        results.set(s, await conformance(url, s));
    }),
  );
  return results;
}

/** Forwards every request to the hub with the admin token added. */
function startRelay(target: URL, token: string): Promise<Server> {
  const server = createServer((req, res) => {
    const headers = { ...req.headers, authorization: `Bearer ${token}`, host: target.host };
    const upstream = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  fixture = await startHttpFixture(0, 'conformance-fixture', CONFORMANCE_FIXTURE);
  t = await startTestHub({ gateway: { passthrough: 'conf', servers: [{ name: 'conf', url: fixture.url }] } });
  await eventually(
    async () => t.hub.services.gateway.tools().some((x) => x.name === 'test_simple_text'),
    20_000,
    'fixture behind the hub',
  );
  relay = await startRelay(new URL(t.url), t.adminToken);
  relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/mcp`;
}, 60_000);

afterAll(async () => {
  if (relay) {
    relay.closeAllConnections();
    await new Promise((r) => relay.close(r));
  }
  await t?.close();
  await fixture?.kill();
});

describe('conformance through the hub (passthrough)', () => {
  it(
    'every scenario that passes against the fixture directly passes through the hub',
    { timeout: 300_000 },
    async () => {
      const direct = await runAll(fixture.url);
      const failedDirect = SCENARIOS.filter((s) => !direct.get(s)?.passed);
      // The fixture implements every scenario listed; a failure here is the fixture's, shown in full.
      expect(failedDirect, failedDirect.map((s) => direct.get(s)?.output).join('\n')).toEqual([]);

      const viaHub = await runAll(relayUrl);
      const failedViaHub = SCENARIOS.filter((s) => direct.get(s)?.passed && !viaHub.get(s)?.passed);
      expect(failedViaHub, failedViaHub.map((s) => `${s}:\n${viaHub.get(s)?.output}`).join('\n')).toEqual([]);
    },
  );
});
