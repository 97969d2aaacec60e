/**
 * The tool profiles an MCP request selected: the `tools` query parameter of the URL it was sent to
 * (`/mcp?tools=messaging,coordination`; none: all). A 2025-era client sends every request of its
 * session to the URL it was configured with, so the selection holds for the whole session. The
 * endpoint refuses an unknown profile before any MCP handling (400, listing the allowed names).
 */
import type { ServerContext } from '@modelcontextprotocol/server';
import { ALL_PROFILES, parseToolProfiles, type ToolSelection } from '../../ops/profiles.js';

/** `?tools=` of a request URL (path and query, or absolute); throws a HubError for unknown profiles. */
export function profilesOfUrl(url: string | undefined): ToolSelection {
  const query = url?.includes('?') ? url.slice(url.indexOf('?')) : '';
  if (!query) return ALL_PROFILES;
  return parseToolProfiles(new URLSearchParams(query).get('tools'), '?tools=');
}

const seen = new WeakMap<Request, ToolSelection>();

/** The selection of the request behind a handler's context (all profiles when it cannot be told). */
export function profilesOf(ctx: ServerContext): ToolSelection {
  const req = ctx.http?.req;
  if (!req) return ALL_PROFILES;
  let selection = seen.get(req);
  if (!selection) {
    selection = profilesOfUrl(req.url);
    seen.set(req, selection);
  }
  return selection;
}
