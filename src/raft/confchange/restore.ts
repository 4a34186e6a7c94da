/** Rebuilding a tracker configuration from a ConfState (etcd-io/raft `confchange.Restore`). */
import { type ConfChangeSingle, ConfChangeType, type ConfState } from '../../raftpb/index.js';
import { ProgressTracker } from '../tracker/tracker.js';
import { Changer, type ConfChangeResult } from './confchange.js';

/**
 * The changes that rebuild `cs` from an empty config: `outgoing` adds the outgoing voters (to be
 * applied one by one); `incoming` removes them again and adds the incoming voters, learners and
 * staged learners (to be applied as one joint change). When `cs` is not joint, `outgoing` is
 * empty and `incoming` holds the voters and learners.
 */
export function toConfChangeSingle(
  cs: ConfState,
): [outgoing: ConfChangeSingle[], incoming: ConfChangeSingle[]] {
  const { ConfChangeAddNode, ConfChangeRemoveNode, ConfChangeAddLearnerNode } = ConfChangeType;
  const change = (type: ConfChangeType, nodeId: bigint): ConfChangeSingle => ({ type, nodeId });
  // Example: voters=(1 2 3) learners=(5) outgoing=(1 2 4 6) learners_next=(4).
  // outgoing: v1 v2 v4 v6 → voters=(1 2 4 6).
  // incoming: r1 r2 r4 r6 v1 v2 v3 l5 l4, applied jointly → voters=(1 2 3)&&(1 2 4 6)
  // learners=(5) learners_next=(4). Removing everything first makes the learner-next case work
  // (4 is an outgoing voter, so adding it as a learner stages it).
  const outgoing = cs.votersOutgoing.map((id) => change(ConfChangeAddNode, id));
  const incoming = [
    ...cs.votersOutgoing.map((id) => change(ConfChangeRemoveNode, id)),
    ...cs.voters.map((id) => change(ConfChangeAddNode, id)),
    ...cs.learners.map((id) => change(ConfChangeAddLearnerNode, id)),
    ...cs.learnersNext.map((id) => change(ConfChangeAddLearnerNode, id)),
  ];
  return [outgoing, incoming];
}

/**
 * Rebuilds the configuration described by `cs`, starting from `changer`'s tracker (normally
 * empty): one `simple` change per voter and learner, or, for a joint `cs`, one `simple` per
 * outgoing voter followed by a single `enterJoint`. The changer's tracker is not modified.
 * Throws ConfChangeError when `cs` is not a valid configuration.
 */
export function restore(changer: Changer, cs: ConfState): ConfChangeResult {
  const [outgoing, incoming] = toConfChangeSingle(cs);
  const src = changer.tracker;
  const work = new ProgressTracker(src.maxInflight, src.maxInflightBytes);
  work.config = src.config;
  work.progress = src.progress;
  const chg = new Changer(work, changer.lastIndex);
  const step = (result: ConfChangeResult): void => {
    [work.config, work.progress] = result;
  };
  if (outgoing.length === 0) {
    for (const cc of incoming) step(chg.simple([cc]));
  } else {
    for (const cc of outgoing) step(chg.simple([cc]));
    step(chg.enterJoint(cs.autoLeave, incoming));
  }
  return [work.config, work.progress];
}
