/**
 * Permission prompts of the scripted agent, as Claude Code raises them with channels: the prompt goes
 * (`notifications/claude/channel/permission_request`) to every channel server that declared
 * `claude/channel/permission`, while the local dialog stays open; the first answer wins — a server's
 * `notifications/claude/channel/permission` with the prompt's id, or the script's local answer after
 * its delay. A prompt nobody answers is denied when its bound runs out. Later answers are ignored
 * (and said so on stderr).
 */
import { Interrupted } from './common.js';
import { permissionRequestId } from './channel-text.js';

export type Behavior = 'allow' | 'deny';

export interface PermissionPrompt {
  tool_name: string;
  description: string;
  input_preview: string;
}

export interface PermissionOutcome {
  request_id: string;
  behavior: Behavior;
  /** Who answered: a channel server's name, `local` (the scripted dialog) or `timeout`. */
  by: string;
}

/** A channel server that relays permission prompts. */
export interface PermissionRelay {
  name: string;
  send(params: PermissionPrompt & { request_id: string }): Promise<void>;
}

/** Decided prompts remembered to name a late answer (the newest ones). */
const REMEMBERED = 100;

export class PermissionDesk {
  private readonly open = new Map<
    string,
    { asked: string[]; settle: (behavior: Behavior, by: string) => void }
  >();
  private readonly decided = new Map<string, string>();

  constructor(
    private readonly relays: () => PermissionRelay[],
    private readonly warn: (line: string) => void,
  ) {}

  /** Raises a prompt and waits for its first answer (throws Interrupted when the signal aborts). */
  ask(
    prompt: PermissionPrompt,
    o: { local?: { behavior: Behavior; after_ms: number }; timeoutMs: number; signal?: AbortSignal },
  ): Promise<PermissionOutcome> {
    let request_id = permissionRequestId();
    while (this.open.has(request_id) || this.decided.has(request_id)) request_id = permissionRequestId();
    const relays = this.relays();
    return new Promise<PermissionOutcome>((resolve, reject) => {
      const timers: NodeJS.Timeout[] = [];
      const done = () => {
        for (const t of timers) clearTimeout(t);
        o.signal?.removeEventListener('abort', onAbort);
        this.open.delete(request_id);
      };
      const settle = (behavior: Behavior, by: string) => {
        if (!this.open.has(request_id)) return;
        done();
        this.remember(request_id, by);
        resolve({ request_id, behavior, by });
      };
      const onAbort = () => {
        done();
        this.remember(request_id, 'an interrupt');
        reject(new Interrupted());
      };
      if (o.signal?.aborted) return reject(new Interrupted());
      o.signal?.addEventListener('abort', onAbort, { once: true });
      this.open.set(request_id, { asked: relays.map((r) => r.name), settle });
      if (o.local) timers.push(setTimeout(() => settle(o.local!.behavior, 'local'), o.local.after_ms));
      timers.push(setTimeout(() => settle('deny', 'timeout'), o.timeoutMs));
      for (const r of relays)
        r.send({ request_id, ...prompt }).catch((err: Error) =>
          this.warn(`permission ${request_id}: could not reach channel ${r.name}: ${err.message}`),
        );
    });
  }

  /** A `notifications/claude/channel/permission` from a channel server. */
  answer(server: string, params: { request_id: string; behavior: string }): void {
    const { behavior } = params;
    // The server's words reach stderr only quoted and short.
    const request_id = /^[a-km-z]{5}$/.test(params.request_id)
      ? params.request_id
      : JSON.stringify(params.request_id.slice(0, 32));
    if (behavior !== 'allow' && behavior !== 'deny') {
      const shown = JSON.stringify(String(behavior).slice(0, 32));
      this.warn(`permission ${request_id}: ${server} answered ${shown} (not allow or deny): ignored`);
      return;
    }
    const open = this.open.get(request_id);
    if (open && open.asked.includes(server)) return open.settle(behavior, server);
    const by = this.decided.get(request_id);
    this.warn(
      by
        ? `permission ${request_id}: ${server} answered ${behavior} after ${by} did: ignored`
        : `permission ${request_id}: ${server} answered ${behavior} to no open prompt of it: ignored`,
    );
  }

  private remember(request_id: string, by: string): void {
    this.decided.set(request_id, by);
    if (this.decided.size > REMEMBERED) this.decided.delete(this.decided.keys().next().value!);
  }
}
