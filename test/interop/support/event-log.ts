/**
 * An append-only record of things that happened (events from a Go node, calls into a test raft),
 * with promises that resolve once enough matching entries have arrived.
 */

interface Waiter<T> {
  readonly pred: (item: T) => boolean;
  readonly count: number;
  readonly matched: T[];
  readonly resolve: (items: T[]) => void;
}

/** Entries in arrival order; `waitFor` resolves when `count` entries match `pred`. */
export class EventLog<T> {
  readonly items: T[] = [];
  private waiters: Waiter<T>[] = [];

  /**
   * @param describe renders recent context for timeout errors (e.g. a child's stderr tail).
   */
  constructor(private readonly describe: () => string = () => '') {}

  push(item: T): void {
    this.items.push(item);
    if (this.waiters.length === 0) return;
    const still: Waiter<T>[] = [];
    for (const w of this.waiters) {
      if (w.pred(item)) w.matched.push(item);
      if (w.matched.length >= w.count) w.resolve(w.matched);
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Every entry matching `pred` so far. */
  filter(pred: (item: T) => boolean): T[] {
    return this.items.filter(pred);
  }

  /**
   * Resolves with all matching entries once at least `count` match (already-arrived ones count);
   * rejects after `timeoutMs` naming `what`.
   */
  waitFor(what: string, pred: (item: T) => boolean, count = 1, timeoutMs = 10_000): Promise<T[]> {
    const now = this.items.filter(pred);
    if (now.length >= count) return Promise.resolve(now);
    return new Promise<T[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${count} × ${what} (got ${waiter.matched.length})${this.describe()}`,
          ),
        );
      }, timeoutMs);
      const waiter: Waiter<T> = {
        pred,
        count,
        matched: now,
        resolve: (items) => {
          clearTimeout(timer);
          resolve(items);
        },
      };
      this.waiters.push(waiter);
    });
  }
}
