/**
 * Waiting in tests without sleeping blind: poll a condition, or await a promise, each with a deadline
 * that fails the test naming what it waited for (rather than hanging until vitest's own timeout).
 */

/** Polls until check() is truthy (or throws after timeoutMs, naming what it waited for). */
export async function until<T>(what: string, check: () => T | Promise<T>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves as `promise` does, or throws after timeoutMs, naming what it waited for. */
export async function withDeadline<T>(what: string, promise: Promise<T>, timeoutMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
