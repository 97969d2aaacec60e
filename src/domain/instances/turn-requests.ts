/**
 * Turns callers ask for: send_to_instance (answer at once, or wait for the outcome within a bounded
 * time, the turn running on after a timeout) and interrupt_instance (stop the turn in progress).
 */
import { type AdapterName, adapterFor } from '../../agents/adapters/index.js';
import type { Caller } from '../../core/caller.js';
import { HubError } from '../../core/errors.js';
import { forward, remoteOwner } from './ownership.js';
import { checkTurnSize } from './spawn-rules.js';
import { type InstanceState, TERMINAL } from './state.js';
import type { TurnOutcome } from './turns.js';
import { requireInstance } from './visibility.js';

export type SendOptions = { wait: boolean; timeoutSeconds?: number; signal?: AbortSignal };
type SendAnswer = Awaited<ReturnType<typeof sendHere>>;

/** A turn for the instance: run here, or forwarded to the node that runs it. */
export async function send(st: InstanceState, caller: Caller, id: string, text: string, opts: SendOptions) {
  const r = await requireInstance(st, caller, id);
  const owner = await remoteOwner(st, r);
  if (!owner) return sendHere(st, caller, id, text, opts);
  const waitMs = opts.wait ? waitSeconds(st, opts.timeoutSeconds) * 1000 : 0;
  const { signal: _, ...plain } = opts;
  return forward<SendAnswer>(st.calls!, owner, 'instance.send', { caller, id, text, opts: plain }, waitMs);
}

function waitSeconds(st: InstanceState, timeoutSeconds: number | undefined): number {
  const cfg = st.d.config.instances;
  return Math.min(timeoutSeconds ?? cfg.defaultWaitSeconds, cfg.maxWaitSeconds);
}

/** A turn for an instance this node runs (also what it does when another node forwards one). */
export async function sendHere(
  st: InstanceState,
  caller: Caller,
  id: string,
  text: string,
  opts: SendOptions,
) {
  const r = await requireInstance(st, caller, id);
  const sup = st.live.get(r.id);
  if (!sup || !sup.acceptsTurns) {
    const when = sup && !TERMINAL.includes(r.status) && r.status !== 'stopping' ? ' yet' : ' any more';
    throw new HubError(
      'conflict',
      `Instance ${id} is ${r.status}${r.reason ? ` (${r.reason})` : ''}; it takes no turns${when}`,
    );
  }
  checkTurnSize(adapterFor(r.adapter as AdapterName), text, 'message');
  const { turn, done } = await sup.send(text);
  if (!opts.wait)
    return { instance_id: id, turn, status: 'sent' as const, text: null, failure: null, result: null };
  const seconds = waitSeconds(st, opts.timeoutSeconds);
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race<TurnOutcome | 'timeout'>([
    done,
    new Promise((resolve) => {
      timer = setTimeout(() => resolve('timeout'), seconds * 1000);
      opts.signal?.addEventListener('abort', () => resolve('timeout'), { once: true });
    }),
  ]).finally(() => clearTimeout(timer));
  if (outcome === 'timeout') {
    return {
      instance_id: id,
      turn,
      status: 'timeout' as const,
      text: null,
      failure: `no result within ${seconds} s; the turn is still running (read get_instance_output, or terminate_instance)`,
      result: null,
    };
  }
  return { instance_id: id, ...outcomeView(outcome) };
}

function outcomeView(o: TurnOutcome) {
  const r = o.result;
  return {
    turn: o.turn,
    status: o.status,
    text: o.text,
    failure: o.failure,
    result: r
      ? {
          subtype: r.subtype,
          num_turns: r.num_turns,
          usage: r.usage,
          total_cost_usd: r.total_cost_usd,
          permission_denials: r.permission_denials,
          session_id: r.session_id,
        }
      : null,
  };
}

/** Stops the instance's current turn; the instance stays for the next one when its CLI allows. */
export async function interrupt(st: InstanceState, caller: Caller, id: string) {
  const r = await requireInstance(st, caller, id);
  const owner = await remoteOwner(st, r);
  if (!owner) return interruptHere(st, caller, id);
  return forward<Awaited<ReturnType<typeof interruptHere>>>(
    st.calls!,
    owner,
    'instance.interrupt',
    { caller, id },
    0,
  );
}

/** Interrupts an instance this node runs (also what it does when another node forwards one). */
export async function interruptHere(st: InstanceState, caller: Caller, id: string) {
  const r = await requireInstance(st, caller, id);
  const sup = st.live.get(r.id);
  if (!sup || !sup.acceptsTurns)
    throw new HubError('conflict', `Instance ${id} is ${r.status}; there is nothing to interrupt`);
  const { busy, method } = sup.interrupt();
  await sup.emit('interrupt', { method, busy });
  return { instance_id: r.id, interrupted: busy, method, status: sup.record.status };
}
