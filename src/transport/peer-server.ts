/**
 * createPeerServer: a node:http (or node:https, with the transport's TLS) server for the peer port,
 * configured as etcd's peer listener needs: no request timeout (a snapshot upload can take
 * minutes), HTTP/1.1 only, client certificates required when a CA is configured, and a clear log
 * line naming the client address and reason for every failed TLS handshake or certificate check.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../logger/index.js';
import { noopLogger } from '../logger/index.js';
import { SERVER_HEADERS_TIMEOUT_MS, SERVER_KEEPALIVE_TIMEOUT_MS } from './constants.js';
import { checkClientCertificate, serverTlsOptions } from './tls.js';
import { type Transport, transportInternals } from './transport.js';

/** Options of createPeerServer. */
export interface PeerServerOptions {
  /** Where TLS handshake failures are logged; defaults to silence. */
  logger?: Logger;
}

/**
 * Makes `closeAllConnections()` also destroy TLS connections still in their handshake. Node's HTTP
 * layer tracks a connection only from its 'secureConnection', so one accepted but mid-handshake
 * when the server stops is closed by neither `closeAllConnections()` nor `close()`: it finishes
 * its handshake afterwards, becomes an idle keep-alive connection nobody closes, and `close()`
 * waits for it (seen as a transport test hanging its file under load).
 */
function closesHandshakingSockets(server: import('node:https').Server): void {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const closeTracked = server.closeAllConnections.bind(server);
  server.closeAllConnections = () => {
    closeTracked();
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
}

/** A peer-port server serving `transport.handler()`; https when the transport has a cert and key. */
export function createPeerServer(transport: Transport, options: PeerServerOptions = {}): Server {
  const log = options.logger ?? noopLogger;
  const common = {
    requestTimeout: 0,
    headersTimeout: SERVER_HEADERS_TIMEOUT_MS,
    keepAliveTimeout: SERVER_KEEPALIVE_TIMEOUT_MS,
  };
  const tls = transport[transportInternals]().tls;
  if (tls?.cert === undefined || tls.key === undefined) {
    return createHttpServer(common, transport.handler());
  }
  const server = createHttpsServer({ ...common, ...serverTlsOptions(tls) }, transport.handler());
  closesHandshakingSockets(server);
  // A failed handshake may have torn the TLS socket down already: remember each TCP peer's address.
  const addresses = new WeakMap<object, string>();
  server.on('connection', (raw: Socket) => addresses.set(raw, `${raw.remoteAddress}:${raw.remotePort}`));
  server.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
    const parent = (socket as unknown as { _parent?: object })._parent;
    const address =
      socket.remotePort !== undefined
        ? `${socket.remoteAddress}:${socket.remotePort}`
        : ((parent && addresses.get(parent)) ?? addresses.get(socket) ?? 'unknown');
    log.warn(
      { 'remote-address': address, reason: `${err.code ?? 'TLS'}: ${err.message}` },
      'rejected connection from peer: TLS handshake failed',
    );
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    const reason = checkClientCertificate(tls, socket);
    if (reason !== undefined) {
      log.warn(
        { 'remote-address': `${socket.remoteAddress}:${socket.remotePort}`, reason },
        'rejected connection from peer: client certificate check failed',
      );
      socket.destroy();
    }
  });
  return server as unknown as Server;
}
