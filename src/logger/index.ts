/**
 * raftwire/logger: the small structured-logging interface the transport, WAL and key-value service
 * accept. A pino logger satisfies it as it is; `createLogger` makes one. Field keys follow etcd's zap
 * keys (`local-member-id`, `remote-peer-id`, `stream-reader-type`) so operators' greps still match.
 */
import { createRequire } from 'node:module';

/**
 * pino is loaded on the first `createLogger` call, not on import: areas that only take a Logger
 * (raftwire/wal, raftwire/snap, …) must not pay for loading it. pino is CommonJS, so a synchronous
 * `require` keeps `createLogger` synchronous.
 */
const requirePino = (): typeof import('pino') =>
  createRequire(import.meta.url)('pino') as typeof import('pino');

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(fields: LogFields, msg: string): void;
  info(fields: LogFields, msg: string): void;
  warn(fields: LogFields, msg: string): void;
  error(fields: LogFields, msg: string): void;
  child(bindings: LogFields): Logger;
}

const noop = () => {};

/** A logger that drops everything (the default when none is injected). */
export const noopLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => noopLogger,
};

export interface CreateLoggerOptions {
  level?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Where NDJSON lines go; standard error by default. */
  fd?: number;
}

/** A pino logger writing NDJSON synchronously (tests and the CLI see every line before exit). */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const pino = requirePino();
  return pino(
    { level: options.level ?? 'info', base: null },
    pino.destination({ fd: options.fd ?? 2, sync: true }),
  );
}
