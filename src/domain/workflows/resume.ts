/**
 * What happens to a step that was in flight when the hub stopped (crash, SIGKILL or a clean stop):
 * its call may have had its effect already, so it runs again only when repeating it is harmless —
 * a hub operation the catalog marks read-only or idempotent (OpRunner.repeatable), a downstream tool the gateway itself
 * would retry (readOnlyHint / idempotentHint / the server's retry.tools), or a step marked
 * `retry_on_resume: true`. Any other such step fails.
 */
export const INTERRUPTED = 'interrupted by a hub restart while running';

/** The step's error when it is not run again. */
export function notRunAgain(call: string): string {
  return `${INTERRUPTED}; not run again because ${call} may have had its effect (mark the step retry_on_resume: true to allow it)`;
}

/** The step's error while it runs again (the interrupted attempt's), until it finishes. */
export function runAgain(why: string): string {
  return `${INTERRUPTED}; run again (${why})`;
}
