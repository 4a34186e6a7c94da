/**
 * Building a ReplicaStatus from raft's state, the applied configuration and the transport's
 * per-peer link state.
 */
import { StateType, type Status } from '../raft/index.js';
import type { ConfState } from '../raftpb/index.js';
import type { PeerLinkStatus as TransportLinkStatus } from '../transport/index.js';
import type { MemberStatus, PeerLinkStatus, ProgressStatus, ReplicaStatus } from './types.js';

const ROLES = ['follower', 'candidate', 'leader', 'pre-candidate'] as const;
const PROGRESS_STATES = ['probe', 'replicate', 'snapshot'] as const;

/** What buildStatus reads. */
export interface StatusInput {
  id: bigint;
  clusterId: bigint;
  raft: Status | undefined;
  confState: ConfState;
  members: MemberStatus[];
  peerStatus: (id: bigint) => TransportLinkStatus | undefined;
  leaderSince: string | null;
  applied: number;
  snapshotIndex: number;
  running: boolean;
  isolated: boolean;
  snapshotSends: { inFlight: number; sent: number; failed: number };
}

/** The status of a replica (progress only on the leader). */
export function buildStatus(x: StatusInput): ReplicaStatus {
  const r = x.raft;
  const progress: ProgressStatus[] = [];
  if (r !== undefined && r.softState.raftState === StateType.StateLeader && x.running) {
    const ids = [...r.progress.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const id of ids) {
      const pr = r.progress.get(id)!;
      progress.push({
        id,
        match: pr.match,
        next: pr.next,
        state: PROGRESS_STATES[pr.state] ?? 'probe',
        inflight: pr.inflights.count(),
        recentActive: pr.recentActive,
      });
    }
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
  let role: ReplicaStatus['role'] = ROLES[r?.softState.raftState ?? 0] ?? 'follower';
  if (role === 'follower' && x.confState.learners.includes(x.id)) role = 'learner';
  const lead = r?.softState.lead ?? 0n;
  return {
    id: x.id,
    clusterId: x.clusterId,
    leader: lead === 0n ? undefined : lead,
    leaderSince: lead === 0n ? null : x.leaderSince,
    role,
    term: r?.hardState.term ?? 0,
    commit: r?.hardState.commit ?? 0,
    applied: x.applied,
    snapshotIndex: x.snapshotIndex,
    members: x.members,
    progress,
    peers,
    isolated: x.isolated,
    snapshotSends: { ...x.snapshotSends },
  };
}
