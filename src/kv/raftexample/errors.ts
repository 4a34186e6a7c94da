/**
 * The errors of raftwire's raftexample mode (listed in docs/interop.md and docs/errors.md).
 */
import { RaftwireError } from '../../errors/index.js';

/**
 * Bytes that Go's `encoding/gob` decoder rejects when it decodes them into raftexample's
 * `kv{Key, Val string}` with a fresh decoder. `reason` is the failure in Go's words where they
 * are stable (`gob: unknown type id or corrupted data`, `unexpected EOF`, …).
 */
export class RaftexampleGobError extends RaftwireError {
  static readonly code = 'RAFTWIRE_KV_RAFTEXAMPLE_GOB';
  /** What is wrong with the bytes. */
  readonly reason: string;

  constructor(reason: string) {
    super(RaftexampleGobError.code, `raftexample gob: ${reason}`);
    this.reason = reason;
  }
}

/**
 * Snapshot bytes that Go's `json.Unmarshal` into a `map[string]string` rejects (a syntax error, a
 * value that is not a string, trailing data, …).
 */
export class RaftexampleSnapshotError extends RaftwireError {
  static readonly code = 'RAFTWIRE_KV_RAFTEXAMPLE_SNAPSHOT_JSON';
  /** Byte offset in the snapshot where the problem was found. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(RaftexampleSnapshotError.code, `raftexample snapshot JSON: ${message} (at byte ${offset})`);
    this.offset = offset;
  }
}

/**
 * A committed entry the raftexample state machine cannot apply: a Go member would `log.Fatalf`
 * on it, and skipping it would make this member diverge, so the member must stop. `index` is the
 * entry's raft index; `cause` is the decode error.
 */
export class RaftexampleApplyError extends RaftwireError {
  static readonly code = 'RAFTWIRE_KV_RAFTEXAMPLE_APPLY';
  /** Raft index of the entry. */
  readonly index: number;

  constructor(index: number, cause: Error) {
    super(
      RaftexampleApplyError.code,
      `raftexample: cannot apply the entry at index ${index}, stopping (a Go member would die on it too): ${cause.message}`,
      { cause },
    );
    this.index = index;
  }
}
