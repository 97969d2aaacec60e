/** The adapters by name. */
import { claudeCode } from './claude-code.js';
import { command } from './command.js';
import { scripted } from './scripted.js';
import type { Adapter } from './types.js';

export const ADAPTER_NAMES = ['claude-code', 'scripted', 'command'] as const;
export type AdapterName = (typeof ADAPTER_NAMES)[number];

const adapters: Record<AdapterName, Adapter> = {
  'claude-code': claudeCode,
  scripted,
  command,
};

export const adapterFor = (name: AdapterName): Adapter => adapters[name];
export type { Adapter, LaunchSpec } from './types.js';
export type { AgentEvent, TurnResult } from './events.js';
