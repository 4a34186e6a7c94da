/**
 * Shared deadline signals: requests whose deadlines fall in the same 50 ms slot share one
 * AbortSignal and one timer, instead of one timer per request (a measurable cost at thousands of
 * requests per second). A request may therefore be given up to 50 ms later than its exact limit.
 */
const SLOT_MS = 50;

/** Hands out AbortSignals that abort `ms` (rounded up to the slot) from now. */
export class Deadlines {
  private readonly slots = new Map<number, AbortSignal>();

  /** A signal that aborts with a TimeoutError about `ms` from now. */
  after(ms: number): AbortSignal {
    const due = Math.ceil((Date.now() + ms) / SLOT_MS) * SLOT_MS;
    let signal = this.slots.get(due);
    if (signal === undefined) {
      const controller = new AbortController();
      signal = controller.signal;
      this.slots.set(due, signal);
      const timer = setTimeout(
        () => {
          this.slots.delete(due);
          controller.abort(new DOMException(`no outcome within ${ms} ms`, 'TimeoutError'));
        },
        Math.max(0, due - Date.now()),
      );
      timer.unref();
    }
    return signal;
  }
}
