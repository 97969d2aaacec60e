/**
 * The CLIs the scripted agent stands in for, by protocol (an adapter's `standIn`): Claude Code's
 * session protocol (run.ts, which takes Claude Code's own flags) and the per-turn CLIs, each run with
 * its CLI's own argv. A new stand-in is added here and named on its adapter.
 */
import type { ScriptedProtocol } from '../adapters/scripted.js';
import { runCodex } from './codex.js';
import { runGemini } from './gemini.js';
import type { Script } from './script.js';

export type PerTurnRunner = (script: Script, scriptFile: string, argv: string[]) => Promise<never>;

export const STAND_INS: Record<ScriptedProtocol, { perTurn?: PerTurnRunner }> = {
  'claude-code': {},
  codex: { perTurn: runCodex },
  gemini: { perTurn: runGemini },
};

export const PROTOCOLS = Object.keys(STAND_INS) as ScriptedProtocol[];

/** The per-turn runner of a protocol, if it is a per-turn CLI's. */
export const perTurnRunner = (protocol: string | undefined): PerTurnRunner | undefined =>
  protocol !== undefined && Object.hasOwn(STAND_INS, protocol)
    ? STAND_INS[protocol as ScriptedProtocol].perTurn
    : undefined;
