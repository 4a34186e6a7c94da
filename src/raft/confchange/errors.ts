/** The error of a refused configuration change. */
import { RaftwireError } from '../../errors/index.js';
import { RaftErrorCode } from '../errors.js';

/**
 * A configuration change that cannot be applied (code `RAFTWIRE_RAFT_CONF_CHANGE`; etcd's
 * confchange errors, same message text: `config is already joint`, `removed all voters`, …).
 * The Changer refuses without changing anything; etcd's raft panics on it when applying a
 * committed change, and raftwire's Node stops with it (see docs/raft.md).
 */
export class ConfChangeError extends RaftwireError {
  constructor(message: string) {
    super(RaftErrorCode.CONF_CHANGE, message);
  }
}
