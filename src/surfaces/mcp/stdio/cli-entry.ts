/** The `switchboard` CLI script to run (for starting a hub in the background or a stdio client config). */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function cliEntry(): string {
  const arg = process.argv[1];
  if (arg && /switchboard(\.js)?$|cli[\\/]main\.js$/.test(arg)) {
    try {
      return realpathSync(arg);
    } catch {
      /* fall through */
    }
  }
  // dist/src/surfaces/mcp/stdio/cli-entry.js → <package>/bin/switchboard.js
  return fileURLToPath(new URL('../../../../../bin/switchboard.js', import.meta.url));
}
