/**
 * The state machine every mixed-cluster node runs, Go and TypeScript alike: a SHA-256 chain over
 * the applied entries, SHA-256(prev ‖ term ‖ index ‖ type ‖ data) with big-endian u64 integers.
 * A snapshot's data is the 32-byte chain value, so a node that installs a snapshot continues the
 * chain; equal values at equal applied indexes mean equal histories back to index 1. Each node
 * also keeps the entries it applied itself (since its last start or installed snapshot) for the
 * entry-by-entry comparison.
 */
import { createHash } from 'node:crypto';
import type { Entry } from '../../../src/raftpb/index.js';
import { toHex } from '../../support/hex.js';

const EMPTY = new Uint8Array(0);

/** One applied entry as both harnesses report it (data in hex). */
export interface LoggedEntry {
  readonly term: number;
  readonly index: number;
  readonly type: number;
  readonly data: string;
}

/** The hash chain plus the entries applied since it was last reset. */
export class ChainStateMachine {
  hash: Buffer = Buffer.alloc(32);
  appliedIndex = 0;
  applied: LoggedEntry[] = [];
  private readonly header = Buffer.alloc(24);

  /** Continues from a snapshot: its data is the chain value at its index. */
  restore(index: number, data: Uint8Array | undefined): void {
    this.hash = Buffer.alloc(32);
    if (data !== undefined) Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(this.hash);
    this.appliedIndex = index;
    this.applied = [];
  }

  /** Applies the next entry; its index must follow the applied index. */
  apply(e: Entry): void {
    if (e.index !== this.appliedIndex + 1) {
      throw new Error(`applying entry ${e.index} after ${this.appliedIndex}`);
    }
    this.header.writeBigUInt64BE(BigInt(e.term), 0);
    this.header.writeBigUInt64BE(BigInt(e.index), 8);
    this.header.writeBigUInt64BE(BigInt(e.type), 16);
    const data = e.data ?? EMPTY;
    this.hash = createHash('sha256').update(this.hash).update(this.header).update(data).digest();
    this.applied.push({ term: e.term, index: e.index, type: e.type, data: toHex(data) });
    this.appliedIndex = e.index;
  }
}
