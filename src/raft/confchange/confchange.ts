/**
 * Validated configuration changes, simple and joint (etcd-io/raft `confchange.Changer`). The
 * changer never mutates its tracker: it works on copies and returns the new configuration and
 * progress map, which the caller installs.
 */
import { type ConfChangeSingle, ConfChangeType, confChangeTypeName } from '../../raftpb/index.js';
import type { MajorityConfig } from '../quorum/majority.js';
import { Inflights } from '../tracker/inflights.js';
import { Progress } from '../tracker/progress.js';
import { ProgressMap } from '../tracker/progress-map.js';
import type { ProgressTracker, TrackerConfig } from '../tracker/tracker.js';
import { ConfChangeError } from './errors.js';

/** What a change produces: the new configuration and the matching progress map. */
export type ConfChangeResult = [config: TrackerConfig, progress: ProgressMap];

/** The tracker fields the changer reads. */
export type ChangerTracker = Pick<
  ProgressTracker,
  'config' | 'progress' | 'maxInflight' | 'maxInflightBytes'
>;

/**
 * Computes configuration changes against `tracker`'s current state. New peers get a Progress
 * with `next = max(lastIndex, 1)` (so they are probed at the leader's last index), marked
 * recently active. Every method throws {@link ConfChangeError} for an invalid change.
 */
export class Changer {
  /** The tracker whose configuration is the starting point (read only). */
  tracker: ChangerTracker;
  /** The leader's last log index, for the Progress of added peers. */
  lastIndex: number;

  constructor(tracker: ChangerTracker, lastIndex: number) {
    this.tracker = tracker;
    this.lastIndex = lastIndex;
  }

  /**
   * Enters a joint configuration: the outgoing half becomes a copy of the incoming voters, then
   * `ccs` apply to the incoming half (`C_{new,old}` in the Raft thesis, §4.3). With `autoLeave`,
   * raft leaves the joint config on its own once it can.
   */
  enterJoint(autoLeave: boolean, ccs: readonly ConfChangeSingle[]): ConfChangeResult {
    const [cfg, prs] = this.checkAndCopy();
    if (cfg.voters.isJoint()) throw new ConfChangeError('config is already joint');
    if (cfg.voters.incoming.size === 0) {
      // Adding to an empty config is allowed (bootstrap, tests); entering joint from it is not.
      throw new ConfChangeError("can't make a zero-voter config joint");
    }
    const outgoing = cfg.voters.outgoing;
    for (const id of outgoing.slice()) outgoing.delete(id);
    for (const id of cfg.voters.incoming) outgoing.add(id);
    this.apply(cfg, prs, ccs);
    cfg.autoLeave = autoLeave;
    return checkAndReturn(cfg, prs);
  }

  /**
   * Leaves the joint configuration: the incoming voters decide alone, staged learners
   * (`learnersNext`) become learners, and peers in neither the incoming voters nor the learners
   * lose their Progress.
   */
  leaveJoint(): ConfChangeResult {
    const [cfg, prs] = this.checkAndCopy();
    if (!cfg.voters.isJoint()) throw new ConfChangeError("can't leave a non-joint config");
    for (const id of cfg.learnersNext) {
      cfg.learners.add(id);
      progressOf(prs, id).isLearner = true;
    }
    cfg.learnersNext.clear();
    const outgoing = cfg.voters.outgoing;
    for (const id of outgoing.slice()) {
      if (!cfg.voters.incoming.has(id) && !cfg.learners.has(id)) prs.delete(id);
      outgoing.delete(id);
    }
    cfg.autoLeave = false;
    return checkAndReturn(cfg, prs);
  }

  /**
   * Applies `ccs` without joint consensus. Refused while joint, and when the incoming voters
   * change by more than one (symmetric difference) or no voter remains.
   */
  simple(ccs: readonly ConfChangeSingle[]): ConfChangeResult {
    const [cfg, prs] = this.checkAndCopy();
    if (cfg.voters.isJoint()) throw new ConfChangeError("can't apply simple config change in joint config");
    this.apply(cfg, prs, ccs);
    if (symdiff(this.tracker.config.voters.incoming, cfg.voters.incoming) > 1) {
      throw new ConfChangeError('more than one voter changed without entering joint config');
    }
    return checkAndReturn(cfg, prs);
  }

  /** Applies each change to the incoming half; a NodeID of 0 is skipped (etcd's cancellation). */
  private apply(cfg: TrackerConfig, prs: ProgressMap, ccs: readonly ConfChangeSingle[]): void {
    for (const cc of ccs) {
      if (cc.nodeId === 0n) continue;
      switch (cc.type) {
        case ConfChangeType.ConfChangeAddNode:
          this.makeVoter(cfg, prs, cc.nodeId);
          break;
        case ConfChangeType.ConfChangeAddLearnerNode:
          this.makeLearner(cfg, prs, cc.nodeId);
          break;
        case ConfChangeType.ConfChangeRemoveNode:
          remove(cfg, prs, cc.nodeId);
          break;
        case ConfChangeType.ConfChangeUpdateNode:
          break;
        default:
          throw new ConfChangeError(`unexpected conf type ${cc.type as number}`);
      }
    }
    if (cfg.voters.incoming.size === 0) throw new ConfChangeError('removed all voters');
  }

