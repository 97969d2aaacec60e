/**
 * Crash test: a real hub process under a stream of sends (REST and WebSocket, each with an
 * idempotency key) is killed with SIGKILL mid-stream and restarted on the same data directory.
 * Every acknowledged send must be in the recipient's inbox exactly once; resending it returns the
 * first message_id with duplicate:true; sends that were in flight at the kill, resent after the
 * restart, are stored at most once. Needs `npm run build` (the hub runs from dist/).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { wsUrl } from './ws-resume-client.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'switchboard.js');

interface HubProcess {
  proc: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

const children: ChildProcess[] = [];
const homes: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
  }
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('SWITCHBOARD_') && k !== 'LOG_LEVEL') env[k] = v;
  return env;
}

function startHub(home: string, configFile: string): Promise<HubProcess> {
  const proc = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--home', home, '--log-level', 'warn', '--config', configFile],
    { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(proc);
  let err = '';
  proc.stderr!.on('data', (d) => {
    err += String(d);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`hub did not start in time; stderr: ${err}`)), 20_000);
    proc.stdout!.on('data', (d) => {
      out += String(d);
      const m = /switchboard listening on (http:\/\/\S+)/.exec(out);
      if (m && out.indexOf('\n') >= 0) {
        clearTimeout(timer);
        // The contract: the URL is the first stdout line.
        expect(out.split('\n')[0]).toBe(`switchboard listening on ${m[1]}`);
        resolve({ proc, url: m[1], exited, stderr: () => err });
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`hub exited before listening (${code ?? signal}); stderr: ${err}`));
    });
  });
}

async function api(url: string, method: string, path: string, token?: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

interface Attempt {
  key: string;
  body: string;
  via: 'rest' | 'ws';
  /** Set once the hub answered the send: it is then acknowledged and must be durable. */
  messageId?: string;
}

/**
 * Streams sends until `stopAfterAcked` of them are acknowledged, then SIGKILLs the hub while the
 * other senders still have requests in flight. Returns every attempt, acknowledged or not.
 */
async function streamAndKill(
  hub: HubProcess,
  sender: { id: string; token: string },
  recipient: string,
  round: number,
  stopAfterAcked: number,
): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  let acked = 0;
  let killed = false;
  const kill = () => {
    if (killed) return;
    killed = true;
    hub.proc.kill('SIGKILL');
  };
  const note = (a: Attempt, messageId: string) => {
    a.messageId = messageId;
    acked++;
    if (acked >= stopAfterAcked) kill();
  };

  const restWorker = async (w: number) => {
    for (let i = 0; ; i++) {
      const a: Attempt = {
        key: `r${round}-rest-${w}-${i}`,
        body: `round ${round} rest ${w} #${i}`,
        via: 'rest',
      };
      attempts.push(a);
      try {
        const res = await api(hub.url, 'POST', '/api/v1/messages', sender.token, {
          to: recipient,
          body: a.body,
          idempotency_key: a.key,
        });
        if (res.status !== 200) throw new Error(`send answered ${res.status}: ${JSON.stringify(res.body)}`);
        expect(res.body.duplicate).toBe(false);
        note(a, res.body.message_id);
      } catch (err) {
        if (!killed) {
          kill(); // stop the other senders too
          throw err;
        }
        return; // the hub is gone: this one is unacknowledged
      }
      // Like a real client, keep sending until the hub stops answering.
    }
  };

  const wsWorker = async () => {
    const ws = new WebSocket(wsUrl(hub.url, sender.id, { token: sender.token }));
    const pending = new Map<string, { resolve: (v: any) => void; reject: (e: Error) => void }>();
    let closed = false;
    ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      const p = typeof f.id === 'string' ? pending.get(f.id) : undefined;
      if (!p) return;
      pending.delete(f.id);
      if (f.type === 'result') p.resolve(f.result);
      else p.reject(new Error(`error frame ${JSON.stringify(f)}`));
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      closed = true;
      for (const p of pending.values()) p.reject(new Error('socket closed'));
      pending.clear();
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('close', () => reject(new Error('socket closed before open')));
    });
    try {
      for (let i = 0; !closed; i++) {
        const a: Attempt = { key: `r${round}-ws-${i}`, body: `round ${round} ws #${i}`, via: 'ws' };
        attempts.push(a);
        try {
          const result = await new Promise<any>((resolve, reject) => {
            pending.set(a.key, { resolve, reject });
            ws.send(
              JSON.stringify({
                type: 'send',
                id: a.key,
                to: recipient,
                body: a.body,
                idempotency_key: a.key,
              }),
            );
          });
          note(a, result.message_id);
        } catch (err) {
          if (!killed) {
            kill();
            throw err;
          }
          return;
        }
      }
    } finally {
      ws.terminate();
    }
  };

  await Promise.all([...Array.from({ length: 6 }, (_, w) => restWorker(w)), wsWorker()]);
  const exit = await hub.exited;
  expect(exit.signal).toBe('SIGKILL');
  return attempts;
}

