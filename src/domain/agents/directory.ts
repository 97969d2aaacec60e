/**
 * Who sees which agents (the directory rule, used by list_agents, get_agent, hub_status and the SSE
 * stream). The admin sees every project; an agent token its own project only, whatever it asks for; a
 * caller without a token sees every project while `auth.anonymousDirectory` is on, and nothing (401)
 * when it is off. Unset, the setting follows the bind address: on for loopback, off otherwise.
 */
import { type Config, isLoopback } from '../../config/schema.js';
import { HubError } from '../../core/errors.js';

/** What a caller may see of the directory: every project, one project, or nothing at all. */
export type DirectoryView = { kind: 'all' } | { kind: 'project'; project: string } | { kind: 'closed' };

/** Whether callers without a token may read the agent directory (explicit setting, else loopback only). */
export function anonymousDirectory(config: Pick<Config, 'auth' | 'host'>): boolean {
  return config.auth.anonymousDirectory ?? isLoopback(config.host);
}

export const DIRECTORY_CLOSED =
  'this hub requires a token for its agent directory (auth.anonymousDirectory): send Authorization: Bearer <token>';

/** The 401 a caller without a token gets from a closed directory. */
export function directoryClosed(): HubError {
  return new HubError('unauthorized', DIRECTORY_CLOSED);
}

/**
 * The project a listing is kept to (undefined: every project), given the project the caller asked
 * for. An agent naming another project is refused, naming the rule; a closed directory is a 401.
 */
export function listingProject(view: DirectoryView, requested: string | undefined): string | undefined {
  switch (view.kind) {
    case 'all':
      return requested;
    case 'closed':
      throw directoryClosed();
    case 'project':
      if (requested !== undefined && requested !== view.project) {
        throw new HubError(
          'forbidden',
          `project: agents see their own project (${view.project}) only; leave project out or set it to ${view.project}`,
        );
      }
      return view.project;
  }
}

/** Whether an agent of `project` is visible in this view (a hidden one answers as if unknown). */
export function seesProject(view: DirectoryView, project: string): boolean {
  if (view.kind === 'closed') throw directoryClosed();
  return view.kind === 'all' || view.project === project;
}
