/**
 * POST /raft (etcd's pipelineHandler): one protobuf message per request, processed by raft before
 * the 204. Body capped at PIPELINE_BODY_MAX_BYTES; every accepted connection has etcd's 5 s
 * per-read deadline.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeMessage, type Message } from '../raftpb/index.js';
import { CONN_READ_TIMEOUT_MS, PIPELINE_BODY_MAX_BYTES } from './constants.js';
import { describeError } from './context.js';
import { TransportError, TransportErrorCode } from './errors.js';
import { answerRaftRejection, httpError, remoteAddress } from './http-util.js';
import type { RequestGate } from './request-gate.js';

/** Reads a request body of at most `limit` bytes (the request is destroyed past it). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.destroy(
          new TransportError(TransportErrorCode.FrameTooLarge, `request body exceeds ${limit} bytes`),
        );
        return;
      }
      chunks.push(c);
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete)
        reject(new TransportError(TransportErrorCode.ConnectionFailed, 'request body cut off'));
    });
  });
}

/** Serves one POST /raft. */
export async function servePipeline(
  gate: RequestGate,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const ctx = gate.host.ctx;
  const log = ctx.logger;
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    httpError(res, 405, 'Method Not Allowed');
    return;
  }
  res.setHeader('X-Etcd-Cluster-Id', ctx.clusterHex);
  if (!gate.compatible(req, res, 'pipeline')) return;
  gate.learnSender(req, undefined);
  if (req.socket.timeout !== CONN_READ_TIMEOUT_MS) req.socket.setTimeout(CONN_READ_TIMEOUT_MS);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > PIPELINE_BODY_MAX_BYTES) {
    // Refused before reading: a peer declaring more than any raft message can be gets a status
    // rather than a 5 s wait for bytes that are not coming (etcd 3.4 would read and buffer it).
    log.warn(
      {
        'remote-address': remoteAddress(req),
        error: `declared body of ${declared} bytes exceeds ${PIPELINE_BODY_MAX_BYTES}`,
      },
      'failed to read Raft message',
    );
    ctx.metrics.receivedFailures.inc({ From: remoteAddress(req) });
    res.setHeader('Connection', 'close');
    httpError(res, 413, 'raft message too large');
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(req, PIPELINE_BODY_MAX_BYTES);
  } catch (err) {
    log.warn(
      { 'remote-address': remoteAddress(req), error: describeError(err) },
      'failed to read Raft message',
    );
    ctx.metrics.receivedFailures.inc({ From: remoteAddress(req) });
    if (!res.headersSent && !req.socket.destroyed) httpError(res, 400, 'error reading raft message');
    return;
  }
  let m: Message;
  try {
    m = decodeMessage(body);
  } catch (err) {
    log.warn(
      { 'remote-address': remoteAddress(req), error: describeError(err) },
      'failed to unmarshal Raft message',
    );
    ctx.metrics.receivedFailures.inc({ From: remoteAddress(req) });
    httpError(res, 400, 'error unmarshalling raft message');
    return;
  }
  ctx.metrics.receivedBytes.inc({ From: m.from.toString(16) }, body.length);
  try {
    await ctx.raft.process(m);
  } catch (err) {
    answerRaftRejection('pipeline', req, res, err, log, {
      'remote-peer-id': m.from.toString(16),
    });
    return;
  }
  res.writeHead(204);
  res.end();
}
