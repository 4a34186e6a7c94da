/**
 * Controls one Go `rafthttp-node` process (test/interop/go/rafthttp-node): a real etcd 3.4.23
 * rafthttp.Transport driven over JSON lines. Every node started through `startGoNode` is killed
 * when the test ends, and any still running when this process exits.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { decodeMessage, encodeMessage, formatId, type Message } from '../../../src/raftpb/index.js';
import { goBinary } from '../../support/go.js';
import { fromHex, toHex } from '../../support/hex.js';
import { EventLog } from './event-log.js';

/** TLS files for a Go node (mutual TLS: the same pair serves and dials). */
export interface GoTlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** How to start a Go node. */
export interface GoNodeOptions {
  readonly id: bigint;
  /** Defaults to 0x1000, raftexample's. */
  readonly clusterId?: bigint;
  /** host:port to bind; defaults to 127.0.0.1:0. Pass a previous node's `addr` to restart it. */
  readonly listen?: string;
  readonly tls?: GoTlsFiles;
  /** Answer stream GETs with 404, so peers send everything through the pipeline. */
  readonly refuseStreams?: boolean;
  /** raftexample's plain listener instead of etcd's 5 s read/write-deadline listener. */
  readonly plainListener?: boolean;
  readonly snapDir?: string;
  /** zap level for the transport's log (stderr); default warn. */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/** One JSON-line event from the Go node. */
export interface GoEvent {
  readonly ev: string;
  readonly [field: string]: unknown;
}

/** A message the Go node's raft stub received through `Process`. */
export interface GoReceived {
  readonly message: Message;
  readonly hex: string;
  /** 'http' for POST /raft and /raft/snapshot, 'stream' for stream traffic. */
  readonly via: 'http' | 'stream';
  readonly snapDb?: { readonly path: string; readonly size: number; readonly sha256: string };
}

/** What the Go node's HTTP server served so far. */
export interface GoServerStats {
  readonly posts: number;
  readonly snapshotPosts: number;
  readonly msgappGets: number;
  readonly messageGets: number;
  readonly refusedGets: number;
  /** Bytes this node wrote on msgappv2 stream responses (its MsgApps to the peer). */
  readonly msgappBytes: number;
  readonly messageBytes: number;
}

const live = new Set<ChildProcessWithoutNullStreams>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

const STDERR_TAIL_LINES = 40;

/** A running Go rafthttp node. */
export class GoNode {
  /** Every event in arrival order. */
  readonly events: EventLog<GoEvent>;
  readonly id: bigint;
  private readonly stderrTail: string[] = [];
  private seq = 0;
  private ready: GoEvent = { ev: 'none' };
  private exited: Promise<number | null>;
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    id: bigint,
  ) {
    this.id = id;
    this.events = new EventLog<GoEvent>(() => this.stderrText());
    live.add(child);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code) => {
        live.delete(child);
        this.events.push({ ev: 'exit', code });
        resolve(code);
      });
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      let ev: GoEvent;
      try {
        ev = JSON.parse(line) as GoEvent;
      } catch {
        ev = { ev: 'garbage', line };
      }
      this.events.push(ev);
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
    });
  }

  /** Starts a node and waits for its `ready` event. Prefer `startGoNode(t, …)` in tests. */
  static async start(opts: GoNodeOptions): Promise<GoNode> {
    const args = [
      '-id',
      formatId(opts.id),
      '-cluster',
      formatId(opts.clusterId ?? 0x1000n),
      '-listen',
      opts.listen ?? '127.0.0.1:0',
      '-log-level',
      opts.logLevel ?? 'warn',
    ];
    if (opts.tls) args.push('-cert', opts.tls.cert, '-key', opts.tls.key, '-ca', opts.tls.ca);
    if (opts.refuseStreams) args.push('-refuse-streams');
    if (opts.plainListener) args.push('-plain-listener');
    if (opts.snapDir) args.push('-snap-dir', opts.snapDir);
    const child = spawn(goBinary('rafthttp-node'), args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const node = new GoNode(child, opts.id);
    const [ready] = await node.events.waitFor('ready', (e) => e.ev === 'ready' || e.ev === 'exit', 1, 15_000);
    if (ready?.ev !== 'ready') {
      await node.kill();
      throw new Error(`rafthttp-node did not start${node.stderrText()}`);
    }
    node.ready = ready;
    return node;
  }

  /** The URL peers use to reach this node, e.g. http://127.0.0.1:41234. */
  get url(): string {
    return String(this.ready.url);
  }

  /** host:port the node listens on (pass as `listen` to restart on the same address). */
  get addr(): string {
    return String(this.ready.addr);
  }

  /** Folder the node's snapshotter saves received snapshot databases in. */
  get snapDir(): string {
    return String(this.ready.snapDir);
  }

  /** The last lines the node logged, for error messages. */
  stderrText(): string {
    return this.stderrTail.length === 0
      ? ''
      : `\n--- rafthttp-node stderr ---\n${this.stderrTail.join('\n')}`;
  }

  /** Sends one command and resolves with its reply; rejects when the node reports an error. */
  async request(cmd: string, fields: Record<string, unknown> = {}): Promise<GoEvent> {
    const seq = ++this.seq;
    this.child.stdin.write(`${JSON.stringify({ ...fields, cmd, seq })}\n`);
    const [reply] = await this.events.waitFor(
      `reply to ${cmd}`,
      (e) => (e.ev === 'reply' && e.seq === seq) || e.ev === 'exit',
    );
    if (reply === undefined || reply.ev === 'exit')
      throw new Error(`rafthttp-node exited during ${cmd}${this.stderrText()}`);
    if (typeof reply.error === 'string') throw new Error(`rafthttp-node ${cmd}: ${reply.error}`);
    return reply;
  }

  addPeer(id: bigint, urls: readonly string[]): Promise<GoEvent> {
    return this.request('addPeer', { id: formatId(id), urls });
  }

  addRemote(id: bigint, urls: readonly string[]): Promise<GoEvent> {
    return this.request('addRemote', { id: formatId(id), urls });
  }

  updatePeer(id: bigint, urls: readonly string[]): Promise<GoEvent> {
    return this.request('updatePeer', { id: formatId(id), urls });
  }

  removePeer(id: bigint): Promise<GoEvent> {
    return this.request('removePeer', { id: formatId(id) });
  }

  /** Transport.Send of these messages (encoded here, decoded by Go). */
  send(msgs: readonly Message[]): Promise<GoEvent> {
    return this.request('send', { msgs: msgs.map((m) => toHex(encodeMessage(m))) });
  }

  /**
   * Transport.SendSnapshot of `m` (a MsgSnap) followed by `size` pseudo-random body bytes from
   * `seed`; the outcome arrives as a `snapshotSent` event ({ok, size, sha256}). With `short` > 0 the
   * body ends that many bytes early, so the transfer fails midway.
   */
  sendSnapshot(m: Message, size: number, seed = 1, short = 0): Promise<GoEvent> {
    return this.request('sendSnapshot', { msg: toHex(encodeMessage(m)), size, seed, short });
  }

  /** What IsIDRemoved(id) answers (and whether Process refuses its messages with 403). */
  setRemoved(id: bigint, removed: boolean): Promise<GoEvent> {
    return this.request('setRemoved', { id: formatId(id), removed });
  }

  refuseStreams(on: boolean): Promise<GoEvent> {
    return this.request('refuseStreams', { on });
  }

  async activePeers(): Promise<number> {
    return Number((await this.request('activePeers')).n);
  }

  /** Transport.ActiveSince(id) as Unix ms, 0 when inactive. */
  async activeSince(id: bigint): Promise<number> {
    return Number((await this.request('activeSince', { id: formatId(id) })).sinceMs);
  }

  async stats(): Promise<GoServerStats> {
    return (await this.request('stats')) as unknown as GoServerStats;
  }

  /** etcd_network_* series, keyed "name{label=value,...}". */
  async metrics(): Promise<Record<string, number>> {
    return (await this.request('metrics')).metrics as Record<string, number>;
  }

  /** Messages received so far through Process. */
  received(): GoReceived[] {
    return this.events.filter((e) => e.ev === 'recv').map(toReceived);
  }

  /** Waits until `count` received messages match `pred` (all received when omitted). */
  async waitReceived(
    count: number,
    pred: (r: GoReceived) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<GoReceived[]> {
    const evs = await this.events.waitFor(
      'received messages',
      (e) => e.ev === 'recv' && pred(toReceived(e)),
      count,
      timeoutMs,
    );
    return evs.map(toReceived);
  }

  /** Waits for an event of the given kind matching `pred`. */
  async waitEvent(
    ev: string,
    pred: (e: GoEvent) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<GoEvent> {
    const [e] = await this.events.waitFor(ev, (x) => x.ev === ev && pred(x), 1, timeoutMs);
    if (e === undefined) throw new Error(`no ${ev} event`);
    return e;
  }

  /** Graceful stop: Transport.Stop, HTTP server shutdown, process exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await this.request('stop').catch(() => undefined);
    await this.exited;
  }

  /** Abrupt crash: SIGKILL, no goodbye on any connection. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

function toReceived(e: GoEvent): GoReceived {
  const hex = String(e.msg);
  const r: GoReceived = {
    message: decodeMessage(fromHex(hex)),
    hex,
    via: e.via === 'http' ? 'http' : 'stream',
  };
  if (e.snapDb !== undefined) return { ...r, snapDb: e.snapDb as GoReceived['snapDb'] & object };
  return r;
}

/** Starts a Go node that is killed when the test `t` ends. */
export async function startGoNode(t: TestContext, opts: GoNodeOptions): Promise<GoNode> {
  const node = await GoNode.start(opts);
  t.after(() => node.kill());
  return node;
}
