/** One readable line per hub event, for `tail` and `inbox`. */
import type {
  HubEvent,
  InboxMessageView,
  MessageFrame,
  MessageView,
  ServerFrame,
  SseEvent,
} from '../../client/types.js';
import { clock, oneLine } from './output.js';

type InstanceView = Extract<HubEvent, { type: 'instance.spawned' }>['instance'];

const recipients = (to: string | string[]): string => (Array.isArray(to) ? to.join(',') : to);

export function formatMessage(m: MessageView | InboxMessageView): string {
  const type = m.type === 'message' ? '' : ` [${m.type}]`;
  const subject = m.subject ? ` ${m.subject}:` : '';
  const flags = [m.importance !== 'normal' ? m.importance : '', m.ack_required ? 'ack required' : '']
    .filter(Boolean)
    .join(', ');
  return `${m.from} → ${recipients(m.to)}${type}${subject} ${oneLine(m.body)}${flags ? ` (${flags})` : ''}  ${m.message_id}`;
}

/** A line for any event a WebSocket or SSE stream delivers; unknown types are shown as JSON. */
export function formatEvent(
  event: ServerFrame | SseEvent | { type: string; [key: string]: unknown },
): string {
  const e = event as SseEvent | MessageFrame;
  const at = clock((event as { at?: string }).at);
  switch (e.type) {
    case 'message':
      return `${clock(e.message.created_at)}  #${e.cursor}  ${formatMessage(e.message)}`;
    case 'message.sent':
      return `${at}  sent  ${formatMessage(e.message)} (${e.recipients.length} recipient${e.recipients.length === 1 ? '' : 's'})`;
    case 'ack':
      return `${at}  ack  ${e.by} acknowledged ${e.message_id} from ${e.to}`;
    case 'agent.registered':
      // Without a token the stream shows presence only: no capabilities.
      return `${at}  agent registered  ${e.agent.agent_id} (${e.agent.name})${'capabilities' in e.agent && e.agent.capabilities.length ? ` capabilities ${e.agent.capabilities.join(',')}` : ''}`;
    case 'agent.updated':
      return `${at}  agent updated  ${e.agent.agent_id} (${e.agent.name})`;
    case 'agent.status':
      return `${at}  agent status  ${e.agent_id} ${e.previous} → ${e.status}`;
    case 'agent.retired':
      return `${at}  agent retired  ${e.agent_id}${e.reason ? ` (${e.reason})` : ''}`;
    case 'topic.subscribed':
      return `${at}  topic  ${e.agent_id} subscribed to ${e.topic}`;
    case 'topic.unsubscribed':
      return `${at}  topic  ${e.agent_id} unsubscribed from ${e.topic}`;
    case 'instance.spawned':
      return `${at}  instance spawned  ${describeInstance(e.instance)}`;
    case 'instance.status':
      return `${at}  instance status  ${e.instance_id} ${e.previous} → ${e.status}${e.reason ? ` (${oneLine(e.reason, 200)})` : ''}`;
    case 'instance.output':
      return `${at}  instance output  ${e.instance_id} ${formatInstanceOutput(e.event)}`;
    case 'instance.ended':
      return `${at}  instance ended  ${describeEnded(e.instance)}`;
    case 'instance.stuck':
      return `${at}  instance stuck  ${e.instance_id} silent for ${e.silent_seconds} s`;
    case 'instance.restarted':
      return `${at}  instance restarted  ${e.instance_id} (restart ${e.restarts}): ${oneLine(e.reason, 200)}`;
    default: {
      const { type, ...rest } = event as { type: string };
      return `${at}  ${type}  ${oneLine(rest, 200)}`;
    }
  }
}

// ---- instances ----

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const count = (n: number): string => n.toLocaleString('en-US');
const usd = (n: number): string => `$${n.toFixed(4)}`;
/** A word of untrusted output, on one line and short. */
const word = (v: unknown, max = 60): string => oneLine(String(v), max);

