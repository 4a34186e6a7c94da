/**
 * etcd's streamWriter: the sending end of one stream type towards one peer. The peer dialed us; the
 * HTTP handler attaches that response here. Messages queue (4096) and are written in batches: every
 * message queued when a drain runs goes into ONE buffer and ONE res.write (up to 2048 messages or
 * STREAM_FLUSH_MAX_BYTES), which is what makes the stream fast. A link heartbeat is written every
 * 1.67 s. A write that cannot drain within the write deadline closes the connection.
 */
import type { ServerResponse } from 'node:http';
import { type Message, MessageType, messageSize } from '../raftpb/index.js';
import { BoundedQueue } from './bounded-queue.js';
import {
  CONN_WRITE_TIMEOUT_MS,
  LINK_HEARTBEAT_INTERVAL_MS,
  STREAM_FLUSH_MAX_BYTES,
  STREAM_FLUSH_MAX_MESSAGES,
  STREAM_QUEUE_SIZE,
} from './constants.js';
import type { TransportContext } from './context.js';
import { TransportError, TransportErrorCode } from './errors.js';
import {
  encodeFrames,
  FRAME_HEADER_BYTES,
  LINK_HEARTBEAT,
  LINK_HEARTBEAT_SIZE,
  writeFrame,
} from './message-codec.js';
import { MsgAppV2Encoder } from './msgappv2-codec.js';
import type { PeerStatus } from './peer-status.js';
import type { FollowerStats } from './stats.js';
import type { StreamType } from './version.js';

/** etcd's String() of a stream type, used in logs and peer status. */
export function streamTypeName(t: StreamType): string {
  return t === 'msgappv2' ? 'stream MsgApp v2' : 'stream Message';
}

const HEARTBEAT_FRAME = encodeFrames([LINK_HEARTBEAT]);
const HEARTBEAT_RECORD = Buffer.from([0]);

/** The writing end of one stream type towards one peer. */
export class StreamWriter {
  readonly type: StreamType;
  private readonly ctx: TransportContext;
  private readonly peerId: bigint;
  private readonly peerHex: string;
  private readonly status: PeerStatus;
  private readonly followerStats: FollowerStats | undefined;
  private readonly queue = new BoundedQueue<Message>(STREAM_QUEUE_SIZE);
  private res: ServerResponse | undefined;
  private encoder: MsgAppV2Encoder | undefined;
  private flushScheduled = false;
  private awaitingDrain = false;
  private writeTimer: NodeJS.Timeout | undefined;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private sizes: number[] = [];
  private stopped = false;
  /** True while a connection is attached: only then does the peer route messages here. */
  working = false;

  constructor(
    ctx: TransportContext,
    type: StreamType,
    peerId: bigint,
    status: PeerStatus,
    followerStats: FollowerStats | undefined,
  ) {
    this.ctx = ctx;
    this.type = type;
    this.peerId = peerId;
    this.peerHex = peerId.toString(16);
    this.status = status;
    this.followerStats = followerStats;
    this.heartbeatTimer = setInterval(this.onHeartbeat, LINK_HEARTBEAT_INTERVAL_MS);
  }

  /** Messages waiting. */
  get queued(): number {
    return this.queue.length;
  }

  /** Queues `m` for the attached connection; false when the queue is full (the caller drops). */
  enqueue(m: Message): boolean {
    if (!this.queue.push(m)) return false;
    if (!this.flushScheduled && !this.awaitingDrain) {
      this.flushScheduled = true;
      // A microtask: the messages of one `send` (a Ready's) leave in the same turn, in one write.
      // On `setImmediate` they waited for the next loop iteration, behind all I/O then ready —
      // one such wait per hop of a commit round. bench/kv A/B (8 s rows, load 7-14), this vs
      // setImmediate, C=64/16/64/16: ops/s 1665/1282/2811/3040 vs 1231/1106/2656/2387 and, roles
      // swapped, 2456/1514/5307/3156 vs 1447/1573/5310/1643; cpu µs/op 541/878/301/448 vs
      // 649/749/421/502 and 503/750/256/383 vs 622/767/254/549.
      queueMicrotask(this.flush);
    }
    return true;
  }

  /** Takes over a new stream response from the handler, closing (and emptying) the previous one. */
  attach(res: ServerResponse): void {
    if (this.stopped) {
      res.end();
      return;
    }
    const replaced = this.closeConnection();
    this.res = res;
    this.encoder = this.type === 'msgappv2' ? new MsgAppV2Encoder() : undefined;
    this.awaitingDrain = false;
    this.working = true;
    this.status.activate();
    res.on('drain', this.onDrain);
    res.on('close', () => {
      if (this.res === res) this.lose('write', 'connection closed by peer');
    });
    const fields = {
      'stream-writer-type': streamTypeName(this.type),
      'remote-peer-id': this.peerHex,
    };
    if (replaced) this.ctx.logger.warn(fields, 'closed TCP streaming connection with remote peer');
    this.ctx.logger.warn(fields, 'established TCP streaming connection with remote peer');
  }

