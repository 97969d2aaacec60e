/** The interface every agent CLI adapter implements. */
import type { AgentEvent } from './events.js';

/** How much the CLI may do without asking: mapped onto each CLI's own flags. */
export type PermissionMode = 'default' | 'accept_edits' | 'bypass';

export interface LaunchSpec {
  /** Instance id (for names and logs). */
  instanceId: string;
  workspace: string;
  /** The instance's private directory (0700): MCP config, settings, script. */
  privateDir: string;
  model?: string;
  systemPrompt?: string;
  /** A Claude-style MCP config file that points at the hub with the instance's own token. */
  mcpConfigFile: string;
  /** The hub's MCP endpoint and the instance's agent token (for CLIs configured by flags or env). */
  hubMcpUrl: string;
  token: string;
  /** The program (argv prefix) to run instead of the CLI's default name. */
  command?: string[];
  permissionMode: PermissionMode;
  maxTurns?: number;
  maxCostUsd?: number;
  /** The session id to start (Claude Code's --session-id; other CLIs choose their own). */
  sessionId: string;
  /** Continue this session instead of starting one (Claude Code --resume, codex exec resume, gemini --resume). */
  resume?: string | null;
  /**
   * What of the hub's environment the child gets, already allow-listed (instances.envAllow, the
   * adapter's cliEnv, instances.env); the adapter strips what must never pass (CLAUDECODE, the admin token).
   */
  baseEnv: NodeJS.ProcessEnv;
  /** The instance's own variables (hub URL, its agent id, its token): they win over baseEnv. */
  extraEnv: Record<string, string>;
  /** Secret values the child is given (resolved from instances.env references): no output may carry them. */
  secrets?: string[];
}

export interface Launch {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Written to stdin and then stdin is closed (per-turn CLIs that read the prompt from stdin). */
  stdin?: string;
}

/** Turns one stdout line into events; may keep state across the lines of one process. */
export type LineParser = (line: string) => AgentEvent[];

interface AdapterBase {
  name: string;
  /** A parser for one process's output. */
  parser(): LineParser;
  /** Whether the CLI can continue a session in a new process (restart policy, hub restart). */
  resumable: boolean;
  /** Whether its result events carry cost; without it max_cost_usd cannot be enforced. */
  reportsCost: boolean;
  /** The program run when no command is given (for messages). */
  defaultProgram: string;
  /** The config setting (`instances.<name>`) that names this CLI's program, if it has one. */
  commandSetting?: 'claudeCommand' | 'codexCommand' | 'geminiCommand';
  /** The scripted stand-in's protocol that speaks for this CLI when the spawn gives a script. */
  standIn?: 'claude-code' | 'codex' | 'gemini';
  /** Files the CLI reads, written into the instance's private directory before it runs. */
  files?: (spec: LaunchSpec) => Array<{ name: string; content: string }>;
  /** The longest user turn the CLI takes, in bytes (a prompt on the command line is bounded). */
  maxTurnBytes?: number;
  /**
   * The hub's variables the real CLI needs to reach its model (API keys, endpoints, its config
   * directory), on top of instances.envAllow; a scripted stand-in of the CLI gets none of them.
   */
  cliEnv?: readonly string[];
}

/** One process for the instance's life; each user turn is written to its stdin (Claude Code, any command). */
export interface SessionAdapter extends AdapterBase {
  mode: 'session';
  /** The program, its arguments and environment. */
  launch(spec: LaunchSpec): Launch;
  /** The stdin bytes for one user turn. */
  encodeTurn(text: string): string;
  /**
   * The stdin bytes that stop the current turn while the process stays alive for the next one, when
   * the CLI has such a message; without it, interrupting sends SIGINT to the process group.
   */
  encodeInterrupt?: (requestId: string) => string;
  /**
   * The stdin bytes that ask the CLI to answer once it is up (Claude Code's `initialize` control
   * request); its `control_response` event with this id means ready. Without it, the process having
   * started means ready.
   */
  encodeReadyProbe?: (requestId: string) => string;
  /**
   * Whether the CLI marks the end of each turn with a result event. When it does not (a plain
   * command), the process exit ends the turn.
   */
  resultEvents: boolean;
  /**
   * Whether the CLI takes a user message on stdin while a turn runs (Claude Code's stream-json reads
   * stdin as a live stream): an instance with `delivery: steer` then writes new mail at once instead
   * of waiting for the turn to end.
   */
  steers?: boolean;
}

/** One process per user turn; the CLI's session id (from its init event) continues the conversation. */
export interface PerTurnAdapter extends AdapterBase {
  mode: 'per-turn';
  /** The program for one turn (spec.resume set from the second turn on). */
  launchTurn(spec: LaunchSpec, text: string): Launch;
}

export type Adapter = SessionAdapter | PerTurnAdapter;
