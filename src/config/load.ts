/** Builds the effective config: defaults → config file → environment → flags. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { HubError } from '../core/errors.js';
import { type Config, type ConfigInput, configSchema } from './schema.js';

type Env = Record<string, string | undefined>;

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const prev = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && prev && typeof prev === 'object'
        ? deepMerge(prev as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

/** Reads a JSON config file, or YAML when its name ends in `.yaml` / `.yml`. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new HubError('invalid_input', `Cannot read config file ${path}: ${(err as Error).message}`);
  }
  const yaml = /\.ya?ml$/i.test(path);
  const kind = yaml ? 'YAML' : 'JSON';
  try {
    const parsed: unknown = yaml ? parseYaml(text, { prettyErrors: true }) : JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error(`not a ${kind} object`);
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new HubError(
      'invalid_input',
      `Config file ${path} is not a ${kind} object: ${(err as Error).message}`,
    );
  }
}

function fromEnv(env: Env): ConfigInput {
  const out: Record<string, unknown> = {};
  if (env.SWITCHBOARD_HOST) out.host = env.SWITCHBOARD_HOST;
  if (env.SWITCHBOARD_PORT) {
    const port = Number(env.SWITCHBOARD_PORT);
    if (!Number.isInteger(port))
      throw new HubError('invalid_input', 'SWITCHBOARD_PORT must be a whole number');
    out.port = port;
  }
  if (env.SWITCHBOARD_HOME) out.home = env.SWITCHBOARD_HOME;
  if (env.SWITCHBOARD_DB) out.db = env.SWITCHBOARD_DB;
  if (env.SWITCHBOARD_ADMIN_TOKEN) out.adminToken = env.SWITCHBOARD_ADMIN_TOKEN;
  if (env.LOG_LEVEL) out.logLevel = env.LOG_LEVEL;
  return out as ConfigInput;
}

export interface LoadOptions {
  env?: Env;
  /** Explicit config file (else `SWITCHBOARD_CONFIG`). */
  file?: string;
  /** Values from command-line flags, highest precedence. */
  flags?: ConfigInput;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.SWITCHBOARD_CONFIG;
  let merged: Record<string, unknown> = {};
  if (file) merged = deepMerge(merged, readConfigFile(file));
  merged = deepMerge(merged, fromEnv(env) as Record<string, unknown>);
  merged = deepMerge(merged, (opts.flags ?? {}) as Record<string, unknown>);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw configError(parsed.error, file);
  return parsed.data;
}

/** One problem per wrong value or unknown key, each named by its full path (`presence.idleAfterSecond`). */
export function configIssues(error: z.ZodError): { field: string; problem: string }[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({
        field: [...path, key].join('.'),
        problem: 'unknown setting; check the spelling (README: Configuration lists them)',
      }));
    return [{ field: path.length ? path.join('.') : '(top level)', problem: issue.message }];
  });
}

/** Every problem at once, so a config file with several mistakes is fixed in one round. */
function configError(error: z.ZodError, file: string | undefined): HubError {
  const issues = configIssues(error);
  const where = file ? ` (config file ${file})` : '';
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  const list = issues.map((i) => `${i.field}: ${i.problem}`).join('; ');
  return new HubError('invalid_input', `Invalid configuration${where}, ${count}: ${list}`, {
    details: { issues },
  });
}
