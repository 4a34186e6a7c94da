/**
 * POST /raft/snapshot (etcd's snapshotHandler): the MsgSnap frame, then the database, streamed into
 * the SnapshotStore; raft processes the message only after the database is durable, and only then
 * is the answer 204. A transfer fails when no byte arrived for snapshotProgressTimeoutMs (progress,
 * not per read, so a slow link does not kill a large snapshot).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MessageType } from '../raftpb/index.js';
import { SNAPSHOT_FRAME_MAX_BYTES, UNKNOWN_SNAPSHOT_SENDER } from './constants.js';
import { describeError } from './context.js';
import { FrameDecodeError, TransportError, TransportErrorCode } from './errors.js';
import { answerRaftRejection, httpError, remoteAddress } from './http-util.js';
import type { RequestGate } from './request-gate.js';
import { splitSnapshotBody } from './snapshot-body.js';

/** Serves one snapshot upload. */
export async function serveSnapshot(
  gate: RequestGate,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const ctx = gate.host.ctx;
  const log = ctx.logger;
  const metrics = ctx.metrics;
  const started = performance.now();
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    httpError(res, 405, 'Method Not Allowed');
    metrics.snapshotReceiveFailures.inc({ From: UNKNOWN_SNAPSHOT_SENDER });
    return;
  }
  res.setHeader('X-Etcd-Cluster-Id', ctx.clusterHex);
  if (!gate.compatible(req, res, 'snapshot')) {
    metrics.snapshotReceiveFailures.inc({ From: UNKNOWN_SNAPSHOT_SENDER });
    return;
  }
  gate.learnSender(req, undefined);
  req.socket.setTimeout(0);
  const timeoutMs = ctx.snapshotProgressTimeoutMs;
  let received = 0;
  const stall = setTimeout(() => {
    log.warn(
      { 'remote-address': remoteAddress(req), 'received-bytes': received },
      `snapshot upload made no progress for ${timeoutMs} ms; closing it`,
    );
    req.destroy(
      new TransportError(
        TransportErrorCode.SnapshotStalled,
        `snapshot upload made no progress for ${timeoutMs} ms`,
      ),
    );
  }, timeoutMs);
  async function* progress(): AsyncGenerator<Uint8Array> {
    for await (const c of req) {
      received += (c as Buffer).length;
      stall.refresh();
      yield c as Buffer;
    }
  }
  let fromLabel = '0';
  metrics.snapshotReceiveInflights.inc({ From: fromLabel });
  try {
    let split: Awaited<ReturnType<typeof splitSnapshotBody>>;
    try {
      split = await splitSnapshotBody(progress(), SNAPSHOT_FRAME_MAX_BYTES);
    } catch (err) {
      const text =
        err instanceof FrameDecodeError && err.reason === 'truncated' ? 'unexpected EOF' : describeError(err);
      log.warn(
        { 'remote-address': remoteAddress(req), error: text },
        'failed to read incoming snapshot message',
      );
      if (!res.headersSent && !req.socket.destroyed)
        httpError(res, 400, `failed to decode raft message (${text})`);
      metrics.receivedFailures.inc({ From: remoteAddress(req) });
      metrics.snapshotReceiveFailures.inc({ From: fromLabel });
      return;
    }
    const m = split.message;
    metrics.snapshotReceiveInflights.dec({ From: fromLabel });
    fromLabel = m.from.toString(16);
    metrics.snapshotReceiveInflights.inc({ From: fromLabel });
    metrics.receivedBytes.inc({ From: fromLabel }, split.messageSize);
    if (m.type !== MessageType.MsgSnap) {
      log.warn({ 'remote-peer-id': fromLabel, 'message-type': m.type }, 'unexpected Raft message type');
      httpError(res, 400, 'wrong raft message type');
      metrics.snapshotReceiveFailures.inc({ From: fromLabel });
      return;
    }
    const index = m.snapshot?.metadata.index ?? 0;
    log.info(
      { 'remote-peer-id': fromLabel, 'incoming-snapshot-index': index },
      'receiving database snapshot',
    );
    let dbBytes: number;
    try {
      if (ctx.snapshotter === undefined)
        throw new TransportError(TransportErrorCode.NoSnapshotStore, 'no snapshotter configured');
      dbBytes = await ctx.snapshotter.saveDBFrom(split.db, index);
    } catch (err) {
      log.warn(
        {
          'remote-peer-id': fromLabel,
          'incoming-snapshot-index': index,
          error: describeError(err),
        },
        'failed to save KV snapshot',
      );
      if (!res.headersSent && !req.socket.destroyed)
        httpError(res, 500, `failed to save KV snapshot (${describeError(err)})`);
      metrics.snapshotReceiveFailures.inc({ From: fromLabel });
      return;
    }
    clearTimeout(stall);
    metrics.receivedBytes.inc({ From: fromLabel }, dbBytes);
    log.info(
      {
        'remote-peer-id': fromLabel,
        'incoming-snapshot-index': index,
        'db-size-bytes': dbBytes,
      },
      'received and saved database snapshot',
    );
    try {
      await ctx.raft.process(m);
    } catch (err) {
      answerRaftRejection('snapshot', req, res, err, log, {
        'remote-peer-id': fromLabel,
      });
      metrics.snapshotReceiveFailures.inc({ From: fromLabel });
      return;
    }
    res.writeHead(204);
    res.end();
    metrics.snapshotReceive.inc({ From: fromLabel });
    metrics.snapshotReceiveSeconds.observe({ From: fromLabel }, (performance.now() - started) / 1000);
  } finally {
    clearTimeout(stall);
    metrics.snapshotReceiveInflights.dec({ From: fromLabel });
  }
}
