/**
 * Controls one Go `raft-node` process (test/interop/go/raft-node): etcd 3.4's raft.Node +
 * rafthttp.Transport + wal/snap, driven over JSON lines. Its durable state lives in `dir`, so a
 * killed node restarts (a fresh process on the same address) by replaying its WAL and snapshot.
 * Every process is SIGKILLed when this test process exits, if still running.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { formatId, parseId } from '../../../src/raftpb/index.js';
import { goBinary } from '../../support/go.js';
import { toHex } from '../../support/hex.js';
import type {
  ClusterNode,
  ConfChangeKind,
  ConfChangeTransitionKind,
  ConfChangeV2Item,
  MemberLog,
  MemberStatus,
  NodeEvent,
  StartOptions,
} from './cluster-node.js';
import { NodeEvents } from './node-events.js';
import type { LoggedEntry } from './state-machine.js';

const live = new Set<ChildProcessWithoutNullStreams>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Go raft-node processes spawned and not yet exited. */
export function liveGoProcesses(): number {
  return live.size;
}

const STDERR_TAIL_LINES = 20;
const REPLY_TIMEOUT_MS = 20_000;

/** One Go raft-node process. */
export class GoRaftNode implements ClusterNode {
  readonly kind = 'go' as const;
  readonly events: NodeEvents;
  readonly url: string;
  readonly addr: string;
  private seq = 0;
  private readonly exited: Promise<void>;

  private constructor(
    readonly id: bigint,
    readonly dir: string,
    private readonly child: ChildProcessWithoutNullStreams,
    events: NodeEvents,
    listening: NodeEvent,
    exited: Promise<void>,
  ) {
    this.events = events;
    this.url = String(listening.url);
    this.addr = String(listening.addr);
    this.exited = exited;
  }

  /** Spawns the process (bound to `listen`, default an ephemeral port) and waits until it listens. */
  static async spawn(id: bigint, dir: string, listen = '127.0.0.1:0'): Promise<GoRaftNode> {
    const child = spawn(goBinary('raft-node'), ['-dir', dir, '-listen', listen], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    live.add(child);
    const tail: string[] = [];
    const events = new NodeEvents(() =>
      tail.length === 0 ? '' : `\n--- raft-node ${formatId(id)} stderr ---\n${tail.join('\n')}`,
    );
    const exited = new Promise<void>((resolve) => {
      child.on('exit', (code, signal) => {
        live.delete(child);
        events.push({ ev: 'exit', code, signal });
        resolve();
      });
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        events.push(JSON.parse(line) as NodeEvent);
      } catch {
        events.push({ ev: 'garbage', line });
      }
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      tail.push(line);
      if (tail.length > STDERR_TAIL_LINES) tail.shift();
    });
    const first = await events.waitFor(
      'raft-node listening',
      (e) => e.ev === 'listening' || e.ev === 'exit',
      15_000,
    );
    if (first.ev !== 'listening') throw new Error(`raft-node did not start${events.describe()}`);
    return new GoRaftNode(id, dir, child, events, first, exited);
  }

  private async request(cmd: string, fields: Record<string, unknown> = {}): Promise<NodeEvent> {
    const seq = ++this.seq;
    this.child.stdin.write(`${JSON.stringify({ ...fields, cmd, seq })}\n`);
    const reply = await this.events.waitFor(
      `reply to ${cmd} from go ${formatId(this.id)}`,
      (e) => (e.ev === 'reply' && e.seq === seq) || e.ev === 'exit',
      REPLY_TIMEOUT_MS,
    );
    if (reply.ev === 'exit') {
      throw new Error(`raft-node ${formatId(this.id)} exited during ${cmd}${this.events.describe()}`);
    }
    if (typeof reply.error === 'string')
      throw new Error(`raft-node ${formatId(this.id)} ${cmd}: ${reply.error}`);
    return reply;
  }

  async start(opts: StartOptions): Promise<void> {
    await this.request('start', {
      id: formatId(this.id),
      peers: opts.peers.map((p) => ({ id: formatId(p.id), url: p.url })),
      join: opts.join ?? false,
      tickMs: opts.tickMs ?? 20,
      electionTick: opts.electionTick ?? 10,
      snapCount: opts.snapCount ?? 0,
      catchUp: opts.catchUp ?? 0,
      preVote: opts.preVote ?? false,
      leaseReads: opts.leaseReads ?? false,
    });
  }

  async propose(data: readonly Uint8Array[]): Promise<void> {
    await this.request('propose', { data: data.map(toHex) });
  }

  async proposeConfChange(type: ConfChangeKind, nodeId: bigint, context = ''): Promise<void> {
    await this.request('proposeConfChange', { type, nodeId: formatId(nodeId), context });
  }

  async proposeConfChangeV2(
    changes: readonly ConfChangeV2Item[],
    transition: ConfChangeTransitionKind,
  ): Promise<void> {
    await this.request('proposeConfChangeV2', {
      changes: changes.map((c) => ({ type: c.type, nodeId: formatId(c.nodeId), context: c.url ?? '' })),
      transition,
    });
  }

  async transferLeader(transferee: bigint): Promise<void> {
    await this.request('transferLeader', { transferee: formatId(transferee) });
  }

  async readIndex(rctx: Uint8Array): Promise<void> {
    await this.request('readIndex', { rctx: toHex(rctx) });
  }

  async pause(): Promise<void> {
    await this.request('pause');
  }

  async resume(): Promise<void> {
    await this.request('resume');
  }

  async campaign(): Promise<void> {
    await this.request('campaign');
  }

  async status(): Promise<MemberStatus> {
    const r = await this.request('status');
    return {
      lead: parseId(String(r.lead)),
      term: Number(r.term),
      commit: Number(r.commit),
      applied: Number(r.applied),
      snapshotIndex: Number(r.snapshotIndex),
      firstIndex: Number(r.firstIndex),
      lastIndex: Number(r.lastIndex),
      hash: String(r.hash),
      state: String(r.state),
      voters: (r.voters as string[]).map(parseId),
      learners: (r.learners as string[]).map(parseId),
      votersOutgoing: ((r.votersOutgoing as string[] | null) ?? []).map(parseId),
      autoLeave: r.autoLeave === true,
    };
  }

  async log(from = 0): Promise<MemberLog> {
    const r = await this.request('log', { from });
    return {
      entries: r.entries as LoggedEntry[],
      applied: Number(r.applied),
      hash: String(r.hash),
    };
  }

  async compact(keep: number): Promise<number> {
    const r = await this.request('compact', { catchUp: keep });
    return Number(r.snapshotIndex);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    await this.request('stop').catch(() => undefined);
    await this.exited;
  }

  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }
}
