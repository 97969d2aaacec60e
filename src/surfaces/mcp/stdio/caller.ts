/**
 * Who the stdio bridge's token belongs to, so its tool list shows what that caller may call. The
 * bridge only holds a token; the hub says whose it is: `whoami` answers for an agent, `list_servers`
 * (admin only) for the admin, and a token the hub refuses is no identity. Asked once per token; when
 * the hub cannot be asked, a token counts as an agent's (the usual case: `switchboard connect`).
 */
import type { HubClient } from '../../../client/hub-client.js';
import { anonymous, asAgent, admin, type Caller } from '../../../core/caller.js';

export type CallerOfToken = (token: string | undefined) => Promise<Caller>;

const codeOf = (err: unknown) => (err as { code?: unknown })?.code;

export function callerOfToken(hub: HubClient, ready: () => Promise<void>): CallerOfToken {
  const known = new Map<string, Promise<Caller>>();
  const ask = async (token: string): Promise<Caller> => {
    await ready();
    const as = hub.withToken(token);
    try {
      const me = await as.call('whoami', {});
      return asAgent(me.agent.agent_id);
    } catch (err) {
      if (codeOf(err) === 'unauthorized') return anonymous;
      if (codeOf(err) !== 'invalid_input') throw err; // the admin must name an agent; anything else: unsure
    }
    await as.call('list_servers', {});
    return admin;
  };
  return (token) => {
    if (!token) return Promise.resolve(anonymous);
    let caller = known.get(token);
    if (!caller) {
      caller = ask(token).catch(() => {
        known.delete(token);
        return asAgent('(unknown)');
      });
      known.set(token, caller);
    }
    return caller;
  };
}
