/** Helpers around conf changes, with the semantics of etcd raftpb's confchange.go. */
import { RaftwireError } from '../errors/index.js';
import { RaftpbErrorCode } from './errors.js';
import {
  type ConfChange,
  type ConfChangeSingle,
  ConfChangeTransition,
  ConfChangeType,
  type ConfChangeV2,
} from './types.js';

/** ConfChange.AsV2: a V1 change as the equivalent single-change V2 change. */
export function confChangeAsV2(cc: ConfChange | ConfChangeV2): ConfChangeV2 {
  if ('transition' in cc) return cc;
  const v2: ConfChangeV2 = {
    transition: ConfChangeTransition.ConfChangeTransitionAuto,
    changes: [{ type: cc.type, nodeId: cc.nodeId }],
  };
  if (cc.context !== undefined) v2.context = cc.context;
  return v2;
}

/**
 * ConfChangeV2.EnterJoint: whether the change must go through a joint configuration, and if so
 * whether raft leaves it by itself (`autoLeave`). `undefined` when the change is simple.
 */
export function confChangeEnterJoint(cc: ConfChangeV2): { autoLeave: boolean } | undefined {
  if (cc.transition === ConfChangeTransition.ConfChangeTransitionAuto && cc.changes.length <= 1)
    return undefined;
  switch (cc.transition) {
    case ConfChangeTransition.ConfChangeTransitionAuto:
    case ConfChangeTransition.ConfChangeTransitionJointImplicit:
      return { autoLeave: true };
    case ConfChangeTransition.ConfChangeTransitionJointExplicit:
      return { autoLeave: false };
    default:
      throw new RaftwireError(RaftpbErrorCode.UNKNOWN_TRANSITION, `unknown transition: ${cc.transition}`);
  }
}

/** ConfChangeV2.LeaveJoint: the zero change (context aside) leaves a joint configuration. */
export function confChangeLeaveJoint(cc: ConfChangeV2): boolean {
  return cc.transition === 0 && cc.changes.length === 0 && cc.unknown === undefined;
}

const letters: Record<number, string> = {
  [ConfChangeType.ConfChangeAddNode]: 'v',
  [ConfChangeType.ConfChangeAddLearnerNode]: 'l',
  [ConfChangeType.ConfChangeRemoveNode]: 'r',
  [ConfChangeType.ConfChangeUpdateNode]: 'u',
};

/** ConfChangesToString: `v1 l2 r3 u4` (voter, learner, remove, update). */
export function confChangesToString(ccs: readonly ConfChangeSingle[]): string {
  return ccs.map((c) => `${letters[c.type] ?? 'unknown'}${c.nodeId}`).join(' ');
}

/** ConfChangesFromString: the inverse of confChangesToString. */
export function confChangesFromString(s: string): ConfChangeSingle[] {
  const out: ConfChangeSingle[] = [];
  for (const tok of s.trim().split(/\s+/)) {
    if (tok === '') continue;
    const type = { v: 0, r: 1, u: 2, l: 3 }[tok[0] ?? ''] as ConfChangeType | undefined;
    const digits = tok.slice(1);
    if (type === undefined)
      throw new RaftwireError(RaftpbErrorCode.CONF_CHANGE_STRING, `unknown input: ${tok}`);
    if (!/^\d+$/.test(digits))
      throw new RaftwireError(RaftpbErrorCode.CONF_CHANGE_STRING, `invalid node ID in ${tok}`);
    out.push({ type, nodeId: BigInt(digits) });
  }
  return out;
}
