/** The hub's whole configuration, validated by one zod schema. Defaults live here and nowhere else. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { gatewayConfigSchema } from './gateway.js';

const seconds = z.number().positive();

export const configSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(7700),
    /** Data directory: the database, the generated admin token, custom roles. */
    home: z.string().min(1).default(join(homedir(), '.switchboard')),
    /** SQLite file; defaults to `<home>/switchboard.db`. */
    db: z.string().min(1).optional(),
    adminToken: z.string().min(16, 'the admin token must have at least 16 characters').optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Who may register agents: anyone who reaches the hub, or only the admin. */
    registration: z.enum(['open', 'admin']).default('open'),
    agents: z
      .object({
        /** Largest agent metadata, as JSON text; listings leave metadata out, get_agent shows it. */
        maxMetadataBytes: z
          .number()
          .int()
          .min(256)
          .max(16 * 1024 * 1024)
          .default(16 * 1024),
      })
      .prefault({}),
    presence: z
      .object({
        /** No activity for this long: `idle`. */
        idleAfterSeconds: seconds.default(120),
        /** No activity for this long: `offline`. */
        offlineAfterSeconds: seconds.default(300),
        /** No activity for this long: the agent is retired automatically. */
        retireAfterSeconds: seconds.default(7 * 24 * 3600),
        sweepIntervalSeconds: seconds.default(30),
      })
      .prefault({}),
    rateLimit: z
      .object({
        enabled: z.boolean().default(true),
        /** Sustained requests per second per agent (token bucket refill). */
        perSecond: z.number().positive().default(200),
        /** Bucket size: requests an agent may make at once. */
        burst: z.number().int().positive().default(400),
      })
      .prefault({}),
    http: z
      .object({
        bodyLimitBytes: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024),
        /** Extra origins allowed to call /mcp and the API from a browser (loopback origins always are). */
        allowedOrigins: z.array(z.string()).default([]),
      })
      .prefault({}),
    messages: z
      .object({
        defaultWaitSeconds: z.number().min(0).max(300).default(25),
        maxWaitSeconds: z.number().min(1).max(300).default(300),
        /** Largest message body, as JSON text. */
        maxBodyBytes: z
          .number()
          .int()
          .positive()
          .default(256 * 1024),
      })
      .prefault({}),
    tasks: z
      .object({
        /** A holder that sends no update within this many seconds loses the task (per task: lease_seconds). */
        defaultLeaseSeconds: z.number().int().min(1).max(86400).default(300),
        defaultMaxAttempts: z.number().int().min(1).max(100).default(3),
        /** How often leases that ran out are looked for. */
        sweepIntervalSeconds: seconds.default(5),
        defaultWaitSeconds: z.number().min(0).max(300).default(25),
        maxWaitSeconds: z.number().min(1).max(300).default(300),
      })
      .prefault({}),
    leases: z
      .object({
        /** Live leases one agent may hold at once; acquiring past this fails with a clear error. */
        maxPerAgent: z.number().int().min(1).max(100_000).default(100),
        /**
         * Pattern comparisons one request may make (acquire_lease against the project's live leases,
         * check_paths, list_leases by path); past it the request fails with a clear error instead of
         * holding the hub. Each is a character or segment comparison: 5 million take a few hundred
         * milliseconds at most.
         */
        maxMatchSteps: z.number().int().min(1000).max(1_000_000_000).default(5_000_000),
      })
      .prefault({}),
    instances: z
      .object({
        /** Instances running at once; spawning past this fails with a clear error. */
        maxConcurrent: z.number().int().min(1).max(1000).default(10),
        /**
         * Whether agents (not only the admin) may name the program to run (`command`) or a script file
         * on the hub host. Off: on a hub others can reach, that would let anyone who registers run code here.
         */
        allowAgentCommands: z.boolean().default(false),
        /** Agents may create worktree workspaces of repositories under these directories (others: admin only). */
        agentRepoRoots: z.array(z.string().min(1)).default([]),
        /** The Claude Code program (argv prefix) for the claude-code adapter. */
        claudeCommand: z.array(z.string().min(1)).min(1).default(['claude']),
        /** The Codex CLI program (argv prefix) for the codex adapter. */
        codexCommand: z.array(z.string().min(1)).min(1).default(['codex']),
        /** The Gemini CLI program (argv prefix) for the gemini adapter. */
        geminiCommand: z.array(z.string().min(1)).min(1).default(['gemini']),
        /** A session CLI (Claude Code) that has not said it is up by then failed to start. */
        readySeconds: z.number().min(0.1).max(600).default(30),
        /**
         * After a hub restart, resume the instances the previous run left (their processes are killed
         * first): a session CLI is relaunched continuing its session (Claude Code --resume), a per-turn
         * CLI (codex, gemini) continues on its next turn. Off: they are marked failed.
         */
        resumeAfterRestart: z.boolean().default(true),
        /** Stopping: after closing stdin, and again after SIGTERM, wait this long before the next step. */
        stopGraceSeconds: z.number().min(0).max(60).default(3),
        defaultWaitSeconds: z.number().min(0).max(300).default(25),
        maxWaitSeconds: z.number().min(1).max(3600).default(300),
        /** Health loop: a busy instance with no output event for this long is marked stuck. */
        stuckSeconds: z.number().min(0.1).max(86_400).default(120),
        /** How often limits (wall and idle time) are checked. */
        checkIntervalSeconds: seconds.default(0.5),
      })
      .prefault({}),
    /** Downstream MCP servers republished through /mcp as `<server>__<tool>`. */
    gateway: gatewayConfigSchema,
    workflows: z
      .object({
        /** Where `run_workflow {file}` looks for relative paths; defaults to `<home>/workflows`. */
        dir: z.string().min(1).optional(),
        /** A step calling a downstream tool waits this long for its server to be connected (e.g. after a restart). */
        toolWaitSeconds: z.number().min(0).max(3600).default(30),
        defaultWaitSeconds: z.number().min(0).max(3600).default(60),
      })
      .prefault({}),
  })
  .strict();

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

export const dbPath = (config: Config): string => config.db ?? join(config.home, 'switchboard.db');

export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
