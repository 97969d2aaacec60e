/**
 * A floor server (bench/scenarios/*-floor-server.ts) as a child process, shaped like a hub for the
 * sections' clients: it prints `listening on <url>` and is stopped with the bench's other children.
 */
import { spawn } from 'node:child_process';
import { isAbsolute, join } from 'node:path';
import { stopChild, track } from './children.js';
import type { HubProcess } from './hub.js';

/** `script`: a file name in dist/bench/scenarios (e.g. `mcp-floor-server.js`), or an absolute path. */
export async function startFloorServer(script: string, args: string[] = []): Promise<HubProcess> {
  const file = isAbsolute(script) ? script : join(import.meta.dirname, '..', 'scenarios', script);
  const child = spawn(process.execPath, [file, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}): ${stderr.trim()}`)));
  });
  return {
    url,
    pid: child.pid!,
    home: '',
    child,
    stderrTail: () => stderr,
    stop: () => stopChild(child, 2000),
  };
}
