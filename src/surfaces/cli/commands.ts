/** Client commands (agents, send, inbox, tail, status, config, and one per operation). */
import type { Command } from 'commander';

export function registerClientCommands(_program: Command): void {}
