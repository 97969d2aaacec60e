/** Finding the program a CLI adapter would run, the way the OS would (PATH), before running it. */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** The program's path when it can be run (a path, or a name found on PATH); null otherwise. */
export function resolveProgram(file: string, pathVar: string | undefined): string | null {
  if (file.includes('/')) {
    const p = isAbsolute(file) ? file : resolve(file);
    return executable(p) ? p : null;
  }
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, file);
    if (executable(p)) return p;
  }
  return null;
}
