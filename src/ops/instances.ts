/** Operations of the instances capability: spawn, drive, watch and stop real agent processes. */
import { z } from 'zod';
import { ADAPTER_NAMES } from '../agents/adapters/index.js';
import { deliverySettingsSchema } from '../core/delivery/settings.js';
import { HubError } from '../core/errors.js';
import {
  instanceStatus as statuses,
  instanceStatusView as statusView,
  instanceView,
} from '../core/wire/index.js';
import { idString, limit } from './schemas.js';
import { defineOp, type OpContext } from './types.js';

const limits = z.strictObject({
  max_tokens: z.number().int().positive().optional(),
  max_cost_usd: z.number().positive().optional(),
  max_turns: z.number().int().positive().optional(),
  max_wall_seconds: z.number().positive().optional(),
  max_idle_seconds: z.number().positive().optional(),
});

function needsIdentity(ctx: OpContext): void {
  if (ctx.caller.kind === 'anonymous')
    throw new HubError(
      'unauthorized',
      'This needs an agent identity: send Authorization: Bearer <agent token>',
    );
}

const spawnFields = z.strictObject({
  name: z.string().min(1).max(100).optional(),
  adapter: z.enum(ADAPTER_NAMES).default('claude-code'),
  role: z.string().min(1).max(64).default('general'),
  model: z.string().min(1).max(100).optional(),
  system_prompt: z.string().max(100_000).optional().describe('Appended after the role prompt'),
  task: z.string().min(1).max(1_000_000).optional().describe('The first user turn'),
  command: z
    .array(z.string().min(1))
    .min(1)
    .max(100)
    .optional()
    .describe(
      'command adapter: the program and its arguments; claude-code, codex, gemini: the CLI program to run (admin only)',
    ),
  script: z
    .record(z.string(), z.unknown())
    .optional()
    .describe(
      'Run the scripted stand-in instead of a real CLI: it speaks the adapter’s protocol (scripted = claude-code, codex, gemini) and follows this script',
    ),
  script_file: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe('Like script, from a file on the hub host (admin only)'),
  limits: limits.optional(),
  parent_id: idString.optional().describe('The parent instance (default: the instance you run as, if any)'),
  capabilities: z.array(z.string().min(1).max(100)).max(100).optional(),
  permission_mode: z
    .enum(['default', 'accept_edits', 'bypass'])
    .optional()
    .describe(
      'What the CLI may do without asking (default accept_edits: edit files in its workspace; bypass: admin ' +
        'only). The hub’s own tools are always allowed.',
    ),
  restart: z
    .strictObject({
      max_restarts: z.number().int().min(1).max(100),
      backoff_seconds: z
        .number()
        .min(0)
        .max(3600)
        .optional()
        .describe('Before the first restart (default 1), doubling each time'),
    })
    .optional()
    .describe(
      'Relaunch a session CLI (claude-code, scripted, command) that dies on its own, resuming its session; ' +
        'the turn in progress fails.',
    ),
  delivery: z
    .enum(['manual', 'idle', 'steer'])
    .default('manual')
    .describe(
      'manual: it reads mail when it asks. idle: a message to its agent starts a turn when it is idle. steer: also ' +
        'written into the running turn where the CLI allows (Claude Code); codex, gemini: as idle',
    ),
  delivery_settings: deliverySettingsSchema
    .optional()
    .describe(
      'Pace and filters of that mail (default: same project or admin only, batches, 12 turns a minute)',
    ),
  workspace: z
    .strictObject({
      repo: z.string().min(1).max(4096).describe('A path inside a git repository on the hub host'),
      branch: z.string().min(1).max(200).optional().describe('Default: switchboard/<instance id>'),
    })
    .optional()
    .describe(
      'Run in a git worktree of this repository on its own branch (<home>/worktrees/<id>) instead of a fresh directory',
    ),
});

export const spawnInstance = defineOp({
  name: 'spawn_instance',
  group: 'instances',
  summary:
    'Spawn an agent process (Claude Code, Codex, Gemini CLI, a scripted stand-in, or any command) that joins the hub as an agent',
  description:
    'It runs in its own process group and workspace, registered as an agent with this hub in its MCP config. ' +
    'role picks a prompt from roles/<role>.md. Answers once it is ready, or fails with unavailable and why. task ' +
    'is its first turn; limits stop it.',
  access: 'agent',
  blocking: true,
  http: { method: 'POST', path: '/api/v1/instances', status: 201 },
  input: spawnFields,
  output: statusView,
  async handler(ctx, input) {
    needsIdentity(ctx);
    return ctx.services.instances.spawn(ctx.caller, input);
  },
});

