/** A Logger (raftwire's pino-compatible interface) that records every line, for assertions. */
import type { LogFields, Logger } from '../../../src/logger/index.js';
import type { EventLog } from './event-log.js';

/** One recorded log line, with the child bindings merged into its fields. */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly fields: LogFields;
  readonly msg: string;
}

/** A Logger whose lines (and those of its children) go to `lines`. */
export function captureLogger(lines: EventLog<LogLine>, bindings: LogFields = {}): Logger {
  const at =
    (level: LogLine['level']) =>
    (fields: LogFields, msg: string): void => {
      lines.push({ level, fields: { ...bindings, ...fields }, msg });
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (b) => captureLogger(lines, { ...bindings, ...b }),
  };
}

/** A line's message and fields as one string, for pattern matching. */
export const lineText = (l: LogLine): string => `${l.level} ${l.msg} ${JSON.stringify(l.fields)}`;
