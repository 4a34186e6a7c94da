/**
 * What a failed request to a peer does, whichever part of the transport made it (pipeline POST,
 * snapshot POST, stream dial), written once: the URL picker moves on, a removed-member answer is
 * raised as a critical error (etcd's ErrorC), a TLS failure is logged with its reason, and the
 * peer is marked inactive. A failed POST also tells raft the peer is unreachable and counts a
 * send failure (etcd's pipeline and snapshotSender do both; a failed stream dial does neither).
 */
import type { LogFields } from '../logger/index.js';
import { describeError, type TransportContext } from './context.js';
import { type TransportError, TransportErrorCode } from './errors.js';
import type { PeerRequestKind } from './peer-response.js';
import type { PeerStatus } from './peer-status.js';
import { describeTlsFailure } from './tls.js';
import type { UrlPicker } from './url-picker.js';

/** The request that failed, and where its failure is reported. */
export interface FailedRequest {
  readonly kind: PeerRequestKind;
  readonly peerId: bigint;
  readonly url: string;
  readonly picker: UrlPicker;
  readonly status: PeerStatus;
  /** etcd's name of the channel in "failed to <action> <peer> on <source>" (e.g. "pipeline"). */
  readonly source: string;
  /** What failed: "write", "post", "dial". */
  readonly action: string;
  /** Fields for the TLS warning (remote peer ID and URL at least). */
  readonly fields: LogFields;
}

/** Reports `failure` of request `req` as described in the module comment. */
export function reportPeerFailure(ctx: TransportContext, req: FailedRequest, failure: TransportError): void {
  req.picker.unreachable(req.url);
  if (failure.code === TransportErrorCode.MemberRemoved) ctx.reportCritical(failure);
  const tls = describeTlsFailure(failure);
  if (tls !== undefined) ctx.logger.warn({ ...req.fields, reason: tls }, 'TLS verification of peer failed');
  if (failure.code !== TransportErrorCode.UnsupportedStreamType)
    req.status.deactivate(req.source, req.action, describeError(failure));
  if (req.kind === 'post') {
    ctx.raft.reportUnreachable(req.peerId);
    ctx.metrics.sentFailures.inc({ To: req.peerId.toString(16) });
  }
}
