/**
 * The one error base class of raftwire. Every error raftwire throws or emits carries a stable
 * `code` (listed in docs/errors.md) so callers can branch on it without parsing messages.
 */
export class RaftwireError extends Error {
  /** Stable, documented identifier of the failure, e.g. `RAFTWIRE_RAFTPB_DECODE`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** True when `e` is a RaftwireError, and, when `code` is given, carries that code. */
export function isRaftwireError(e: unknown, code?: string): e is RaftwireError {
  return e instanceof RaftwireError && (code === undefined || e.code === code);
}
