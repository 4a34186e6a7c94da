/** The quorum package: majority and joint configurations (etcd-io/raft `quorum`). */
export { JointConfig } from './joint.js';
export { MajorityConfig } from './majority.js';
export {
  type AckedIndexer,
  formatIndex,
  INDEX_INFINITY,
  mapAckIndexer,
  VoteResult,
  voteResultName,
} from './quorum.js';
