/**
 * etcd's snapshotSender: POST /raft/snapshot with the MsgSnap frame followed by the database,
 * streamed from the caller's source with bounded memory (undici pulls the next chunk only when the
 * socket took the last one). A transfer fails when no byte moved for snapshotProgressTimeoutMs, not
 * per read; once the body is sent the receiver gets SNAPSHOT_RESPONSE_HEADERS_TIMEOUT_MS to save,
 * fsync and answer. Both outcomes reach raft through reportSnapshot.
 */
import { Readable } from 'node:stream';
import { SNAPSHOT_RESPONSE_HEADERS_TIMEOUT_MS, SNAPSHOT_RESPONSE_READ_TIMEOUT_MS } from './constants.js';
import { describeError, type TransportContext } from './context.js';
import { TransportError, TransportErrorCode } from './errors.js';
import { reportPeerFailure } from './failure-reporter.js';
import { asTransportError, classifyPeerAnswer } from './peer-response.js';
import type { PeerStatus } from './peer-status.js';
import { encodeSnapshotHead, exactLength } from './snapshot-body.js';
import { type SnapshotMessage, SnapshotStatus } from './types.js';
import type { UrlPicker } from './url-picker.js';

/** Sends merged snapshots to one peer, each in its own POST. */
export class SnapshotSender {
  private readonly ctx: TransportContext;
  private readonly peerId: bigint;
  private readonly peerHex: string;
  private readonly status: PeerStatus;
  private readonly picker: UrlPicker;
  private readonly stopSignal = new AbortController();
  private readonly inflight = new Set<Promise<void>>();
  private readonly headers: Record<string, string>;

  constructor(ctx: TransportContext, peerId: bigint, status: PeerStatus, picker: UrlPicker) {
    this.ctx = ctx;
    this.peerId = peerId;
    this.peerHex = peerId.toString(16);
    this.status = status;
    this.picker = picker;
    this.headers = { ...ctx.baseHeaders, 'Content-Type': 'application/octet-stream' };
  }

  /**
   * Sends one merged snapshot: resolves when the peer answered 204, rejects with the
   * TransportError that failed it otherwise (raft hears both through reportSnapshot first).
   */
  send(sm: SnapshotMessage): Promise<void> {
    const p = this.transfer(sm);
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  /** Fails transfers in flight (etcd errStopped) and waits for them to report. */
  async stop(): Promise<void> {
    this.stopSignal.abort(new TransportError(TransportErrorCode.Stopped, 'snapshot sender stopped'));
    await Promise.allSettled([...this.inflight]);
  }

  private async transfer(sm: SnapshotMessage): Promise<void> {
    const m = sm.message;
    const url = this.picker.pick();
    const started = performance.now();
    const timeoutMs = this.ctx.snapshotProgressTimeoutMs;
    const abort = new AbortController();
    const onStop = () => abort.abort(this.stopSignal.signal.reason);
    this.stopSignal.signal.addEventListener('abort', onStop, { once: true });
    let sentDb = 0;
    const timer = setTimeout(() => {
      abort.abort(
        new TransportError(
          TransportErrorCode.SnapshotStalled,
          `snapshot to ${this.peerHex} made no progress for ${timeoutMs} ms (${sentDb} database bytes sent)`,
        ),
      );
    }, timeoutMs);
    let settled = false;
    const onProgress = (n: number) => {
      sentDb += n;
      if (!settled) timer.refresh();
    };
    const head = encodeSnapshotHead(m);
    const source = sm.body as AsyncIterable<Uint8Array>;
    async function* body() {
      yield head;
      try {
        yield* exactLength(source, sm.dbSize, onProgress);
      } catch (err) {
        if (err instanceof TransportError) throw err;
        throw new TransportError(
          TransportErrorCode.SnapshotSourceFailed,
          `snapshot body source failed: ${describeError(err)}`,
          { cause: err },
        );
      }
      // Uploaded: the receiver now saves, fsyncs and runs process() before answering. (A generator
      // abandoned by an aborted request can still get here later: then there is nothing to time.)
      clearTimeout(timer);
      if (settled) return;
      responseTimer = setTimeout(() => {
        abort.abort(
          new TransportError(
            TransportErrorCode.SnapshotStalled,
            `no answer to snapshot upload within ${SNAPSHOT_RESPONSE_HEADERS_TIMEOUT_MS} ms`,
          ),
        );
      }, SNAPSHOT_RESPONSE_HEADERS_TIMEOUT_MS);
    }
    let responseTimer: NodeJS.Timeout | undefined;
    const fields = {
      'remote-peer-id': this.peerHex,
      'remote-peer-url': url,
      'snapshot-index': m.snapshot?.metadata.index ?? 0,
    };
    this.ctx.logger.info(fields, 'sending database snapshot');
    this.ctx.metrics.snapshotSendInflights.inc({ To: this.peerHex });
    let failure: TransportError | undefined;
    try {
      const res = await this.ctx.snapshotClient.request({
        origin: url,
        path: '/raft/snapshot',
        method: 'POST',
        headers: this.headers,
        body: Readable.from(body(), { objectMode: false }),
        signal: abort.signal,
        headersTimeout: 0,
        bodyTimeout: SNAPSHOT_RESPONSE_READ_TIMEOUT_MS,
      });
      clearTimeout(timer);
      if (responseTimer !== undefined) clearTimeout(responseTimer);
      const text = await res.body.text();
      const cluster = res.headers['x-etcd-cluster-id'];
      failure = classifyPeerAnswer(
        'post',
        { status: res.statusCode, body: text, clusterId: Array.isArray(cluster) ? cluster[0] : cluster },
        url,
        this.ctx.clusterHex,
      );
    } catch (err) {
      failure = asTransportError(abort.signal.aborted ? abort.signal.reason : err, url);
    } finally {
      settled = true;
      clearTimeout(timer);
      if (responseTimer !== undefined) clearTimeout(responseTimer);
      this.stopSignal.signal.removeEventListener('abort', onStop);
      this.ctx.metrics.snapshotSendInflights.dec({ To: this.peerHex });
      const destroy = (sm.body as { destroy?: () => void }).destroy;
      if (typeof destroy === 'function') destroy.call(sm.body);
    }
    const raft = this.ctx.raft;
    if (failure === undefined) {
      this.status.activate();
      raft.reportSnapshot(this.peerId, SnapshotStatus.SnapshotFinish);
      this.ctx.logger.info({ ...fields, 'size-bytes': head.length - 8 + sentDb }, 'sent database snapshot');
      this.ctx.metrics.sentBytes.inc({ To: this.peerHex }, head.length - 8 + sentDb);
      this.ctx.metrics.snapshotSend.inc({ To: this.peerHex });
      this.ctx.metrics.snapshotSendSeconds.observe(
        { To: this.peerHex },
        (performance.now() - started) / 1000,
      );
      return;
    }
    this.ctx.logger.warn({ ...fields, error: describeError(failure) }, 'failed to send database snapshot');
    reportPeerFailure(
      this.ctx,
      {
        kind: 'post',
        peerId: this.peerId,
        url,
        picker: this.picker,
        status: this.status,
        source: 'sendMsgSnap',
        action: 'post',
        fields,
      },
      failure,
    );
    raft.reportSnapshot(this.peerId, SnapshotStatus.SnapshotFailure);
    this.ctx.metrics.snapshotSendFailures.inc({ To: this.peerHex });
    throw failure;
  }
}
