/**
 * DirectClassifier (modern-direct.ts) answers exactly what the SDK's classifier answers, whether it
 * asked the classifier or remembered an envelope: for every body and header combination below, asked
 * twice (the second time after every accepted envelope is remembered), in both orders.
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  classifyInboundRequest,
  LOG_LEVEL_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  RELATED_TASK_META_KEY,
} from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import {
  DIRECT_REVISION,
  DirectClassifier,
  ENVELOPE_CHARS_REMEMBERED,
  ENVELOPES_REMEMBERED,
} from './modern-direct.js';

const envelope = {
  [PROTOCOL_VERSION_META_KEY]: DIRECT_REVISION,
  [CLIENT_INFO_META_KEY]: { name: 'client', version: '1.0.0' },
  [CLIENT_CAPABILITIES_META_KEY]: {},
};
const call = {
  jsonrpc: '2.0',
  id: 7,
  method: 'tools/call',
  params: { name: 'x__echo', arguments: { a: 1 }, _meta: envelope },
};
const withMeta = (meta: unknown) => ({ ...call, params: { ...call.params, _meta: meta } });
const { [CLIENT_CAPABILITIES_META_KEY]: _caps, ...noCapabilities } = envelope;
const { [CLIENT_INFO_META_KEY]: _info, ...noClientInfo } = envelope;

const bodies: unknown[] = [
  call,
  { ...call, id: 'abc' },
  { ...call, id: 1.5 },
  { ...call, id: null },
  { ...call, jsonrpc: '1.0' },
  { ...call, extra: true },
  { ...call, result: {} },
  { ...call, method: 'tools/list', params: { _meta: envelope } },
  { ...call, method: 'initialize', params: { _meta: envelope } },
  { jsonrpc: '2.0', method: 'notifications/initialized', params: { _meta: envelope } },
  { jsonrpc: '2.0', id: 1, result: { _meta: envelope } },
  withMeta({ ...envelope, [CLIENT_CAPABILITIES_META_KEY]: { roots: { listChanged: true } } }),
  withMeta({ ...envelope, [CLIENT_CAPABILITIES_META_KEY]: 'none' }),
  withMeta({ ...envelope, [CLIENT_CAPABILITIES_META_KEY]: { roots: 5 } }),
  withMeta({ ...envelope, [CLIENT_INFO_META_KEY]: { name: 'client' } }),
  withMeta({ ...envelope, [CLIENT_INFO_META_KEY]: 5 }),
  withMeta(noCapabilities),
  withMeta(noClientInfo),
  withMeta({ ...envelope, [PROTOCOL_VERSION_META_KEY]: '2025-11-25' }),
  withMeta({ ...envelope, [PROTOCOL_VERSION_META_KEY]: '2027-01-01' }),
  withMeta({ ...envelope, [PROTOCOL_VERSION_META_KEY]: 20260728 }),
  withMeta({ ...envelope, [LOG_LEVEL_META_KEY]: 'debug' }),
  withMeta({ ...envelope, [LOG_LEVEL_META_KEY]: 'loudest' }),
  withMeta({ ...envelope, progressToken: 'p' }),
  withMeta({ ...envelope, progressToken: { no: 1 } }),
  withMeta({ ...envelope, [RELATED_TASK_META_KEY]: { taskId: 't' } }),
  withMeta({ ...envelope, 'example.com/other': { deep: [1, 2] } }),
  withMeta({ [CLIENT_CAPABILITIES_META_KEY]: {}, [PROTOCOL_VERSION_META_KEY]: DIRECT_REVISION }),
  withMeta({}),
  { ...call, params: { name: 'x__echo' } },
  [call],
];
const headerPairs: Array<[version: string, method: string]> = [
  [DIRECT_REVISION, 'tools/call'],
  [DIRECT_REVISION, 'tools/list'],
  [DIRECT_REVISION, 'initialize'],
  [DIRECT_REVISION, 'notifications/initialized'],
  [` ${DIRECT_REVISION}`, 'tools/call'],
  [DIRECT_REVISION, 'tools/call '],
  ['2025-11-25', 'tools/call'],
  ['2027-01-01', 'tools/call'],
];

function sdkSays(body: unknown, version: string, method: string): boolean {
  const route = classifyInboundRequest({
    httpMethod: 'POST',
    protocolVersionHeader: version,
    mcpMethodHeader: method,
    body,
  });
  return (
    route.kind === 'modern' &&
    route.messageKind === 'request' &&
    route.classification.revision === DIRECT_REVISION
  );
}

function combinations(order: unknown[]): Array<[unknown, string, string]> {
  return order.flatMap((body) => headerPairs.map(([v, m]) => [body, v, m] as [unknown, string, string]));
}

describe('DirectClassifier', () => {
  for (const [label, order] of [
    ['accepted envelopes first', bodies],
    ['refused envelopes first', [...bodies].reverse()],
  ] as const) {
    it(`agrees with classifyInboundRequest, asked or remembered (${label})`, () => {
      const classifier = new DirectClassifier();
      let yes = 0;
      for (let round = 0; round < 2; round++) {
        for (const [body, version, method] of combinations(order)) {
          const expected = sdkSays(body, version, method);
          const got = classifier.isDirect({ protocolVersionHeader: version, mcpMethodHeader: method, body });
          expect({ body, version, method, direct: got }).toEqual({ body, version, method, direct: expected });
          if (got) yes++;
        }
      }
      // The usual requests are direct: the test is not vacuous.
      expect(yes).toBeGreaterThanOrEqual(10);
      expect(sdkSays(call, DIRECT_REVISION, 'tools/call')).toBe(true);
    });
  }

  it('an envelope changed after it was accepted is judged again', () => {
    const classifier = new DirectClassifier();
    const body = structuredClone(call);
    const ask = () =>
      classifier.isDirect({ protocolVersionHeader: DIRECT_REVISION, mcpMethodHeader: 'tools/call', body });
    expect(ask()).toBe(true);
    expect(ask()).toBe(true);
    (body.params._meta as Record<string, unknown>)[CLIENT_CAPABILITIES_META_KEY] = 'none';
    expect(ask()).toBe(false);
    delete (body.params._meta as Record<string, unknown>)[CLIENT_CAPABILITIES_META_KEY];
    expect(ask()).toBe(false);
  });

  it('keeps agreeing past the number of envelopes it remembers', () => {
    const classifier = new DirectClassifier();
    for (let i = 0; i < ENVELOPES_REMEMBERED * 2 + 3; i++) {
      const meta = { ...envelope, [CLIENT_INFO_META_KEY]: { name: `client-${i}`, version: '1' } };
      const body = withMeta(meta);
      const bad = withMeta({ ...meta, [CLIENT_CAPABILITIES_META_KEY]: 7 });
      for (const b of [body, bad, body]) {
        expect(
          classifier.isDirect({
            protocolVersionHeader: DIRECT_REVISION,
            mcpMethodHeader: 'tools/call',
            body: b,
          }),
        ).toBe(b === body);
      }
    }
  });

  it('judges a long envelope every time and does not keep it', () => {
    const classifier = new DirectClassifier();
    const long = withMeta({
      ...envelope,
      [CLIENT_INFO_META_KEY]: { name: 'x'.repeat(ENVELOPE_CHARS_REMEMBERED), version: '1' },
    });
    expect(sdkSays(long, DIRECT_REVISION, 'tools/call')).toBe(true);
    for (let i = 0; i < 3; i++)
      expect(
        classifier.isDirect({
          protocolVersionHeader: DIRECT_REVISION,
          mcpMethodHeader: 'tools/call',
          body: long,
        }),
      ).toBe(sdkSays(long, DIRECT_REVISION, 'tools/call'));
    expect(classifier.remembered).toBe(0);
    expect(
      classifier.isDirect({
        protocolVersionHeader: DIRECT_REVISION,
        mcpMethodHeader: 'tools/call',
        body: call,
      }),
    ).toBe(true);
    expect(classifier.remembered).toBe(1);
  });
});
