/**
 * Where a local cluster lives: its ports, derived from one base port, and its directories under
 * one data directory (docs/cluster.md#ports-and-data).
 *
 * - the supervisor (status page and controls): base
 * - member i (1-based, also its raft member ID): client API base + 10·i, peers base + 10·i + 1
 * - member i's data: <data-dir>/member-<i>; its output: <data-dir>/member-<i>.log
 */
import { join, resolve } from 'node:path';
import { ClusterError, ClusterErrorCode } from './errors.js';

/** The most members `raftwire cluster` starts. */
export const MAX_NODES = 9;
/** Default --base-port (etcd's client port plus 10000). */
export const DEFAULT_BASE_PORT = 12379;
/** Default --nodes. */
export const DEFAULT_NODES = 3;
/** Default --data-dir. */
export const DEFAULT_DATA_DIR = './raftwire-data';

/** One member's place. */
export interface MemberLayout {
  /** 1-based index, equal to its raft member ID. */
  index: number;
  clientPort: number;
  peerPort: number;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  logFile: string;
}

/** The whole cluster's place. */
export interface ClusterLayout {
  nodes: number;
  basePort: number;
  dataDir: string;
  host: string;
  supervisorPort: number;
  supervisorUrl: string;
  members: MemberLayout[];
}

/** Computes the layout; throws ClusterError INVALID_OPTIONS for a size or port out of range. */
export function clusterLayout(nodes: number, basePort: number, dataDir: string): ClusterLayout {
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) {
    throw new ClusterError(
      ClusterErrorCode.InvalidOptions,
      `--nodes must be 1 to ${MAX_NODES}, got ${nodes}`,
    );
  }
  const top = basePort + 10 * nodes + 1;
  if (!Number.isInteger(basePort) || basePort < 1 || top > 65535) {
    throw new ClusterError(
      ClusterErrorCode.InvalidOptions,
      `--base-port ${basePort} leaves no room for ${nodes} members (ports ${basePort}..${top} must be 1..65535)`,
    );
  }
  const host = '127.0.0.1';
  const dir = resolve(dataDir);
  const members: MemberLayout[] = [];
  for (let i = 1; i <= nodes; i++) {
    const clientPort = basePort + 10 * i;
    const peerPort = clientPort + 1;
    members.push({
      index: i,
      clientPort,
      peerPort,
      clientUrl: `http://${host}:${clientPort}`,
      peerUrl: `http://${host}:${peerPort}`,
      dataDir: join(dir, `member-${i}`),
      logFile: join(dir, `member-${i}.log`),
    });
  }
  return {
    nodes,
    basePort,
    dataDir: dir,
    host,
    supervisorPort: basePort,
    supervisorUrl: `http://${host}:${basePort}`,
    members,
  };
}
