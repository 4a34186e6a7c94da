/**
 * The transport's errors. Each has a stable code (listed in docs/transport.md, "Errors").
 */
import { RaftwireError } from '../errors/index.js';

/** Stable codes of every error the transport throws, emits or logs. */
export const TransportErrorCode = {
  /** A stream frame, msgappv2 record, snapshot frame or pipeline body could not be decoded. */
  BadFrame: 'RAFTWIRE_TRANSPORT_BAD_FRAME',
  /** A length prefix above the frame limit (512 MiB on the message stream). */
  FrameTooLarge: 'RAFTWIRE_TRANSPORT_FRAME_TOO_LARGE',
  /** The peer answered 412 "cluster ID mismatch" (or we saw a foreign cluster ID). */
  ClusterIdMismatch: 'RAFTWIRE_TRANSPORT_CLUSTER_ID_MISMATCH',
  /** The peer answered 412 "incompatible version". */
  IncompatibleVersion: 'RAFTWIRE_TRANSPORT_INCOMPATIBLE_VERSION',
  /** This member was removed from the cluster (stream 410, POST 403): etcd's ErrorC error. */
  MemberRemoved: 'RAFTWIRE_TRANSPORT_MEMBER_REMOVED',
  /** The peer's version does not support the stream type (an etcd 2.0 peer, or no X-Server-Version). */
  UnsupportedStreamType: 'RAFTWIRE_TRANSPORT_UNSUPPORTED_STREAM_TYPE',
  /** The peer does not know us (stream 404). */
  PeerNotFound: 'RAFTWIRE_TRANSPORT_PEER_NOT_FOUND',
  /** Any other unexpected HTTP status (including 200 for a POST, which etcd treats as failure). */
  UnexpectedStatus: 'RAFTWIRE_TRANSPORT_UNEXPECTED_STATUS',
  /** A peer URL list is empty or has an entry etcd's types.NewURLs rejects. */
  InvalidUrl: 'RAFTWIRE_TRANSPORT_INVALID_URL',
  /** The transport is not running: not started yet, or stopped. */
  Stopped: 'RAFTWIRE_TRANSPORT_STOPPED',
  /** A snapshot upload arrived but the transport has no `snapshotter` (SnapshotStore) to save it in. */
  NoSnapshotStore: 'RAFTWIRE_TRANSPORT_NO_SNAPSHOT_STORE',
  /** A constructor option is out of range (a negative duration, an ID outside uint64). */
  InvalidOption: 'RAFTWIRE_TRANSPORT_INVALID_OPTION',
  /** sendSnapshot to an ID that is not a peer (etcd errMemberNotFound). */
  MemberNotFound: 'RAFTWIRE_TRANSPORT_MEMBER_NOT_FOUND',
  /** A snapshot body source yielded fewer or more bytes than its declared dbSize. */
  SnapshotSizeMismatch: 'RAFTWIRE_TRANSPORT_SNAPSHOT_SIZE_MISMATCH',
  /** The caller's snapshot body source threw while it was read (the error is the cause). */
  SnapshotSourceFailed: 'RAFTWIRE_TRANSPORT_SNAPSHOT_SOURCE_FAILED',
  /** A snapshot transfer made no progress for snapshotProgressTimeoutMs (either end). */
  SnapshotStalled: 'RAFTWIRE_TRANSPORT_SNAPSHOT_STALLED',
  /** A stream write could not be flushed within the write deadline (the reader stalled). */
  WriteTimeout: 'RAFTWIRE_TRANSPORT_WRITE_TIMEOUT',
  /** A peer's TLS certificate failed verification, or the allowed-CN / allowed-hostname check. */
  TlsRejected: 'RAFTWIRE_TRANSPORT_TLS_REJECTED',
  /** A connection to a peer failed (refused, reset, timed out) or was closed. */
  ConnectionFailed: 'RAFTWIRE_TRANSPORT_CONNECTION_FAILED',
} as const;
/** One of the transport's stable error codes. */
export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

/** Base class of the transport's errors. */
export class TransportError extends RaftwireError {
  declare readonly code: TransportErrorCode;
  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * Malformed bytes from a peer: the decoder stops, the stream or request is closed, nothing half
 * decoded reaches raft. `reason` is a short stable string.
 */
export class FrameDecodeError extends TransportError {
  readonly reason: string;
  constructor(reason: string, message: string, options?: { cause?: unknown; tooLarge?: boolean }) {
    super(
      options?.tooLarge ? TransportErrorCode.FrameTooLarge : TransportErrorCode.BadFrame,
      message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.reason = reason;
  }
}

/** The peer belongs to another cluster: both IDs (hex) are named. */
export class ClusterIdMismatchError extends TransportError {
  readonly local: string;
  readonly remote: string;
  constructor(local: string, remote: string, peerUrl: string) {
    super(
      TransportErrorCode.ClusterIdMismatch,
      `cluster ID mismatch: local cluster ${local}, peer ${peerUrl} is in cluster ${remote}`,
    );
    this.local = local;
    this.remote = remote;
  }
}

/** etcd's errMemberRemoved: "the member has been permanently removed from the cluster". */
export class MemberRemovedError extends TransportError {
  constructor(peerUrl: string) {
    super(
      TransportErrorCode.MemberRemoved,
      `the member has been permanently removed from the cluster (told by ${peerUrl})`,
    );
  }
}
