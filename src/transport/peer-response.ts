/**
 * How a sender reads a peer's answer, for every request the transport makes: etcd's
 * checkPostResponse (POST /raft, POST /raft/snapshot) and streamReader.dial's status switch
 * (GET /raft/stream/…), written once. 412 bodies are compared textually, as etcd does. Also the
 * one place that turns whatever a request threw into a TransportError.
 */
import { describeError } from './context.js';
import { ClusterIdMismatchError, MemberRemovedError, TransportError, TransportErrorCode } from './errors.js';
import { describeTlsFailure } from './tls.js';

/** Which request was answered: a POST (pipeline, snapshot) or a stream dial. */
export type PeerRequestKind = 'post' | 'stream';

/** A peer's answer, as far as the classification needs it. */
export interface PeerAnswer {
  status: number;
  /** The body text (only read for non-success statuses). */
  body: string;
  /** The answer's X-Etcd-Cluster-ID, if any. */
  clusterId: string | undefined;
}

/**
 * Undefined when `answer` means success (204 for a POST, 200 for a stream), else the error
 * describing the failure: MemberRemovedError (POST 403, stream 410), PeerNotFound (stream 404),
 * IncompatibleVersion or ClusterIdMismatchError (412 with etcd's body texts), UnexpectedStatus.
 */
export function classifyPeerAnswer(
  kind: PeerRequestKind,
  answer: PeerAnswer,
  url: string,
  localCluster: string,
): TransportError | undefined {
  const { status } = answer;
  if (status === (kind === 'post' ? 204 : 200)) return undefined;
  if (status === (kind === 'post' ? 403 : 410)) return new MemberRemovedError(url);
  if (kind === 'stream' && status === 404) {
    return new TransportError(TransportErrorCode.PeerNotFound, `peer ${url} failed to find the local member`);
  }
  if (status === 412) {
    const text = answer.body.endsWith('\n') ? answer.body.slice(0, -1) : answer.body;
    if (text === 'incompatible version')
      return new TransportError(TransportErrorCode.IncompatibleVersion, `peer ${url}: incompatible version`);
    if (text === 'cluster ID mismatch')
      return new ClusterIdMismatchError(localCluster, answer.clusterId ?? 'unknown', url);
    return new TransportError(
      TransportErrorCode.UnexpectedStatus,
      `unhandled error ${JSON.stringify(text)} when precondition failed`,
    );
  }
  return new TransportError(
    TransportErrorCode.UnexpectedStatus,
    kind === 'post'
      ? `unexpected http status ${status} while posting to ${url}`
      : `unhandled http status ${status} from ${url}`,
  );
}

/**
 * `err` (anything a request threw) as a TransportError: itself when it is one, TlsRejected when a
 * TLS check failed anywhere in its cause chain, else ConnectionFailed; the original is the cause.
 */
export function asTransportError(err: unknown, url: string): TransportError {
  if (err instanceof TransportError) return err;
  const tls = describeTlsFailure(err);
  if (tls !== undefined)
    return new TransportError(TransportErrorCode.TlsRejected, `TLS with ${url} failed: ${tls}`, {
      cause: err,
    });
  return new TransportError(
    TransportErrorCode.ConnectionFailed,
    `request to ${url} failed: ${describeError(err)}`,
    {
      cause: err,
    },
  );
}
