/**
 * One bench peer process (Go twin or TS), driven with JSON lines: one command at a time, each
 * answered by exactly one line.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A reply line from a peer. */
export type Reply = Record<string, unknown>;

/** A running peer process. */
export class PeerProcess {
  private readonly lines: string[] = [];
  private waiter: ((line: string | undefined) => void) | undefined;
  private closed = false;
  private stderr = '';
  readonly ready: Promise<Reply>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const w = this.waiter;
      if (w !== undefined) {
        this.waiter = undefined;
        w(line);
      } else {
        this.lines.push(line);
      }
    });
    child.stderr.on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString()).slice(-4000);
    });
    child.on('exit', () => {
      this.closed = true;
      const w = this.waiter;
      this.waiter = undefined;
      w?.(undefined);
    });
    this.ready = this.next('ready');
  }

  /** Spawns `cmd args` with `env` added to this process's environment. */
  static spawn(name: string, cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): PeerProcess {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    return new PeerProcess(name, child);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  private async next(what: string): Promise<Reply> {
    const line =
      this.lines.shift() ??
      (this.closed ? undefined : await new Promise<string | undefined>((resolve) => (this.waiter = resolve)));
    if (line === undefined) throw new Error(`${this.name} exited before answering ${what}: ${this.stderr}`);
    const reply = JSON.parse(line) as Reply;
    if (typeof reply.error === 'string') throw new Error(`${this.name} ${what}: ${reply.error}`);
    return reply;
  }

  /** Sends one command and waits for its reply. */
  request(cmd: string, fields: Record<string, unknown> = {}): Promise<Reply> {
    this.child.stdin.write(`${JSON.stringify({ ...fields, cmd })}\n`);
    return this.next(cmd);
  }

  /** Asks the peer to stop, then kills it if it has not exited within 5 s (a profiling run needs time to write). */
  async stop(): Promise<void> {
    if (this.closed) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.write(`${JSON.stringify({ cmd: 'stop' })}\n`);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
