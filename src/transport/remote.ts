/**
 * etcd's remote: a member that is not (yet) a peer but must be reachable, e.g. while catching up.
 * Pipeline only; its queue overflowing is logged and counted but not reported to raft.
 */
import type { Message } from '../raftpb/index.js';
import type { TransportContext } from './context.js';
import type { Channel } from './metrics.js';
import { PeerStatus } from './peer-status.js';
import { Pipeline } from './pipeline.js';
import { UrlPicker } from './url-picker.js';

/** A pipeline-only route to a member that is not a peer. */
export class Remote {
  readonly id: bigint;
  readonly hex: string;
  private readonly ctx: TransportContext;
  private readonly status: PeerStatus;
  private readonly picker: UrlPicker;
  private pipeline: Pipeline;
  private paused = false;
  private stale: Pipeline[] = [];

  constructor(ctx: TransportContext, id: bigint, urls: string[]) {
    this.ctx = ctx;
    this.id = id;
    this.hex = id.toString(16);
    this.status = new PeerStatus(ctx.localHex, this.hex, ctx.logger, ctx.metrics, ctx.now);
    this.picker = new UrlPicker(urls);
    this.pipeline = new Pipeline(ctx, id, this.status, this.picker, undefined);
  }

  send(m: Message): void {
    if (!this.paused && this.pipeline.enqueue(m)) return;
    const active = this.status.isActive();
    this.ctx.drops.drop(
      this.hex,
      'pipeline',
      m.type,
      'send',
      active,
      active
        ? 'dropped internal Raft message since sending buffer is full (overloaded network)'
        : 'dropped Raft message since sending buffer is full (overloaded network)',
    );
  }

  /** etcd: pause stops the pipeline; messages sent meanwhile are dropped. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.stale.push(this.pipeline);
    void this.pipeline.stop();
  }

  /** etcd: resume starts a fresh pipeline. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.pipeline = new Pipeline(this.ctx, this.id, this.status, this.picker, undefined);
  }

  *queueDepths(): Iterable<[string, Channel, number]> {
    yield [this.hex, 'pipeline', this.pipeline.queued];
  }

  async stop(): Promise<void> {
    await Promise.all([this.pipeline.stop(), ...this.stale.map((p) => p.stop())]);
    this.stale = [];
    this.status.close();
  }
}