export const sendToInstance = defineOp({
  name: 'send_to_instance',
  group: 'instances',
  summary: 'Send one user turn to an instance; wait for its result (default) or return at once',
  description:
    'With wait (default true) answers when the turn’s result event arrives: completed, or failed with the reason ' +
    '(error subtype, permission denied, process exited), or timeout after timeout_seconds (default 25, the turn keeps running).',
  access: 'agent',
  blocking: true,
  http: { method: 'POST', path: '/api/v1/instances/:instance_id/send' },
  input: z.strictObject({
    instance_id: idString,
    message: z.string().min(1).max(1_000_000),
    wait: z.boolean().default(true),
    timeout_seconds: z.number().min(0).max(3600).optional(),
  }),
  output: z.object({
    instance_id: z.string(),
    turn: z.number(),
    status: z.enum(['sent', 'completed', 'failed', 'timeout']),
    text: z.string().nullable(),
    failure: z.string().nullable(),
    result: z
      .object({
        subtype: z.string(),
        num_turns: z.number().nullable(),
        usage: z
          .object({
            input_tokens: z.number(),
            output_tokens: z.number(),
            cache_read_input_tokens: z.number(),
            cache_creation_input_tokens: z.number(),
          })
          .nullable(),
        total_cost_usd: z.number().nullable(),
        permission_denials: z.array(z.object({ tool_name: z.string(), tool_input: z.unknown().optional() })),
        session_id: z.string().nullable(),
      })
      .nullable(),
  }),
  async handler(ctx, input) {
    needsIdentity(ctx);
    return ctx.services.instances.send(ctx.caller, input.instance_id, input.message, {
      wait: input.wait,
      timeoutSeconds: input.timeout_seconds,
      signal: ctx.signal,
    });
  },
});

export const getInstanceOutput = defineOp({
  name: 'get_instance_output',
  group: 'instances',
  summary:
    'An instance’s output events (init, text, tool use, tool result, result, exit) and text after a cursor',
  access: 'agent',
  annotations: { readOnly: true },
  http: { method: 'GET', path: '/api/v1/instances/:instance_id/output' },
  input: z.strictObject({
    instance_id: idString,
    since: z.string().max(32).optional().describe('next_cursor of an earlier answer'),
    limit: limit(1000, 200),
  }),
  output: z.object({
    instance_id: z.string(),
    status: statuses,
    events: z.array(z.object({ cursor: z.string(), at: z.string(), kind: z.string() }).loose()),
    text: z.string(),
    next_cursor: z.string(),
    has_more: z.boolean(),
  }),
  async handler(ctx, input) {
    needsIdentity(ctx);
    return ctx.services.instances.output(ctx.caller, input.instance_id, input.since, input.limit ?? 200);
  },
});

export const getInstanceStatus = defineOp({
  name: 'get_instance_status',
  group: 'instances',
  summary: 'One instance: status and reason, process, usage and cost (and its tree’s, rolled up)',
  access: 'agent',
  annotations: { readOnly: true },
  http: { method: 'GET', path: '/api/v1/instances/:instance_id' },
  input: z.strictObject({ instance_id: idString }),
  output: statusView,
  async handler(ctx, input) {
    needsIdentity(ctx);
    return ctx.services.instances.status(ctx.caller, input.instance_id);
  },
});

export const listInstances = defineOp({
  name: 'list_instances',
  group: 'instances',
  summary: 'Instances you spawned (the admin: all), oldest first',
  access: 'agent',
  annotations: { readOnly: true },
  http: { method: 'GET', path: '/api/v1/instances' },
  input: z.strictObject({
    status: statuses.optional(),
    parent_id: idString.optional(),
    root_id: idString.optional(),
  }),
  output: z.object({ instances: z.array(instanceView), total: z.number() }),
  async handler(ctx, input) {
    needsIdentity(ctx);
    const instances = await ctx.services.instances.list(ctx.caller, input);
    return { instances, total: instances.length };
  },
});

export const terminateInstance = defineOp({
  name: 'terminate_instance',
  group: 'instances',
  summary: 'Stop an instance and all its descendants: close stdin, SIGTERM the process group, then SIGKILL',
  access: 'agent',
  annotations: { destructive: true, idempotent: true },
  http: { method: 'DELETE', path: '/api/v1/instances/:instance_id' },
  input: z.strictObject({ instance_id: idString, reason: z.string().min(1).max(500).optional() }),
  output: z.object({
    terminated: z.array(
      z.object({
        instance_id: z.string(),
        status: statuses,
        reason: z.string().nullable(),
        worktree: z
          .object({
            path: z.string(),
            branch: z.string(),
            state: z.enum(['active', 'removed', 'kept']),
            note: z.string().nullable(),
          })
          .nullable(),
      }),
    ),
  }),
  async handler(ctx, input) {
    needsIdentity(ctx);
    return ctx.services.instances.terminate(ctx.caller, input.instance_id, input.reason);
  },
});

