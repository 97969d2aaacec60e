/**
 * Whether the hub answers, remembered between calls and forgotten when it stops answering. With one
 * URL a hub on this machine is started when none answers (ensure-hub.ts); with several (a cluster's
 * nodes, SWITCHBOARD_URL=a,b) the first that answers /health is used and none is started here.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { HubUrls } from '../../../client/failover.js';
import { loadConfig } from '../../../config/load.js';
import { HubError } from '../../../core/errors.js';
import { ensureHub, hubAnswers } from './ensure-hub.js';

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

/** The first node (from the one in use, round-robin) that answers /health becomes the one in use. */
async function anyNode(urls: HubUrls): Promise<void> {
  for (let i = 0; i < urls.all.length; i++) {
    const url = urls.current;
    if (await hubAnswers(url)) return;
    urls.failed(url);
  }
  throw new HubError(
    'unavailable',
    `No hub answers at any of ${urls.all.join(', ')}; start the nodes or fix SWITCHBOARD_URL`,
  );
}

export function hubReadiness(
  target: string | HubUrls,
  env: NodeJS.ProcessEnv,
  note: (line: string) => void,
): HubReadiness {
  let pending: Promise<void> | undefined;
  const home = dataHome(env);
  const urls = target instanceof HubUrls ? target : new HubUrls(target);
  const url = urls.current;
  const check = (): Promise<void> =>
    urls.several
      ? anyNode(urls)
      : ensureHub(url, {
          home,
          env,
          onStart: (s) =>
            note(
              `switchboard: no hub answers at ${s.url}; starting one in the background (log: ${s.logFile})`,
            ),
        }).then((started) => {
          if (!started) return;
          const pid = started.pid ? `pid ${started.pid}, ` : '';
          note(
            `switchboard: started a hub at ${url} in the background (${pid}log: ${started.logFile}); ` +
              `stop it with \`switchboard stop --home ${home}\``,
          );
        });
  return {
    ready() {
      pending ??= check().then(
        () => {},
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
