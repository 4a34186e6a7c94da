/**
 * The process-wide failpoints, read once from the RAFTWIRE_FAILPOINTS environment variable when
 * this module loads. Call sites are written `if (FAILPOINTS_ON) failpoint('raftBeforeSave');` so a
 * process without the variable pays one test of a module constant per point.
 */
import { FailpointSet } from './failpoint-set.js';
import { type FailpointError, type FailpointName, parseFailpoints } from './spec.js';

const SPEC = process.env.RAFTWIRE_FAILPOINTS ?? '';
/** RAFTWIRE_FAILPOINTS_HTTP: where `raftwire node` serves run-time arming (failpoint-server.ts). */
const HTTP = (process.env.RAFTWIRE_FAILPOINTS_HTTP ?? '').trim();

/**
 * True when RAFTWIRE_FAILPOINTS or RAFTWIRE_FAILPOINTS_HTTP was set (non-blank) when the process
 * started: only then can a point ever fire.
 */
export const FAILPOINTS_ON: boolean = SPEC.trim() !== '' || HTTP !== '';

/** The RAFTWIRE_FAILPOINTS_HTTP address as given, or undefined when run-time arming is off. */
export function failpointHttpAddress(): string | undefined {
  return HTTP === '' ? undefined : HTTP;
}

let configError: FailpointError | undefined;
let parsed: ReturnType<typeof parseFailpoints> = new Map();
if (SPEC.trim() !== '') {
  try {
    parsed = parseFailpoints(SPEC);
  } catch (e) {
    configError = e as FailpointError;
  }
}

/** The process's failpoints (empty unless RAFTWIRE_FAILPOINTS enabled some). */
export const processFailpoints = new FailpointSet(parsed);

/** Why RAFTWIRE_FAILPOINTS did not parse (the points then stay off), or undefined. */
export function failpointConfigError(): FailpointError | undefined {
  return configError;
}

/** Evaluates a synchronous failpoint of this process. */
export function failpoint(name: FailpointName): void {
  processFailpoints.eval(name);
}

/** Evaluates a failpoint where the caller can await (sleep is a timer): `await failpointAsync(…)`. */
export function failpointAsync(name: FailpointName): Promise<void> | undefined {
  return processFailpoints.evalAsync(name);
}
