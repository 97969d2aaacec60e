/** Whether the hub answers, remembered between calls and forgotten when it stops answering. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../config/load.js';
import { ensureHub } from './ensure-hub.js';

export function dataHome(env: NodeJS.ProcessEnv = process.env): string {
  try {
    return loadConfig({ env }).home;
  } catch {
    return env.SWITCHBOARD_HOME || join(homedir(), '.switchboard');
  }
}

export interface HubReadiness {
  /** Resolves once the hub answers (starting a local one if needed); memoized. */
  ready(): Promise<void>;
  /** The hub stopped answering: the next ready() checks (and starts) it again. */
  lost(): void;
}

export function hubReadiness(
  url: string,
  env: NodeJS.ProcessEnv,
  note: (line: string) => void,
): HubReadiness {
  let pending: Promise<void> | undefined;
  const home = dataHome(env);
  return {
    ready() {
      pending ??= ensureHub(url, {
        home,
        env,
        onStart: (s) =>
          note(`switchboard: no hub answers at ${s.url}; starting one in the background (log: ${s.logFile})`),
      }).then(
        (started) => {
          if (!started) return;
          const pid = started.pid ? `pid ${started.pid}, ` : '';
          note(
            `switchboard: started a hub at ${url} in the background (${pid}log: ${started.logFile}); ` +
              `stop it with \`switchboard stop --home ${home}\``,
          );
        },
        (err) => {
          pending = undefined;
          throw err;
        },
      );
      return pending;
    },
    lost() {
      pending = undefined;
    },
  };
}
