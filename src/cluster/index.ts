/**
 * The local-cluster supervisor (docs/cluster.md): what `raftwire cluster` runs. Internal area (no
 * package export); it runs members through the CLI and talks to them over HTTP only.
 */
export { ClusterError, ClusterErrorCode, type ClusterErrorCodeValue } from './errors.js';
export {
  type ClusterLayout,
  clusterLayout,
  DEFAULT_BASE_PORT,
  DEFAULT_DATA_DIR,
  DEFAULT_NODES,
  MAX_NODES,
  type MemberLayout,
} from './layout.js';
export type { ProcessState, ProcessStatus } from './member-process.js';
export {
  type ClusterStatus,
  CONTROL_ACTIONS,
  type ControlAction,
  type ControlResult,
  type SupervisedMemberStatus,
  Supervisor,
  type SupervisorOptions,
} from './supervisor.js';
export { MAX_LOAD_RATE, type WriteLoadStatus } from './write-load.js';
