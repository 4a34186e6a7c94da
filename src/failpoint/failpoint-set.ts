/**
 * A set of enabled failpoints and what firing one does. The process-wide set (from
 * RAFTWIRE_FAILPOINTS) lives in process-failpoints.ts; this class is also usable on its own.
 */
import { writeSync } from 'node:fs';
import {
  type FailpointAction,
  FailpointError,
  FailpointErrorCode,
  type FailpointName,
  type FailpointTerm,
  IO_ERRNO,
  parseTerm,
} from './spec.js';

/** How the `crash` action ends the process (replaceable in tests). */
export type CrashFn = (name: FailpointName) => never;

/** SIGKILLs the own process after one line on stderr naming the failpoint. */
export const crashProcess: CrashFn = (name) => {
  try {
    writeSync(2, `raftwire: failpoint ${name}: crash (SIGKILL)\n`);
  } catch {
    // stderr gone: crash anyway
  }
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL is not deliverable to oneself only in exotic setups; never continue.
  process.abort();
};

/** The Error a failing I/O failpoint throws: shaped like Node's fs errors. */
export function ioError(name: FailpointName, code: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: i/o error injected by failpoint ${name}`) as NodeJS.ErrnoException;
  e.code = code;
  e.errno = -(IO_ERRNO[code] ?? 5);
  e.syscall = `failpoint:${name}`;
  return e;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Enabled failpoints, their remaining counts, and how often each fired. */
export class FailpointSet {
  readonly #terms = new Map<FailpointName, FailpointTerm>();
  readonly #left = new Map<FailpointName, number>();
  readonly #fired = new Map<FailpointName, number>();

  constructor(
    terms: ReadonlyMap<FailpointName, FailpointTerm> = new Map(),
    private readonly random: () => number = Math.random,
    private readonly crash: CrashFn = crashProcess,
  ) {
    for (const [n, t] of terms) this.set(n, t);
  }

  /** Enables `name` with a term (parsed if a string); `off` disables it. */
  set(name: FailpointName, term: FailpointTerm | string): void {
    const t = typeof term === 'string' ? parseTerm(term) : term;
    if (t.action.kind === 'off') {
      this.#terms.delete(name);
      this.#left.delete(name);
      return;
    }
    this.#terms.set(name, t);
    if (t.count !== undefined) this.#left.set(name, t.count);
    else this.#left.delete(name);
  }

  /** Disables every failpoint. */
  clear(): void {
    this.#terms.clear();
    this.#left.clear();
  }

  /** Whether `name` has a term (it may have used up its count). */
  enabled(name: FailpointName): boolean {
    return this.#terms.has(name);
  }

  /** How many times `name` fired. */
  fired(name: FailpointName): number {
    return this.#fired.get(name) ?? 0;
  }

  /** Decides whether `name` fires now; returns its action (counting it) or undefined. */
  decide(name: FailpointName): FailpointAction | undefined {
    const t = this.#terms.get(name);
    if (t === undefined) return undefined;
    const left = this.#left.get(name);
    if (left !== undefined && left <= 0) return undefined;
    if (t.probability < 1 && this.random() >= t.probability) return undefined;
    if (left !== undefined) this.#left.set(name, left - 1);
    this.#fired.set(name, this.fired(name) + 1);
    return t.action;
  }

  /**
   * Evaluates `name` at a synchronous point: crash, throw or fail the I/O; `sleep` blocks the
   * thread (as gofail's sleep blocks the goroutine), so use evalAsync where the point may await.
   */
  eval(name: FailpointName): void {
    const a = this.decide(name);
    if (a === undefined) return;
    if (a.kind === 'sleep') {
      Atomics.wait(sleepCell, 0, 0, a.ms);
      return;
    }
    this.#act(name, a);
  }

  /** Evaluates `name` at a point that may await: `sleep` is a timer, not a blocked thread. */
  evalAsync(name: FailpointName): Promise<void> | undefined {
    const a = this.decide(name);
    if (a === undefined) return undefined;
    if (a.kind === 'sleep') return new Promise((resolve) => setTimeout(resolve, a.ms));
    this.#act(name, a);
    return undefined;
  }

  #act(name: FailpointName, a: FailpointAction): void {
    switch (a.kind) {
      case 'crash':
        this.crash(name);
        break;
      case 'throw':
        throw new FailpointError(FailpointErrorCode.Triggered, `failpoint ${name} fired (throw)`);
      case 'error':
        throw ioError(name, a.code);
      default:
        break;
    }
  }
}
