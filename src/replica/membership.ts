/**
 * The members a replica knows (ID → peer URLs) and the IDs removed for good. Persisted as the
 * `data` of every raft snapshot (JSON, versioned) and carried in each conf change's context
 * (`{"peerUrls": [...]}`), so a restart or an installed snapshot knows every member's URLs.
 */
import { type ConfState, formatId, parseId } from '../raftpb/index.js';
import type { MemberStatus } from './types.js';

const SNAPSHOT_DATA_VERSION = 1;

/** Members and removed IDs. */
export class Membership {
  readonly urls = new Map<bigint, string[]>();
  readonly removed = new Set<bigint>();

  /** A copy. */
  clone(): Membership {
    const m = new Membership();
    for (const [id, u] of this.urls) m.urls.set(id, u);
    for (const id of this.removed) m.removed.add(id);
    return m;
  }

  add(id: bigint, urls: string[] | undefined): void {
    if (urls !== undefined && urls.length > 0) this.urls.set(id, urls);
    else if (!this.urls.has(id)) this.urls.set(id, []);
  }

  remove(id: bigint): void {
    this.urls.delete(id);
    this.removed.add(id);
  }

  /** The snapshot `data`: `{"v":1,"members":[{"id":"hex","peerUrls":[…]}],"removed":["hex"]}`. */
  encode(): Uint8Array {
    const members = [...this.urls].map(([id, peerUrls]) => ({ id: formatId(id), peerUrls }));
    const removed = [...this.removed].map(formatId);
    return new TextEncoder().encode(JSON.stringify({ v: SNAPSHOT_DATA_VERSION, members, removed }));
  }

  /** Reads snapshot `data`; throws on anything else. */
  static decode(data: Uint8Array | undefined): Membership {
    const m = new Membership();
    if (data === undefined || data.length === 0) return m;
    const o = JSON.parse(new TextDecoder().decode(data)) as {
      v?: number;
      members?: { id: string; peerUrls: string[] }[];
      removed?: string[];
    };
    if (o.v !== SNAPSHOT_DATA_VERSION) throw new RangeError(`unknown snapshot data version ${String(o.v)}`);
    for (const x of o.members ?? []) m.urls.set(parseId(x.id), [...x.peerUrls]);
    for (const x of o.removed ?? []) m.removed.add(parseId(x));
    return m;
  }
}

/** A conf change context: `{"peerUrls": [...]}`. */
export function encodeContext(peerUrls: readonly string[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ peerUrls }));
}

/** The peer URLs of a conf change context, undefined when absent or unreadable. */
export function decodeContext(ctx: Uint8Array | undefined): string[] | undefined {
  if (ctx === undefined || ctx.length === 0) return undefined;
  try {
    const o = JSON.parse(new TextDecoder().decode(ctx)) as { peerUrls?: unknown };
    if (Array.isArray(o.peerUrls) && o.peerUrls.every((u) => typeof u === 'string')) return o.peerUrls;
  } catch {
    // not ours: no URLs
  }
  return undefined;
}

/** The members of a configuration, in ascending ID order, with their URLs and roles. */
export function memberList(cs: ConfState, m: Membership): MemberStatus[] {
  const learners = new Set(cs.learners);
  const ids = new Set([...cs.voters, ...cs.learners]);
  return [...ids]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((id) => ({
      id,
      peerUrls: [...(m.urls.get(id) ?? [])],
      role: learners.has(id) ? ('learner' as const) : ('voter' as const),
    }));
}