async function inboxOf(url: string, token: string) {
  const all: Array<{ message_id: string; body: string; cursor: string }> = [];
  let since = '0';
  for (let pages = 0; pages < 100; pages++) {
    const page = await api(url, 'GET', `/api/v1/messages?since=${since}&limit=500&mark_read=false`, token);
    expect(page.status).toBe(200);
    all.push(...page.body.messages);
    since = page.body.next_cursor;
    if (!page.body.has_more) break;
  }
  return all;
}

function tally<T>(items: T[]): Map<T, number> {
  const m = new Map<T, number>();
  for (const x of items) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

describe('crash safety (kill -9)', () => {
  it('keeps every acknowledged send exactly once across SIGKILL and restart; resends are deduplicated', async () => {
    if (!existsSync(join(ROOT, 'dist', 'src', 'surfaces', 'cli', 'main.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    }
    const home = mkdtempSync(join(tmpdir(), 'switchboard-crash-'));
    homes.push(home);
    const configFile = join(home, 'config.json');
    writeFileSync(configFile, JSON.stringify({ rateLimit: { enabled: false } }));

    let hub = await startHub(home, configFile);
    const reg = async (name: string) => {
      const res = await api(hub.url, 'POST', '/api/v1/agents/register', undefined, { name });
      expect(res.status).toBe(200);
      return { id: res.body.agent_id as string, token: res.body.token as string };
    };
    const sender = await reg('Sender');
    const recipient = await reg('Recipient');

    const all: Attempt[] = [];
    for (let round = 1; round <= 2; round++) {
      const attempts = await streamAndKill(hub, sender, recipient.id, round, 250);
      all.push(...attempts);
      hub = await startHub(home, configFile);

      const acked = attempts.filter((a) => a.messageId);
      const unacked = attempts.filter((a) => !a.messageId);
      expect(acked.length).toBeGreaterThanOrEqual(250);
      // Each sender kept sending until the hub stopped answering: its last send is unacknowledged.
      expect(unacked.length).toBeGreaterThanOrEqual(7);

      // Every acknowledged send survived, exactly once, with its content.
      const inbox = await inboxOf(hub.url, recipient.token);
      const byId = tally(inbox.map((m) => m.message_id));
      const byBody = tally(inbox.map((m) => m.body));
      for (const a of acked) {
        expect(byId.get(a.messageId!), `acknowledged ${a.key}`).toBe(1);
        expect(inbox.find((m) => m.message_id === a.messageId)!.body).toBe(a.body);
      }
      // Nothing twice, nothing that was never sent.
      expect([...byId.values()].every((n) => n === 1)).toBe(true);
      expect([...byBody.values()].every((n) => n === 1)).toBe(true);
      const known = new Set(all.map((a) => a.body));
      expect(inbox.every((m) => known.has(m.body))).toBe(true);

      // Resending an acknowledged send returns its first message_id and stores nothing.
      for (const a of acked) {
        const again = await api(hub.url, 'POST', '/api/v1/messages', sender.token, {
          to: recipient.id,
          body: a.body,
          idempotency_key: a.key,
        });
        expect(again.status).toBe(200);
        expect(again.body).toMatchObject({ message_id: a.messageId, duplicate: true });
      }
      // Resending the in-flight ones stores each at most once (once, now that it was answered).
      for (const a of unacked) {
        const again = await api(hub.url, 'POST', '/api/v1/messages', sender.token, {
          to: recipient.id,
          body: a.body,
          idempotency_key: a.key,
        });
        expect(again.status).toBe(200);
        a.messageId = again.body.message_id;
      }
      const after = await inboxOf(hub.url, recipient.token);
      expect(after.length).toBe(inbox.length + unacked.filter((a) => !byBody.has(a.body)).length);
      const afterBodies = tally(after.map((m) => m.body));
      for (const a of all) expect(afterBodies.get(a.body), a.key).toBe(1);
      expect(after.length).toBe(all.length);
      // Cursors stay strictly increasing across the crash.
      const cursors = after.map((m) => Number(m.cursor));
      for (let i = 1; i < cursors.length; i++) expect(cursors[i]).toBeGreaterThan(cursors[i - 1]);
    }

    // The hub came back whole: tokens work, health is fine; stop it gracefully.
    expect((await api(hub.url, 'GET', '/health')).status).toBe(200);
    expect((await api(hub.url, 'GET', '/api/v1/agents/me', sender.token)).body.agent.agent_id).toBe(
      sender.id,
    );
    hub.proc.kill('SIGTERM');
    expect((await hub.exited).code).toBe(0);
    // Two hub starts and kills and over 500 sequential resends: far past the default 30 s on a loaded machine.
  }, 120_000);
});
