/** Reading the CLIs' JSON lines: untrusted shapes, checked field by field. */
export type Json = Record<string, unknown>;

export const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * The JSON object on one stdout line; null for a blank line, plain text or other JSON (codex and
 * gemini print a few plain lines, banners and warnings, even in their JSON modes).
 */
export function objectLine(line: string): Json | null {
  const trimmed = line.trim();
  if (!trimmed) return null;
  try {
    const v: unknown = JSON.parse(trimmed);
    return isObj(v) ? v : null;
  } catch {
    return null;
  }
}
