/**
 * `switchboard config`: the effective configuration (defaults → config file → environment → flags),
 * as `serve` would use it, printed as a config file `serve --config` accepts (pretty JSON, or one line
 * with --json). Secrets are left out, never replaced by text that could pass for them: the admin token
 * is omitted (the hub reads it from its data directory or SWITCHBOARD_ADMIN_TOKEN), a downstream
 * server's literal env or header value (and an instances.env value) becomes HIDDEN_VALUE, which the loader refuses. What was left
 * out, where the database is and where client commands connect are notes on stderr.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { HIDDEN_VALUE } from '../../config/placeholders.js';
import { type Config, dbPath } from '../../config/schema.js';
import { describeDb, withoutPassword } from '../../core/db-url.js';
import { hasReference } from '../../config/gateway.js';
import { hubUrl } from './connection.js';
import { printJson, printPretty } from './output.js';
import { action, usageExits } from './run.js';
import { flagsToConfig, type ServeFlags } from './serve.js';

export interface EffectiveConfig {
  /** A valid config file: the loader's own shape, without secrets. */
  config: Record<string, unknown>;
  /** For people: what was left out and why, where the data is, where clients connect. */
  notes: string[];
}

/** Literal values become HIDDEN_VALUE; `${env:…}` / `${file:…}` references are not secrets and stay. */
function hideLiterals(
  values: Record<string, string>,
  where: string,
  notes: string[],
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => {
      if (hasReference(value)) return [key, value];
      notes.push(`${where}.${key}: hidden (put the value back, or use \${env:NAME} / \${file:PATH})`);
      return [key, HIDDEN_VALUE];
    }),
  );
}

function withoutSecrets(config: Config, notes: string[]): Record<string, unknown> {
  const { adminToken: _left, ...rest } = config;
  const servers = config.gateway.servers.map((server, i) => ({
    ...server,
    env: hideLiterals(server.env, `gateway.servers.${i}.env`, notes),
    headers: hideLiterals(server.headers, `gateway.servers.${i}.headers`, notes),
  }));
  const instances = { ...config.instances, env: hideLiterals(config.instances.env, 'instances.env', notes) };
  let db = config.db;
  if (db !== undefined && withoutPassword(db, HIDDEN_VALUE) !== db) {
    db = withoutPassword(db, HIDDEN_VALUE);
    notes.push('db: its password is left out; keep it in PGPASSWORD or ~/.pgpass rather than in the URL');
  }
  return { ...rest, ...(db !== undefined ? { db } : {}), instances, gateway: { ...config.gateway, servers } };
}

export function effectiveConfig(
  flags: ServeFlags & { url?: string },
  env: NodeJS.ProcessEnv = process.env,
): EffectiveConfig {
  const config = loadConfig({ env, file: flags.config, flags: flagsToConfig(flags) });
  const notes: string[] = [];
  const tokenFile = join(config.home, 'admin-token');
  notes.push(
    config.adminToken
      ? `admin token: set (${env.SWITCHBOARD_ADMIN_TOKEN ? 'SWITCHBOARD_ADMIN_TOKEN' : 'config file'}); not printed`
      : existsSync(tokenFile)
        ? `admin token: in ${tokenFile}`
        : `admin token: generated into ${tokenFile} when the hub starts`,
  );
  const file = withoutSecrets(config, notes);
  notes.push(`database: ${describeDb(dbPath(config))}`);
  notes.push(
    `client commands connect to ${hubUrl(flags, env)}; SWITCHBOARD_TOKEN ${env.SWITCHBOARD_TOKEN ? 'is set' : 'is not set'}`,
  );
  const environment = Object.keys(env)
    .filter((k) => k.startsWith('SWITCHBOARD_') || k === 'LOG_LEVEL')
    .sort();
  const configFile = flags.config ?? env.SWITCHBOARD_CONFIG;
  notes.push(
    `sources: ${configFile ? `config file ${configFile}` : 'no config file'}; environment: ${environment.join(', ') || 'none'}`,
  );
  return { config: file, notes };
}

export function registerConfig(program: Command): void {
  const cmd = program
    .command('config')
    .description(
      'Print the effective configuration as a config file (secrets left out; notes on stderr); takes the same flags as serve',
    )
    .option('--host <host>', 'address to bind')
    .option('--port <port>', 'port')
    .option('--db <path>', 'SQLite database file, or a postgres:// URL (cluster mode)')
    .option('--home <dir>', 'data directory')
    .option('--config <file>', 'JSON config file')
    .option('--log-level <level>', 'log level')
    .option('--url <url>', 'hub URL client commands use')
    .option('--json', 'print the config file on one line');
  usageExits(cmd);
  cmd.action(
    action(async (options: ServeFlags & { url?: string; json?: boolean }) => {
      const { config, notes } = effectiveConfig(options);
      if (options.json) printJson(config);
      else printPretty(config);
      process.stderr.write(notes.map((note) => `# ${note}\n`).join(''));
    }),
  );
}
