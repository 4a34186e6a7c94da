/** The tracker package: inflights, per-peer progress, and the progress tracker (etcd-io/raft `tracker`). */
export { Inflights } from './inflights.js';
export { Progress, type ProgressInit } from './progress.js';
export { ProgressMap } from './progress-map.js';
export { ProgressStateType, progressStateName } from './state.js';
export { ProgressTracker, TrackerConfig } from './tracker.js';
