/**
 * What every /raft endpoint checks before serving a peer, in etcd's order: the client certificate
 * (allowed CN / hostname) once per TLS connection, then the version headers and the cluster ID
 * (etcd's checkClusterCompatibilityFromHeader); and what it learns from a request: the sender's
 * peer URLs (etcd's addRemoteFromRequest).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { parseId } from '../raftpb/index.js';
import { describeError, type TransportContext } from './context.js';
import { header, httpError, remoteAddress } from './http-util.js';
import type { Peer } from './peer.js';
import { checkClientCertificate } from './tls.js';
import type { TransportTlsOptions } from './types.js';
import { parsePeerUrls } from './urls.js';
import { checkVersionHeaders } from './version.js';

/** What the endpoint handlers need from the transport besides the shared context. */
export interface HandlerHost {
  readonly ctx: TransportContext;
  readonly tls: TransportTlsOptions | undefined;
  /** The running peer `id`, if any. */
  getPeer(id: bigint): Peer | undefined;
  /** True for a peer or a known remote (AddRemote would be a no-op). */
  knows(id: bigint): boolean;
}

/** The checks of one handler (one per `Transport.handler()` call). */
export class RequestGate {
  readonly host: HandlerHost;
  // Peers send the same two version headers on every request: remember the last verdict.
  private lastVersions = '';
  private lastVerdict: ReturnType<typeof checkVersionHeaders> = { ok: true };
  private readonly verifiedSockets = new WeakSet<Socket>();

  constructor(host: HandlerHost) {
    this.host = host;
  }

  /**
   * The client certificate check of a TLS connection (once per connection). False when it failed:
   * the connection is then destroyed without an answer.
   */
  verifyTls(req: IncomingMessage): boolean {
    const socket = req.socket as TLSSocket;
    if (socket.encrypted !== true || this.verifiedSockets.has(socket)) return true;
    const reason = checkClientCertificate(this.host.tls, socket);
    if (reason !== undefined) {
      this.host.ctx.logger.warn(
        { 'remote-address': remoteAddress(req), reason },
        'rejected peer connection: client certificate check failed',
      );
      socket.destroy();
      return false;
    }
    this.verifiedSockets.add(socket);
    return true;
  }

  /**
   * etcd's version and cluster-ID checks. False when it answered the request (412) or dropped the
   * connection (a malformed version header, where Go's handler panics).
   */
  compatible(req: IncomingMessage, res: ServerResponse, endpoint: string): boolean {
    const { logger: log, clusterHex } = this.host.ctx;
    const server = header(req, 'x-server-version');
    const minCluster = header(req, 'x-min-cluster-version');
    const key = `${server ?? ''}\n${minCluster ?? ''}`;
    if (key !== this.lastVersions) {
      this.lastVerdict = checkVersionHeaders(server, minCluster);
      this.lastVersions = key;
    }
    const v = this.lastVerdict;
    if (!v.ok) {
      const fields = {
        'remote-peer-id': header(req, 'x-server-from') ?? 'unknown',
        'remote-address': remoteAddress(req),
        endpoint,
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
          'local-member-cluster-id': clusterHex,
          'remote-peer-cluster-id': gotCluster ?? '',
          'remote-peer-id': header(req, 'x-server-from') ?? 'unknown',
          'remote-address': remoteAddress(req),
          endpoint,
        },
        'request cluster ID mismatch',
      );
      httpError(res, 412, 'cluster ID mismatch');
      return false;
    }
    return true;
  }

  /**
   * etcd addRemoteFromRequest: X-Server-From (or `from`, when the path named the sender) and
   * X-PeerURLs teach us how to reach an unknown sender. Invalid URLs are logged and ignored.
   */
  learnSender(req: IncomingMessage, from: bigint | undefined): void {
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
    if (this.host.knows(id)) return;
    try {
      this.host.ctx.addRemote(id, parsePeerUrls(urls.split(',')));
    } catch (err) {
      this.host.ctx.logger.warn(
        { 'remote-peer-id': id.toString(16), 'peer-urls': urls, error: describeError(err) },
        'ignored invalid X-PeerURLs',
      );
    }
  }
}
