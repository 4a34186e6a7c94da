/** The error of a refused configuration change. */
import { RaftwireError } from '../../errors/index.js';

/** Code of {@link ConfChangeError}. */
export const CONF_CHANGE_ERROR_CODE = 'RAFTWIRE_RAFT_CONF_CHANGE';

/**
 * A configuration change that cannot be applied (etcd's confchange errors, same message text:
 * `config is already joint`, `removed all voters`, …). Raft treats it as fatal, as etcd panics.
 */
export class ConfChangeError extends RaftwireError {
  constructor(message: string) {
    super(CONF_CHANGE_ERROR_CODE, message);
  }
}
