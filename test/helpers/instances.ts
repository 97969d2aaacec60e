/** Helpers for instance tests: spawn scripted instances over REST, and check process groups. */
import type { TestHub } from './hub.js';

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
