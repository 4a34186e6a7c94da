/** raftwire/kv: filled by its own issue; the raftexample mode comes from ./raftexample. */
export * from './raftexample/index.js';
