/** The error of raftwire/testing (its code is listed in docs/testing.md and docs/errors.md). */
import { RaftwireError } from '../errors/index.js';

/**
 * A history that is not a well-formed Jepsen-style history: a line that is not a JSON object, an
 * unknown `type` or `f`, a field of the wrong type, a completion without an outstanding invoke on
 * its process, a second invoke while one is outstanding, a completion whose `f` or `key` differs
 * from its invoke's.
 */
export class HistoryFormatError extends RaftwireError {
  static readonly code = 'RAFTWIRE_HISTORY_MALFORMED';
  /**
   * 1-based line of the input (parseHistory, and checkHistory on parsed operations), or 1-based
   * position of the operation in the sequence given to checkHistory.
   */
  readonly line: number;
  /** What is wrong, without the line prefix. */
  readonly reason: string;

  constructor(line: number, reason: string, options?: { cause?: unknown }) {
    super(HistoryFormatError.code, `history line ${line}: ${reason}`, options);
    this.line = line;
    this.reason = reason;
  }
}
