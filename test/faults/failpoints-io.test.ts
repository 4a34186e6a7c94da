/**
 * A crash at the I/O failpoints under load: in the WAL's group write (before the write, before
 * the write that makes it durable) and in the transport's send. A follower restarted armed with
 * `<point>=1*crash` dies there (SIGKILL from inside), restarts clean, and the scenario's checks
 * hold (linearizable history with every acknowledged write visible, converged replicas, service
 * back).
 */
import { testFollowerCrashes } from './support/failpoint-crash.js';

testFollowerCrashes(['walBeforeWrite', 'walBeforeFsync', 'transportBeforeSend']);
