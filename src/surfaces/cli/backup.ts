/** `switchboard backup <file>`: a consistent copy of the hub's database, safe while the hub runs. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { dbPath } from '../../config/schema.js';
import { describeDb, isPostgresUrl } from '../../core/db-url.js';
import { HubError } from '../../core/errors.js';
import { backupDatabase } from '../../store/sqlite/backup.js';
import { printJson } from './output.js';
import { action, usageExits } from './run.js';
import { flagsToConfig, type ServeFlags } from './serve.js';

interface BackupFlags extends ServeFlags {
  force?: boolean;
  json?: boolean;
}

export function registerBackup(program: Command): void {
  const cmd = program
    .command('backup <file>')
    .description("Copy the hub's database to a file, consistently, even while the hub runs")
    .option('--home <dir>', 'data directory')
    .option('--db <path>', 'SQLite database file, or a postgres:// URL (cluster mode)')
    .option('--config <file>', 'JSON config file')
    .option('--force', 'replace the file if it exists')
    .option('--json', 'print machine-readable JSON');
  usageExits(cmd);
  cmd.action(
    action(async (file: string, flags: BackupFlags) => {
      const config = loadConfig({ file: flags.config, flags: flagsToConfig(flags) });
      if (isPostgresUrl(dbPath(config))) {
        throw new HubError(
          'invalid_input',
          `${describeDb(dbPath(config))} is a PostgreSQL database: back it up with pg_dump (switchboard backup copies SQLite files)`,
        );
      }
      const result = await backupDatabase(dbPath(config), file, { overwrite: flags.force === true });
      if (flags.json) return printJson(result);
      process.stdout.write(`backed up ${result.source} to ${result.file} (${result.bytes} bytes)\n`);
    }),
  );
}
