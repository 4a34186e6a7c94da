/**
 * raftwire/wal: etcd 3.4's write-ahead log, byte-compatible with etcd's Go `wal` package.
 * See docs/wal.md.
 */
export { crc32c, crc32cUpdate } from './crc32c.js';
