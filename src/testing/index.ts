/**
 * raftwire/testing: proof machinery for systems built on raftwire. `checkHistory` decides whether
 * a Jepsen-style history of register operations (read, write, delete, cas, append per key) is
 * linearizable, with porcupine's algorithm; `parseHistory` reads the JSON-lines form;
 * `formatTimeline` draws operations as a text timeline. See docs/testing.md.
 */
export {
  type CheckOptions,
  type CheckResult,
  checkHistory,
  DEFAULT_CHECK_TIMEOUT_MS,
} from './check-history.js';
export { HistoryFormatError } from './errors.js';
export { type HistoryFn, type HistoryOp, type HistoryOpType, parseHistory } from './history.js';
export {
  formatFailure,
  runSimulation,
  type SimFailure,
  type SimOptions,
  type SimResult,
  type StorageMode,
  simulateAndCheck,
} from './sim/index.js';
export { describeOp, formatTimeline, type WindowOp } from './timeline.js';
