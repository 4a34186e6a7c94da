/**
 * The failpoint specification language (a subset of gofail's): `name=term;name=term…` where a
 * term is `[P%][N*]action[(arg)]`. See docs/testing.md#failpoints.
 */
import { RaftwireError } from '../errors/index.js';

/** Every failpoint raftwire has (etcd's gofail names first, then raftwire's own). */
export const FAILPOINT_NAMES = [
  'raftBeforeSave',
  'raftAfterSave',
  'raftBeforeLeaderSend',
  'raftBeforeFollowerSend',
  'raftBeforeSaveSnap',
  'raftAfterSaveSnap',
  'raftBeforeApplySnap',
  'raftAfterApplySnap',
  'applyBeforeEntry',
  'applyAfterEntry',
  'snapBeforeTake',
  'snapAfterTake',
  'walBeforeWrite',
  'walBeforeFsync',
  'transportBeforeSend',
] as const;

/** One failpoint name. */
export type FailpointName = (typeof FAILPOINT_NAMES)[number];

/** What a failpoint does when it fires. */
export type FailpointAction =
  /** Nothing (the point is disabled). */
  | { kind: 'off' }
  /** SIGKILL the own process (as `kill -9`: nothing flushed, no exit handlers). */
  | { kind: 'crash' }
  /** Throw a RaftwireError RAFTWIRE_FAILPOINT_TRIGGERED at the point. */
  | { kind: 'throw' }
  /** Wait `ms` milliseconds at the point. */
  | { kind: 'sleep'; ms: number }
  /** Fail the I/O at the point: throw an Error shaped as a failed system call, `code` e.g. EIO. */
  | { kind: 'error'; code: string };

/** A parsed term: fire with `probability` (0..1], at most `count` times (undefined: always). */
export interface FailpointTerm {
  probability: number;
  count: number | undefined;
  action: FailpointAction;
}

/** Error codes of raftwire/failpoint. */
export const FailpointErrorCode = {
  /** RAFTWIRE_FAILPOINTS (or a term given to setFailpoint) does not parse. */
  Invalid: 'RAFTWIRE_FAILPOINT_INVALID',
  /** A failpoint with the `throw` action fired. */
  Triggered: 'RAFTWIRE_FAILPOINT_TRIGGERED',
} as const;

/** The error of a bad specification or a `throw` failpoint. */
export class FailpointError extends RaftwireError {}

/** errno values of the I/O error codes `error(CODE)` accepts (Linux). */
export const IO_ERRNO: Readonly<Record<string, number>> = {
  EIO: 5,
  ENOSPC: 28,
  EROFS: 30,
  EDQUOT: 122,
  EACCES: 13,
  EBADF: 9,
};

const TERM = /^(?:([0-9]+(?:\.[0-9]+)?)%)?(?:([0-9]+)\*)?([a-z]+)(?:\(([^()]*)\))?$/;

function invalid(msg: string): FailpointError {
  return new FailpointError(FailpointErrorCode.Invalid, `failpoints: ${msg}`);
}

/** Parses one term, e.g. `crash`, `1*crash`, `10%sleep(200)`, `error(ENOSPC)`, `off`. */
export function parseTerm(text: string): FailpointTerm {
  const m = TERM.exec(text.trim());
  if (m === null) throw invalid(`cannot parse term ${JSON.stringify(text)}`);
  const [, pct, count, name, arg] = m;
  let probability = 1;
  if (pct !== undefined) {
    probability = Number(pct) / 100;
    if (!(probability > 0 && probability <= 1)) throw invalid(`probability ${pct}% is not in (0, 100]`);
  }
  let n: number | undefined;
  if (count !== undefined) {
    n = Number(count);
    if (!Number.isSafeInteger(n) || n < 1) throw invalid(`count ${count} must be a positive integer`);
  }
  let action: FailpointAction;
  switch (name) {
    case 'off':
    case 'crash':
    case 'throw':
      if (arg !== undefined) throw invalid(`${name} takes no argument`);
      action = { kind: name };
      break;
    case 'panic':
      // gofail's word; raftwire's nearest equivalent of a Go panic is a crash.
      if (arg !== undefined) throw invalid('panic takes no argument');
      action = { kind: 'crash' };
      break;
    case 'sleep': {
      if (arg === undefined || !/^[0-9]+$/.test(arg) || !Number.isSafeInteger(Number(arg)))
        throw invalid(`sleep needs milliseconds, e.g. sleep(200), got ${JSON.stringify(text)}`);
      action = { kind: 'sleep', ms: Number(arg) };
      break;
    }
    case 'error': {
      const code = arg === undefined || arg === '' ? 'EIO' : arg;
      if (IO_ERRNO[code] === undefined)
        throw invalid(`error(${code}): the code must be one of ${Object.keys(IO_ERRNO).join(', ')}`);
      action = { kind: 'error', code };
      break;
    }
    default:
      throw invalid(
        `unknown action ${JSON.stringify(name)} (off, crash, panic, throw, sleep(ms), error(CODE))`,
      );
  }
  return { probability, count: n, action };
}

/** True when `s` names a failpoint. */
export function isFailpointName(s: string): s is FailpointName {
  return (FAILPOINT_NAMES as readonly string[]).includes(s);
}

/**
 * Parses a whole specification: `name=term` pairs separated by `;` (blank pairs skipped). An
 * unknown name, a duplicate or a bad term throws FailpointError RAFTWIRE_FAILPOINT_INVALID.
 */
export function parseFailpoints(text: string): Map<FailpointName, FailpointTerm> {
  const out = new Map<FailpointName, FailpointTerm>();
  for (const part of text.split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) throw invalid(`${JSON.stringify(part.trim())} is not name=term`);
    const name = part.slice(0, eq).trim();
    if (!isFailpointName(name))
      throw invalid(`unknown failpoint ${JSON.stringify(name)} (known: ${FAILPOINT_NAMES.join(', ')})`);
    if (out.has(name)) throw invalid(`failpoint ${name} given twice`);
    out.set(name, parseTerm(part.slice(eq + 1)));
  }
  return out;
}
