/**
 * etcd's pipeline: POST /raft, one message per request, at most 4 in flight per peer and 64 more
 * queued. Used for MsgSnap passed to `send` and for anything whose stream is down. Success is
 * exactly 204; any failure moves the URL picker on, deactivates the peer and reports unreachable.
 * No retry: raft retransmits.
 */
import { type Message, MessageType, messageSize, writeMessage } from '../raftpb/index.js';
import { BoundedQueue } from './bounded-queue.js';
import { PIPELINE_CONNECTIONS, PIPELINE_QUEUE_SIZE, PIPELINE_REQUEST_TIMEOUT_MS } from './constants.js';
import { describeError, type TransportContext } from './context.js';
import { TransportErrorCode } from './errors.js';
import type { PeerStatus } from './peer-status.js';
import { checkPostResponse } from './post-response.js';
import type { FollowerStats } from './stats.js';
import { describeTlsFailure } from './tls.js';
import { SnapshotStatus } from './types.js';
import type { UrlPicker } from './url-picker.js';

export class Pipeline {
  private readonly ctx: TransportContext;
  private readonly peerHex: string;
  private readonly status: PeerStatus;
  private readonly picker: UrlPicker;
  private readonly followerStats: FollowerStats | undefined;
  private readonly queue = new BoundedQueue<Message>(PIPELINE_QUEUE_SIZE);
  private readonly abort = new AbortController();
  private readonly headers: Record<string, string>;
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
    this.headers = { ...ctx.baseHeaders, 'Content-Type': 'application/protobuf' };
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
      void this.post(m);
      return true;
    }
    return this.queue.push(m);
  }

  /** Cancels requests in flight and discards the queue. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.queue.clear();
    this.abort.abort();
    if (this.inflight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
  }

  private async post(m: Message): Promise<void> {
    for (;;) {
      await this.postOne(m);
      const next = this.stopped ? undefined : this.queue.shift();
      if (next === undefined) break;
      m = next;
    }
    this.inflight--;
    if (this.inflight === 0 && this.idle !== undefined) this.idle();
  }

  private async postOne(m: Message): Promise<void> {
    const url = this.picker.pick();
    const size = messageSize(m);
    const body = Buffer.allocUnsafe(size);
    writeMessage(body, 0, m);
    const started = performance.now();
    let failure: unknown;
    try {
      const res = await this.ctx.pipelineClient.request({
        origin: url,
        path: '/raft',
        method: 'POST',
        headers: this.headers,
        body,
        signal: this.abort.signal,
        headersTimeout: PIPELINE_REQUEST_TIMEOUT_MS,
        bodyTimeout: PIPELINE_REQUEST_TIMEOUT_MS,
      });
      let text = '';
      if (res.statusCode === 204) await res.body.dump();
      else text = await res.body.text();
      const cluster = res.headers['x-etcd-cluster-id'];
      failure = checkPostResponse(
        res.statusCode,
        text,
        url,
        this.ctx.clusterHex,
        Array.isArray(cluster) ? cluster[0] : cluster,
      );
    } catch (err) {
      failure = err;
    }
    if (this.stopped) return;
    if (failure === undefined) {
      this.status.activate();
      if (m.type === MessageType.MsgApp) this.followerStats?.succ(performance.now() - started);
      if (m.type === MessageType.MsgSnap) this.ctx.raft.reportSnapshot(m.to, SnapshotStatus.SnapshotFinish);
      this.ctx.metrics.sentBytes.inc({ To: this.peerHex }, size);
      return;
    }
    this.picker.unreachable(url);
    const code = (failure as { code?: unknown }).code;
    if (code === TransportErrorCode.MemberRemoved) this.ctx.reportCritical(failure as never);
    const tls = describeTlsFailure(failure);
    if (tls !== undefined)
      this.ctx.logger.warn(
        { 'remote-peer-id': this.peerHex, 'remote-peer-url': url, reason: tls },
        'TLS verification of peer failed',
      );
    this.status.deactivate('pipeline', 'write', describeError(failure));
    if (m.type === MessageType.MsgApp) this.followerStats?.fail();
    this.ctx.raft.reportUnreachable(m.to);
    if (m.type === MessageType.MsgSnap) this.ctx.raft.reportSnapshot(m.to, SnapshotStatus.SnapshotFailure);
    this.ctx.metrics.sentFailures.inc({ To: this.peerHex });
  }
}
