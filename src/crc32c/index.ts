/**
 * raftwire/crc32c: CRC-32C (Castagnoli), the checksum of etcd's WAL records and `.snap` files
 * (etcd's `pkg/crc`). A leaf area: it imports nothing, and `wal` and `snap` both use it.
 * See docs/crc32c.md for why it is hand-written and what that was measured against.
 */
export { crc32c, crc32cUpdate } from './crc32c.js';
