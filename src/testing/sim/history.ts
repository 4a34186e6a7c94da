/**
 * The simulated clients: a few processes, each with at most one operation outstanding, issuing
 * writes (put, cas, append, delete) through raft proposals and linearizable reads through
 * ReadIndex, and recording a Jepsen-style history of invocations and completions.
 */
import type { HistoryOp } from '../history.js';

/** One line of the history (the checker's HistoryOp). */
export type SimHistoryOp = HistoryOp;

/** An operation waiting for its outcome. */
export interface PendingOp {
  id: number;
  process: number;
  f: SimHistoryOp['f'];
  key: string;
  value?: unknown;
  /** The member it went through, and that member's life. */
  node: bigint;
  incarnation: number;
  deadline: number;
  /** Reads: the smallest commit index the answer must cover, and the index it got. */
  floor: number;
  readIndex?: number;
  ctx: string;
}

/** The client side of a run. */
export class SimClients {
  readonly history: SimHistoryOp[] = [];
  readonly pending = new Map<number, PendingOp>();
  /** Pending reads by ReadIndex context. */
  readonly reads = new Map<string, PendingOp>();
  readonly #procs: Array<{ process: number; busy: boolean }> = [];
  #nextProcess: number;
  #nextOp = 1;
  counts = { ok: 0, fail: 0, info: 0 };

  constructor(processes: number) {
    for (let i = 0; i < processes; i++) this.#procs.push({ process: i, busy: false });
    this.#nextProcess = processes;
  }

  /** Slots whose process is idle. */
  idle(): number[] {
    const out: number[] = [];
    this.#procs.forEach((p, i) => {
      if (!p.busy) out.push(i);
    });
    return out;
  }

  /** Records the invocation of a new operation from slot `slot`. */
  invoke(slot: number, op: Omit<PendingOp, 'id' | 'process' | 'ctx'>): PendingOp {
    const p = this.#procs[slot]!;
    p.busy = true;
    const id = this.#nextOp++;
    const full: PendingOp = { ...op, id, process: p.process, ctx: `r${id}` };
    this.pending.set(id, full);
    if (op.f === 'read') this.reads.set(full.ctx, full);
    const line: SimHistoryOp = { process: p.process, type: 'invoke', f: op.f, key: op.key };
    if (op.f !== 'read' && op.f !== 'delete') line.value = op.value;
    this.history.push(line);
    return full;
  }

  /** Records the completion of `op`; an `info` retires its process (it may still take effect). */
  complete(op: PendingOp, type: 'ok' | 'fail' | 'info', value?: unknown): void {
    if (!this.pending.delete(op.id)) return;
    this.reads.delete(op.ctx);
    const line: SimHistoryOp = { process: op.process, type, f: op.f, key: op.key };
    if (op.f === 'read') {
      if (type === 'ok') line.value = value;
    } else if (op.f !== 'delete') line.value = op.value;
    this.history.push(line);
    this.counts[type]++;
    const slot = this.#procs.findIndex((p) => p.process === op.process);
    const p = this.#procs[slot]!;
    p.busy = false;
    if (type === 'info') p.process = this.#nextProcess++;
  }
}
