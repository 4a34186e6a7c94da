/**
 * A Logger that keeps the last `limit` lines in memory, for a test to print when it fails (a
 * member's own account of where it stopped, without logging every passing run).
 */
import type { LogFields, Logger } from '../../src/logger/index.js';

export class MemoryLogger implements Logger {
  readonly #lines: string[];
  readonly #limit: number;
  readonly #bindings: LogFields;

  constructor(limit = 200, lines: string[] = [], bindings: LogFields = {}) {
    this.#limit = limit;
    this.#lines = lines;
    this.#bindings = bindings;
  }

  #push(level: string, fields: LogFields, msg: string): void {
    let extra = '';
    try {
      extra = JSON.stringify({ ...this.#bindings, ...fields }, (_k, v) =>
        typeof v === 'bigint' ? v.toString(16) : v,
      );
    } catch {
      extra = '(unserialisable fields)';
    }
    this.#lines.push(`${new Date().toISOString()} ${level} ${msg} ${extra}`);
    if (this.#lines.length > this.#limit) this.#lines.splice(0, this.#lines.length - this.#limit);
  }

  debug(fields: LogFields, msg: string): void {
    this.#push('debug', fields, msg);
  }
  info(fields: LogFields, msg: string): void {
    this.#push('info', fields, msg);
  }
  warn(fields: LogFields, msg: string): void {
    this.#push('warn', fields, msg);
  }
  error(fields: LogFields, msg: string): void {
    this.#push('error', fields, msg);
  }
  child(bindings: LogFields): Logger {
    return new MemoryLogger(this.#limit, this.#lines, { ...this.#bindings, ...bindings });
  }

  /** The last `n` lines kept, oldest first. */
  tail(n = this.#limit): string[] {
    return this.#lines.slice(-n);
  }
}
