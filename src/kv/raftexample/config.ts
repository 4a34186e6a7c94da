/**
 * What a raftexample member is configured with (contrib/raftexample/raft.go and main.go in etcd
 * 3.4.23), for a raftwire member that must time and behave like one, and how raftexample lays out
 * its data and bootstraps its log.
 */
import { join } from 'node:path';
import {
  ConfChangeType,
  type Entry,
  EntryType,
  encodeConfChange,
  type HardState,
  newEntry,
} from '../../raftpb/index.js';

/** raftexample's raft settings; a drop-in member uses exactly these. */
export const RAFTEXAMPLE_RAFT_CONFIG = {
  /** The cluster ID every raftexample member uses (`X-Etcd-Cluster-ID: 1000`). */
  clusterId: 0x1000n,
  /** One raft tick every 100 ms. */
  tickMs: 100,
  /** ElectionTick 10: an election timeout of 1–2 s after randomisation. */
  electionTicks: 10,
  /** HeartbeatTick 1. */
  heartbeatTicks: 1,
  /** MaxSizePerMsg: 1 MiB. */
  maxSizePerMsg: 1024 * 1024,
  /** MaxInflightMsgs. */
  maxInflightMsgs: 256,
  /** MaxUncommittedEntriesSize: 1 GiB. */
  maxUncommittedEntriesSize: 2 ** 30,
  /** CheckQuorum is off in raftexample. */
  checkQuorum: false,
  /** PreVote is off in raftexample (Go members still answer MsgPreVote, so a raftwire member may enable it). */
  preVote: false,
  /** A snapshot once `applied − lastSnapshotIndex > 10000` (raftexample's defaultSnapshotCount). */
  snapshotCount: 10_000,
  /** Entries kept in the log behind a snapshot (raftexample's snapshotCatchUpEntriesN). */
  snapshotCatchUpEntries: 10_000,
} as const;

/** The server version raftexample's transport announces (must be valid semver on our side too). */
export const RAFTEXAMPLE_SERVER_VERSION = '3.4.23';

/**
 * raftexample's data directories, relative to its working directory: the WAL in
 * `raftexample-<id>`, the snapshots in `raftexample-<id>-snap`.
 */
export function raftexampleDirs(cwd: string, id: bigint): { walDir: string; snapDir: string } {
  return { walDir: join(cwd, `raftexample-${id}`), snapDir: join(cwd, `raftexample-${id}-snap`) };
}

/**
 * raftexample's `--cluster` list as members: node i (from 1) has the i-th URL, and listens on it.
 * Throws on an empty entry.
 */
export function raftexampleMembers(cluster: string): { id: bigint; peerUrls: string[] }[] {
  return cluster.split(',').map((url, i) => {
    if (url.length === 0) throw new RangeError(`--cluster entry ${i + 1} is empty`);
    return { id: BigInt(i + 1), peerUrls: [url] };
  });
}

/**
 * The log an initial raftexample member of an `n`-member cluster starts with (raft's StartNode):
 * entries 1…n at term 1, entry i an `EntryConfChange` of `ConfChange{ID 0, AddNode, NodeID i}`
 * with no context (`08 00 10 00 18 <i>`), and a HardState with term 1 and commit n.
 */
export function raftexampleBootstrap(n: number): { entries: Entry[]; hardState: HardState } {
  const entries: Entry[] = [];
  for (let i = 1; i <= n; i++) {
    const data = encodeConfChange({ id: 0n, type: ConfChangeType.ConfChangeAddNode, nodeId: BigInt(i) });
    entries.push(newEntry({ term: 1, index: i, type: EntryType.EntryConfChange, data }));
  }
  return { entries, hardState: { term: 1, vote: 0n, commit: n } };
}