const stepResult = z.object({
  instance_id: z.string(),
  turn: z.number().nullable(),
  status: z.enum(['completed', 'failed', 'timeout', 'skipped']),
  text: z.string().nullable(),
  failure: z.string().nullable(),
  position: z.string().nullable().optional(),
  cast_by_hub: z.boolean().optional(),
});

export const coordinateInstances = defineOp({
  name: 'coordinate_instances',
  group: 'instances',
  summary:
    'Give one task to several instances: parallel, sequential (each answer feeds the next), or consensus by a hub vote',
  description:
    'parallel: all at once, all results. sequential: in order, each prompt carries the previous answer; a failure ' +
    'skips the rest. consensus: a vote over options among the instances; one that does not cast_vote gets the ' +
    'option its answer names first.',
  access: 'agent',
  blocking: true,
  http: { method: 'POST', path: '/api/v1/instances/coordinate' },
  input: z.strictObject({
    instance_ids: z.array(idString).min(1).max(50),
    task: z.string().min(1).max(1_000_000),
    mode: z.enum(['parallel', 'sequential', 'consensus']).default('parallel'),
    options: z.array(z.string().min(1).max(200)).min(2).max(20).optional().describe('consensus: the choices'),
    rule: z.enum(['majority', 'unanimous', 'quorum']).optional().describe('consensus: default majority'),
    quorum: z.number().int().positive().optional(),
    timeout_seconds: z.number().min(1).max(3600).optional().describe('For each turn, and the vote'),
  }),
  output: z.object({
    mode: z.enum(['parallel', 'sequential', 'consensus']),
    status: z.enum(['completed', 'failed']),
    results: z.array(stepResult),
    final_text: z.string().nullable(),
    decision: z.string().nullable(),
    vote: z.record(z.string(), z.unknown()).nullable(),
  }),
  async handler(ctx, input) {
    needsIdentity(ctx);
    const out = await ctx.services.instances.coordinate(ctx.caller, input, ctx.signal);
    return { ...out, vote: out.vote as unknown as Record<string, unknown> | null };
  },
});

export const interruptInstance = defineOp({
  name: 'interrupt_instance',
  group: 'instances',
  summary: 'Stop an instance’s current turn; the instance stays alive for the next turn when its CLI allows',
  description:
    'claude-code and scripted instances get Claude Code’s stream-json interrupt (a control_request on stdin): the turn ' +
    'ends as failed (error_during_execution) and the process takes the next turn. Other adapters get SIGINT on their ' +
    'process group; whether they survive it is up to the program.',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/instances/:instance_id/interrupt' },
  input: z.strictObject({ instance_id: idString }),
  output: z.object({
    instance_id: z.string(),
    interrupted: z.boolean().describe('Whether a turn was running'),
    method: z.enum(['stdin_control_request', 'sigint']),
    status: statuses,
  }),
  async handler(ctx, input) {
    needsIdentity(ctx);
    return ctx.services.instances.interrupt(ctx.caller, input.instance_id);
  },
});

export const spawnTeam = defineOp({
  name: 'spawn_team',
  group: 'instances',
  summary:
    'Spawn several instances (one per role) from an inline list or a template file; optionally give all one task',
  description:
    'members: [{role, name?, adapter?, ...spawn_instance fields}]. template_file (admin only): a JSON file on the hub ' +
    'host holding {members: [...]} or the list itself. task goes to every member without a task of its own. If one ' +
    'member fails to spawn, the ones already spawned are terminated and the error is returned.',
  access: 'agent',
  blocking: true,
  http: { method: 'POST', path: '/api/v1/teams', status: 201 },
  input: z.strictObject({
    members: z
      .array(spawnFields.omit({ parent_id: true }))
      .min(1)
      .max(50)
      .optional(),
    template_file: z.string().min(1).max(4096).optional(),
    task: z.string().min(1).max(1_000_000).optional(),
    parent_id: idString.optional(),
  }),
  output: z.object({ instances: z.array(statusView), total: z.number() }),
  async handler(ctx, input) {
    needsIdentity(ctx);
    const team = await ctx.services.instances.spawnTeam(ctx.caller, input);
    return { instances: team, total: team.length };
  },
});

export const listRoles = defineOp({
  name: 'list_roles',
  group: 'instances',
  summary: 'Role presets for spawn_instance: the shipped ones and custom ones from <home>/roles/',
  access: 'public',
  annotations: { readOnly: true },
  http: { method: 'GET', path: '/api/v1/roles' },
  input: z.strictObject({}),
  output: z.object({
    roles: z.array(
      z.object({ name: z.string(), source: z.enum(['shipped', 'custom']), summary: z.string() }),
    ),
  }),
  async handler(ctx) {
    return { roles: ctx.services.instances.roles() };
  },
});

export const instanceOps = [
  spawnInstance,
  sendToInstance,
  getInstanceOutput,
  getInstanceStatus,
  listInstances,
  terminateInstance,
  coordinateInstances,
  interruptInstance,
  spawnTeam,
  listRoles,
] as const;
