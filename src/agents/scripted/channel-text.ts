/**
 * What the scripted agent, as Claude Code's channel host, makes of a channel's notifications: the
 * `<channel source="…" k="v">content</channel>` text of a `notifications/claude/channel` event (the
 * user turn it starts), the `server:<name>` entries of the channel flags, and the 5-letter ids of
 * permission prompts. Pure: the unit test is beside it.
 */
import { randomInt } from 'node:crypto';
import { channelTag } from '../../core/delivery/event.js';

/** A channel event as the host keeps it: its server, content and the meta that became attributes. */
export interface ChannelTurn {
  source: string;
  content: string;
  meta: Record<string, string>;
  /** The user turn's text: the `<channel …>` tag. */
  text: string;
}

/** Meta keys Claude Code turns into attributes: identifiers (letters, digits, underscores); others are dropped. */
const META_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The turn a `notifications/claude/channel` `{content, meta}` from server `source` starts. Meta entries
 * keep their order; a key that is not an identifier, the reserved `source` (the server's name is the
 * source) and a value that is not a string, number or boolean are dropped.
 */
export function channelTurn(source: string, params: { content: string; meta?: unknown }): ChannelTurn {
  const meta: Record<string, string> = {};
  const raw = params.meta && typeof params.meta === 'object' ? (params.meta as Record<string, unknown>) : {};
  for (const [k, v] of Object.entries(raw)) {
    if (!META_KEY.test(k) || k === 'source') continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') meta[k] = String(v);
  }
  return {
    source,
    content: params.content,
    meta,
    text: channelTag({ content: params.content, meta }, source),
  };
}

/** The flags' entries: `server:<name>` names a server of the MCP config; anything else is only warned about. */
export function channelServers(
  flag: string,
  entries: string[],
  configured: string[],
): { servers: string[]; warnings: string[] } {
  const servers: string[] = [];
  const warnings: string[] = [];
  for (const entry of entries) {
    const m = /^server:(.+)$/.exec(entry);
    if (!m) {
      const why = entry.startsWith('plugin:')
        ? 'plugins are not loaded by the scripted agent'
        : 'entries are server:<name> or plugin:<name>@<marketplace>';
      warnings.push(`${flag} ignored (${entry}): ${why}`);
    } else if (!configured.includes(m[1]!)) {
      warnings.push(`${flag} ignored (${entry}): no MCP server named ${m[1]} in --mcp-config`);
    } else if (!servers.includes(m[1]!)) servers.push(m[1]!);
  }
  return { servers, warnings };
}

/** Claude Code's permission request ids: five lower-case letters, never `l` (it reads like 1 or I). */
const ID_LETTERS = 'abcdefghijkmnopqrstuvwxyz';

export function permissionRequestId(pick: (n: number) => number = randomInt): string {
  let id = '';
  for (let i = 0; i < 5; i++) id += ID_LETTERS[pick(ID_LETTERS.length)];
  return id;
}
