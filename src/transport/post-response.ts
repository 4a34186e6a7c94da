/**
 * etcd's checkPostResponse: how a sender reads the answer to POST /raft and POST /raft/snapshot.
 * Exactly 204 is success; 403 means this member was removed; 412 bodies are compared textually.
 */
import { ClusterIdMismatchError, MemberRemovedError, TransportError, TransportErrorCode } from './errors.js';

/** Undefined for success, else the error describing the failure. */
export function checkPostResponse(
  status: number,
  body: string,
  url: string,
  localCluster: string,
  remoteCluster: string | undefined,
): TransportError | undefined {
  switch (status) {
    case 204:
      return undefined;
    case 403:
      return new MemberRemovedError(url);
    case 412: {
      const text = body.endsWith('\n') ? body.slice(0, -1) : body;
      if (text === 'incompatible version')
        return new TransportError(
          TransportErrorCode.IncompatibleVersion,
          `peer ${url}: incompatible version`,
        );
      if (text === 'cluster ID mismatch')
        return new ClusterIdMismatchError(localCluster, remoteCluster ?? 'unknown', url);
      return new TransportError(
        TransportErrorCode.UnexpectedStatus,
        `unhandled error ${JSON.stringify(text)} when precondition failed`,
      );
    }
    default:
      return new TransportError(
        TransportErrorCode.UnexpectedStatus,
        `unexpected http status ${status} while posting to ${url}`,
      );
  }
}