  /** Stops the writer: ends the connection and the heartbeat timer. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.heartbeatTimer);
    if (this.closeConnection()) {
      this.ctx.logger.warn(
        { 'stream-writer-type': streamTypeName(this.type), 'remote-peer-id': this.peerHex },
        'closed TCP streaming connection with remote peer',
      );
    }
    this.queue.clear();
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const res = this.res;
    while (res !== undefined && this.working && !this.awaitingDrain && this.queue.length > 0) {
      const buf = this.encoder === undefined ? this.encodeMessageBatch() : this.encodeMsgAppBatch();
      if (!res.write(buf)) {
        this.awaitingDrain = true;
        if (this.writeTimer === undefined)
          this.writeTimer = setTimeout(this.onWriteTimeout, CONN_WRITE_TIMEOUT_MS);
        else this.writeTimer.refresh();
      }
    }
  };

  /** Frames of as many queued messages as one batch takes, in one buffer. */
  private encodeMessageBatch(): Buffer {
    const q = this.queue;
    const sizes = this.sizes;
    let n = 0;
    let total = 0;
    let protoBytes = 0;
    // Peek-and-size first so the buffer is allocated once.
    const limit = Math.min(q.length, STREAM_FLUSH_MAX_MESSAGES);
    const taken: Message[] = this.batch;
    while (n < limit) {
      const m = q.shift()!;
      const s = messageSize(m);
      taken[n] = m;
      sizes[n] = s;
      n++;
      total += FRAME_HEADER_BYTES + s;
      protoBytes += s;
      if (total >= STREAM_FLUSH_MAX_BYTES) break;
    }
    const buf = Buffer.allocUnsafe(total);
    let pos = 0;
    for (let i = 0; i < n; i++) {
      pos = writeFrame(buf, pos, taken[i]!, sizes[i]!);
      taken[i] = undefined as unknown as Message;
    }
    this.ctx.metrics.sentBytes.inc({ To: this.peerHex }, protoBytes);
    return buf;
  }

  private readonly batch: Message[] = [];

  /** msgappv2 records of as many queued messages as one batch takes, in one buffer. */
  private encodeMsgAppBatch(): Buffer {
    const q = this.queue;
    const enc = this.encoder!;
    const taken = this.batch;
    enc.beginPlan();
    let n = 0;
    let total = 0;
    let apps = 0;
    const limit = Math.min(q.length, STREAM_FLUSH_MAX_MESSAGES);
    while (n < limit) {
      const m = q.shift()!;
      taken[n++] = m;
      total += enc.recordSize(m);
      if (m.type === MessageType.MsgApp) apps++;
      if (total >= STREAM_FLUSH_MAX_BYTES) break;
    }
    const started = this.followerStats === undefined ? 0 : performance.now();
    const buf = Buffer.allocUnsafe(total);
    let pos = 0;
    for (let i = 0; i < n; i++) {
      pos = enc.write(buf, pos, taken[i]!);
      taken[i] = undefined as unknown as Message;
    }
    if (this.followerStats !== undefined && apps > 0)
      this.followerStats.succ(performance.now() - started, apps);
    // Wire record bytes (etcd counts each message's protobuf size; records are within a few bytes of it).
    this.ctx.metrics.sentBytes.inc({ To: this.peerHex }, total);
    return buf;
  }

  private readonly onDrain = (): void => {
    this.awaitingDrain = false;
    if (this.writeTimer !== undefined) {
      clearTimeout(this.writeTimer);
      this.writeTimer = undefined;
    }
    if (this.queue.length > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  };

  private readonly onWriteTimeout = (): void => {
    this.writeTimer = undefined;
    if (this.awaitingDrain && this.res !== undefined) {
      this.ctx.metrics.sentFailures.inc({ To: this.peerHex });
      const err = new TransportError(
        TransportErrorCode.WriteTimeout,
        `write deadline of ${CONN_WRITE_TIMEOUT_MS} ms exceeded (peer not reading)`,
      );
      this.lose('write', `${err.code}: ${err.message}`);
    }
  };

  private readonly onHeartbeat = (): void => {
    const res = this.res;
    if (res === undefined || !this.working || this.awaitingDrain) return;
    if (!res.write(this.encoder === undefined ? HEARTBEAT_FRAME : HEARTBEAT_RECORD)) {
      this.awaitingDrain = true;
      if (this.writeTimer === undefined)
        this.writeTimer = setTimeout(this.onWriteTimeout, CONN_WRITE_TIMEOUT_MS);
    }
    this.ctx.metrics.sentBytes.inc({ To: this.peerHex }, LINK_HEARTBEAT_SIZE);
  };

  /** The connection failed: deactivate, close, report (etcd's write-error path). */
  private lose(action: string, reason: string): void {
    this.status.deactivate(streamTypeName(this.type), action, reason);
    this.closeConnection();
    this.ctx.logger.warn(
      {
        'stream-writer-type': streamTypeName(this.type),
        'remote-peer-id': this.peerHex,
        reason,
      },
      'lost TCP streaming connection with remote peer',
    );
  }

  /**
   * etcd closeUnlocked: ends the current response; queued messages are discarded with one
   * reportUnreachable. Returns whether a connection was open.
   */
  private closeConnection(): boolean {
    const res = this.res;
    if (res === undefined) return false;
    const stalled = this.awaitingDrain;
    this.res = undefined;
    this.working = false;
    this.awaitingDrain = false;
    if (this.writeTimer !== undefined) {
      clearTimeout(this.writeTimer);
      this.writeTimer = undefined;
    }
    res.off('drain', this.onDrain);
    // A clean end gives the reader EOF; a peer that stopped reading would never take the end: cut it.
    if (stalled || res.destroyed) res.destroy();
    else res.end();
    if (this.queue.clear() > 0) this.ctx.raft.reportUnreachable(this.peerId);
    return true;
  }
}
