/**
 * The one wait of the tests: until a condition holds, re-checked when an event says something
 * changed (or, without event sources, every few ms), with a bounded deadline. A wait never hangs a
 * test: it rejects naming what it waited for, with whatever context `describe` adds.
 */

/** Subscribes `wake` to some event source; returns the unsubscribe. */
export type WakeSource = (wake: () => void) => () => void;

/** How `waitFor` waits. */
export interface WaitOptions {
  /** Deadline in ms (default 5 000). */
  readonly timeoutMs?: number;
  /** Re-check whenever one of these fires. */
  readonly on?: readonly WakeSource[];
  /** Re-check every this many ms as well (default 10 without `on`, none with it). */
  readonly intervalMs?: number;
  /** Context appended to the timeout error (a child's stderr, a cluster's state). */
  readonly describe?: () => string | Promise<string>;
}

/**
 * Resolves once `cond` returns true (checked at once, then on every wake-up); rejects when `cond`
 * throws, or after `timeoutMs` with an error naming `what`.
 */
export function waitFor(
  what: string | (() => string),
  cond: () => boolean | Promise<boolean>,
  options: WaitOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const intervalMs = options.intervalMs ?? (options.on === undefined ? 10 : 0);
  return new Promise<void>((resolve, reject) => {
    let done = false;
    let checking = false;
    let again = false;
    let poll: NodeJS.Timeout | undefined;
    const offs = (options.on ?? []).map((source) => source(() => void check()));
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearTimeout(poll);
      for (const off of offs) off();
      if (err === undefined) resolve();
      else reject(err);
    };
    const check = async (): Promise<void> => {
      if (done) return;
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          if (await cond()) {
            finish();
            return;
          }
        } while (again && !done);
      } catch (e) {
        finish(e);
        return;
      } finally {
        checking = false;
      }
      if (intervalMs > 0 && !done) {
        clearTimeout(poll);
        poll = setTimeout(() => void check(), intervalMs);
      }
    };
    const deadline = setTimeout(() => {
      const label = typeof what === 'string' ? what : what();
      void Promise.resolve(options.describe?.() ?? '')
        .catch((e: unknown) => ` (describe failed: ${String(e)})`)
        .then((d) => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${label}${d}`)));
    }, timeoutMs);
    void check();
  });
}

/**
 * Runs `body`, failing after `ms` with `progress()` in the message (e.g. the steps reached), so a
 * test that hangs fails on its own bound and says where, instead of waiting for the runner's
 * per-file timeout. What `body` still awaits is left to the test's t.after cleanup.
 */
export async function withDeadline<T>(
  ms: number,
  progress: () => string,
  body: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${ms} ms; ${progress()}`)), ms);
  });
  try {
    return await Promise.race([body(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
