/**
 * raftwire/failpoint: named points in the replica's Ready/apply loop, the WAL, snapshots and the
 * transport where a test can make the process crash, throw, sleep or fail the I/O, enabled by the
 * RAFTWIRE_FAILPOINTS environment variable (gofail-like syntax). See docs/testing.md#failpoints.
 */

export {
  type FailpointServer,
  parseListenAddress,
  startFailpointServer,
} from './failpoint-server.js';
export { type CrashFn, crashProcess, FailpointSet, ioError } from './failpoint-set.js';
export {
  FAILPOINTS_ON,
  failpoint,
  failpointAsync,
  failpointConfigError,
  failpointHttpAddress,
  processFailpoints,
} from './process-failpoints.js';
export {
  FAILPOINT_NAMES,
  type FailpointAction,
  FailpointError,
  FailpointErrorCode,
  type FailpointName,
  type FailpointTerm,
  IO_ERRNO,
  isFailpointName,
  parseFailpoints,
  parseTerm,
} from './spec.js';
