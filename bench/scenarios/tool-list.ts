/**
 * (i) What the tool list costs a client before it does anything: for each tool profile
 * (`/mcp?tools=<profile>`, and no parameter) and each kind of caller (anonymous, an agent's bearer
 * token, the admin token), the number of tools in `tools/list`, the bytes of that list as JSON, and an
 * estimated token count (bytes ÷ 4, a rough rule for English text and JSON; not a tokenizer). The hub
 * has no downstream servers here: `<server>__<tool>` tools come on top of these figures.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { registerAgent, startHub } from '../lib/hub.js';

export const TOOL_LIST_PROFILES = [
  '(default)',
  'messaging',
  'coordination',
  'instances',
  'gateway',
  'analytics',
  'all',
] as const;
export const TOOL_LIST_CALLERS = ['anonymous', 'agent', 'admin'] as const;

export interface ToolListRow {
  profile: (typeof TOOL_LIST_PROFILES)[number];
  caller: (typeof TOOL_LIST_CALLERS)[number];
  tools: number;
  bytes: number;
  /** bytes ÷ 4, rounded. */
  estTokens: number;
  error?: string;
}

export interface ToolListResult {
  rows: ToolListRow[];
  error?: string;
}

/** The tools/list a 2026-07-28 client gets at `/mcp[?tools=profile]` with this bearer (if any). */
async function listTools(
  url: string,
  profile: string,
  token: string | undefined,
): Promise<{ tools: number; bytes: number }> {
  const endpoint = new URL('/mcp', url);
  if (profile !== '(default)') endpoint.searchParams.set('tools', profile);
  const client = new Client(
    { name: 'switchboard-bench-tools', version: '0.1.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(endpoint, {
      requestInit: { headers: token ? { authorization: `Bearer ${token}` } : {} },
    }),
  );
  try {
    const { tools } = await client.listTools();
    return { tools: tools.length, bytes: Buffer.byteLength(JSON.stringify({ tools })) };
  } finally {
    await client.close().catch(() => {});
  }
}

export async function runToolListBench(log: (line: string) => void): Promise<ToolListResult> {
  const result: ToolListResult = { rows: [] };
  let hub: Awaited<ReturnType<typeof startHub>> | undefined;
  try {
    hub = await startHub();
    const agent = await registerAgent(hub.url, 'tool-list-bench');
    const adminToken = readFileSync(join(hub.home, 'admin-token'), 'utf8').trim();
    const tokens = { anonymous: undefined, agent: agent.token, admin: adminToken };
    for (const profile of TOOL_LIST_PROFILES) {
      for (const caller of TOOL_LIST_CALLERS) {
        try {
          const { tools, bytes } = await listTools(hub.url, profile, tokens[caller]);
          result.rows.push({ profile, caller, tools, bytes, estTokens: Math.round(bytes / 4) });
        } catch (err) {
          const error = (err as Error).message.split('\n')[0].slice(0, 200);
          result.rows.push({ profile, caller, tools: 0, bytes: 0, estTokens: 0, error });
        }
      }
      const done = result.rows.slice(-TOOL_LIST_CALLERS.length);
      log(`tool list ${profile}: ${done.map((r) => `${r.caller} ${r.tools} tools ${r.bytes} B`).join(', ')}`);
    }
  } catch (err) {
    result.error = (err as Error).message.split('\n')[0].slice(0, 400);
  } finally {
    await hub?.stop();
  }
  return result;
}

export function renderToolList(r: ToolListResult): string {
  const out = [
    '(i) tools/list per profile (/mcp?tools=<profile>) and caller: tools, bytes of the list as JSON, est. tokens = bytes ÷ 4',
  ];
  if (r.error) out.push(`  FAILED: ${r.error}`);
  const header = ['profile', ...TOOL_LIST_CALLERS.map((c) => `${c}: tools / bytes / ~tokens`)];
  const rows = TOOL_LIST_PROFILES.map((profile) => [
    profile,
    ...TOOL_LIST_CALLERS.map((caller) => {
      const row = r.rows.find((x) => x.profile === profile && x.caller === caller);
      if (!row) return '-';
      if (row.error) return `error: ${row.error.slice(0, 40)}`;
      return `${row.tools} / ${row.bytes} / ${row.estTokens}`;
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  out.push(line(header), ...rows.map(line));
  return out.join('\n');
}
