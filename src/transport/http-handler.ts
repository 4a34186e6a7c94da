/**
 * The /raft endpoints (etcd's Transport.Handler): POST /raft, GET /raft/stream/{msgapp,message}/<id>,
 * POST /raft/snapshot and /raft/probing, with etcd's checks in etcd's order, its status codes and
 * its body texts (senders compare 412 bodies textually), and Go ServeMux's 301/404 behaviour.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { decodeMessage, type Message, MessageType, parseId } from '../raftpb/index.js';
import { ETCD_WIRE_VERSION } from '../version.js';
import {
  CONN_READ_TIMEOUT_MS,
  PIPELINE_BODY_MAX_BYTES,
  SNAPSHOT_FRAME_MAX_BYTES,
  UNKNOWN_SNAPSHOT_SENDER,
} from './constants.js';
import { describeError, type TransportContext } from './context.js';
import { FrameDecodeError, TransportError, TransportErrorCode } from './errors.js';
import type { Peer } from './peer.js';
import { splitSnapshotBody } from './snapshot-body.js';
import { checkClientCertificate } from './tls.js';
import type { TransportTlsOptions } from './types.js';
import { parsePeerUrls } from './urls.js';
import { checkVersionHeaders } from './version.js';

/** What the handler needs from the transport besides the shared context. */
export interface HandlerHost {
  readonly ctx: TransportContext;
  readonly tls: TransportTlsOptions | undefined;
  getPeer(id: bigint): Peer | undefined;
  /** True for a peer or a known remote (AddRemote would be a no-op). */
  knows(id: bigint): boolean;
}

const TEXT = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' };

/** Go's http.Error: status, text/plain, nosniff, body text + "\n". */
function httpError(res: ServerResponse, status: number, text: string): void {
  const body = Buffer.from(`${text}\n`);
  res.writeHead(status, { ...TEXT, 'Content-Length': body.length });
  res.end(body);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function remoteAddress(req: IncomingMessage): string {
  const s = req.socket;
  return s.remoteAddress === undefined
    ? 'unknown'
    : `${s.remoteAddress.includes(':') ? `[${s.remoteAddress}]` : s.remoteAddress}:${s.remotePort}`;
}

/** Go's path.Clean for URL paths. */
function cleanPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  let c = `/${out.join('/')}`;
  if (p.endsWith('/') && c !== '/') c += '/';
  return c;
}

/** Paths Go's ServeMux would redirect: empty segments, "." or "..", or no leading slash. */
const NEEDS_CLEANING = /\/\/|\/\.\.?(\/|$)|^[^/]/;

/** Go's path.Dir and path.Base. */
function goDir(p: string): string {
  const i = p.lastIndexOf('/');
  const d = cleanPath(p.slice(0, i + 1));
  return d.length > 1 && d.endsWith('/') ? d.slice(0, -1) : d;
}
function goBase(p: string): string {
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p.slice(p.lastIndexOf('/') + 1);
}

const verifiedSockets = new WeakSet<Socket>();

