/**
 * The local-cluster supervisor behind `raftwire cluster` (docs/cluster.md): N `raftwire node`
 * members as child processes on loopback, one data directory, a status page with fault controls,
 * and a clean stop of every child.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from '../fsutil/index.js';
import { RAFTWIRE_VERSION } from '../version.js';
import { ClusterError, ClusterErrorCode } from './errors.js';
import { type ClusterLayout, clusterLayout } from './layout.js';
import { MemberProcess, type ProcessStatus } from './member-process.js';
import { createSupervisorServer } from './supervisor-server.js';
import { WriteLoad, type WriteLoadStatus } from './write-load.js';

/** Options of Supervisor.start. */
export interface SupervisorOptions {
  nodes: number;
  basePort: number;
  dataDir: string;
  /** How long a member may take to stop after SIGTERM before SIGKILL (default 10 000 ms). */
  stopTimeoutMs?: number;
  /** Extra `raftwire node` flags for every member. */
  memberArgs?: string[];
  /** Where the supervisor reports member exits and notes (default: stderr). */
  report?: (line: string) => void;
}

/** One member as GET /-/status on the supervisor reports it. */
export interface SupervisedMemberStatus {
  index: number;
  /** Its raft member ID, as etcd writes it (hex). */
  id: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  process: ProcessStatus;
  /** The member's own /-/status, null when it did not answer. */
  status: Record<string, unknown> | null;
  /** Why status is null, when it is. */
  error: string | null;
}

/** The supervisor's GET /-/status. */
export interface ClusterStatus {
  supervisor: {
    pid: number;
    url: string;
    dataDir: string;
    basePort: number;
    nodes: number;
    startedAt: string;
    version: string;
  };
  /** The page's client load (docs/cluster.md#controls). */
  load: WriteLoadStatus;
  members: SupervisedMemberStatus[];
}

/** The controls (POST /-/cluster/members/<index>/<action>). */
export const CONTROL_ACTIONS = ['stop', 'kill', 'restart', 'isolate', 'heal', 'transfer-leadership'] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

/** The outcome of a control: an HTTP status and a one-line text. */
export interface ControlResult {
  status: number;
  text: string;
}

const STATUS_TIMEOUT_MS = 1500;
const LEADER_POLL_MS = 250;

interface Layout {
  nodes: number;
  basePort: number;
}

/** A running local cluster. */
export class Supervisor {
  readonly layout: ClusterLayout;
  readonly members: MemberProcess[];
  private readonly token = randomBytes(24).toString('hex');
  private readonly startedAt = new Date().toISOString();
  private readonly busy = new Set<number>();
  private server: Server | undefined;
  private closing: Promise<{ killed: number[] }> | undefined;
  private readonly report: (line: string) => void;
  /** The client load the page can switch on. */
  readonly load = new WriteLoad(() =>
    this.members.filter((m) => m.status().state === 'running').map((m) => m.layout.clientUrl),
  );

  private constructor(layout: ClusterLayout, options: SupervisorOptions) {
    this.layout = layout;
    this.report = options.report ?? ((line) => process.stderr.write(`${line}\n`));
    const cluster = layout.members.map((m) => m.peerUrl);
    this.members = layout.members.map(
      (m) =>
        new MemberProcess({
          layout: m,
          cluster,
          token: this.token,
          stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
          ...(options.memberArgs === undefined ? {} : { args: options.memberArgs }),
        }),
    );
    for (const m of this.members) {
      m.on('exit', ({ expected, code, signal }) => {
        if (expected || this.closing !== undefined) return;
        const why = signal ?? `code ${code}`;
        const last = m.status().lastError;
        this.report(
          `raftwire cluster: member ${m.layout.index} exited unexpectedly (${why})${last === null ? '' : `: ${last}`}; restart it from ${this.layout.supervisorUrl}/-/`,
        );
      });
    }
  }

  /**
   * Checks the data directory and every port, takes the directory's lock, serves the status page
   * and starts the members (without waiting for a leader: see waitForLeader). Throws ClusterError
   * (PORT_IN_USE, DATA_DIR_LOCKED, LAYOUT_MISMATCH, INVALID_OPTIONS) with a one-line message.
   */
  static async start(options: SupervisorOptions): Promise<Supervisor> {
    const layout = clusterLayout(options.nodes, options.basePort, options.dataDir);
    mkdirSync(layout.dataDir, { recursive: true });
    const lock = join(layout.dataDir, 'supervisor.pid');
    takeLock(lock, options.report);
    let sup: Supervisor | undefined;
    try {
      checkLayout(layout);
      await checkPorts(layout);
      sup = new Supervisor(layout, options);
      sup.server = await createSupervisorServer(sup, layout.host, layout.supervisorPort);
      for (const m of sup.members) m.start();
      return sup;
    } catch (err) {
      if (sup !== undefined) await sup.close();
      else rmSync(lock, { force: true });
      throw err;
    }
  }

