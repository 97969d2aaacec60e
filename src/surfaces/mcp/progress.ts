/** MCP progress notifications for a tool call that carries a progress token. */
import type { ServerContext } from '@modelcontextprotocol/server';

export type ProgressFn = (progress: number, total?: number, message?: string) => void;

export function progressFor(ctx: ServerContext): ProgressFn | undefined {
  const token = ctx.mcpReq._meta?.progressToken;
  if (token === undefined) return undefined;
  let last = -1;
  return (progress, total, message) => {
    if (progress <= last) return; // progress must increase
    last = progress;
    ctx.mcpReq
      .notify({
        method: 'notifications/progress',
        params: { progressToken: token, progress, total, message },
      })
      .catch(() => {});
  };
}

/** Ticks progress every `everyMs` while `work` runs (for calls whose progress cannot be observed). */
export async function withProgressTicks<T>(
  progress: ProgressFn | undefined,
  work: Promise<T>,
  label = 'waiting',
  everyMs = 5000,
): Promise<T> {
  if (!progress) return work;
  const started = Date.now();
  const timer = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    progress(seconds, undefined, `${label} (${seconds}s)`);
  }, everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
