/** raftwire: etcd's raft stack in TypeScript. The areas are subpath exports (raftwire/raftpb, …). */
export { isRaftwireError, RaftwireError } from './errors/index.js';
export { ETCD_MIN_CLUSTER_VERSION, ETCD_WIRE_VERSION, RAFTWIRE_VERSION } from './version.js';
