/** The confchange package: validated simple and joint configuration changes (etcd-io/raft `confchange`). */
export { Changer, type ChangerTracker, type ConfChangeResult, describeChanges } from './confchange.js';
export { ConfChangeError } from './errors.js';
export { restore, toConfChangeSingle } from './restore.js';
