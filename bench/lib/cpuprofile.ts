/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function, inclusive time
 * per function (counted once per sample even under recursion), and self time per "area" (a package
 * under node_modules, a hub source file, node internals, GC, idle).
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  where: string;
  ms: number;
  pct: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Non-idle time: total minus `(idle)`. Percentages are of this. */
  busyMs: number;
  topSelf: ProfileRow[];
  topInclusive: ProfileRow[];
  areas: Array<{ area: string; ms: number; pct: number }>;
}

function shortUrl(url: string, root: string): string {
  if (!url) return '';
  let u = url.replace(/^file:\/\//, '');
  if (u.startsWith(root)) u = u.slice(root.length + 1);
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) u = u.slice(nm + 'node_modules/'.length);
  return u;
}

export function areaOf(frame: CallFrame, root: string): string {
  const name = frame.functionName;
  if (name === '(idle)' || name === '(garbage collector)' || name === '(program)' || name === '(root)')
    return name;
  const url = frame.url.replace(/^file:\/\//, '');
  if (!url) return '(native / builtin)';
  if (url.startsWith('node:'))
    return url.startsWith('node:internal/') ? 'node:' + url.split('/').slice(1, 3).join('/') : url;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith(root)) return 'hub: ' + url.slice(root.length + 1).replace(/^dist\//, '');
  return url;
}

/**
 * `window` (optional): only samples taken between these two CLOCK_MONOTONIC times, in microseconds
 * (`process.hrtime.bigint() / 1000n` in any process on the same machine; V8's profile timestamps use
 * the same clock on Linux). If the window does not overlap the profile, every sample counts.
 */
export function summarizeProfile(
  file: string,
  root: string,
  top = 25,
  window?: { fromUs: number; toUs: number },
): ProfileSummary & { windowed: boolean } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const windowed = window !== undefined && window.fromUs < profile.endTime && window.toUs > profile.startTime;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) byId.set(n.id, n);
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const key = (f: CallFrame) =>
    `${f.functionName || '(anonymous)'}\u0000${shortUrl(f.url, root)}:${f.lineNumber + 1}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  let idle = 0;
  // Sample i lasts until the next sample: timeDeltas[i + 1] (the last one uses its own delta).
  const { samples, timeDeltas } = profile;
  let at = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    at += timeDeltas[i] ?? 0;
    if (windowed && (at < window!.fromUs || at > window!.toUs)) continue;
    const us = timeDeltas[i + 1] ?? timeDeltas[i] ?? 0;
    const node = byId.get(samples[i]);
    if (!node) continue;
    total += us;
    const f = node.callFrame;
    if (f.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const k = key(f);
    self.set(k, (self.get(k) ?? 0) + us);
    const area = areaOf(f, root);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id)!;
      if (n.callFrame.functionName === '(root)') break;
      const kk = key(n.callFrame);
      if (seen.has(kk)) continue;
      seen.add(kk);
      inclusive.set(kk, (inclusive.get(kk) ?? 0) + us);
    }
  }
  const busy = total - idle;
  const rows = (m: Map<string, number>): ProfileRow[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => {
        const [name, where] = k.split('\u0000');
        return { name, where, ms: Math.round(us / 1000), pct: Math.round((us / busy) * 1000) / 10 };
      });
  return {
    file,
    windowed,
    totalMs: Math.round(total / 1000),
    busyMs: Math.round(busy / 1000),
    topSelf: rows(self),
    topInclusive: rows(inclusive),
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, ms: Math.round(us / 1000), pct: Math.round((us / busy) * 1000) / 10 })),
  };
}
