/**
 * Which tools an MCP connection lists: the ones its caller may call (anonymous: public tools; an
 * agent: public and agent tools; the admin: all) within the tool profiles the connection selected.
 * Downstream tools (`<server>__<tool>`) are for identified callers (agents and the admin, as the
 * gateway allows) in the `gateway` profile. A listed tool can be called; a tool outside the selected
 * profiles is refused with an error that names its profile; a tool the caller may not call answers
 * with the invoker's usual error (which says how to identify).
 */
import type { Caller } from '../../core/caller.js';
import { HubError } from '../../core/errors.js';
import { mayCall } from '../../ops/invoke.js';
import { describeSelection, profileOf, type ToolProfile, type ToolSelection } from '../../ops/profiles.js';
import type { AnyOperation } from '../../ops/types.js';

/** Who asks and which profiles the connection selected. */
export interface ToolView {
  caller: Caller;
  profiles: ToolSelection;
}

export function opListed(op: AnyOperation, view: ToolView): boolean {
  return view.profiles.has(profileOf(op)) && mayCall(op.access, view.caller);
}

export function downstreamListed(view: ToolView): boolean {
  return view.profiles.has('gateway') && view.caller.kind !== 'anonymous';
}

/** Throws when `profile` is not among the connection's selected profiles. */
export function requireProfile(tool: string, profile: ToolProfile, profiles: ToolSelection): void {
  if (profiles.has(profile)) return;
  throw new HubError(
    'forbidden',
    `${tool} is in the "${profile}" tool profile, which this connection did not select (tools=${describeSelection(profiles)}); ` +
      `add ${profile} to the MCP URL's ?tools= (switchboard connect --tools, switchboard mcp --tools)`,
  );
}
