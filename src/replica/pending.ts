/**
 * One request waiting for the replica (a proposal, a read, a membership change, a transfer):
 * settles once, with a deadline and an optional caller's AbortSignal. Its timer and listener are
 * released as soon as it settles, so nothing outlives the request.
 */

import { isRaftwireError } from '../errors/index.js';
import { ReplicaError, ReplicaErrorCode } from './errors.js';

/** Why a request gave up before it settled. */
export type GiveUp = 'timeout' | 'abort';

/** A request waiting for an outcome. */
export class Pending<T> {
  readonly promise: Promise<T>;
  #resolve!: (v: T) => void;
  #reject!: (e: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;
  #done = false;

  /** `onGiveUp` runs once when the deadline passes or the signal aborts; it must settle the request. */
  constructor(
    timeoutMs: number,
    signal: AbortSignal | undefined,
    onGiveUp: (why: GiveUp, reason: unknown) => void,
  ) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    if (signal?.aborted === true) {
      queueMicrotask(() => onGiveUp('abort', signal.reason));
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#done) onGiveUp('timeout', undefined);
    }, timeoutMs);
    if (signal !== undefined) {
      this.#signal = signal;
      this.#onAbort = () => {
        if (!this.#done) onGiveUp('abort', signal.reason);
      };
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** True once settled. */
  get done(): boolean {
    return this.#done;
  }

  resolve(v: T): void {
    if (this.#release()) this.#resolve(v);
  }

  reject(e: unknown): void {
    if (this.#release()) this.#reject(e);
  }

  #release(): boolean {
    if (this.#done) return false;
    this.#done = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#onAbort !== undefined) this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#onAbort = undefined;
    return true;
  }
}

/**
 * Tracks a request that is stepped into raft by `step`. On deadline/abort: if raft never took
 * it, PROPOSAL_DROPPED; otherwise OUTCOME_UNKNOWN. A raft refusal rejects at once. `step` gets a
 * function making the signal that withdraws the request while it waits for a leader; it need not
 * call it when the request cannot wait (the AbortController is then never allocated).
 */
export function trackRequest<T>(
  timeoutMs: number,
  signal: AbortSignal | undefined,
  forget: () => void,
  step: (stepSignal: () => AbortSignal) => Promise<void>,
  refusal: () => unknown,
): Pending<T> {
  let ctl: AbortController | undefined;
  const stepSignal = () => {
    ctl ??= new AbortController();
    return ctl.signal;
  };
  let stepped: Promise<boolean> = Promise.resolve(false);
  const p = new Pending<T>(timeoutMs, signal, (why: GiveUp) => {
    forget();
    ctl?.abort(new Error(why));
    void stepped.then((took) => {
      const what = why === 'timeout' ? `timed out after ${timeoutMs} ms` : 'aborted';
      p.reject(
        took
          ? new ReplicaError(
              ReplicaErrorCode.OutcomeUnknown,
              `request ${what} after it was proposed; it may or may not be applied`,
            )
          : new ReplicaError(
              ReplicaErrorCode.ProposalDropped,
              `request ${what} before it was proposed (no leader); nothing was applied`,
            ),
      );
    });
  });
  // A signal aborted before the call: never stepped (the give-up sees took = false).
  if (signal?.aborted === true) return p;
  stepped = step(stepSignal).then(
    () => true,
    (e) => {
      if (ctl?.signal.aborted === true && e === ctl.signal.reason) return false;
      forget();
      if (isRaftwireError(e, 'RAFTWIRE_RAFT_PROPOSAL_DROPPED')) {
        p.reject(
          new ReplicaError(ReplicaErrorCode.ProposalDropped, `raft dropped the proposal: ${e.message}`, {
            cause: e,
          }),
        );
      } else {
        p.reject(refusal() ?? e);
      }
      return false;
    },
  );
  return p;
}
