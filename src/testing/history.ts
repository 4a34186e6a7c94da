/**
 * Jepsen-style histories: the event types, the JSON-lines reader, and the pairing of each invoke
 * with its completion into one operation.
 */
import { HistoryFormatError } from './errors.js';
import { canonicalJson, NotJsonError } from './json-value.js';

/** `invoke` starts an operation; `ok`, `fail` or `info` completes it. */
export type HistoryOpType = 'invoke' | 'ok' | 'fail' | 'info';
/** The register operations the checker knows. */
export type HistoryFn = 'read' | 'write' | 'delete' | 'cas' | 'append';

/**
 * One event of a history: an invoke or a completion, in real-time order.
 * `value` is the argument on an invoke (write: the value; cas: `[expected, new]`; append: a
 * string) and the result on a read's `ok` completion (`null` for absent). `key` defaults to `""`.
 * `time` is informational (shown in reports); the order of events is the order given.
 */
export interface HistoryOp {
  process: number;
  type: HistoryOpType;
  f: HistoryFn;
  key?: string;
  value?: unknown;
  time?: number;
}

/** An invoke paired with its completion (internal form the checker works on). */
export interface Operation {
  process: number;
  f: HistoryFn;
  key: string;
  /** `info` also for an invoke that never completed. */
  outcome: 'ok' | 'fail' | 'info';
  /** The invoke's value (write value, cas pair, append string); undefined for read and delete. */
  input: unknown;
  /** A read's result on `ok`; undefined otherwise. */
  output: unknown;
  /** 0-based positions of the invoke and the completion in the event sequence (Infinity: none). */
  call: number;
  ret: number;
  /** 1-based lines (or positions) of the invoke and the completion, for reports. */
  invokeLine: number;
  completeLine: number | undefined;
  invokeTime: number | undefined;
  completeTime: number | undefined;
}

const TYPES: ReadonlySet<string> = new Set(['invoke', 'ok', 'fail', 'info']);
const FNS: ReadonlySet<string> = new Set(['read', 'write', 'delete', 'cas', 'append']);

/** Line numbers of the events parseHistory returned, so checkHistory can cite them. */
const parsedLines = new WeakMap<object, number>();

/**
 * Reads a history written as JSON lines (one event object per line; blank lines are skipped).
 * Throws HistoryFormatError (code RAFTWIRE_HISTORY_MALFORMED) with the 1-based line number on the
 * first malformed line, including a completion without an outstanding invoke or a second invoke
 * while one is outstanding on the same process.
 */
export function parseHistory(text: string): HistoryOp[] {
  const ops: HistoryOp[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      throw new HistoryFormatError(i + 1, `not JSON (${(e as Error).message})`, { cause: e });
    }
    const op = validateEvent(parsed, i + 1);
    parsedLines.set(op, i + 1);
    ops.push(op);
  }
  pairOperations(ops);
  return ops;
}

function validateEvent(e: unknown, line: number): HistoryOp {
  const fail = (reason: string): never => {
    throw new HistoryFormatError(line, reason);
  };
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return fail('not a JSON object');
  const o = e as Record<string, unknown>;
  if (typeof o.process !== 'number' || !Number.isSafeInteger(o.process)) {
    fail(`"process" must be an integer, got ${show(o.process)}`);
  }
  if (typeof o.type !== 'string' || !TYPES.has(o.type)) {
    fail(`"type" must be one of invoke, ok, fail, info; got ${show(o.type)}`);
  }
  if (typeof o.f !== 'string' || !FNS.has(o.f)) {
    fail(`"f" must be one of read, write, delete, cas, append; got ${show(o.f)}`);
  }
  if (o.key !== undefined && typeof o.key !== 'string') fail(`"key" must be a string, got ${show(o.key)}`);
  if (o.time !== undefined && (typeof o.time !== 'number' || !Number.isFinite(o.time))) {
    fail(`"time" must be a number, got ${show(o.time)}`);
  }
  return e as HistoryOp;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * Pairs invokes with completions. Throws HistoryFormatError naming the parsed line (or the
 * 1-based position) of the first malformed event.
 */
export function pairOperations(events: Iterable<HistoryOp>): Operation[] {
  const ops: Operation[] = [];
  const outstanding = new Map<number, Operation>();
  let index = 0;
  for (const e of events) {
    const position = index++;
    const line = (typeof e === 'object' && e !== null && parsedLines.get(e)) || position + 1;
    const fail = (reason: string): never => {
      throw new HistoryFormatError(line, reason);
    };
    if (!parsedLines.has(e as object)) validateEvent(e, line);
    const key = e.key ?? '';
    const open = outstanding.get(e.process);
    if (e.type === 'invoke') {
      if (open !== undefined) {
        fail(
          `process ${e.process} invokes ${e.f} while its ${open.f} from line ${open.invokeLine} is outstanding`,
        );
      }
      let input: unknown;
      if (e.f === 'write') {
        if (e.value === undefined) fail('a write invoke needs a "value"');
        input = e.value;
      } else if (e.f === 'cas') {
        if (!Array.isArray(e.value) || e.value.length !== 2)
          fail('a cas invoke needs "value": [expected, new]');
        input = e.value;
      } else if (e.f === 'append') {
        if (typeof e.value !== 'string')
          fail(`an append invoke needs a string "value", got ${show(e.value)}`);
        input = e.value;
      }
      if (input !== undefined) checkJson(input, line);
      const op: Operation = {
        process: e.process,
        f: e.f,
        key,
        outcome: 'info',
        input,
        output: undefined,
        call: position,
        ret: Number.POSITIVE_INFINITY,
        invokeLine: line,
        completeLine: undefined,
        invokeTime: e.time,
        completeTime: undefined,
      };
      ops.push(op);
      outstanding.set(e.process, op);
      continue;
    }
    if (open === undefined)
      fail(`process ${e.process} completes ${e.f} (${e.type}) without an outstanding invoke`);
    const op = open!;
    if (op.f !== e.f)
      fail(`process ${e.process} completes ${e.f} but invoked ${op.f} on line ${op.invokeLine}`);
    if (e.key !== undefined && e.key !== op.key) {
      fail(`process ${e.process} completes key ${show(e.key)} but invoked key ${show(op.key)}`);
    }
    if (e.f === 'read' && e.type === 'ok') {
      if (e.value === undefined) fail('a read ok needs a "value" (null for absent)');
      checkJson(e.value, line);
      op.output = e.value;
    }
    op.outcome = e.type;
    op.ret = position;
    op.completeLine = line;
    op.completeTime = e.time;
    outstanding.delete(e.process);
  }
  return ops;
}

function checkJson(v: unknown, line: number): void {
  try {
    canonicalJson(v);
  } catch (e) {
    if (e instanceof NotJsonError) throw new HistoryFormatError(line, `"value": ${e.message}`, { cause: e });
    throw e;
  }
}
