/**
 * `raftwire cluster` as a real child process for the tests (through the CLI, as `npm start` runs
 * it): a free base port, a temp data directory (or a given one), its output kept, its printed URLs
 * parsed. `close()` kills it if still running (its members follow: they watch their stdin pipe)
 * and removes the temp directory; register it with t.after.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../support/paths.js';
import { PORT_RANGES, reservePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

export const CLI = join(projectRoot, 'dist', 'src', 'cli', 'main.js');

/** Whether host:port can be bound now. */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** Every port a cluster on `base` with `nodes` members uses (docs/cluster.md#ports-and-data). */
export function clusterPorts(base: number, nodes: number): number[] {
  const ports = [base];
  for (let i = 1; i <= nodes; i++) ports.push(base + 10 * i, base + 10 * i + 1);
  return ports;
}

/** A base port whose cluster ports are all free right now. */
export async function freeBasePort(nodes: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    // Below the ephemeral range, in the cluster tests' own range (test/support/ports.ts).
    const [lo, hi] = PORT_RANGES.clusterBase;
    const base = lo + 10 * Math.floor(Math.random() * ((hi - lo - 10 * (nodes + 1)) / 10));
    const ports = clusterPorts(base, nodes);
    // Reserved against other test processes first (test/support/ports.ts), then probed.
    if (!ports.every((p) => reservePort(p))) continue;
    const free = await Promise.all(ports.map((p) => portFree(p)));
    if (free.every((f) => f)) return base;
  }
  throw new Error('no free base port found');
}

/** A running (or finished) `raftwire cluster`. */
export class ClusterProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stdout = '';
  stderr = '';
  exitCode: number | null | undefined;

  private constructor(
    readonly dataDir: string,
    readonly basePort: number,
    readonly nodes: number,
    private readonly ownDir: boolean,
    args: string[],
  ) {
    this.child = spawn(
      process.execPath,
      [
        CLI,
        'cluster',
        '--nodes',
        String(nodes),
        '--base-port',
        String(basePort),
        '--data-dir',
        dataDir,
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout?.on('data', (c: Buffer) => {
      this.stdout += c.toString();
    });
    this.child.stderr?.on('data', (c: Buffer) => {
      this.stderr += c.toString();
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  /**
   * Spawns `raftwire cluster` (no wait). `dataDir` defaults to a fresh temp directory that close()
   * removes; `basePort` to a free one.
   */
  static async spawn(
    options: { nodes?: number; dataDir?: string; basePort?: number; args?: string[] } = {},
  ): Promise<ClusterProcess> {
    const nodes = options.nodes ?? 3;
    const basePort = options.basePort ?? (await freeBasePort(nodes));
    const own = options.dataDir === undefined;
    const dir = options.dataDir ?? join(mkdtempSync(join(tmpdir(), 'raftwire-cluster-')), 'data');
    return new ClusterProcess(dir, basePort, nodes, own, options.args ?? []);
  }

  /** Spawns it and waits until it printed the status page's URL (a leader was elected). */
  static async start(
    options: { nodes?: number; dataDir?: string; basePort?: number; args?: string[] } = {},
  ): Promise<ClusterProcess> {
    const c = await ClusterProcess.spawn(options);
    try {
      await c.ready();
    } catch (err) {
      await c.close();
      throw err;
    }
    return c;
  }

  /** Resolves once the cluster printed its URLs; rejects if it exits first. */
  async ready(timeoutMs = 90_000): Promise<void> {
    await waitFor(
      'raftwire cluster to print its status page URL',
      () => {
        if (this.exitCode !== undefined) {
          throw new Error(
            `raftwire cluster exited (${this.exitCode}) before it was ready:\n${this.output()}`,
          );
        }
        return /status page\s+http:\/\/\S+\/-\//.test(this.stdout);
      },
      { timeoutMs, intervalMs: 100, describe: () => `\n${this.output()}` },
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.basePort}`;
  }

  memberUrl(i: number): string {
    return `http://127.0.0.1:${this.basePort + 10 * i}`;
  }

  /** The supervisor's GET /-/status. */
  async status(): Promise<{
    load: { rate: number; writesOk: number; writesFailed: number; readsOk: number };
    members: {
      index: number;
      process: { state: string; pid: number | null };
      status: Record<string, unknown> | null;
    }[];
  }> {
    const r = await fetch(`${this.url}/-/status`, { signal: AbortSignal.timeout(10_000) });
    if (!r.ok) throw new Error(`supervisor /-/status answered ${r.status}`);
    return (await r.json()) as Awaited<ReturnType<ClusterProcess['status']>>;
  }

  output(): string {
    return `--- stdout\n${this.stdout.slice(-4000)}\n--- stderr\n${this.stderr.slice(-4000)}`;
  }

  /** Sends `signal` and waits for the exit; returns the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGINT', timeoutMs = 60_000): Promise<number | null> {
    if (this.exitCode !== undefined) return this.exitCode;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      this.exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(`raftwire cluster did not exit ${timeoutMs} ms after ${signal}:\n${this.output()}`),
            ),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    return code;
  }

  /** Kills it if it still runs; removes the temp data directory it made. */
  async close(): Promise<void> {
    if (this.exitCode === undefined) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    if (this.ownDir) rmSync(join(this.dataDir, '..'), { recursive: true, force: true });
  }
}
