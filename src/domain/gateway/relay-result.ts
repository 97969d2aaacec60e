/**
 * A lighter downstream `tools/call` for results the hub only relays. The SDK client's `callTool`
 * validates every result twice over on a 2025-era connection: `request()` first validates
 * `undefined` against the method's result schema (formatting the zod error) only to learn that the
 * method has one, then the result itself against the full `CallToolResult` schema (a union of five
 * content shapes), and it looks up the tool's output-schema validator. For a tool without an
 * `outputSchema` on a 2025-era connection, none of that can change the answer when the result is
 * the common plain shape: `{ content: [{ type: 'text', text }] }`, optionally `isError: boolean`,
 * nothing else. Such a result is accepted as it is (the schema would return an equal copy); every
 * other result goes through the era codec's own validation, exactly as the SDK's `request()` does,
 * so an invalid result fails with the same error. The call is sent through the same request funnel
 * (`request()` with an explicit result schema): ids, timeouts, progress, cancellation, the era gate
 * and result decoding are the SDK's. Anything else (2026-07-28 connections: header mirroring;
 * tools with an `outputSchema`: structured content checks; an SDK without the codec accessor) uses
 * `client.callTool`.
 */
import type { CallToolResult, Client, Tool } from '@modelcontextprotocol/client';

type Outcome = { ok: true; value: unknown } | { ok: false; reason: string; message?: string };
interface WireCodec {
  validateResult(method: string, raw: unknown): Outcome;
}
type RequestOptions = Parameters<Client['callTool']>[1];

interface RelaySchema {
  '~standard': {
    version: 1;
    vendor: string;
    validate(value: unknown): { value: unknown } | { issues: Array<{ message: string }> };
  };
}

/** `{ content: [{ type: 'text', text }] , isError? }` with no other member anywhere. */
export function isPlainTextResult(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const result = value as Record<string, unknown>;
  for (const key in result) {
    if (key === 'content') continue;
    if (key === 'isError' && typeof result.isError === 'boolean') continue;
    return false;
  }
  const content = result.content;
  if (!Array.isArray(content)) return false;
  for (const block of content) {
    if (typeof block !== 'object' || block === null || Array.isArray(block)) return false;
    const b = block as Record<string, unknown>;
    if (b.type !== 'text' || typeof b.text !== 'string') return false;
    for (const key in b) if (key !== 'type' && key !== 'text') return false;
  }
  return true;
}

const schemas = new WeakMap<Client, RelaySchema | null>();

/** The client's result schema for relayed calls, or null when this SDK does not expose its codec. */
function relaySchemaOf(client: Client): RelaySchema | null {
  let schema = schemas.get(client);
  if (schema !== undefined) return schema;
  const codecOf = (client as unknown as { _wireCodec?: () => WireCodec })._wireCodec;
  const codec = typeof codecOf === 'function' ? codecOf.call(client) : undefined;
  schema =
    codec && typeof codec.validateResult === 'function'
      ? {
          '~standard': {
            version: 1,
            vendor: 'switchboard-relay',
            validate(value: unknown) {
              if (isPlainTextResult(value)) return { value };
              // As the SDK's own adapter over the codec (codecResultValidator).
              const outcome = codec.validateResult('tools/call', value);
              if (outcome.ok) return { value: outcome.value };
              return {
                issues: [
                  {
                    message:
                      outcome.reason === 'invalid' ? (outcome.message ?? '') : 'not-in-era: tools/call',
                  },
                ],
              };
            },
          },
        }
      : null;
  schemas.set(client, schema);
  return schema;
}

/** Calls a downstream tool; the lighter path where it cannot change the answer (see the header). */
export async function relayToolCall(
  client: Client,
  tool: Tool,
  params: { name: string; arguments: Record<string, unknown>; _meta: Record<string, unknown> },
  options: RequestOptions,
): Promise<CallToolResult> {
  const schema =
    tool.outputSchema === undefined && client.getProtocolEra() !== 'modern' ? relaySchemaOf(client) : null;
  if (!schema) return (await client.callTool(params, options)) as CallToolResult;
  const request = client.request as unknown as (
    req: { method: 'tools/call'; params: typeof params },
    schema: RelaySchema,
    options: RequestOptions,
  ) => Promise<CallToolResult>;
  return request.call(client, { method: 'tools/call', params }, schema, options);
}
