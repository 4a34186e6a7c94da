/**
 * The deterministic cluster simulator (see docs/testing.md, "The simulator"): `runSimulation`
 * runs one seed and checks raft's safety properties after every step; `simulateAndCheck` also
 * checks the recorded client history for linearizability.
 */
export { checkSimHistory, type SimVerdict, simulateAndCheck } from './check.js';
export type { SimHistoryOp } from './history.js';
export { Prng } from './prng.js';
export {
  formatFailure,
  runSimulation,
  type SimFailure,
  type SimOptions,
  type SimResult,
  Simulation,
  type StorageMode,
} from './simulator.js';
