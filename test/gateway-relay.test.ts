/**
 * The lighter downstream tools/call (src/domain/gateway/relay-result.ts) answers exactly as the SDK
 * client's callTool: for every result a server may send (plain text, other content, structured
 * content, extra members, invalid ones, tools with an outputSchema), the same value or the same error.
 * A real SDK client on a real child process (test/fixtures/raw-result-server.mjs, which can send
 * invalid results).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, type Tool } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPlainTextResult, relayToolCall } from '../src/domain/gateway/relay-result.js';
import { SupervisedStdioTransport } from '../src/domain/gateway/transport.js';
// @ts-expect-error a plain .mjs fixture without types
import { RESULTS } from './fixtures/raw-result-server.mjs';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'raw-result-server.mjs');
const KINDS = Object.keys(RESULTS as Record<string, unknown>);

type Settled = { value: unknown } | { error: { name: string; message: string; code: unknown } };
async function settle(p: Promise<unknown>): Promise<Settled> {
  try {
    return { value: await p };
  } catch (err) {
    const e = err as Error & { code?: unknown };
    return { error: { name: e.constructor.name, message: e.message, code: e.code } };
  }
}

describe('relayed downstream tools/call', () => {
  let client: Client;
  let tools: Map<string, Tool>;

  beforeAll(async () => {
    client = new Client(
      { name: 'relay-test', version: '1.0.0' },
      { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 5000 } } },
    );
    await client.connect(new SupervisedStdioTransport({ command: process.execPath, args: [FIXTURE] }));
    const listed = await client.listTools();
    tools = new Map(listed.tools.map((t) => [t.name, t]));
  });
  afterAll(async () => {
    await client?.close();
  });

  it('gives the same value or error as callTool for every kind of result, with and without an outputSchema', async () => {
    expect(client.getProtocolEra()).not.toBe('modern');
    for (const name of ['raw', 'raw_out']) {
      const tool = tools.get(name) as Tool;
      for (const kind of KINDS) {
        const params = { name, arguments: { kind }, _meta: { 'io.switchboard/correlation-id': `c-${kind}` } };
        const relayed = await settle(relayToolCall(client, tool, params, { timeout: 5_000 }));
        const direct = await settle(client.callTool(params, { timeout: 5_000 }));
        expect({ name, kind, ...relayed }).toEqual({ name, kind, ...direct });
      }
    }
  });

  it('relays a plain text result as sent, and refuses invalid results', async () => {
    const tool = tools.get('raw') as Tool;
    const call = (kind: string) =>
      settle(
        relayToolCall(client, tool, { name: 'raw', arguments: { kind }, _meta: {} }, { timeout: 5_000 }),
      );
    expect(await call('plain_error')).toEqual({
      value: { content: [{ type: 'text', text: 'it failed' }], isError: true },
    });
    // The schema's copy: the unknown member of a content block is dropped, a missing content added.
    expect(await call('block_extra_key')).toEqual({ value: { content: [{ type: 'text', text: 'x' }] } });
    expect(await call('no_content')).toEqual({ value: { content: [] } });
    for (const kind of ['bad_block_type', 'bad_text', 'bad_is_error', 'bad_content', 'null_block']) {
      const out = await call(kind);
      expect(out, kind).toMatchObject({
        error: { message: expect.stringContaining('Invalid result for tools/call') },
      });
    }
  });

  it('takes only the plain text shape as it is', () => {
    const plain = RESULTS as Record<string, unknown>;
    expect(KINDS.filter((k) => isPlainTextResult(plain[k])).sort()).toEqual(
      ['empty_content', 'plain', 'plain_error', 'plain_not_error', 'plain_two', 'structured_missing'].sort(),
    );
  });
});
