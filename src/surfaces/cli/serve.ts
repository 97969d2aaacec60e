/** `switchboard serve`: start a hub and keep it running until SIGINT/SIGTERM. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { type ConfigInput, dbPath } from '../../config/schema.js';
import { describeDb } from '../../core/db-url.js';
import { createHub } from '../../hub.js';

export interface ServeFlags {
  host?: string;
  port?: string;
  db?: string;
  home?: string;
  config?: string;
  logLevel?: string;
}

export function flagsToConfig(flags: ServeFlags): ConfigInput {
  const out: Record<string, unknown> = {};
  if (flags.host) out.host = flags.host;
  if (flags.port !== undefined) out.port = Number(flags.port);
  if (flags.db) out.db = flags.db;
  if (flags.home) out.home = flags.home;
  if (flags.logLevel) out.logLevel = flags.logLevel;
  return out as ConfigInput;
}

export async function serve(flags: ServeFlags): Promise<void> {
  const config = loadConfig({ file: flags.config, flags: flagsToConfig(flags) });
  const hub = await createHub({ config });
  const url = await hub.listen();
  process.stdout.write(`switchboard listening on ${url}\n`);
  hub.logger.info(
    {
      url,
      db: describeDb(dbPath(config)),
      store: hub.store.kind,
      node_id: hub.services.info.nodes.id,
      admin_token_file: hub.adminTokenFile,
    },
    'hub started',
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    hub.logger.info({ signal }, 'hub stopping');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await hub.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Start a hub (default http://127.0.0.1:7700, data in ~/.switchboard)')
    .option('--host <host>', 'address to bind (non-loopback needs an admin token)')
    .option('--port <port>', 'port; 0 picks a free one')
    .option('--db <path>', 'SQLite database file, or a postgres:// URL (cluster mode)')
    .option('--home <dir>', 'data directory')
    .option('--config <file>', 'JSON config file')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .action((flags: ServeFlags) => serve(flags));
}
