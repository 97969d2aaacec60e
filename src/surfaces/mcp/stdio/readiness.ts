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
  return {
    ready() {
      pending ??= ensureHub(url, { home: dataHome(env), env }).then(
        (logFile) => {
          if (logFile) note(`switchboard: started a hub at ${url} in the background (log: ${logFile})`);
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
