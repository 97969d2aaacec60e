/** The adapters by name. */
import { claudeCode } from './claude-code.js';
import { codex } from './codex.js';
import { command } from './command.js';
import { gemini } from './gemini.js';
import { scripted } from './scripted.js';
import type { Adapter } from './types.js';

export const ADAPTER_NAMES = ['claude-code', 'codex', 'gemini', 'scripted', 'command'] as const;
export type AdapterName = (typeof ADAPTER_NAMES)[number];

const adapters: Record<AdapterName, Adapter> = {
  'claude-code': claudeCode,
  codex,
  gemini,
  scripted,
  command,
};

export const adapterFor = (name: AdapterName): Adapter => adapters[name];
export { isScriptedCommand, scriptedCommand, type ScriptedProtocol } from './scripted.js';
export { allowedEnv } from './env.js';
export type { Adapter, LaunchSpec, PerTurnAdapter, PermissionMode, SessionAdapter } from './types.js';
export type { AgentEvent, TurnResult } from './events.js';
