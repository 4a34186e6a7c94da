/** The error the tracker and confchange packages throw where etcd panics. */
import { RaftwireError } from '../../errors/index.js';

/** Code of a broken raft invariant (shared with the rest of the raft core). */
export const RAFT_FATAL_CODE = 'RAFTWIRE_RAFT_FATAL';

/** A broken invariant (etcd panics): the raft instance must not be used afterwards. */
export function raftFatal(message: string): RaftwireError {
  return new RaftwireError(RAFT_FATAL_CODE, message);
}
