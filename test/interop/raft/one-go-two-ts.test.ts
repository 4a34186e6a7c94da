/** Mixed clusters of 1 Go member (etcd 3.4 raft + rafthttp) and 2 raftwire members; see suite.ts. */
import { mixedClusterSuite } from './suite.js';

mixedClusterSuite(['go', 'ts', 'ts'], 0x1602);
