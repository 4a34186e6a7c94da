/**
 * etcd's peer: everything this member keeps for one other member — status, URL picker, two stream
 * writers (attached by the handler), two stream readers (dialing), the pipeline, the snapshot
 * sender, and the two receive queues (messages, proposals). `send` picks the channel exactly as
 * etcd's peer.pick does and drops (with reports) where etcd drops.
 */
import type { ServerResponse } from 'node:http';
import { type Message, MessageType } from '../raftpb/index.js';
import { PROPOSAL_QUEUE_SIZE, RECEIVE_QUEUE_SIZE } from './constants.js';
import type { TransportContext } from './context.js';
import type { Channel } from './metrics.js';
import { PeerStatus } from './peer-status.js';
import { Pipeline } from './pipeline.js';
import { ProcessQueue } from './process-queue.js';
import { SnapshotSender } from './snapshot-sender.js';
import type { FollowerStats } from './stats.js';
import { type MessageSink, StreamReader } from './stream-reader.js';
import { StreamWriter } from './stream-writer.js';
import { type SnapshotMessage, SnapshotStatus } from './types.js';
import { UrlPicker } from './url-picker.js';
import type { StreamType } from './version.js';

/** Everything kept for one peer: streams, pipeline, snapshot sender, receive queues. */
export class Peer implements MessageSink {
  readonly id: bigint;
  readonly hex: string;
  readonly status: PeerStatus;
  readonly picker: UrlPicker;
  private readonly ctx: TransportContext;
  private readonly msgAppV2Writer: StreamWriter;
  private readonly writer: StreamWriter;
  private readonly pipeline: Pipeline;
  private readonly snapSender: SnapshotSender;
  private readonly msgAppV2Reader: StreamReader;
  private readonly msgReader: StreamReader;
  private readonly recvQueue: ProcessQueue;
  private readonly propQueue: ProcessQueue;
  /** Outgoing messages are dropped and incoming stream messages ignored (pause / cutPeer). */
  paused = false;
  /** Outgoing messages dropped because a queue was full. */
  dropped = 0;

  constructor(ctx: TransportContext, id: bigint, urls: string[], followerStats: FollowerStats | undefined) {
    this.ctx = ctx;
    this.id = id;
    this.hex = id.toString(16);
    this.status = new PeerStatus(ctx.localHex, this.hex, ctx.logger, ctx.metrics, ctx.now);
    this.picker = new UrlPicker(urls);
    this.pipeline = new Pipeline(ctx, id, this.status, this.picker, followerStats);
    this.msgAppV2Writer = new StreamWriter(ctx, 'msgappv2', id, this.status, followerStats);
    this.writer = new StreamWriter(ctx, 'message', id, this.status, undefined);
    this.snapSender = new SnapshotSender(ctx, id, this.status, this.picker);
    this.recvQueue = new ProcessQueue(ctx.raft, ctx.logger, RECEIVE_QUEUE_SIZE);
    this.propQueue = new ProcessQueue(ctx.raft, ctx.logger, PROPOSAL_QUEUE_SIZE);
    this.msgAppV2Reader = new StreamReader(ctx, 'msgappv2', id, this.status, this.picker, this);
    this.msgReader = new StreamReader(ctx, 'message', id, this.status, this.picker, this);
    this.msgAppV2Reader.start();
    this.msgReader.start();
  }

  /** Sends `m` on the channel etcd would pick; drops with reports when its queue is full. */
  send(m: Message): void {
    if (this.paused) return;
    let channel: Channel;
    let ok: boolean;
    if (m.type === MessageType.MsgSnap) {
      channel = 'pipeline';
      ok = this.pipeline.enqueue(m);
    } else if (m.type === MessageType.MsgApp && this.msgAppV2Writer.working) {
      channel = 'streamMsgAppV2';
      ok = this.msgAppV2Writer.enqueue(m);
    } else if (this.writer.working) {
      channel = 'streamMsg';
      ok = this.writer.enqueue(m);
    } else {
      channel = 'pipeline';
      ok = this.pipeline.enqueue(m);
    }
    if (ok) return;
    this.dropped++;
    const raft = this.ctx.raft;
    raft.reportUnreachable(m.to);
    if (m.type === MessageType.MsgSnap) raft.reportSnapshot(m.to, SnapshotStatus.SnapshotFailure);
    this.ctx.drops.drop(
      this.hex,
      channel,
      m.type,
      'send',
      this.status.isActive(),
      'dropped internal Raft message since sending buffer is full (overloaded network)',
    );
  }

  /** A merged snapshot (not affected by pause, as in etcd). */
  sendSnapshot(sm: SnapshotMessage): Promise<boolean> {
    return this.snapSender.send(sm);
  }

  /** From the stream readers: MsgProp to the proposal queue, the rest to the receive queue. */
  receive(m: Message): void {
    const isProp = m.type === MessageType.MsgProp;
    if ((isProp ? this.propQueue : this.recvQueue).push(m)) return;
    this.ctx.drops.drop(
      m.from.toString(16),
      isProp ? 'recvProp' : 'recvMsg',
      m.type,
      'receive',
      this.status.isActive(),
      this.status.isActive()
        ? 'dropped internal Raft message since receiving buffer is full (overloaded network)'
        : 'dropped Raft message since receiving buffer is full (overloaded network)',
    );
  }

  /** The handler hands over a stream response the peer dialed. */
  attachStream(type: StreamType, res: ServerResponse): void {
    (type === 'msgappv2' ? this.msgAppV2Writer : this.writer).attach(res);
  }

  /** Whether each stream this member writes to the peer on is attached. */
  streams(): { msgappv2: boolean; message: boolean } {
    return { msgappv2: this.msgAppV2Writer.working, message: this.writer.working };
  }

  update(urls: string[]): void {
    this.picker.update(urls);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** Queue depths for the gauge. */
  *queueDepths(): Iterable<[string, Channel, number]> {
    yield [this.hex, 'streamMsgAppV2', this.msgAppV2Writer.queued];
    yield [this.hex, 'streamMsg', this.writer.queued];
    yield [this.hex, 'pipeline', this.pipeline.queued];
    yield [this.hex, 'recvMsg', this.recvQueue.queued];
    yield [this.hex, 'recvProp', this.propQueue.queued];
  }

  /** etcd peer.stop order: queues, writers, pipeline, snapshot sender, readers. */
  async stop(): Promise<void> {
    this.recvQueue.close();
    this.propQueue.close();
    this.msgAppV2Writer.stop();
    this.writer.stop();
    await Promise.all([
      this.pipeline.stop(),
      this.snapSender.stop(),
      this.msgAppV2Reader.stop(),
      this.msgReader.stop(),
    ]);
    this.status.close();
  }
}
