/**
 * The raft core's logger (etcd raft's `Logger`). Messages reach it already formatted exactly as etcd
 * formats them (`1 became leader at term 1`), so a logger that prefixes the level reproduces etcd's
 * text and the interaction test data byte for byte.
 *
 * `panic` and `fatal` only record the message: the raft core throws a `RaftFatalError` right after
 * calling them, whatever the logger does.
 */
import type { Logger } from '../logger/index.js';

/** Log levels as etcd's interaction test data names them. */
export type RaftLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';

/** etcd raft's Logger: one method per level, taking the finished message. */
export interface RaftLogger {
  debug(msg: string): void;
  info(msg: string): void;
  warning(msg: string): void;
  error(msg: string): void;
  /** An unrecoverable condition; the caller throws after logging it. */
  fatal(msg: string): void;
  /** A broken invariant; the caller throws after logging it. */
  panic(msg: string): void;
}

/** A logger that drops every line. */
export class DiscardLogger implements RaftLogger {
  debug(_msg: string): void {}
  info(_msg: string): void {}
  warning(_msg: string): void {}
  error(_msg: string): void {}
  fatal(_msg: string): void {}
  panic(_msg: string): void {}
}

/** The shared instance of DiscardLogger. */
export const discardLogger: RaftLogger = new DiscardLogger();

/** Options of DefaultLogger. */
export interface DefaultLoggerOptions {
  /** Emit DEBUG lines too (etcd's default logger starts with debug off). */
  debug?: boolean;
}

/**
 * etcd's DefaultLogger: each line is `<LEVEL> <message>` handed to an injected sink (the raft core
 * does no I/O itself).
 */
export class DefaultLogger implements RaftLogger {
  readonly #sink: (line: string, level: RaftLogLevel) => void;
  #debug: boolean;

  constructor(sink: (line: string, level: RaftLogLevel) => void, options: DefaultLoggerOptions = {}) {
    this.#sink = sink;
    this.#debug = options.debug ?? false;
  }

  /** Turns DEBUG lines on or off. */
  enableDebug(on = true): void {
    this.#debug = on;
  }

  debug(msg: string): void {
    if (this.#debug) this.#sink(`DEBUG ${msg}`, 'DEBUG');
  }
  info(msg: string): void {
    this.#sink(`INFO ${msg}`, 'INFO');
  }
  warning(msg: string): void {
    this.#sink(`WARN ${msg}`, 'WARN');
  }
  error(msg: string): void {
    this.#sink(`ERROR ${msg}`, 'ERROR');
  }
  fatal(msg: string): void {
    this.#sink(`FATAL ${msg}`, 'FATAL');
  }
  panic(msg: string): void {
    this.#sink(`FATAL ${msg}`, 'FATAL');
  }
}

/** Adapts raftwire's structured Logger (pino-compatible) to the raft logger interface. */
export function raftLoggerFrom(logger: Logger, fields: Record<string, unknown> = {}): RaftLogger {
  return {
    debug: (msg) => logger.debug(fields, msg),
    info: (msg) => logger.info(fields, msg),
    warning: (msg) => logger.warn(fields, msg),
    error: (msg) => logger.error(fields, msg),
    fatal: (msg) => logger.error(fields, msg),
    panic: (msg) => logger.error(fields, msg),
  };
}
