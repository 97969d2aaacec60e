/**
 * The REST call's abort signal (surfaces/http/context.ts): made only when an operation asks for it,
 * aborted when the client leaves before its answer, never after an answer that was written.
 */
import { once } from 'node:events';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply } from 'fastify';
import { afterEach, expect, it } from 'vitest';
import { signalFor } from '../src/surfaces/http/context.js';

const apps: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

/** A server whose one route hands its reply to `route`; resolves with the server's URL. */
async function serve(route: (reply: FastifyReply) => Promise<unknown>): Promise<string> {
  const app = Fastify();
  apps.push(app);
  app.get('/', (_req, reply) => route(reply));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`;
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Sends a request and drops the connection once the route has it (the client leaves mid-call). */
async function leaveMidCall(url: string, inRoute: Promise<unknown>): Promise<void> {
  const req = request(url);
  req.on('error', () => {});
  req.end();
  await inRoute;
  req.destroy();
}

it('aborts a signal taken before the client left mid-call', async () => {
  const started = deferred<{ signal: AbortSignal; closed: Promise<unknown> }>();
  const url = await serve(async (reply) => {
    const closed = once(reply.raw, 'close');
    started.resolve({ signal: signalFor(reply)()!, closed });
    await closed;
    return 'never read';
  });
  await leaveMidCall(url, started.promise);
  const { signal, closed } = await started.promise;
  await closed;
  expect(signal.aborted).toBe(true);
});

it('hands out an aborted signal when it is first asked for after the client left', async () => {
  const started = deferred<{ get: () => AbortSignal | undefined; closed: Promise<unknown> }>();
  const url = await serve(async (reply) => {
    const closed = once(reply.raw, 'close');
    started.resolve({ get: signalFor(reply), closed });
    await closed;
    return 'never read';
  });
  await leaveMidCall(url, started.promise);
  const { get, closed } = await started.promise;
  await closed;
  expect(get()?.aborted).toBe(true);
});

it('does not abort after an answer was written and the connection closed', async () => {
  const seen = deferred<{
    get: () => AbortSignal | undefined;
    signal: AbortSignal;
    closed: Promise<unknown>;
  }>();
  const url = await serve(async (reply) => {
    const get = signalFor(reply);
    seen.resolve({ get, signal: get()!, closed: once(reply.raw, 'close') });
    return { ok: true };
  });
  const res = await fetch(url, { headers: { connection: 'close' } });
  expect(await res.json()).toEqual({ ok: true });
  const { get, signal, closed } = await seen.promise;
  await closed;
  expect(signal.aborted).toBe(false);
  expect(get()?.aborted).toBe(false);
});

it('has no signal without a reply (routes that never abort)', () => {
  expect(signalFor(undefined)()).toBeUndefined();
});
