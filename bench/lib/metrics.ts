/** Reads the hub's Prometheus text (`GET /metrics`) into a map of series (`name{labels}`) to values. */
export async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    const value = Number(line.slice(sp + 1));
    if (Number.isFinite(value)) out.set(line.slice(0, sp), value);
  }
  return out;
}

/** Sum of every series of `name` whose labels contain all of `labels` (e.g. `op="send_message"`). */
export function metric(m: Map<string, number>, name: string, ...labels: string[]): number {
  let sum = 0;
  for (const [series, value] of m) {
    const brace = series.indexOf('{');
    const base = brace < 0 ? series : series.slice(0, brace);
    if (base !== name) continue;
    if (labels.every((l) => series.includes(l))) sum += value;
  }
  return sum;
}

/** Mean of a histogram between two scrapes, in milliseconds (NaN when nothing was observed). */
export function histogramMeanMs(
  before: Map<string, number>,
  after: Map<string, number>,
  name: string,
  ...labels: string[]
): number {
  const count = metric(after, `${name}_count`, ...labels) - metric(before, `${name}_count`, ...labels);
  const sum = metric(after, `${name}_sum`, ...labels) - metric(before, `${name}_sum`, ...labels);
  return count > 0 ? (sum / count) * 1000 : Number.NaN;
}
