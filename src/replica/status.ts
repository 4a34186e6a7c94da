/**
 * Building a ReplicaStatus from raft's state, the applied configuration and the transport's
 * per-peer link state.
 */
import { type Raft, StateType } from '../raft/index.js';
import type { ConfState } from '../raftpb/index.js';
import type { PeerLinkState } from '../transport/index.js';
import type { MemberStatus, PeerLinkStatus, ProgressStatus, ReplicaStatus } from './types.js';

const ROLES = ['follower', 'candidate', 'leader', 'pre-candidate'] as const;
const PROGRESS_STATES = ['probe', 'replicate', 'snapshot'] as const;

/** What buildStatus reads. */
export interface StatusInput {
  id: bigint;
  clusterId: bigint;
  raft: Raft | undefined;
  confState: ConfState;
  members: MemberStatus[];
  peerStatus: (id: bigint) => PeerLinkState | undefined;
  leaderSince: string | null;
  applied: number;
  snapshotIndex: number;
  running: boolean;
}

/** The status of a replica (progress only on the leader). */
export function buildStatus(x: StatusInput): ReplicaStatus {
  const r = x.raft;
  const progress: ProgressStatus[] = [];
  if (r !== undefined && r.state === StateType.StateLeader && x.running) {
    r.trk.visit((id, pr) => {
      progress.push({
        id,
        match: pr.match,
        next: pr.next,
        state: PROGRESS_STATES[pr.state] ?? 'probe',
        inflight: pr.inflights.count(),
        recentActive: pr.recentActive,
      });
    });
  }
  const peers: PeerLinkStatus[] = [];
  for (const m of x.members) {
    if (m.id === x.id) continue;
    const s = x.peerStatus(m.id);
    if (s === undefined) continue;
    peers.push({
      id: m.id,
      active: s.active,
      activeSince: s.activeSince?.toISOString() ?? null,
      streams: s.streams,
      rttMs: s.rttMs ?? null,
      dropped: s.dropped,
    });
  }
  let role: ReplicaStatus['role'] = ROLES[r?.state ?? 0] ?? 'follower';
  if (role === 'follower' && x.confState.learners.includes(x.id)) role = 'learner';
  const lead = r?.lead ?? 0n;
  return {
    id: x.id,
    clusterId: x.clusterId,
    leader: lead === 0n ? undefined : lead,
    leaderSince: lead === 0n ? null : x.leaderSince,
    role,
    term: r?.term ?? 0,
    commit: r?.raftLog.committed ?? 0,
    applied: x.applied,
    snapshotIndex: x.snapshotIndex,
    members: x.members,
    progress,
    peers,
  };
}
