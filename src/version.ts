/** raftwire's own version (package.json). */
export const RAFTWIRE_VERSION = '0.1.0';

/**
 * The etcd version raftwire advertises on the peer wire (X-Server-Version). A Go etcd 3.4 stream
 * dialer only attaches streams to peers whose major.minor it supports, so raftwire speaks as 3.4.
 */
export const ETCD_WIRE_VERSION = '3.4.23';
/** X-Min-Cluster-Version: the oldest cluster version raftwire can join. */
export const ETCD_MIN_CLUSTER_VERSION = '3.0.0';
