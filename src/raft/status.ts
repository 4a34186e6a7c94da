/**
 * Status of a raft instance (etcd raft status.go) and the role names.
 */
import type { HardState } from '../raftpb/index.js';
import type { Raft } from './raft.js';
import type { SoftState } from './rawnode.js';
import type { Progress } from './tracker/progress.js';
import { progressStateName } from './tracker/state.js';
import type { TrackerConfig } from './tracker/tracker.js';

/** The role of a node (etcd's StateType values). */
export const StateType = {
  StateFollower: 0,
  StateCandidate: 1,
  StateLeader: 2,
  StatePreCandidate: 3,
} as const;
/** One of StateType's values. */
export type StateType = (typeof StateType)[keyof typeof StateType];

const stateNames = ['StateFollower', 'StateCandidate', 'StateLeader', 'StatePreCandidate'];

/** `StateLeader` etc. (Go's StateType.String). */
export function stateTypeName(s: StateType): string {
  return stateNames[s] ?? String(s);
}

/** Basic information about a raft peer; cheap to build; a copy. */
export interface BasicStatus {
  /** This node's ID. */
  id: bigint;
  /** Term, vote and commit index. */
  hardState: HardState;
  /** Leader and role. */
  softState: SoftState;
  /** The highest index the application reported applied. */
  applied: number;
  /** The node leadership is being transferred to, or 0n. */
  leadTransferee: bigint;
}

/**
 * BasicStatus plus the configuration and, on a leader only, every peer's Progress. Copies: changing
 * them does not affect raft. `Progress` and `TrackerConfig` are exported as types only, for reading.
 */
export interface Status extends BasicStatus {
  config: TrackerConfig;
  progress: Map<bigint, Progress>;
}

/** Builds the BasicStatus of r. */
export function getBasicStatus(r: Raft): BasicStatus {
  return {
    id: r.id,
    hardState: r.hardState(),
    softState: r.softState(),
    applied: r.raftLog.applied,
    leadTransferee: r.leadTransferee,
  };
}

/** Builds the full Status of r (allocates: copies of the config and of every Progress). */
export function getStatus(r: Raft): Status {
  const progress = new Map<bigint, Progress>();
  if (r.state === StateType.StateLeader) {
    r.trk.visit((id, pr) => {
      const p = pr.shallowCopy();
      p.inflights = pr.inflights.clone();
      progress.set(id, p);
    });
  }
  return { ...getBasicStatus(r), config: r.trk.config.clone(), progress };
}

/** etcd's Status JSON (IDs in hex), e.g. for the /debug endpoints. */
export function statusToJSON(s: Status): string {
  const hex = (id: bigint) => id.toString(16);
  const prs: string[] = [];
  for (const [id, pr] of s.progress) {
    prs.push(
      `"${hex(id)}":{"match":${pr.match},"next":${pr.next},"state":${JSON.stringify(progressStateName(pr.state))}}`,
    );
  }
  return (
    `{"id":"${hex(s.id)}","term":${s.hardState.term},"vote":"${hex(s.hardState.vote)}",` +
    `"commit":${s.hardState.commit},"lead":"${hex(s.softState.lead)}",` +
    `"raftState":${JSON.stringify(stateTypeName(s.softState.raftState))},"applied":${s.applied},` +
    `"progress":{${prs.join(',')}},"leadtransferee":"${hex(s.leadTransferee)}"}`
  );
}
