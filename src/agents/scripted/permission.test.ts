import { describe, expect, it } from 'vitest';
import { Interrupted } from './common.js';
import { PermissionDesk, type PermissionPrompt, type PermissionRelay } from './permission.js';

const prompt: PermissionPrompt = {
  tool_name: 'Bash',
  description: 'List files',
  input_preview: '{"command":"ls"}',
};

/** A relay that records what it was sent. */
function relay(name: string) {
  const sent: Array<PermissionPrompt & { request_id: string }> = [];
  let notify: () => void = () => {};
  const arrived = new Promise<void>((r) => (notify = r));
  const r: PermissionRelay = {
    name,
    send: async (p) => {
      sent.push(p);
      notify();
    },
  };
  return { r, sent, arrived };
}

describe('PermissionDesk', () => {
  it('sends the prompt to every relay and takes the first answer; later answers are ignored', async () => {
    const a = relay('a');
    const b = relay('b');
    const warnings: string[] = [];
    const desk = new PermissionDesk(
      () => [a.r, b.r],
      (w) => warnings.push(w),
    );
    const asked = desk.ask(prompt, { timeoutMs: 60_000 });
    await Promise.all([a.arrived, b.arrived]);
    const id = a.sent[0]!.request_id;
    expect(id).toMatch(/^[a-km-z]{5}$/);
    expect(b.sent[0]).toEqual({ request_id: id, ...prompt });
    desk.answer('b', { request_id: id, behavior: 'deny' });
    desk.answer('a', { request_id: id, behavior: 'allow' });
    expect(await asked).toEqual({ request_id: id, behavior: 'deny', by: 'b' });
    expect(warnings).toEqual([`permission ${id}: a answered allow after b did: ignored`]);
  });

  it('the local answer wins when it comes first; no answer at all denies when the bound runs out', async () => {
    const a = relay('a');
    const warnings: string[] = [];
    const desk = new PermissionDesk(
      () => [a.r],
      (w) => warnings.push(w),
    );
    const local = await desk.ask(prompt, { local: { behavior: 'allow', after_ms: 0 }, timeoutMs: 60_000 });
    expect(local).toMatchObject({ behavior: 'allow', by: 'local' });
    desk.answer('a', { request_id: local.request_id, behavior: 'deny' });
    expect(warnings).toEqual([`permission ${local.request_id}: a answered deny after local did: ignored`]);
    expect(await desk.ask(prompt, { timeoutMs: 1 })).toMatchObject({ behavior: 'deny', by: 'timeout' });
  });

  it('ignores answers from servers it did not ask, unknown ids and other behaviors; an interrupt ends the wait', async () => {
    const a = relay('a');
    const warnings: string[] = [];
    const desk = new PermissionDesk(
      () => [a.r],
      (w) => warnings.push(w),
    );
    const ctl = new AbortController();
    const asked = desk.ask(prompt, { timeoutMs: 60_000, signal: ctl.signal });
    await a.arrived;
    const id = a.sent[0]!.request_id;
    desk.answer('other', { request_id: id, behavior: 'allow' });
    desk.answer('a', { request_id: id, behavior: 'yes please\nnew line' });
    desk.answer('a', { request_id: 'not an id', behavior: 'allow' });
    expect(warnings).toEqual([
      `permission ${id}: other answered allow to no open prompt of it: ignored`,
      `permission ${id}: a answered "yes please\\nnew line" (not allow or deny): ignored`,
      'permission "not an id": a answered allow to no open prompt of it: ignored',
    ]);
    ctl.abort();
    await expect(asked).rejects.toBeInstanceOf(Interrupted);
  });
});
