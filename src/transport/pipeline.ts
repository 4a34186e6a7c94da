/**
 * etcd's pipeline: POST /raft, one message per request, at most 4 in flight per peer and 64 more
 * queued. Used for MsgSnap passed to `send` and for anything whose stream is down. Success is
 * exactly 204; any failure moves the URL picker on, deactivates the peer and reports unreachable.
 * No retry: raft retransmits (except once, on a fresh connection, when a kept-alive connection
 * turned out to be closed before any answer: the request never reached the peer).
 *
 * Each of the 4 workers owns one keep-alive HTTP/1.1 connection (Http1Connection), closed after
 * PIPELINE_KEEPALIVE_TIMEOUT_MS idle, before a Go peer's 5 s idle deadline would cut it.
 */
import { type Message, MessageType, messageSize, writeMessage } from '../raftpb/index.js';
import { BoundedQueue } from './bounded-queue.js';
import {
  PIPELINE_CONNECTIONS,
  PIPELINE_KEEPALIVE_TIMEOUT_MS,
  PIPELINE_QUEUE_SIZE,
  PIPELINE_REQUEST_TIMEOUT_MS,
} from './constants.js';
import type { TransportContext } from './context.js';
import type { TransportError } from './errors.js';
import { reportPeerFailure } from './failure-reporter.js';
import { Http1Connection } from './http1-connection.js';
import { asTransportError, classifyPeerAnswer } from './peer-response.js';
import type { PeerStatus } from './peer-status.js';
import type { FollowerStats } from './stats.js';
import { SnapshotStatus } from './types.js';
import type { UrlPicker } from './url-picker.js';

/** One worker's connection. */
interface Slot {
  busy: boolean;
  conn: Http1Connection | undefined;
  url: string;
  /** Request head up to (not including) Content-Length, for `url`. */
  headPrefix: string;
  lastUsed: number;
}

/** POST /raft for one peer: 4 workers, 64 queued. */
export class Pipeline {
  private readonly ctx: TransportContext;
  private readonly peerHex: string;
  private readonly status: PeerStatus;
  private readonly picker: UrlPicker;
  private readonly followerStats: FollowerStats | undefined;
  private readonly queue = new BoundedQueue<Message>(PIPELINE_QUEUE_SIZE);
  private readonly slots: Slot[] = [];
  private readonly fixedHeaders: string;
  private inflight = 0;
  private stopped = false;
  private idle: (() => void) | undefined;

  constructor(
    ctx: TransportContext,
    peerId: bigint,
    status: PeerStatus,
    picker: UrlPicker,
    followerStats: FollowerStats | undefined,
  ) {
    this.ctx = ctx;
    this.peerHex = peerId.toString(16);
    this.status = status;
    this.picker = picker;
    this.followerStats = followerStats;
    let fixed = 'Content-Type: application/protobuf\r\n';
    for (const [k, v] of Object.entries(ctx.baseHeaders)) fixed += `${k}: ${v}\r\n`;
    this.fixedHeaders = fixed;
    for (let i = 0; i < PIPELINE_CONNECTIONS; i++)
      this.slots.push({ busy: false, conn: undefined, url: '', headPrefix: '', lastUsed: 0 });
  }

  /** Messages waiting (not counting the ones in flight). */
  get queued(): number {
    return this.queue.length;
  }

  /** Starts posting `m` or queues it; false when 4 are in flight and 64 are queued (caller drops). */
  enqueue(m: Message): boolean {
    if (this.stopped) return false;
    if (this.inflight < PIPELINE_CONNECTIONS) {
      this.inflight++;
      const slot = this.slots.find((s) => !s.busy)!;
      slot.busy = true;
      void this.work(slot, m);
      return true;
    }
    return this.queue.push(m);
  }

  /** Cancels requests in flight, closes every connection and discards the queue. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.queue.clear();
    for (const s of this.slots) {
      s.conn?.close();
      s.conn = undefined;
    }
    if (this.inflight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
  }

  private async work(slot: Slot, m: Message): Promise<void> {
    for (;;) {
      await this.postOne(slot, m);
      const next = this.stopped ? undefined : this.queue.shift();
      if (next === undefined) break;
      m = next;
    }
    slot.busy = false;
    this.inflight--;
    if (this.inflight === 0 && this.idle !== undefined) this.idle();
  }

  /** The slot's connection to `url`: reused while fresh and alive, else a new one. */
  private connection(slot: Slot, url: string): Http1Connection {
    const now = performance.now();
    let conn = slot.conn;
    if (
      conn !== undefined &&
      (conn.closed || slot.url !== url || now - slot.lastUsed > PIPELINE_KEEPALIVE_TIMEOUT_MS)
    ) {
      conn.close();
      conn = undefined;
    }
    if (conn === undefined) {
      conn = new Http1Connection({
        url,
        tls: this.ctx.tlsClient,
        dialTimeoutMs: this.ctx.dialTimeoutMs,
        responseTimeoutMs: PIPELINE_REQUEST_TIMEOUT_MS,
      });
      slot.conn = conn;
      if (slot.url !== url) {
        slot.url = url;
        slot.headPrefix = `POST /raft HTTP/1.1\r\nHost: ${new URL(url).host}\r\n${this.fixedHeaders}`;
      }
    }
    slot.lastUsed = now;
    return conn;
  }

  private async postOne(slot: Slot, m: Message): Promise<void> {
    const url = this.picker.pick();
    const size = messageSize(m);
    const body = Buffer.allocUnsafe(size);
    writeMessage(body, 0, m);
    const started = performance.now();
    let failure: TransportError | undefined;
    for (let attempt = 0; ; attempt++) {
      const conn = this.connection(slot, url);
      try {
        const res = await conn.request(`${slot.headPrefix}Content-Length: ${size}\r\n\r\n`, body);
        failure = classifyPeerAnswer('post', res, url, this.ctx.clusterHex);
        break;
      } catch (err) {
        // A kept-alive connection the peer had already closed: the request never got there.
        if (attempt === 0 && conn.served > 0 && conn.failedBeforeResponse && !this.stopped) continue;
        failure = asTransportError(err, url);
        break;
      }
    }
    if (this.stopped) return;
    if (failure === undefined) {
      this.status.activate();
      if (m.type === MessageType.MsgApp) this.followerStats?.succ(performance.now() - started);
      if (m.type === MessageType.MsgSnap) this.ctx.raft.reportSnapshot(m.to, SnapshotStatus.SnapshotFinish);
      this.ctx.metrics.sentBytes.inc({ To: this.peerHex }, size);
      return;
    }
    if (m.type === MessageType.MsgApp) this.followerStats?.fail();
    reportPeerFailure(
      this.ctx,
      {
        kind: 'post',
        peerId: m.to,
        url,
        picker: this.picker,
        status: this.status,
        source: 'pipeline',
        action: 'write',
        fields: { 'remote-peer-id': this.peerHex, 'remote-peer-url': url },
      },
      failure,
    );
    if (m.type === MessageType.MsgSnap) this.ctx.raft.reportSnapshot(m.to, SnapshotStatus.SnapshotFailure);
  }
}
