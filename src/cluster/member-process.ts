/**
 * One supervised member: a `raftwire node` child process on its layout's ports and directory,
 * started, stopped (SIGTERM, SIGKILL only after a timeout), killed and restarted on the same data.
 * The child gets the supervisor's token (RAFTWIRE_SUPERVISOR_TOKEN, enabling /-/supervised/*) and
 * a stdin pipe it watches: it shuts down when the supervisor goes away, however it went.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MemberLayout } from './layout.js';

/** The CLI the members run (dist/src/cli/main.js beside this file's dist/src/cluster/). */
const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/**
 * running: a child is up (it may not answer yet); stopping: asked to stop, not exited yet;
 * stopped: exited because the supervisor stopped or killed it; exited: exited on its own.
 */
export type ProcessState = 'running' | 'stopping' | 'stopped' | 'exited';

/** What the supervisor reports about a member's process. */
export interface ProcessStatus {
  state: ProcessState;
  pid: number | null;
  /** Exit code of the last exit, null while running or after a signal. */
  exitCode: number | null;
  /** Signal of the last exit, null otherwise. */
  signal: string | null;
  /** ISO time of the last state change. */
  since: string;
  /** Starts after the first. */
  restarts: number;
  /** The last line the member wrote to stderr (its one-line startup errors). */
  lastError: string | null;
}

/** Events of a MemberProcess. */
export interface MemberProcessEvents {
  /** The child exited; `expected` when the supervisor had asked it to stop. */
  exit: [{ expected: boolean; code: number | null; signal: string | null }];
}

/** Options of MemberProcess. */
export interface MemberProcessOptions {
  layout: MemberLayout;
  /** Every member's peer URL, in ID order (the --cluster flag). */
  cluster: string[];
  token: string;
  /** Extra `raftwire node` flags. */
  args?: string[];
  /** How long a stop waits after SIGTERM before SIGKILL. */
  stopTimeoutMs: number;
}

/** One member's child process. */
export class MemberProcess extends EventEmitter<MemberProcessEvents> {
  readonly layout: MemberLayout;
  private readonly options: MemberProcessOptions;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private log: WriteStream | undefined;
  private starts = 0;
  private current: ProcessStatus;

  constructor(options: MemberProcessOptions) {
    super();
    this.options = options;
    this.layout = options.layout;
    this.current = {
      state: 'stopped',
      pid: null,
      exitCode: null,
      signal: null,
      since: new Date().toISOString(),
      restarts: 0,
      lastError: null,
    };
  }

  /** The process's state. */
  status(): ProcessStatus {
    return { ...this.current };
  }

  get running(): boolean {
    return this.current.state === 'running';
  }

  /** Starts the child (no-op while one runs). */
  start(): void {
    if (this.child !== undefined) return;
    const l = this.layout;
    const args = [
      CLI,
      'node',
      '--id',
      String(l.index),
      '--cluster',
      this.options.cluster.join(','),
      '--port',
      String(l.clientPort),
      '--listen-client',
      l.clientUrl,
      '--data-dir',
      l.dataDir,
      '--log-level',
      'warn',
      ...(this.options.args ?? []),
    ];
    this.log ??= createWriteStream(l.logFile, { flags: 'a' });
    this.log.on('error', () => {}); // a full disk must not take the supervisor down
    this.log.write(`--- ${new Date().toISOString()} starting member ${l.index}\n`);
    const child = spawn(process.execPath, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group: a terminal's Ctrl-C reaches the supervisor only, which then stops
      // the members in order.
      detached: true,
      env: { ...process.env, RAFTWIRE_SUPERVISOR_TOKEN: this.options.token },
    });
    this.child = child;
    this.starts++;
    this.current = {
      state: 'running',
      pid: child.pid ?? null,
      exitCode: null,
      signal: null,
      since: new Date().toISOString(),
      restarts: this.starts - 1,
      lastError: null,
    };
    child.stdin?.on('error', () => {});
    child.stdout?.on('data', (c: Buffer) => this.log?.write(c));
    let errTail = '';
    child.stderr?.on('data', (c: Buffer) => {
      this.log?.write(c);
      errTail = (errTail + c.toString()).slice(-4000);
      const lines = errTail.split('\n').filter((s) => s.trim() !== '');
      const last = lines[lines.length - 1];
      if (last !== undefined) this.current.lastError = oneLine(last);
    });
    this.exited = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        this.current.lastError = `cannot start: ${err.message}`;
      });
      child.once('close', (code, signal) => {
        this.child = undefined;
        const expected = this.current.state === 'stopping';
        this.current = {
          ...this.current,
          state: expected ? 'stopped' : 'exited',
          pid: null,
          exitCode: code,
          signal,
          since: new Date().toISOString(),
        };
        this.log?.write(
          `--- ${new Date().toISOString()} member ${l.index} exited (${signal ?? `code ${code}`})\n`,
        );
        this.emit('exit', { expected, code, signal });
        resolve();
      });
    });
  }

  /**
   * Stops the child: SIGTERM (or SIGKILL for `kill`), SIGKILL after the stop timeout. Resolves
   * once it exited, with whether SIGKILL was needed.
   */
  async stop(how: 'stop' | 'kill' = 'stop'): Promise<{ killed: boolean }> {
    const child = this.child;
    if (child === undefined) return { killed: false };
    this.current = { ...this.current, state: 'stopping', since: new Date().toISOString() };
    let killed = how === 'kill';
    child.kill(how === 'kill' ? 'SIGKILL' : 'SIGTERM');
    const timer =
      how === 'kill'
        ? undefined
        : setTimeout(() => {
            killed = true;
            child.kill('SIGKILL');
          }, this.options.stopTimeoutMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
    return { killed };
  }

  /** Stops (if running) and starts again on the same data. */
  async restart(): Promise<void> {
    await this.stop();
    this.start();
  }

  /** Waits for the current child's exit (resolves at once without one). */
  whenExited(): Promise<void> {
    return this.exited;
  }

  /** Closes the log file (after the child exited). */
  close(): Promise<void> {
    const log = this.log;
    this.log = undefined;
    if (log === undefined) return Promise.resolve();
    return new Promise((resolve) => log.end(() => resolve()));
  }
}

function oneLine(s: string): string {
  const t = s.trim();
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}