  /** The supervisor's URL (status page at `${url}/-/`). */
  get url(): string {
    return this.layout.supervisorUrl;
  }

  /** Every member's process state and own /-/status. */
  async clusterStatus(): Promise<ClusterStatus> {
    const members = await Promise.all(
      this.members.map(async (m): Promise<SupervisedMemberStatus> => {
        const l = m.layout;
        const proc = m.status();
        let status: Record<string, unknown> | null = null;
        let error: string | null = null;
        if (proc.state === 'running') {
          try {
            const r = await fetch(`${l.clientUrl}/-/status`, {
              signal: AbortSignal.timeout(STATUS_TIMEOUT_MS),
            });
            if (r.ok) status = (await r.json()) as Record<string, unknown>;
            else error = `/-/status answered ${r.status}`;
          } catch (err) {
            error = reason(err);
          }
        } else error = proc.state;
        return {
          index: l.index,
          id: l.index.toString(16),
          clientUrl: l.clientUrl,
          peerUrl: l.peerUrl,
          dataDir: l.dataDir,
          process: proc,
          status,
          error,
        };
      }),
    );
    return {
      supervisor: {
        pid: process.pid,
        url: this.url,
        dataDir: this.layout.dataDir,
        basePort: this.layout.basePort,
        nodes: this.layout.nodes,
        startedAt: this.startedAt,
        version: RAFTWIRE_VERSION,
      },
      load: this.load.status(),
      members,
    };
  }

