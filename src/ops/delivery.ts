/**
 * Delivery settings: how an agent's new messages are pushed into its session (`switchboard mcp
 * --channel`, a Claude Code channel) or wake its supervised instance. In the `messages` group: an
 * agent reads and changes its own; the admin names any agent.
 */
import { z } from 'zod';
import { deliverySettingsSchema } from '../core/delivery/settings.js';
import { actingAgent } from './acting.js';
import { actingAgentId } from './schemas.js';
import { defineOp } from './types.js';

const shape = deliverySettingsSchema.shape;

const answer = z.object({
  agent_id: z.string(),
  settings: z
    .object({
      min_importance: shape.min_importance.unwrap(),
      types: shape.types.unwrap().optional(),
      topics: shape.topics.unwrap().optional(),
      senders: shape.senders.unwrap(),
      max_events_per_minute: shape.max_events_per_minute.unwrap(),
      batch_window_ms: shape.batch_window_ms.unwrap(),
      max_batch: shape.max_batch.unwrap(),
    })
    .describe('The effective settings (defaults for what was never set)'),
  updated_at: z.string().nullable().describe('When they were last set (null: never; the defaults apply)'),
});

export const getDeliverySettings = defineOp({
  name: 'get_delivery_settings',
  group: 'messages',
  summary: 'Your delivery settings: which messages a channel pushes into your session, and how fast',
  description:
    'The effective settings (defaults for what was never set): importance threshold, type and topic ' +
    'filters, sender gating, events per minute, batch window and size. Messages held back stay unread.',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/delivery/settings' },
  annotations: { readOnly: true },
  input: z.strictObject({ agent_id: actingAgentId }),
  output: answer,
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    return ctx.services.delivery.get(me.id);
  },
});

const clearable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

export const setDeliverySettings = defineOp({
  name: 'set_delivery_settings',
  group: 'messages',
  summary: 'Change which messages a channel pushes into your session, and how fast; applies at once',
  description:
    'Fields given replace what you set before, null resets one to its default, the rest stay. A running ' +
    '`switchboard mcp --channel` applies the change at once. Answers the full effective settings.',
  access: 'agent',
  http: { method: 'PUT', path: '/api/v1/delivery/settings' },
  input: z.strictObject({
    agent_id: actingAgentId,
    min_importance: clearable(shape.min_importance.unwrap()).describe(
      'Push only messages of at least this importance (default low: all)',
    ),
    types: clearable(shape.types.unwrap()).describe('Push only these message types (null: every type)'),
    topics: clearable(shape.topics.unwrap()).describe(
      'Push topic messages only for these topics (null: every topic); direct messages always pass',
    ),
    senders: clearable(shape.senders.unwrap()).describe(
      'project (default): only your project’s agents and the admin; any: from anyone (prompt-injection risk)',
    ),
    max_events_per_minute: clearable(shape.max_events_per_minute.unwrap()).describe(
      'At most this many events a minute (default 12); more messages go together in the next event',
    ),
    batch_window_ms: clearable(shape.batch_window_ms.unwrap()).describe(
      'Messages arriving within this window go together in one event (default 500)',
    ),
    max_batch: clearable(shape.max_batch.unwrap()).describe('Messages in one event at most (default 10)'),
  }),
  output: answer,
  async handler(ctx, input) {
    const { agent_id, ...patch } = input;
    const me = await actingAgent(ctx, agent_id);
    const by = ctx.caller.kind === 'agent' ? ctx.caller.agentId : null;
    return ctx.services.delivery.set(me.id, patch, by);
  },
});

export const deliveryOps = [getDeliverySettings, setDeliverySettings] as const;
