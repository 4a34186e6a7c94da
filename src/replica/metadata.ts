/**
 * The WAL metadata of a replica's data directory: etcd's `etcdserverpb.Metadata` (NodeID = 1,
 * ClusterID = 2, both uint64 varints, always written), so the directory names its member and
 * cluster as an etcd member's does.
 */
import { ReplicaError, ReplicaErrorCode } from './errors.js';

/** The member and cluster a data directory belongs to. */
export interface DirIdentity {
  nodeId: bigint;
  clusterId: bigint;
}

function putVarint(out: number[], v: bigint): void {
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

/** Encodes the metadata as etcd writes it. */
export function encodeDirMetadata(id: DirIdentity): Uint8Array {
  const out: number[] = [0x08];
  putVarint(out, id.nodeId);
  out.push(0x10);
  putVarint(out, id.clusterId);
  return Uint8Array.from(out);
}

/** Decodes the metadata; throws FOREIGN_DATA_DIR when it is not a Metadata message. */
export function decodeDirMetadata(bytes: Uint8Array, dir: string): DirIdentity {
  const id: DirIdentity = { nodeId: 0n, clusterId: 0n };
  let i = 0;
  const bad = () =>
    new ReplicaError(
      ReplicaErrorCode.ForeignDataDir,
      `${dir}: the WAL metadata does not name a member and a cluster (not a raftwire/etcd member directory)`,
    );
  while (i < bytes.length) {
    const tag = bytes[i++] as number;
    if (tag !== 0x08 && tag !== 0x10) throw bad();
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= bytes.length || shift > 63n) throw bad();
      const b = bytes[i++] as number;
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80) break;
    }
    if (tag === 0x08) id.nodeId = v & 0xffffffffffffffffn;
    else id.clusterId = v & 0xffffffffffffffffn;
  }
  if (id.nodeId === 0n) throw bad();
  return id;
}