/** Builds the request listener serving the /raft endpoints of `host`. */
export function createHandler(host: HandlerHost): (req: IncomingMessage, res: ServerResponse) => void {
  const ctx = host.ctx;
  const log = ctx.logger;
  const localHex = ctx.localHex;
  const clusterHex = ctx.clusterHex;

  /** Runs etcd's version and cluster-ID checks; false when it answered (or dropped) the request. */
  // Peers send the same two version headers on every request: remember the last verdict.
  let lastVersions = '';
  let lastVerdict: ReturnType<typeof checkVersionHeaders> = { ok: true };
  function checkCompatibility(req: IncomingMessage, res: ServerResponse, what: string): boolean {
    const server = header(req, 'x-server-version');
    const minCluster = header(req, 'x-min-cluster-version');
    const key = `${server ?? ''}\n${minCluster ?? ''}`;
    if (key !== lastVersions) {
      lastVerdict = checkVersionHeaders(server, minCluster);
      lastVersions = key;
    }
    const v = lastVerdict;
    if (!v.ok) {
      const fields = {
        'local-member-id': localHex,
        'remote-peer-id': header(req, 'x-server-from') ?? 'unknown',
        'remote-address': remoteAddress(req),
        endpoint: what,
        reason: v.reason,
      };
      if (v.malformed) {
        // Go panics in semver.Must and net/http drops the connection without a response.
        log.warn(fields, 'dropped peer connection: malformed version header');
        req.socket.destroy();
        return false;
      }
      log.warn(fields, 'failed to check version compatibility');
      httpError(res, 412, 'incompatible version');
      return false;
    }
    const gotCluster = header(req, 'x-etcd-cluster-id');
    if (gotCluster !== clusterHex) {
      log.warn(
        {
          'local-member-id': localHex,
          'local-member-cluster-id': clusterHex,
          'remote-peer-cluster-id': gotCluster ?? '',
          'remote-peer-id': header(req, 'x-server-from') ?? 'unknown',
          'remote-address': remoteAddress(req),
          endpoint: what,
        },
        'request cluster ID mismatch',
      );
      httpError(res, 412, 'cluster ID mismatch');
      return false;
    }
    return true;
  }

  /** etcd addRemoteFromRequest: X-Server-From + X-PeerURLs teach us how to reach an unknown sender. */
  function addRemoteFromRequest(req: IncomingMessage, from: bigint | undefined): void {
    const urls = header(req, 'x-peerurls');
    if (!urls) return;
    let id = from;
    if (id === undefined) {
      try {
        id = parseId(header(req, 'x-server-from') ?? '');
      } catch {
        return;
      }
    }
    if (host.knows(id)) return;
    try {
      ctx.addRemote(id, parsePeerUrls(urls.split(',')));
    } catch (err) {
      log.warn(
        { 'remote-peer-id': id.toString(16), 'peer-urls': urls, error: describeError(err) },
        'ignored invalid X-PeerURLs',
      );
    }
  }

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

  async function servePipeline(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      httpError(res, 405, 'Method Not Allowed');
      return;
    }
    res.setHeader('X-Etcd-Cluster-Id', clusterHex);
    if (!checkCompatibility(req, res, 'pipeline')) return;
    addRemoteFromRequest(req, undefined);
    // etcd: every accepted connection has a 5 s per-read deadline.
    if (req.socket.timeout !== CONN_READ_TIMEOUT_MS) req.socket.setTimeout(CONN_READ_TIMEOUT_MS);
    let body: Buffer;
    try {
      body = await readBody(req, PIPELINE_BODY_MAX_BYTES);
    } catch (err) {
      log.warn(
        { 'local-member-id': localHex, 'remote-address': remoteAddress(req), error: describeError(err) },
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
        { 'local-member-id': localHex, 'remote-address': remoteAddress(req), error: describeError(err) },
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
      const writeTo = (err as { writeTo?: unknown }).writeTo;
      if (typeof writeTo === 'function') {
        writeTo.call(err, res);
        return;
      }
      log.warn(
        { 'local-member-id': localHex, 'remote-peer-id': m.from.toString(16), error: describeError(err) },
        'failed to process Raft message',
      );
      // etcd writes a chunked 500 and then panics: the final chunk never comes, the connection dies.
      res.writeHead(500, TEXT);
      res.write('error processing raft message\n', () => req.socket.destroy());
      return;
    }
    res.writeHead(204);
    res.end();
  }

  function serveStream(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (req.method !== 'GET') {
      res.setHeader('Allow', 'GET');
      httpError(res, 405, 'Method Not Allowed');
      return;
    }
    res.setHeader('X-Server-Version', ETCD_WIRE_VERSION);
    res.setHeader('X-Etcd-Cluster-Id', clusterHex);
    if (!checkCompatibility(req, res, 'stream')) return;
    const dir = goDir(path);
    let type: 'msgappv2' | 'message';
    if (dir === '/raft/stream/msgapp') type = 'msgappv2';
    else if (dir === '/raft/stream/message') type = 'message';
    else {
      log.debug({ 'local-member-id': localHex, path }, 'ignored unexpected streaming request path');
      httpError(res, 404, 'invalid path');
      return;
    }
    let from: bigint;
    try {
      from = parseId(goBase(path));
    } catch {
      log.warn({ 'local-member-id': localHex, path }, 'failed to parse path into ID');
      httpError(res, 404, 'invalid from');
      return;
    }
    const fromHex = from.toString(16);
    if (ctx.raft.isIdRemoved(from)) {
      log.warn(
        { 'local-member-id': localHex, 'remote-peer-id': fromHex },
        'rejected stream from remote peer because it was removed',
      );
      httpError(res, 410, 'removed member');
      return;
    }
    const peer = host.getPeer(from);
    if (peer === undefined) {
      addRemoteFromRequest(req, from);
      log.warn(
        {
          'local-member-id': localHex,
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
      log.warn(
        { 'local-member-id': localHex, 'remote-peer-id': fromHex, 'x-raft-to': to ?? '' },
        'ignored streaming request; ID mismatch',
      );
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

  async function serveSnapshot(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      httpError(res, 405, 'Method Not Allowed');
      ctx.metrics.snapshotReceiveFailures.inc({ From: UNKNOWN_SNAPSHOT_SENDER });
      return;
    }
    res.setHeader('X-Etcd-Cluster-Id', clusterHex);
    if (!checkCompatibility(req, res, 'snapshot')) {
      ctx.metrics.snapshotReceiveFailures.inc({ From: UNKNOWN_SNAPSHOT_SENDER });
      return;
    }
    addRemoteFromRequest(req, undefined);
    // Progress, not per-read: the transfer fails only when no byte arrived for the whole timeout.
    req.socket.setTimeout(0);
    const timeoutMs = ctx.snapshotProgressTimeoutMs;
    let received = 0;
    const stall = setTimeout(() => {
      log.warn(
        { 'local-member-id': localHex, 'remote-address': remoteAddress(req), 'received-bytes': received },
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
    ctx.metrics.snapshotReceiveInflights.inc({ From: fromLabel });
    try {
      let split: Awaited<ReturnType<typeof splitSnapshotBody>>;
      try {
        split = await splitSnapshotBody(progress(), SNAPSHOT_FRAME_MAX_BYTES);
      } catch (err) {
        const text =
          err instanceof FrameDecodeError && err.reason === 'truncated'
            ? 'unexpected EOF'
            : describeError(err);
        log.warn(
          { 'local-member-id': localHex, 'remote-address': remoteAddress(req), error: text },
          'failed to read incoming snapshot message',
        );
        if (!res.headersSent && !req.socket.destroyed)
          httpError(res, 400, `failed to decode raft message (${text})`);
        ctx.metrics.receivedFailures.inc({ From: remoteAddress(req) });
        ctx.metrics.snapshotReceiveFailures.inc({ From: fromLabel });
        return;
      }
      const m = split.message;
      ctx.metrics.snapshotReceiveInflights.dec({ From: fromLabel });
      fromLabel = m.from.toString(16);
      ctx.metrics.snapshotReceiveInflights.inc({ From: fromLabel });
      ctx.metrics.receivedBytes.inc({ From: fromLabel }, split.messageSize);
      if (m.type !== MessageType.MsgSnap) {
        log.warn(
          { 'local-member-id': localHex, 'remote-peer-id': fromLabel, 'message-type': m.type },
          'unexpected Raft message type',
        );
        httpError(res, 400, 'wrong raft message type');
        ctx.metrics.snapshotReceiveFailures.inc({ From: fromLabel });
        return;
      }
      const index = m.snapshot?.metadata.index ?? 0;
      log.info(
        { 'local-member-id': localHex, 'remote-peer-id': fromLabel, 'incoming-snapshot-index': index },
        'receiving database snapshot',
      );
      let dbBytes: number;
      try {
        if (ctx.snapshotter === undefined)
          throw new TransportError(TransportErrorCode.Stopped, 'no snapshotter configured');
        dbBytes = await ctx.snapshotter.saveDBFrom(split.db, index);
      } catch (err) {
        log.warn(
          {
            'local-member-id': localHex,
            'remote-peer-id': fromLabel,
            'incoming-snapshot-index': index,
            error: describeError(err),
          },
          'failed to save KV snapshot',
        );
        if (!res.headersSent && !req.socket.destroyed)
          httpError(res, 500, `failed to save KV snapshot (${describeError(err)})`);
        ctx.metrics.snapshotReceiveFailures.inc({ From: fromLabel });
        return;
      }
      clearTimeout(stall);
      ctx.metrics.receivedBytes.inc({ From: fromLabel }, dbBytes);
      log.info(
        {
          'local-member-id': localHex,
          'remote-peer-id': fromLabel,
          'incoming-snapshot-index': index,
          'db-size-bytes': dbBytes,
        },
        'received and saved database snapshot',
      );
      try {
        await ctx.raft.process(m);
      } catch (err) {
        const writeTo = (err as { writeTo?: unknown }).writeTo;
        if (typeof writeTo === 'function') writeTo.call(err, res);
        else
          httpError(
            res,
            500,
            `failed to process raft message (${err instanceof Error ? err.message : String(err)})`,
          );
        ctx.metrics.snapshotReceiveFailures.inc({ From: fromLabel });
        return;
      }
      res.writeHead(204);
      res.end();
      ctx.metrics.snapshotReceive.inc({ From: fromLabel });
      ctx.metrics.snapshotReceiveSeconds.observe({ From: fromLabel }, (performance.now() - started) / 1000);
    } finally {
      clearTimeout(stall);
      ctx.metrics.snapshotReceiveInflights.dec({ From: fromLabel });
    }
  }

  function serveProbing(res: ServerResponse): void {
    const body = `${JSON.stringify({ OK: true, Now: new Date(ctx.now()).toISOString() })}\n`;
    res.writeHead(200, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  function verifyTls(req: IncomingMessage): boolean {
    const socket = req.socket as TLSSocket;
    if (socket.encrypted !== true || verifiedSockets.has(socket)) return true;
    const reason = checkClientCertificate(host.tls, socket);
    if (reason !== undefined) {
      log.warn(
        { 'local-member-id': localHex, 'remote-address': remoteAddress(req), reason },
        'rejected peer connection: client certificate check failed',
      );
      socket.destroy();
      return false;
    }
    verifiedSockets.add(socket);
    return true;
  }

  return (req, res) => {
    if (!verifyTls(req)) return;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const clean = NEEDS_CLEANING.test(path) ? cleanPath(path) : path;
    if (clean !== path) {
      res.writeHead(301, { Location: clean + (q < 0 ? '' : url.slice(q)) });
      res.end();
      return;
    }
    const fail = (err: unknown) => {
      log.error(
        { 'local-member-id': localHex, path, error: describeError(err) },
        'peer request handler failed',
      );
      if (!res.headersSent) httpError(res, 500, 'internal error');
      else res.destroy();
    };
    if (path === '/raft') servePipeline(req, res).catch(fail);
    else if (path.startsWith('/raft/stream/')) serveStream(req, res, path);
    else if (path === '/raft/snapshot') serveSnapshot(req, res).catch(fail);
    else if (path === '/raft/probing') serveProbing(res);
    else if (path === '/raft/stream') {
      const body = '<a href="/raft/stream/">Moved Permanently</a>.\n\n';
      res.writeHead(301, {
        'Content-Type': 'text/html; charset=utf-8',
        Location: '/raft/stream/',
        'Content-Length': body.length,
      });
      res.end(body);
    } else httpError(res, 404, '404 page not found');
  };
}
