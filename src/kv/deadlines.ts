/**
 * Shared deadline signals: requests whose deadlines fall in the same 50 ms slot share one
 * AbortSignal and one timer, instead of one timer per request (a measurable cost at thousands of
 * requests per second). A request may therefore be given up to 50 ms later than its exact limit.
 */
import { setMaxListeners } from 'node:events';

const SLOT_MS = 50;

/** Hands out AbortSignals that abort `ms` (rounded up to the slot) from now. */
export class Deadlines {
  private readonly slots = new Map<number, { signal: AbortSignal; timer: NodeJS.Timeout }>();

  /** A signal that aborts with a TimeoutError about `ms` from now. */
  after(ms: number): AbortSignal {
    const due = Math.ceil((Date.now() + ms) / SLOT_MS) * SLOT_MS;
    const slot = this.slots.get(due);
    if (slot !== undefined) return slot.signal;
    const controller = new AbortController();
    // Shared by every request of the slot, each listening until it settles (then it removes its
    // listener): node's 10-listener leak warning does not apply. It used to print one "possible
    // memory leak" warning per slot (up to 20 a second under load, each formatted with
    // util.inspect and written to stderr): measured (bench/kv, C=64), 1-2 % of each member's busy
    // time.
    setMaxListeners(0, controller.signal);
    const timer = setTimeout(
      () => {
        this.slots.delete(due);
        controller.abort(new DOMException(`no outcome within ${ms} ms`, 'TimeoutError'));
      },
      Math.max(0, due - Date.now()),
    );
    timer.unref();
    this.slots.set(due, { signal: controller.signal, timer });
    return controller.signal;
  }

  /** Clears every pending timer (the server is closing; its requests are settled by the host). */
  close(): void {
    for (const { timer } of this.slots.values()) clearTimeout(timer);
    this.slots.clear();
  }
}
