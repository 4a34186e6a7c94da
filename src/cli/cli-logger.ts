/**
 * The CLI's logger: pino NDJSON on stdout, or, when stdout is a terminal, the same records as short
 * human lines (time, level, message, fields) by a tiny formatter (no pino-pretty dependency).
 */
import pino from 'pino';
import type { Logger } from '../logger/index.js';

/** A log level the CLI accepts. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** Formats one pino JSON line as `HH:MM:SS.mmm LEVEL msg k=v ...`. */
export function prettyLine(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { level, time, msg, ...fields } = rec;
  const t = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
  const rest = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${t} ${(LEVELS[level as number] ?? String(level)).padEnd(5)} ${String(msg ?? '')}${rest === '' ? '' : ` ${rest}`}\n`;
}

/** The logger `raftwire node` uses. */
export function createCliLogger(level: LogLevel, tty = process.stdout.isTTY === true): Logger {
  const destination = tty
    ? {
        write: (s: string) =>
          void process.stdout.write(s.split('\n').filter(Boolean).map(prettyLine).join('')),
      }
    : pino.destination({ fd: 1, sync: true });
  return pino({ level, base: null }, destination);
}
