/** The local-cluster supervisor's error codes (docs/cluster.md#errors). */
import { RaftwireError } from '../errors/index.js';

/** Stable codes of ClusterError. */
export const ClusterErrorCode = {
  /** A port the cluster needs (supervisor, a member's client or peer port) is in use. */
  PortInUse: 'RAFTWIRE_CLUSTER_PORT_IN_USE',
  /** The data directory is locked by another running supervisor (its supervisor.pid). */
  DataDirLocked: 'RAFTWIRE_CLUSTER_DATA_DIR_LOCKED',
  /** The data directory holds a cluster of another size or base port (its cluster.json). */
  LayoutMismatch: 'RAFTWIRE_CLUSTER_LAYOUT_MISMATCH',
  /** A member exited while the cluster was starting. */
  MemberFailed: 'RAFTWIRE_CLUSTER_MEMBER_FAILED',
  /** No leader was elected within the startup timeout. */
  NoLeader: 'RAFTWIRE_CLUSTER_NO_LEADER',
  /** Bad supervisor options (node count, ports out of range). */
  InvalidOptions: 'RAFTWIRE_CLUSTER_INVALID_OPTIONS',
} as const;

/** One of ClusterErrorCode's values. */
export type ClusterErrorCodeValue = (typeof ClusterErrorCode)[keyof typeof ClusterErrorCode];

/** An error of the cluster supervisor; its message is one line meant for the terminal. */
export class ClusterError extends RaftwireError {
  constructor(code: ClusterErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
