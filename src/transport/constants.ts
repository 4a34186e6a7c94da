/**
 * etcd 3.4.23 rafthttp's constants, named once, each with its unit in the name and the reason for
 * its value. Sources: etcdserver/api/rafthttp/{transport,peer,stream,pipeline,snapshot_sender,
 * probing_status,util,msg_codec}.go.
 */

/** Per-read deadline on stream connections (etcd ConnReadTimeout). Link heartbeats keep it alive. */
export const CONN_READ_TIMEOUT_MS = 5_000;
/** Per-write deadline on stream connections (etcd ConnWriteTimeout): a stalled reader fails writes. */
export const CONN_WRITE_TIMEOUT_MS = 5_000;
/** Link heartbeat period on every stream: ConnReadTimeout/3, so two can be lost before a read times out. */
export const LINK_HEARTBEAT_INTERVAL_MS = CONN_READ_TIMEOUT_MS / 3;
/** Stream writer queue per peer per stream type (etcd streamBufSize). */
export const STREAM_QUEUE_SIZE = 4096;
/** A stream writer flushes after this many unflushed messages even if more are queued (streamBufSize/2). */
export const STREAM_FLUSH_MAX_MESSAGES = STREAM_QUEUE_SIZE / 2;
/** Upper bound of one drained batch in bytes, so a burst of huge messages is not copied into one giant buffer. */
export const STREAM_FLUSH_MAX_BYTES = 4 * 1024 * 1024;
/** Pipeline queue per peer (etcd pipelineBufSize): with 4 in flight, 68 messages can be outstanding. */
export const PIPELINE_QUEUE_SIZE = 64;
/** Concurrent POST /raft workers per peer, each on its own keep-alive connection (etcd connPerPipeline). */
export const PIPELINE_CONNECTIONS = 4;
/** Headers and body deadline of one pipeline POST (etcd ConnReadTimeout applied to the round trip). */
export const PIPELINE_REQUEST_TIMEOUT_MS = 5_000;
/** Receive queue per peer for everything but MsgProp (etcd recvBufSize). */
export const RECEIVE_QUEUE_SIZE = 4096;
/** Receive queue per peer for MsgProp, so a blocked proposal never stalls other traffic (maxPendingProposals). */
export const PROPOSAL_QUEUE_SIZE = 4096;
/** Largest frame the message-stream decoder accepts (etcd readBytesLimit, 512 MiB). */
export const MESSAGE_FRAME_MAX_BYTES = 512 * 1024 * 1024;
/** Largest leading message of a POST /raft/snapshot body we accept: etcd 3.4 has none (2^63); 3.6 uses 64 MiB. */
export const SNAPSHOT_FRAME_MAX_BYTES = 512 * 1024 * 1024;
/** Largest POST /raft body the pipeline handler buffers (etcd 3.4 has no limit; this is the frame cap). */
export const PIPELINE_BODY_MAX_BYTES = MESSAGE_FRAME_MAX_BYTES;
/** Time to read a snapshot POST's response body once its headers arrived (etcd snapResponseReadTimeout). */
export const SNAPSHOT_RESPONSE_READ_TIMEOUT_MS = 5_000;
/** A snapshot transfer (either end) fails when no body byte moved for this long: progress, not per read. */
export const SNAPSHOT_PROGRESS_TIMEOUT_MS = 10_000;
/** After the whole snapshot body was sent, the receiver saves, fsyncs and runs process(): allow this long. */
export const SNAPSHOT_RESPONSE_HEADERS_TIMEOUT_MS = 60_000;
/** Probe period on /raft/probing (etcd proberInterval = ConnReadTimeout - 1 s). */
export const PROBE_INTERVAL_MS = CONN_READ_TIMEOUT_MS - 1_000;
/** Prober monitor: first check and cadence while a peer is unhealthy (etcd statusErrorInterval). */
export const PROBE_STATUS_ERROR_INTERVAL_MS = 5_000;
/** Prober monitor cadence while healthy (etcd statusMonitoringInterval). */
export const PROBE_STATUS_MONITORING_INTERVAL_MS = 30_000;
/** Clock difference above which the prober warns (etcd: 1 s). */
export const PROBE_CLOCK_DRIFT_WARN_MS = 1_000;
/** Default stream redial interval: etcd's rate.Every(100 ms) with burst 1 (first redial is immediate). */
export const DEFAULT_DIAL_RETRY_INTERVAL_MS = 100;
/** TLS handshake deadline of outgoing connections (Go http.Transport TLSHandshakeTimeout). */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** TCP keep-alive of outgoing connections (etcd's dialer). */
export const TCP_KEEPALIVE_MS = 30_000;
/** Idle keep-alive of pipeline connections; Go servers close idle peer connections after 5 s anyway. */
export const PIPELINE_KEEPALIVE_TIMEOUT_MS = 4_000;
/** Idle keep-alive of a finished stream's connection: streams are long-lived, their sockets are not pooled. */
export const STREAM_KEEPALIVE_TIMEOUT_MS = 1_000;
/** Peer server: time allowed for a request's headers (node:http headersTimeout). */
export const SERVER_HEADERS_TIMEOUT_MS = 10_000;
/** Peer server: idle keep-alive of client connections, as etcd's 5 s per-read deadline. */
export const SERVER_KEEPALIVE_TIMEOUT_MS = 5_000;
/** Minimum gap between two identical drop warnings per peer and channel (etcd merges repeated lines). */
export const DROP_WARNING_INTERVAL_MS = 1_000;
/** Label etcd uses for snapshot receive failures before the sender is known. */
export const UNKNOWN_SNAPSHOT_SENDER = 'UNKNOWN_SNAPSHOT_SENDER';
