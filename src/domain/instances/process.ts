/**
 * One agent child process: its own process group (detached), stdout read line by line, stdin for
 * user turns, and the clean stop sequence: close stdin, wait, SIGTERM the group, wait, SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Launch } from '../../agents/adapters/types.js';

export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

/** Signals a whole process group; false when it is already gone. */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class AgentProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | null = null;
  /** The last lines of stderr, for failure reasons. */
  readonly stderrTail: string[] = [];

  constructor(launch: Launch, cwd: string, onLine: (line: string) => void) {
    this.child = spawn(launch.file, launch.args, {
      cwd,
      env: launch.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.exited = new Promise<ExitInfo>((resolve) => {
      this.child.once('error', (err) => {
        this.stderrTail.push(`cannot start ${launch.file}: ${err.message}`);
        this.exitInfo ??= { code: null, signal: null };
        resolve(this.exitInfo);
      });
      this.child.once('close', (code, signal) => {
        this.exitInfo ??= { code, signal };
        resolve(this.exitInfo);
      });
    });
    this.pid = this.child.pid ?? -1;
    this.child.stdin?.on('error', () => {});
    // A per-turn CLI reads its prompt from stdin to the end.
    if (launch.stdin !== undefined) this.child.stdin?.end(launch.stdin);
    createInterface({ input: this.child.stdout! }).on('line', onLine);
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
    });
  }

  get running(): boolean {
    return this.exitInfo === null && this.pid > 0;
  }

  write(data: string): boolean {
    if (!this.running || !this.child.stdin?.writable) return false;
    this.child.stdin.write(data);
    return true;
  }

  /** Close stdin, wait; SIGTERM the group, wait; SIGKILL the group. Resolves once the group is gone. */
  async stop(graceMs: number): Promise<ExitInfo> {
    this.child.stdin?.end();
    if (await this.waitExit(graceMs)) return this.finish();
    if (this.pid > 0) killGroup(this.pid, 'SIGTERM');
    if (await this.waitExit(graceMs)) return this.finish();
    return this.finish();
  }

  /** SIGKILL whatever is left in the group (the leader may be gone while children live on). */
  private async finish(): Promise<ExitInfo> {
    if (this.pid > 0) killGroup(this.pid, 'SIGKILL');
    return this.exited;
  }

  private async waitExit(ms: number): Promise<boolean> {
    if (this.exitInfo) return true;
    return Promise.race([this.exited.then(() => true), sleep(ms).then(() => false)]);
  }
}
