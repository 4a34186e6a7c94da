/**
 * etcd's peer version checks: the request-side compatibility check of every handler
 * (checkClusterCompatibilityFromHeader) and the dialer's stream-type support table.
 */
import { ETCD_MIN_CLUSTER_VERSION, ETCD_WIRE_VERSION } from '../version.js';

/** major.minor of a version; patch, pre-release and build are ignored by every etcd check. */
export interface MajorMinor {
  major: number;
  minor: number;
}

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** Strict semver parse (Go's semver.NewVersion); undefined when malformed. */
export function parseVersion(s: string): MajorMinor | undefined {
  const m = SEMVER.exec(s);
  if (m === null) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]) };
}

function cmp(a: MajorMinor, b: MajorMinor): number {
  return a.major !== b.major ? a.major - b.major : a.minor - b.minor;
}

const LOCAL = parseVersion(ETCD_WIRE_VERSION)!;
const LOCAL_MIN_CLUSTER = parseVersion(ETCD_MIN_CLUSTER_VERSION)!;
const V2_0: MajorMinor = { major: 2, minor: 0 };

/** Result of the request-side check: ok, incompatible (412), or malformed (Go panics: drop the connection). */
export type VersionCheck = { ok: true } | { ok: false; malformed: boolean; reason: string };

/**
 * etcd's checkVersionCompatibility on X-Server-Version / X-Min-Cluster-Version (missing or empty = 2.0.0).
 */
export function checkVersionHeaders(
  serverVersion: string | undefined,
  minCluster: string | undefined,
): VersionCheck {
  const server = serverVersion ? parseVersion(serverVersion) : V2_0;
  if (server === undefined)
    return {
      ok: false,
      malformed: true,
      reason: `malformed X-Server-Version ${JSON.stringify(serverVersion)}`,
    };
  const min = minCluster ? parseVersion(minCluster) : V2_0;
  if (min === undefined)
    return {
      ok: false,
      malformed: true,
      reason: `malformed X-Min-Cluster-Version ${JSON.stringify(minCluster)}`,
    };
  const shown = serverVersion || '2.0.0';
  if (cmp(server, LOCAL_MIN_CLUSTER) < 0) {
    return {
      ok: false,
      malformed: false,
      reason: `remote version is too low: remote[peer]=${shown}, local=${ETCD_WIRE_VERSION}`,
    };
  }
  if (cmp(min, LOCAL) > 0) {
    return {
      ok: false,
      malformed: false,
      reason: `local version is too low: remote[peer]=${shown}, local=${ETCD_WIRE_VERSION}`,
    };
  }
  return { ok: true };
}

/** The two stream types and their URL segment. */
export type StreamType = 'msgappv2' | 'message';

/**
 * etcd's supportedStream check on a stream response's X-Server-Version: a peer older than us
 * (major.minor) must list the type; 2.0 (or a missing header) supports none. Undefined = malformed.
 */
export function streamTypeSupported(
  responseVersion: string | undefined,
  _type: StreamType,
): boolean | undefined {
  const v = responseVersion ? parseVersion(responseVersion) : V2_0;
  if (v === undefined) return undefined;
  if (cmp(v, LOCAL) >= 0) return true;
  // 2.1 through 3.4 support both msgappv2 and message; 2.0 supports neither.
  return cmp(v, { major: 2, minor: 1 }) >= 0;
}
