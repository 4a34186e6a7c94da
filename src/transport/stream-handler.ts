/**
 * GET /raft/stream/{msgapp,message}/<sender> (etcd's streamHandler): after the gates, the checks in
 * etcd's order (path, sender ID, removed member, known peer, X-Raft-To), then a 200 whose body the
 * peer's stream writer owns until either side closes it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseId } from '../raftpb/index.js';
import { ETCD_WIRE_VERSION } from '../version.js';
import { goBase, goDir } from './go-path.js';
import { header, httpError, remoteAddress } from './http-util.js';
import type { RequestGate } from './request-gate.js';

/** Serves one stream dial on (clean) `path`. */
export function serveStream(
  gate: RequestGate,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): void {
  const ctx = gate.host.ctx;
  const log = ctx.logger;
  const localHex = ctx.localHex;
  if (req.method !== 'GET') {
    res.setHeader('Allow', 'GET');
    httpError(res, 405, 'Method Not Allowed');
    return;
  }
  res.setHeader('X-Server-Version', ETCD_WIRE_VERSION);
  res.setHeader('X-Etcd-Cluster-Id', ctx.clusterHex);
  if (!gate.compatible(req, res, 'stream')) return;
  const dir = goDir(path);
  let type: 'msgappv2' | 'message';
  if (dir === '/raft/stream/msgapp') type = 'msgappv2';
  else if (dir === '/raft/stream/message') type = 'message';
  else {
    log.debug({ path }, 'ignored unexpected streaming request path');
    httpError(res, 404, 'invalid path');
    return;
  }
  let from: bigint;
  try {
    from = parseId(goBase(path));
  } catch {
    log.warn({ path }, 'failed to parse path into ID');
    httpError(res, 404, 'invalid from');
    return;
  }
  const fromHex = from.toString(16);
  if (ctx.raft.isIdRemoved(from)) {
    log.warn({ 'remote-peer-id': fromHex }, 'rejected stream from remote peer because it was removed');
    httpError(res, 410, 'removed member');
    return;
  }
  const peer = gate.host.getPeer(from);
  if (peer === undefined) {
    gate.learnSender(req, from);
    log.warn(
      {
        'remote-peer-id-stream-handler': fromHex,
        'remote-address': remoteAddress(req),
      },
      'failed to find remote peer in cluster',
    );
    httpError(res, 404, 'error sender not found');
    return;
  }
  const to = header(req, 'x-raft-to');
  if (to !== localHex) {
    log.warn({ 'remote-peer-id': fromHex, 'x-raft-to': to ?? '' }, 'ignored streaming request; ID mismatch');
    httpError(res, 412, 'to field mismatch');
    return;
  }
  // The dialer sends nothing after the request: never time the connection out for lack of input.
  req.socket.setTimeout(0);
  req.socket.setNoDelay(true);
  res.writeHead(200);
  res.flushHeaders();
  peer.attachStream(type, res);
}
