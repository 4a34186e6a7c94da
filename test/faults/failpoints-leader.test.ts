/**
 * A crash of the leader at the save and apply failpoints, armed at run time over
 * RAFTWIRE_FAILPOINTS_HTTP on whichever member leads: before its own WAL save (entries possibly
 * already sent to followers), after it, before the durable write, and after applying an entry but
 * before answering its proposer. The scenario's checks hold: linearizable history with every
 * acknowledged write visible, converged replicas, service back.
 */
import { testLeaderCrashes } from './support/failpoint-crash.js';

testLeaderCrashes(['raftBeforeSave', 'raftAfterSave', 'walBeforeFsync', 'applyAfterEntry']);
