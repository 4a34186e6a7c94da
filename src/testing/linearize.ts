/**
 * The search for a linearization of one key's operations: porcupine's algorithm (Wing & Gong's
 * backtracking with Lowe's memoization). Calls and returns form a doubly linked list in real-time
 * order; the search walks it from the head, linearizes a call whose step the model allows and
 * whose (linearized set, state) pair is new, lifts it and its return out of the list and restarts
 * from the head; reaching a return whose call is not linearized means the last choice was wrong,
 * so it backtracks. The linearized set is a bitset with an incremental Zobrist hash.
 */
import { type ModelOp, type StateTable, step } from './register-model.js';

/** The outcome of one search. */
export type SearchResult =
  | { result: 'linearizable' }
  /**
   * `frontier`: the operation whose return the search got furthest to without being able to
   * linearize it; the operations returned by then are already impossible to order.
   */
  | { result: 'not-linearizable'; frontier: number }
  | { result: 'timeout'; steps: number };

/** The clock is read once per this many search steps. */
const CLOCK_EVERY_STEPS = 4096;

interface CacheEntry {
  state: number;
  bits: Uint32Array;
  next: CacheEntry | undefined;
}

/** Deterministic 32-bit random numbers for the Zobrist hash (xorshift32). */
function zobrist(n: number, seed: number): Int32Array {
  const z = new Int32Array(n);
  let x = seed | 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    z[i] = x;
  }
  return z;
}

/**
 * Searches for a linearization of `ops` (all on one register, starting absent). Operations with
 * `ret` Infinity may take effect any time after their call, or never. Gives up with `timeout` once
 * `performance.now()` passes `deadline`.
 */
export function searchLinearization(
  ops: readonly ModelOp[],
  table: StateTable,
  deadline: number,
): SearchResult {
  const n = ops.length;
  let definite = 0;
  for (const op of ops) if (op.ret !== Number.POSITIVE_INFINITY) definite++;
  if (definite === 0) return { result: 'linearizable' };

  // The list: node i < n is op i's call, node n + i its return, node 2n the head.
  const head = 2 * n;
  const next = new Int32Array(2 * n + 1).fill(-1);
  const prev = new Int32Array(2 * n + 1).fill(-1);
  const order: number[] = [];
  for (let i = 0; i < 2 * n; i++) order.push(i);
  const time = (node: number) => (node < n ? ops[node]!.call : ops[node - n]!.ret);
  order.sort((x, y) => time(x) - time(y) || (x < n ? 0 : 1) - (y < n ? 0 : 1) || x - y);
  let last = head;
  for (const node of order) {
    next[last] = node;
    prev[node] = last;
    last = node;
  }

  const words = (n + 31) >>> 5;
  const bits = new Uint32Array(words);
  const z1 = zobrist(n, 0x9e3779b9);
  const z2 = zobrist(n, 0x7f4a7c15);
  let h1 = 0;
  let h2 = 0;
  const cache = new Map<number, CacheEntry>();
  const stackCall = new Int32Array(n);
  const stackState = new Int32Array(n);
  let depth = 0;
  let state = 0;
  let entry = next[head]!;
  let steps = 0;
  let frontier = -1;
  let frontierTime = -1;

  for (;;) {
    if (definite === 0) return { result: 'linearizable' };
    if (++steps % CLOCK_EVERY_STEPS === 0 && performance.now() > deadline)
      return { result: 'timeout', steps };
    if (entry < n) {
      const op = ops[entry]!;
      const newState = step(table, op, state);
      if (newState >= 0) {
        const n1 = h1 ^ z1[entry]!;
        const n2 = h2 ^ z2[entry]!;
        const key =
          ((n1 ^ Math.imul(newState + 1, 0x85ebca6b)) >>> 0) * 2097152 + ((n2 ^ newState) & 0x1fffff);
        const word = entry >>> 5;
        const mask = 1 << (entry & 31);
        const bucket = cache.get(key);
        if (!seen(bucket, newState, bits, word, mask)) {
          const copy = bits.slice();
          copy[word]! |= mask;
          cache.set(key, { state: newState, bits: copy, next: bucket });
          stackCall[depth] = entry;
          stackState[depth] = state;
          depth++;
          state = newState;
          bits[word]! |= mask;
          h1 = n1;
          h2 = n2;
          if (op.ret !== Number.POSITIVE_INFINITY) definite--;
          // Lift the call and its return out of the list.
          const r = entry + n;
          next[prev[entry]!] = next[entry]!;
          if (next[entry]! >= 0) prev[next[entry]!] = prev[entry]!;
          next[prev[r]!] = next[r]!;
          if (next[r]! >= 0) prev[next[r]!] = prev[r]!;
          entry = next[head]!;
          continue;
        }
      }
      entry = next[entry]!;
      continue;
    }
    // A return whose call is not linearized: this branch cannot be completed.
    const t = ops[entry - n]!.ret;
    if (t > frontierTime) {
      frontierTime = t;
      frontier = entry - n;
    }
    if (depth === 0) return { result: 'not-linearizable', frontier };
    depth--;
    const call = stackCall[depth]!;
    state = stackState[depth]!;
    bits[call >>> 5]! &= ~(1 << (call & 31));
    h1 ^= z1[call]!;
    h2 ^= z2[call]!;
    if (ops[call]!.ret !== Number.POSITIVE_INFINITY) definite++;
    // Put the return back, then the call (the reverse of lifting).
    const r = call + n;
    next[prev[r]!] = r;
    if (next[r]! >= 0) prev[next[r]!] = r;
    next[prev[call]!] = call;
    if (next[call]! >= 0) prev[next[call]!] = call;
    entry = next[call]!;
  }
}

function seen(
  bucket: CacheEntry | undefined,
  state: number,
  bits: Uint32Array,
  word: number,
  mask: number,
): boolean {
  for (let e = bucket; e !== undefined; e = e.next) {
    if (e.state !== state) continue;
    const b = e.bits;
    let equal = true;
    for (let w = 0; w < b.length; w++) {
      if (b[w] !== (w === word ? (bits[w]! | mask) >>> 0 : bits[w])) {
        equal = false;
        break;
      }
    }
    if (equal) return true;
  }
  return false;
}