  /**
   * Resolves once every running member reports the same leader; returns it (1-based index) and
   * its term. Rejects with MEMBER_FAILED when a member exits meanwhile, NO_LEADER after the timeout.
   */
  async waitForLeader(timeoutMs: number): Promise<{ index: number; term: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const failed = this.members.find((m) => m.status().state === 'exited');
      if (failed !== undefined) {
        const s = failed.status();
        throw new ClusterError(
          ClusterErrorCode.MemberFailed,
          `member ${failed.layout.index} exited while starting (${s.signal ?? `code ${s.exitCode}`}): ${s.lastError ?? `see ${failed.layout.logFile}`}`,
        );
      }
      const st = await this.clusterStatus();
      const running = st.members.filter((m) => m.process.state === 'running');
      const leaders = running.map((m) => m.status?.leader);
      const first = leaders[0];
      if (running.length > 0 && typeof first === 'string' && leaders.every((l) => l === first)) {
        const index = Number.parseInt(first, 16);
        const term = running.find((m) => m.index === index)?.status?.term;
        return { index, term: typeof term === 'number' ? term : 0 };
      }
      if (Date.now() > deadline) {
        throw new ClusterError(
          ClusterErrorCode.NoLeader,
          `no leader elected within ${timeoutMs} ms (members' logs: ${this.layout.dataDir}/member-*.log)`,
        );
      }
      await sleep(LEADER_POLL_MS);
    }
  }

  /** Sets the client load's rate (writes/s and as many reads; 0 stops it). */
  setLoad(rate: number): ControlResult {
    if (this.closing !== undefined) return { status: 503, text: 'the cluster is shutting down' };
    try {
      this.load.setRate(rate);
    } catch (err) {
      return { status: 400, text: (err as Error).message };
    }
    return { status: 200, text: rate === 0 ? 'load off' : `load: ${rate} writes/s and ${rate} reads/s` };
  }

  /** Runs one control on member `index` (1-based). */
  async control(index: number, action: string): Promise<ControlResult> {
    const m = this.members[index - 1];
    if (m === undefined || !Number.isInteger(index)) return { status: 404, text: `no member ${index}` };
    if (!(CONTROL_ACTIONS as readonly string[]).includes(action)) {
      return { status: 404, text: `no control ${JSON.stringify(action)} (${CONTROL_ACTIONS.join(', ')})` };
    }
    if (this.closing !== undefined) return { status: 503, text: 'the cluster is shutting down' };
    if (this.busy.has(index)) return { status: 409, text: `member ${index} is busy with another control` };
    this.busy.add(index);
    try {
      return await this.run(m, action as ControlAction);
    } finally {
      this.busy.delete(index);
    }
  }

  private async run(m: MemberProcess, action: ControlAction): Promise<ControlResult> {
    const i = m.layout.index;
    const state = m.status().state;
    if (action === 'restart') {
      if (state === 'stopping') return { status: 409, text: `member ${i} is stopping` };
      const { killed } = await m.stop();
      if (this.closing !== undefined) return { status: 503, text: 'the cluster is shutting down' };
      m.start();
      return {
        status: 200,
        text: `member ${i} started (pid ${m.status().pid})${killed ? ' after SIGKILL' : ''}`,
      };
    }
    if (state !== 'running') return { status: 409, text: `member ${i} is not running (${state})` };
    switch (action) {
      case 'stop': {
        const { killed } = await m.stop('stop');
        return {
          status: 200,
          text: killed ? `member ${i} did not stop in time: SIGKILLed` : `member ${i} stopped`,
        };
      }
      case 'kill':
        await m.stop('kill');
        return { status: 200, text: `member ${i} killed (SIGKILL)` };
      case 'isolate':
      case 'heal':
        return this.forward(
          m,
          `/-/supervised/${action}`,
          undefined,
          5000,
          `member ${i} ${action === 'isolate' ? 'isolated' : 'healed'}`,
        );
      case 'transfer-leadership':
        return this.forward(m, '/-/leader', { id: i.toString(16) }, 20_000, `member ${i} leads`);
    }
    return { status: 404, text: `no control ${action}` };
  }

  /** POSTs to a member's admin endpoint and translates the answer. */
  private async forward(
    m: MemberProcess,
    path: string,
    body: unknown,
    timeoutMs: number,
    done: string,
  ): Promise<ControlResult> {
    try {
      const r = await fetch(`${m.layout.clientUrl}${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body ?? {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = (await r.text()).trim();
      if (r.ok) return { status: 200, text: done };
      return {
        status: r.status === 503 ? 503 : 502,
        text: `member ${m.layout.index} answered ${r.status}: ${text}`,
      };
    } catch (err) {
      return { status: 502, text: `member ${m.layout.index} did not answer: ${reason(err)}` };
    }
  }

  /**
   * Stops every member (SIGTERM in parallel, SIGKILL only after the stop timeout), the status
   * page's server and the log files, and releases the data directory. Resolves with the members
   * that needed SIGKILL. Idempotent.
   */
  close(): Promise<{ killed: number[] }> {
    this.closing ??= (async () => {
      this.load.stop();
      const results = await Promise.all(this.members.map((m) => m.stop('stop')));
      const server = this.server;
      if (server !== undefined) {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      }
      await Promise.all(this.members.map((m) => m.close()));
      rmSync(join(this.layout.dataDir, 'supervisor.pid'), { force: true });
      return {
        killed: this.members.filter((_, k) => results[k]?.killed === true).map((m) => m.layout.index),
      };
    })();
    return this.closing;
  }
}

function reason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  const cause = e?.cause?.code ?? e?.cause?.message;
  return cause === undefined ? String(e?.message ?? err) : `${e?.message ?? 'failed'} (${cause})`;
}

/** Takes <data-dir>/supervisor.pid; a lock whose process is gone is stale and taken over. */
function takeLock(path: string, report: ((line: string) => void) | undefined): void {
  let other: number | undefined;
  try {
    writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    other = Number.parseInt(readFileSync(path, 'utf8'), 10);
  }
  if (Number.isSafeInteger(other) && other > 0 && other !== process.pid && processAlive(other)) {
    throw new ClusterError(
      ClusterErrorCode.DataDirLocked,
      `${path} says raftwire cluster pid ${other} is running on this data directory; stop it first (or use another --data-dir)`,
    );
  }
  (report ?? ((line: string) => process.stderr.write(`${line}\n`)))(
    `raftwire cluster: taking over the stale lock ${path} (pid ${String(other)} is gone)`,
  );
  writeFileSync(path, `${process.pid}\n`);
}

/** Compares the data directory's cluster.json with the layout (writing it on the first run). */
function checkLayout(layout: ClusterLayout): void {
  const path = join(layout.dataDir, 'cluster.json');
  let saved: Layout | undefined;
  try {
    saved = JSON.parse(readFileSync(path, 'utf8')) as Layout;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ClusterError(ClusterErrorCode.LayoutMismatch, `${path} is unreadable: ${reason(err)}`);
    }
  }
  if (saved === undefined) {
    writeFileSync(path, `${JSON.stringify({ nodes: layout.nodes, basePort: layout.basePort }, null, 2)}\n`);
    return;
  }
  if (saved.nodes !== layout.nodes || saved.basePort !== layout.basePort) {
    throw new ClusterError(
      ClusterErrorCode.LayoutMismatch,
      `${layout.dataDir} holds a ${saved.nodes}-member cluster on base port ${saved.basePort} (${path}): run with --nodes ${saved.nodes} --base-port ${saved.basePort}, or use another --data-dir`,
    );
  }
}

/** Fails with PORT_IN_USE naming the first port of the layout that cannot be bound. */
async function checkPorts(layout: ClusterLayout): Promise<void> {
  const ports: [number, string][] = [[layout.supervisorPort, 'the status page']];
  for (const m of layout.members) {
    ports.push(
      [m.clientPort, `member ${m.index}'s client API`],
      [m.peerPort, `member ${m.index}'s peer port`],
    );
  }
  for (const [port, what] of ports) {
    const err = await tryListen(layout.host, port);
    if (err === undefined) continue;
    const inUse = err.code === 'EADDRINUSE';
    throw new ClusterError(
      ClusterErrorCode.PortInUse,
      `${inUse ? 'port in use' : `cannot listen (${err.code})`}: ${layout.host}:${port} (${what}); stop whatever holds it or pick another --base-port`,
      { cause: err },
    );
  }
}

function tryListen(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(undefined)));
  });
}
