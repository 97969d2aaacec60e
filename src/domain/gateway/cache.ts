/**
 * Results of tools declared cacheable (`cache: {tools, ttlSeconds}` of a server), keyed by server,
 * tool and arguments (JSON with sorted keys, so argument order does not matter). Only successful
 * results are kept; entries expire after the TTL and the map is bounded (oldest first out).
 */
import type { CallToolResult } from '@modelcontextprotocol/client';

const MAX_ENTRIES = 10_000;

function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stable(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export const cacheKey = (server: string, tool: string, args: Record<string, unknown> | undefined): string =>
  `${server}\u0000${tool}\u0000${stable(args ?? {})}`;

export class ResultCache {
  private readonly entries = new Map<string, { expires: number; result: CallToolResult }>();

  constructor(private readonly now: () => number) {}

  get(key: string): CallToolResult | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return structuredClone(hit.result);
  }

  set(key: string, result: CallToolResult, ttlMs: number): void {
    this.entries.delete(key);
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { expires: this.now() + ttlMs, result: structuredClone(result) });
  }

  /** Forgets one server's entries (it was removed). */
  dropServer(server: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(`${server}\u0000`)) this.entries.delete(key);
  }
}
