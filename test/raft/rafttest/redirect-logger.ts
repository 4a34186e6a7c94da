/**
 * The interaction environment's logger (etcd's rafttest RedirectLogger): raft's log lines and the
 * environment's own output go into one buffer, each log line as `<LEVEL> <message>`. The level
 * `NONE` silences everything, the environment's output included.
 */
import type { RaftLogger } from '../../../src/raft/logger.js';

/** Level names in order; the index is the level. */
export const LEVEL_NAMES = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', 'NONE'] as const;

const NONE = LEVEL_NAMES.length - 1;

/** A RaftLogger writing into a swappable string buffer. */
export class RedirectLogger implements RaftLogger {
  /** Current level: 0 = DEBUG … 4 = FATAL, 5 = NONE. */
  level = 0;
  #text = '';

  /** True at level NONE: nothing is written. */
  quiet(): boolean {
    return this.level === NONE;
  }

  /** Appends raw text (unless quiet). */
  write(s: string): void {
    if (!this.quiet()) this.#text += s;
  }

  /** The buffered text. */
  text(): string {
    return this.#text;
  }

  /** Empties the buffer. */
  reset(): void {
    this.#text = '';
  }

  /** Replaces the buffer with `text`, returning the previous contents (for indentation). */
  swap(text: string): string {
    const old = this.#text;
    this.#text = text;
    return old;
  }

  private line(level: number, msg: string): void {
    if (this.level <= level) {
      this.#text += `${LEVEL_NAMES[level]} ${msg}`;
      if (!msg.endsWith('\n')) this.#text += '\n';
    }
  }

  debug(msg: string): void {
    this.line(0, msg);
  }
  info(msg: string): void {
    this.line(1, msg);
  }
  warning(msg: string): void {
    this.line(2, msg);
  }
  error(msg: string): void {
    this.line(3, msg);
  }
  fatal(msg: string): void {
    this.line(4, msg);
  }
  panic(msg: string): void {
    this.line(4, msg);
  }
}
