/**
 * `switchboard config`: the effective configuration (defaults → config file → environment → flags),
 * as `serve` would use it, with secrets hidden; plus where client commands connect.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { dbPath } from '../../config/schema.js';
import { hubUrl } from './connection.js';
import { printJson, printPretty } from './output.js';
import { action, usageExits } from './run.js';
import { flagsToConfig, type ServeFlags } from './serve.js';

const HIDDEN = '(set, hidden)';

export function effectiveConfig(flags: ServeFlags & { url?: string }, env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig({ env, file: flags.config, flags: flagsToConfig(flags) });
  const adminTokenFile = join(config.home, 'admin-token');
  return {
    hub: {
      ...config,
      db: dbPath(config),
      adminToken: config.adminToken
        ? HIDDEN
        : existsSync(adminTokenFile)
          ? `(in ${adminTokenFile})`
          : `(generated into ${adminTokenFile} when the hub starts)`,
    },
    client: {
      url: hubUrl(flags, env),
      token: env.SWITCHBOARD_TOKEN ? HIDDEN : '(not set: SWITCHBOARD_TOKEN)',
    },
    sources: {
      configFile: flags.config ?? env.SWITCHBOARD_CONFIG ?? null,
      environment: Object.keys(env)
        .filter((k) => k.startsWith('SWITCHBOARD_') || k === 'LOG_LEVEL')
        .sort(),
    },
  };
}

export function registerConfig(program: Command): void {
  const cmd = program
    .command('config')
    .description('Print the effective configuration (secrets hidden); takes the same flags as serve')
    .option('--host <host>', 'address to bind')
    .option('--port <port>', 'port')
    .option('--db <path>', 'SQLite database file')
    .option('--home <dir>', 'data directory')
    .option('--config <file>', 'JSON config file')
    .option('--log-level <level>', 'log level')
    .option('--url <url>', 'hub URL client commands use')
    .option('--json', 'print machine-readable JSON');
  usageExits(cmd);
  cmd.action(
    action(async (options: ServeFlags & { url?: string; json?: boolean }) => {
      const result = effectiveConfig(options);
      if (options.json) printJson(result);
      else printPretty(result);
    }),
  );
}
