/** `switchboard mcp` (stdio bridge) and `switchboard connect` (client configuration). */
import type { Command } from 'commander';

export function registerMcpCommands(_program: Command): void {}
