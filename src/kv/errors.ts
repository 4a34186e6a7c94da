/** The key-value service's error codes (listed in docs/kv.md#errors). */
import { RaftwireError } from '../errors/index.js';

/** Stable codes of KvError. */
export const KvErrorCode = {
  /** A committed entry is not a valid raftwire kv entry (unknown version or truncated): fatal on apply. */
  EntryDecode: 'RAFTWIRE_KV_ENTRY_DECODE',
  /** A snapshot image is not a valid raftwire kv snapshot (bad magic, version, framing or checksum). */
  SnapshotDecode: 'RAFTWIRE_KV_SNAPSHOT_DECODE',
  /** A request to the service that cannot be encoded (key empty or reserved, value too large). */
  BadRequest: 'RAFTWIRE_KV_BAD_REQUEST',
} as const;

/** One of KvErrorCode's values. */
export type KvErrorCodeValue = (typeof KvErrorCode)[keyof typeof KvErrorCode];

/** An error of raftwire/kv. */
export class KvError extends RaftwireError {
  constructor(code: KvErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
