/**
 * `switchboard mcp`: an MCP stdio server bridged to the hub at SWITCHBOARD_URL (default
 * http://127.0.0.1:7700), started in the background when none answers. stdout carries MCP JSON-RPC
 * only; notes go to stderr.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { DEFAULT_URL, normalizeUrl } from '../../../client/http.js';
import { HubClient } from '../../../client/hub-client.js';
import { loadConfig } from '../../../config/load.js';
import { type BridgeState, createBridgeServer } from './bridge.js';
import { ensureHub } from './ensure-hub.js';

export function dataHome(env: NodeJS.ProcessEnv = process.env): string {
  try {
    return loadConfig({ env }).home;
  } catch {
    return env.SWITCHBOARD_HOME || join(homedir(), '.switchboard');
  }
}

/** A memoized "the hub answers" promise that is retried after a failure. */
export function hubReadiness(
  url: string,
  env: NodeJS.ProcessEnv,
  note: (line: string) => void,
): () => Promise<void> {
  let pending: Promise<void> | undefined;
  return () => {
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
  };
}

export function runMcpStdio(env: NodeJS.ProcessEnv = process.env): void {
  const url = normalizeUrl(env.SWITCHBOARD_URL || DEFAULT_URL);
  const note = (line: string) => process.stderr.write(`${line}\n`);
  const state: BridgeState = { token: env.SWITCHBOARD_TOKEN || undefined };
  const hub = new HubClient({ url });
  const ready = hubReadiness(url, env, note);
  ready().catch((err) => note(`switchboard: ${(err as Error).message}`));
  serveStdio(() => createBridgeServer(hub, state, ready), {
    onerror: (err) => note(`switchboard mcp: ${err.message}`),
  });
  // The client closing stdin ends the bridge (keep-alive sockets to the hub must not hold it open).
  process.stdin.once('end', () => setTimeout(() => process.exit(0), 100).unref());
}
