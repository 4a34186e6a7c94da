/** raftwire/raft: filled by its own issue; nothing is exported yet. */
export {};
