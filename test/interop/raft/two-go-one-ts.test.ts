/** Mixed clusters of 2 Go members (etcd 3.4 raft + rafthttp) and 1 raftwire member; see suite.ts. */
import { mixedClusterSuite } from './suite.js';

mixedClusterSuite(['go', 'go', 'ts'], 0x2601);