  /** Adds `id` as an incoming voter, or promotes it (keeping its Progress). */
  private makeVoter(cfg: TrackerConfig, prs: ProgressMap, id: bigint): void {
    const pr = prs.get(id);
    if (pr === undefined) {
      this.initProgress(cfg, prs, id, false);
      return;
    }
    pr.isLearner = false;
    cfg.learners.delete(id);
    cfg.learnersNext.delete(id);
    cfg.voters.incoming.add(id);
  }

  /**
   * Makes `id` a learner. A peer that is still an outgoing voter is staged in `learnersNext`
   * instead (it cannot be voter and learner at once) and becomes a learner on leaving joint.
   */
  private makeLearner(cfg: TrackerConfig, prs: ProgressMap, id: bigint): void {
    const pr = prs.get(id);
    if (pr === undefined) {
      this.initProgress(cfg, prs, id, true);
      return;
    }
    if (pr.isLearner) return;
    remove(cfg, prs, id);
    prs.set(id, pr); // keep the Progress
    if (cfg.voters.outgoing.has(id)) {
      cfg.learnersNext.add(id);
    } else {
      pr.isLearner = true;
      cfg.learners.add(id);
    }
  }

  private initProgress(cfg: TrackerConfig, prs: ProgressMap, id: bigint, isLearner: boolean): void {
    if (isLearner) cfg.learners.add(id);
    else cfg.voters.incoming.add(id);
    prs.set(
      id,
      new Progress({
        match: 0,
        // Probe at the last index (invariant match < next); a new peer usually needs a snapshot.
        next: Math.max(this.lastIndex, 1),
        inflights: new Inflights(this.tracker.maxInflight, this.tracker.maxInflightBytes),
        isLearner,
        // Added peers count as active so CheckQuorum does not step down before they report.
        recentActive: true,
      }),
    );
  }

  /** Copies the tracker's config and progress (Progress shallowly) after checking invariants. */
  private checkAndCopy(): ConfChangeResult {
    const cfg = this.tracker.config.clone();
    const prs = new ProgressMap();
    for (const [id, pr] of this.tracker.progress) prs.set(id, pr.shallowCopy());
    return checkAndReturn(cfg, prs);
  }
}

/** Removes `id` as voter or learner from the incoming side; keeps its Progress while an outgoing voter. */
function remove(cfg: TrackerConfig, prs: ProgressMap, id: bigint): void {
  if (!prs.has(id)) return;
  cfg.voters.incoming.delete(id);
  cfg.learners.delete(id);
  cfg.learnersNext.delete(id);
  if (!cfg.voters.outgoing.has(id)) prs.delete(id);
}

function progressOf(prs: ProgressMap, id: bigint): Progress {
  const pr = prs.get(id);
  if (pr === undefined) throw new ConfChangeError(`no progress for ${id}`);
  return pr;
}

const sorted = (ids: Iterable<bigint>): bigint[] => [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** Checks that config and progress agree (on input and on output); throws on the first violation. */
function checkInvariants(cfg: TrackerConfig, prs: ProgressMap): void {
  for (const ids of [cfg.voters.ids().slice(), sorted(cfg.learners), sorted(cfg.learnersNext)]) {
    for (const id of ids) if (!prs.has(id)) throw new ConfChangeError(`no progress for ${id}`);
  }
  // A staged learner was staged because it is still a voter in the outgoing config.
  for (const id of sorted(cfg.learnersNext)) {
    if (!cfg.voters.outgoing.has(id))
      throw new ConfChangeError(`${id} is in LearnersNext, but not Voters[1]`);
    if (progressOf(prs, id).isLearner) {
      throw new ConfChangeError(`${id} is in LearnersNext, but is already marked as learner`);
    }
  }
  // Learners and voters never intersect.
  for (const id of sorted(cfg.learners)) {
    if (cfg.voters.outgoing.has(id)) throw new ConfChangeError(`${id} is in Learners and Voters[1]`);
    if (cfg.voters.incoming.has(id)) throw new ConfChangeError(`${id} is in Learners and Voters[0]`);
    if (!progressOf(prs, id).isLearner)
      throw new ConfChangeError(`${id} is in Learners, but is not marked as learner`);
  }
  if (!cfg.voters.isJoint()) {
    if (cfg.learnersNext.size > 0) throw new ConfChangeError('cfg.LearnersNext must be nil when not joint');
    if (cfg.autoLeave) throw new ConfChangeError('AutoLeave must be false when not joint');
  }
}

function checkAndReturn(cfg: TrackerConfig, prs: ProgressMap): ConfChangeResult {
  checkInvariants(cfg, prs);
  return [cfg, prs];
}

/** |(l − r) ∪ (r − l)|. */
function symdiff(l: MajorityConfig, r: MajorityConfig): number {
  let n = 0;
  for (const id of l) if (!r.has(id)) n++;
  for (const id of r) if (!l.has(id)) n++;
  return n;
}

/** The changes as etcd's `confchange.Describe` prints them: `ConfChangeAddNode(1) ConfChangeRemoveNode(2)`. */
export function describeChanges(ccs: readonly ConfChangeSingle[]): string {
  return ccs.map((cc) => `${confChangeTypeName(cc.type)}(${cc.nodeId})`).join(' ');
}