function describeInstance(i: InstanceView): string {
  const facts = [i.adapter, `role ${i.role}`, i.model ? `model ${i.model}` : ''].filter(Boolean).join(', ');
  const extras = [
    i.pid !== null ? `pid ${i.pid}` : '',
    i.owner ? `owner ${i.owner}` : '',
    i.parent_id ? `parent ${i.parent_id}` : '',
    i.worktree ? `worktree ${i.worktree.branch}` : '',
  ].filter(Boolean);
  return `${i.instance_id} ${i.name} (${facts})${extras.length ? ` ${extras.join(' ')}` : ''}`;
}

function describeEnded(i: InstanceView): string {
  const exit =
    i.exit_signal !== null ? `killed by ${i.exit_signal}` : i.exit_code !== null ? `exit ${i.exit_code}` : '';
  const usage = [
    `${count(i.usage.tokens)} tokens`,
    usd(i.usage.cost_usd),
    `${count(i.usage.turns)} turn${i.usage.turns === 1 ? '' : 's'}`,
  ];
  return [
    `${i.instance_id} ${i.name} ${i.status}${i.reason ? ` (${oneLine(i.reason, 200)})` : ''}`,
    ...(exit ? [exit] : []),
    ...usage,
  ].join(' · ');
}

/** Tokens of one turn's usage (input, output and cache), or null without usage. */
function turnTokens(usage: unknown): number | null {
  if (!usage || typeof usage !== 'object') return null;
  const u = usage as Record<string, unknown>;
  const parts = ['input_tokens', 'output_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens'];
  return parts.reduce((sum, k) => sum + (num(u[k]) ?? 0), 0);
}

/** One output event of an instance (its `kind` and fields), after the instance id. */
export function formatInstanceOutput(event: Record<string, unknown>): string {
  const { kind, ...rest } = event;
  switch (kind) {
    case 'text':
      return `says: ${oneLine(event.text ?? '', 200)}`;
    case 'user':
      return `← ${oneLine(event.text ?? '', 200)}`;
    case 'tool_use': {
      const args = event.input === undefined ? '' : ` ${oneLine(event.input, 120)}`;
      return `tool ${word(event.name ?? '?', 80)}${args}`;
    }
    case 'tool_result':
      return `tool result ${event.is_error === true ? 'error' : 'ok'}: ${oneLine(event.content ?? '', 120)}`;
    case 'result': {
      if (event.ok === false) {
        const why = str(event.failure) ?? str(event.subtype) ?? 'failed';
        return `turn result failed: ${oneLine(why, 200)}`;
      }
      const tokens = turnTokens(event.usage);
      const cost = num(event.total_cost_usd);
      return [
        `turn result ${word(str(event.subtype) ?? 'success')}`,
        ...(tokens !== null ? [`${count(tokens)} tokens`] : []),
        ...(cost !== null ? [usd(cost)] : []),
      ].join(' · ');
    }
    case 'init': {
      const tools = Array.isArray(event.tools) ? event.tools.length : null;
      const parts = [
        str(event.session_id) ? `session ${word(event.session_id)}` : '',
        str(event.model) ? `model ${word(event.model)}` : '',
        tools !== null ? `${tools} tool${tools === 1 ? '' : 's'}` : '',
      ].filter(Boolean);
      return `init${parts.length ? ` ${parts.join(', ')}` : ''}`;
    }
    case 'exit': {
      const signal = str(event.signal);
      const code = num(event.code);
      const how = signal ? `killed by ${word(signal)}` : code !== null ? `code ${code}` : 'unknown status';
      const stderr = str(event.stderr);
      return `exited (${how})${stderr ? ` stderr: ${oneLine(stderr, 160)}` : ''}`;
    }
    case 'error':
      return `error: ${oneLine(event.message ?? '', 200)}`;
    case 'workspace': {
      const note = str(event.note);
      return `worktree ${word(event.state ?? '?')} ${word(event.path ?? '?', 120)}${str(event.branch) ? ` branch ${word(event.branch)}` : ''}${note ? ` (${oneLine(note, 160)})` : ''}`;
    }
    case 'interrupt':
      return `interrupt (${word(event.method ?? '?')}, ${event.busy === true ? 'turn running' : 'nothing running'})`;
    default:
      return `${word(kind ?? 'event')} ${oneLine(rest, 200)}`;
  }
}
