/**
 * Real `raftwire node` processes for end-to-end tests: started through the CLI
 * (`node dist/src/cli/main.js node ...`), on ports from 0-probing, data in a temp directory; every
 * child is killed and the directory removed by `close()` (register it with t.after).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../interop/storage/raftexample.js';
import { projectRoot } from '../../support/paths.js';
import { type ClientTls, http, type Reply } from '../support/http.js';

/** One member process. */
export interface Member {
  id: number;
  peerPort: number;
  clientPort: number;
  dataDir: string;
  base: string;
  child: ChildProcess | undefined;
  output: string;
  /** The first few KiB this member ever printed (its startup lines), kept whatever follows. */
  head: string;
  exited: Promise<number | null> | undefined;
}

const HEAD_CHARS = 4000;

/** Output for a failure message: repeated lines (same text but for `time`) shown once with a count. */
function collapseRepeats(text: string): string {
  const out: string[] = [];
  let last = '';
  let repeats = 0;
  const flush = () => {
    if (repeats > 0) out.push(`    (the line above ${repeats} more time${repeats === 1 ? '' : 's'})`);
    repeats = 0;
  };
  for (const line of text.split('\n')) {
    const key = line.replace(/"time":\d+,?/, '');
    if (key === last && line !== '') {
      repeats++;
      continue;
    }
    flush();
    out.push(line);
    last = key;
  }
  flush();
  return out.join('\n');
}

const CLI = join(projectRoot, 'dist', 'src', 'cli', 'main.js');

/** Runs the CLI once to completion (for flag and startup-error tests). */
export function runCli(
  args: string[],
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`raftwire ${args.join(' ')} did not exit in ${timeoutMs} ms: ${stdout}${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A set of member processes sharing one temp directory. */
export class ProcessCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'raftwire-kv-e2e-'));
  readonly members = new Map<number, Member>();
  private readonly extraArgs: string[];
  private readonly scheme: 'http' | 'https';
  private readonly clientTls: ClientTls | undefined;

  /** `scheme` is used for peer and client URLs; `clientTls` is what test requests present. */
  constructor(extraArgs: string[] = [], options: { scheme?: 'http' | 'https'; clientTls?: ClientTls } = {}) {
    this.extraArgs = extraArgs;
    this.scheme = options.scheme ?? 'http';
    this.clientTls = options.clientTls;
  }

  /** Allocates ports and directories for members 1..n (does not start them). */
  async define(n: number): Promise<void> {
    for (let id = this.members.size + 1; id <= n; id++) {
      const peerPort = await freePort();
      const clientPort = await freePort();
      this.members.set(id, {
        id,
        peerPort,
        clientPort,
        dataDir: join(this.dir, `member-${id}`),
        base: `${this.scheme}://127.0.0.1:${clientPort}`,
        child: undefined,
        output: '',
        head: '',
        exited: undefined,
      });
    }
  }

  /** The --cluster list of every defined member (IDs 1..n). */
  clusterFlag(): string {
    return [...this.members.values()].map((m) => `${this.scheme}://127.0.0.1:${m.peerPort}`).join(',');
  }

  member(id: number): Member {
    const m = this.members.get(id);
    if (m === undefined) throw new Error(`no member ${id}`);
    return m;
  }

  /** Starts member `id` through the CLI (`env` is added to this process's environment). */
  start(id: number, options: { join?: boolean; args?: string[]; env?: Record<string, string> } = {}): Member {
    const m = this.member(id);
    const args = [
      CLI,
      'node',
      '--id',
      String(id),
      '--cluster',
      this.clusterFlag(),
      '--port',
      String(m.clientPort),
      '--listen-client',
      `${this.scheme}://127.0.0.1:${m.clientPort}`,
      '--data-dir',
      m.dataDir,
      '--log-level',
      'warn',
      ...(options.join === true ? ['--join'] : []),
      ...this.extraArgs,
      ...(options.args ?? []),
    ];
    const env = options.env === undefined ? process.env : { ...process.env, ...options.env };
    const [file, argv] = this.command(m, args);
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
    m.child = child;
    if (m.head.length < HEAD_CHARS) m.head += `[start at ${new Date().toISOString()}]\n`;
    const keep = (c: Buffer): void => {
      const text = c.toString();
      if (m.head.length < HEAD_CHARS) m.head += text.slice(0, HEAD_CHARS - m.head.length);
      m.output = (m.output + text).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    m.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    return m;
  }

  /** The program and arguments that run member `m` with node arguments `args` (a hook for wrappers). */
  protected command(_m: Member, args: string[]): [string, string[]] {
    return [process.execPath, args];
  }

  /** Starts 1..n (defining them first). */
  async startAll(n: number): Promise<void> {
    await this.define(n);
    for (let id = 1; id <= n; id++) this.start(id);
    await this.waitLeader();
  }

  /** Kills member `id` (SIGKILL by default) and waits for the exit. */
  async kill(id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const m = this.member(id);
    if (m.child === undefined || m.exited === undefined) return null;
    m.child.kill(signal);
    const code = await m.exited;
    m.child = undefined;
    return code;
  }

  /** GET /-/status of a member, undefined when it does not answer. */
  async status(id: number): Promise<Record<string, unknown> | undefined> {
    try {
      const r = await http(this.member(id).base, 'GET', '/-/status', this.tlsOption(), 2000);
      return r.status === 200 ? (JSON.parse(r.text) as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Waits until every running member reports the same leader (other than `not`); returns its ID. */
  async waitLeader(timeoutMs = 30_000, not?: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = [...this.members.values()].filter((m) => m.child !== undefined);
      const statuses = await Promise.all(running.map((m) => this.status(m.id)));
      const leaders = statuses.map((st) => st?.leader);
      const first = leaders[0];
      if (
        typeof first === 'string' &&
        leaders.every((l) => l === first) &&
        Number.parseInt(first, 16) !== not
      ) {
        return Number.parseInt(first, 16);
      }
      if (Date.now() > deadline)
        throw new Error(
          `no common leader after ${timeoutMs} ms: ${JSON.stringify(leaders)}\n` +
            `statuses: ${JSON.stringify(statuses)}\n${this.logs()}`,
        );
      await sleep(100);
    }
  }

  /** A request to member `id`. */
  req(
    id: number,
    method: string,
    path: string,
    options: { body?: string | Uint8Array; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    return http(this.member(id).base, method, path, { ...options, ...this.tlsOption() }, 20_000);
  }

  private tlsOption(): { tls?: ClientTls } {
    return this.clientTls === undefined ? {} : { tls: this.clientTls };
  }

  /** The recent output of every member (for failure messages). */
  logs(): string {
    return [...this.members.values()]
      .map(
        (m) =>
          `--- member ${m.id} (first lines)\n${collapseRepeats(m.head)}\n--- member ${m.id} (last lines)\n` +
          collapseRepeats(m.output.slice(-6000)).slice(-3000),
      )
      .join('\n');
  }

  /** Kills every child and removes the directory. */
  async close(): Promise<void> {
    await Promise.all([...this.members.keys()].map((id) => this.kill(id)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls `check` every 100 ms until it holds; rejects naming `what` after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(100);
  }
}
