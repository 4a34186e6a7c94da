/**
 * A member's events in arrival order, with waiting by predicate and change listeners (the
 * cluster re-checks its conditions whenever any member reports something).
 */
import type { NodeEvent } from './cluster-node.js';

/** Events of one member incarnation. */
export class NodeEvents {
  readonly items: NodeEvent[] = [];
  private readonly listeners = new Set<(e: NodeEvent) => void>();

  /** @param describe recent context for timeout errors (e.g. a process's stderr tail). */
  constructor(readonly describe: () => string = () => '') {}

  push(e: NodeEvent): void {
    this.items.push(e);
    for (const l of [...this.listeners]) l(e);
  }

  /** Calls `l` on every later event until the returned function is called. */
  listen(l: (e: NodeEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** The last event of kind `ev`, if any. */
  last(ev: string): NodeEvent | undefined {
    for (let i = this.items.length - 1; i >= 0; i--) if (this.items[i]?.ev === ev) return this.items[i];
    return undefined;
  }

  /**
   * Resolves with the first event (past, from position `since` on, or future) matching `pred`;
   * rejects after `timeoutMs`.
   */
  waitFor(what: string, pred: (e: NodeEvent) => boolean, timeoutMs = 10_000, since = 0): Promise<NodeEvent> {
    const found = this.items.slice(since).find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${this.describe()}`));
      }, timeoutMs);
      const off = this.listen((e) => {
        if (!pred(e)) return;
        clearTimeout(timer);
        off();
        resolve(e);
      });
    });
  }
}
