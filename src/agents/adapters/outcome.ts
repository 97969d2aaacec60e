/** Judging a turn truthfully: success only when the CLI said so and nothing was refused. */
import type { PermissionDenial } from './events.js';

export function judgeTurn(r: {
  subtype: string;
  is_error: boolean;
  permission_denials: PermissionDenial[];
}): string | null {
  if (r.subtype !== 'success') return `the turn ended with ${r.subtype}`;
  if (r.is_error) return 'the turn ended with is_error set';
  if (r.permission_denials.length > 0) {
    const tools = [...new Set(r.permission_denials.map((d) => d.tool_name))].join(', ');
    return `permission denied for ${tools}`;
  }
  return null;
}

/** A process that ended: what to say about a turn it left without a result. */
export function exitFailure(code: number | null, signal: string | null): string {
  if (signal) return `the process was killed by ${signal} before the turn's result event`;
  return `the process exited with code ${code} before the turn's result event`;
}
