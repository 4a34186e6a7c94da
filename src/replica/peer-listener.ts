/**
 * The peer server: the transport's handler on HTTP(S), listening on a peer URL's host and port
 * (port 0 picks one). A failure to listen is a typed LISTEN error.
 */
import type { Server } from 'node:http';
import type { Logger } from '../logger/index.js';
import { createPeerServer, type Transport } from '../transport/index.js';
import { ReplicaError, ReplicaErrorCode } from './errors.js';

/** Listens for peers on `url`; resolves with the listening server. */
export async function listenForPeers(
  transport: Transport,
  url: string | undefined,
  logger: Logger,
): Promise<Server> {
  if (url === undefined) {
    throw new ReplicaError(
      ReplicaErrorCode.InvalidOptions,
      'no peer URL to listen on (listenPeerUrl or own peerUrls)',
    );
  }
  let host: string;
  let port: number;
  try {
    const u = new URL(url);
    host = u.hostname.replace(/^\[|\]$/g, '');
    port = Number(u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : u.port);
  } catch (e) {
    throw new ReplicaError(ReplicaErrorCode.InvalidOptions, `bad peer listen URL ${JSON.stringify(url)}`, {
      cause: e,
    });
  }
  const server = createPeerServer(transport, { logger });
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error) =>
      reject(
        new ReplicaError(ReplicaErrorCode.Listen, `cannot listen for peers on ${url}: ${e.message}`, {
          cause: e,
        }),
      );
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return server;
}
