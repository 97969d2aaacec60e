/** Where the switchboard package lives on disk (for bin/switchboard.js and the shipped roles/). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** Walks up from this file (src/ under vitest, dist/src/ once built) to the package.json named switchboard. */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'switchboard') {
          cached = dir;
          return dir;
        }
      } catch {
        /* not ours: keep walking */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the switchboard package root');
    dir = up;
  }
}

/** The CLI entry point the hub runs for the scripted agent (needs a build: dist/). */
export const switchboardBin = (): string => join(packageRoot(), 'bin', 'switchboard.js');
