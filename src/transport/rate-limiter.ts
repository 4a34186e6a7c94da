/**
 * etcd's dial limiter, rate.NewLimiter(every interval, burst 1): the first wait returns at once,
 * each later one no sooner than `intervalMs` after the previous. Abortable; no polling.
 * Hand-written instead of the `limiter` package because a wait must end at once on stop (limiter
 * has no abort); measured in docs/transport.md ("Redial limiter"), bench/transport/dial-limiter.ts.
 */
export class DialLimiter {
  private readonly intervalMs: number;
  private last = Number.NEGATIVE_INFINITY;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  /** Resolves when the next dial may start, or at once when `signal` aborts. */
  wait(signal: AbortSignal): Promise<void> {
    const now = performance.now();
    const at = Math.max(now, this.last + this.intervalMs);
    this.last = at;
    if (at <= now || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, at - now);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
