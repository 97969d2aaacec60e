/**
 * Where a client command finds the hub and who it acts as: `--url` or SWITCHBOARD_URL (default
 * http://127.0.0.1:7700); `--token` or SWITCHBOARD_TOKEN for an agent; `--admin` for the admin token
 * (SWITCHBOARD_ADMIN_TOKEN, the config file, or `<home>/admin-token` written by the hub).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { SwitchboardError } from '../../client/errors.js';
import { DEFAULT_URL } from '../../client/http.js';
import { HubClient } from '../../client/hub-client.js';
import { loadConfig } from '../../config/load.js';

export interface ConnectionFlags {
  url?: string;
  token?: string;
  admin?: boolean;
  home?: string;
  json?: boolean;
}

export type Identity = 'agent' | 'admin' | 'anonymous';

export interface Connection {
  client: HubClient;
  identity: Identity;
  url: string;
}

/** Adds --url, --token, --admin, --home and --json to a command. */
export function withConnectionFlags(cmd: Command): Command {
  return cmd
    .option(
      '--url <url>',
      `hub URL, or a cluster's URLs comma-separated (default $SWITCHBOARD_URL or ${DEFAULT_URL})`,
    )
    .option('--token <token>', 'agent token to act as (default $SWITCHBOARD_TOKEN)')
    .option('--admin', 'act as the admin ($SWITCHBOARD_ADMIN_TOKEN or <home>/admin-token)')
    .option(
      '--home <dir>',
      'data directory holding admin-token (default $SWITCHBOARD_HOME or ~/.switchboard)',
    )
    .option('--json', 'print machine-readable JSON');
}

export function hubUrl(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): string {
  return flags.url ?? (env.SWITCHBOARD_URL || DEFAULT_URL);
}

/** The admin token the local hub uses, or a clear error saying where it was looked for. */
export function readAdminToken(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): string {
  if (env.SWITCHBOARD_ADMIN_TOKEN) return env.SWITCHBOARD_ADMIN_TOKEN;
  let home: string;
  let configured: string | undefined;
  try {
    const config = loadConfig({ env, flags: flags.home ? { home: flags.home } : {} });
    home = config.home;
    configured = config.adminToken;
  } catch (err) {
    throw new SwitchboardError('invalid_input', `Cannot find the admin token: ${(err as Error).message}`);
  }
  if (configured) return configured;
  const file = join(home, 'admin-token');
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return token;
  }
  throw new SwitchboardError(
    'unauthorized',
    `--admin needs the admin token: set SWITCHBOARD_ADMIN_TOKEN, or run where the hub wrote ${file} (--home sets the data directory)`,
  );
}

export function connect(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const url = hubUrl(flags, env);
  if (flags.admin)
    return { client: new HubClient({ url, token: readAdminToken(flags, env) }), identity: 'admin', url };
  const token = flags.token ?? (env.SWITCHBOARD_TOKEN || undefined);
  return { client: new HubClient({ url, token }), identity: token ? 'agent' : 'anonymous', url };
}
