/** Helpers for instance tests: spawn scripted instances over REST, and check process groups. */
import { beforeAll } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { hubForFile, type TestHub } from './hub.js';

export { until } from './wait.js';

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function killGroupQuietly(pgid: number | null | undefined): void {
  if (!pgid) return;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

export async function spawnScripted(
  t: TestHub,
  token: string,
  script: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<any> {
  const res = await t.api('POST', '/api/v1/instances', {
    token,
    body: { adapter: 'scripted', script, ...extra },
  });
  if (res.status !== 201) throw new Error(`spawn failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * The preamble of a file of instance tests sharing one hub (`instances` is its config section):
 * `boss` is an agent registered once the hub is up, to spawn with; the process groups a test adds
 * to `pids` are killed after the hub closes.
 */
export function instancesHubForFile(instances: NonNullable<ConfigInput['instances']>) {
  const pids: number[] = [];
  const t = hubForFile(
    { instances },
    {
      afterClose: () => {
        for (const pid of pids) killGroupQuietly(pid);
      },
    },
  );
  const boss = { id: '', token: '' };
  beforeAll(async () => {
    Object.assign(boss, await t.register('boss'));
  });
  return { t, boss, pids };
}
