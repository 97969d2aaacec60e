/** The interface every agent CLI adapter implements. */
import type { AgentEvent } from './events.js';

export interface LaunchSpec {
  /** Instance id (for names and logs). */
  instanceId: string;
  workspace: string;
  model?: string;
  systemPrompt?: string;
  /** A Claude-style MCP config file that points at the hub with the instance's own token. */
  mcpConfigFile: string;
  /** Adapter-specific program override: the argv to run (command adapter; or a custom claude binary). */
  command?: string[];
  /** The scripted agent's script file. */
  scriptFile?: string;
  maxTurns?: number;
  maxCostUsd?: number;
  sessionId: string;
  /** Environment of the hub; the adapter strips what must not leak (CLAUDECODE). */
  baseEnv: NodeJS.ProcessEnv;
  /** Extra variables every instance gets (hub URL, its agent id). */
  extraEnv: Record<string, string>;
}

export interface Launch {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

export interface Adapter {
  name: string;
  /** The program, its arguments and environment. */
  launch(spec: LaunchSpec): Launch;
  /** The stdin bytes for one user turn. */
  encodeTurn(text: string): string;
  /**
   * The stdin bytes that stop the current turn while the process stays alive for the next one, when
   * the CLI has such a message; without it, interrupting sends SIGINT to the process group.
   */
  encodeInterrupt?: (requestId: string) => string;
  /** Events in one stdout line (none for lines that carry nothing). */
  parseLine(line: string): AgentEvent[];
  /**
   * Whether the CLI marks the end of each turn with a result event. When it does not (a plain
   * command), the process exit ends the turn.
   */
  resultEvents: boolean;
}
