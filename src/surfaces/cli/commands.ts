/** Client commands (agents, send, inbox, tail, status, dashboard, graph, config, insights, analytics, and one per operation). */
import type { Command } from 'commander';
import { registerAgents } from './agents.js';
import { registerBackup } from './backup.js';
import { registerConfig } from './config.js';
import { registerDashboard } from './dashboard.js';
import { registerGraph } from './graph.js';
import { registerHooks } from './hooks.js';
import { registerInbox } from './inbox.js';
import { registerInsights } from './insights.js';
import { registerOperationCommands } from './op-commands.js';
import { registerSend } from './send.js';
import { registerStatus } from './status.js';
import { registerStop } from './stop.js';
import { registerTail } from './tail.js';

export function registerClientCommands(program: Command): void {
  // Hub housekeeping, listed with serve (not a client command).
  for (const register of [registerStop, registerBackup]) register(program);
  const before = program.commands.length;
  for (const register of [
    registerAgents,
    registerSend,
    registerInbox,
    registerTail,
    registerStatus,
    registerDashboard,
    registerGraph,
    registerConfig,
    registerHooks,
    registerInsights,
  ]) {
    register(program);
  }
  for (const cmd of program.commands.slice(before)) cmd.helpGroup('Client commands:');
  registerOperationCommands(program);
}
