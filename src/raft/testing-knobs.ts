/**
 * Test-only switches that plant known bugs, so the deterministic simulator (src/testing/sim) can
 * prove it catches them. Not exported from raft's door; every switch is false in production and
 * read only on cold paths (commit, vote, ReadIndex), so they cost a property read.
 */
export const testingKnobs = {
  /** Raft's Figure 8 bug: commit an entry of an earlier term by counting replicas. */
  commitAnyTerm: false,
  /** Grant votes without the candidate's log being at least as up to date. */
  voteIgnoresLog: false,
  /** Answer a ReadIndex at once, without a heartbeat round with a quorum. */
  readIndexWithoutQuorum: false,
  /**
   * Acknowledge appended entries before the storage write is durable (read by the simulator's
   * host: it sends the Ready's messages, or delivers the append responses, before syncing).
   */
  ackBeforeSync: false,
};

/** The name of one switch. */
export type TestingKnob = keyof typeof testingKnobs;
