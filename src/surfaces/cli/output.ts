/** How results are printed: `--json` gives one JSON document; otherwise readable text. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function printLines(lines: string[]): void {
  if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
}

/** Pretty JSON for people (generated operation commands without --json). */
export function printPretty(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain text table: a header row and left-aligned columns. */
export function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** A message body on one line, shortened. */
export function oneLine(body: unknown, max = 160): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** `2026-11-21T05:50:42.123Z` → `05:50:42`. */
export function clock(iso: string | undefined): string {
  return iso && iso.length >= 19 ? iso.slice(11, 19) : '--:--:--';
}
