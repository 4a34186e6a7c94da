/**
 * The envelope around a user's proposal: a request ID the proposer matches at apply time (a
 * follower's proposal is forwarded, so its log index is unknown when it is made). The state
 * machine sees only the user's bytes.
 *
 * Layout (17 bytes, then the data): version 0x01, the proposing replica's session (8 random
 * bytes, new at every start), a sequence number (uint64 big-endian).
 */

/** Envelope version byte. */
export const ENVELOPE_VERSION = 1;
/** Bytes before the user's data. */
export const ENVELOPE_HEADER_BYTES = 17;

/** A replica's random session: 8 bytes, kept as two 32-bit words for cheap comparison. */
export interface Session {
  hi: number;
  lo: number;
}

/** Wraps `data` (one copy: header and data in one buffer). */
export function wrap(session: Session, seq: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(ENVELOPE_HEADER_BYTES + data.length);
  const dv = new DataView(out.buffer);
  out[0] = ENVELOPE_VERSION;
  dv.setUint32(1, session.hi);
  dv.setUint32(5, session.lo);
  dv.setUint32(9, Math.floor(seq / 0x1_0000_0000));
  dv.setUint32(13, seq >>> 0);
  out.set(data, ENVELOPE_HEADER_BYTES);
  return out;
}

/** True when `d` is a well-formed envelope. */
export function isEnvelope(d: Uint8Array): boolean {
  return d.length >= ENVELOPE_HEADER_BYTES && d[0] === ENVELOPE_VERSION;
}

/** The sequence number when the envelope is from `session`, else -1. */
export function ownSeq(session: Session, d: Uint8Array): number {
  const dv = new DataView(d.buffer, d.byteOffset, ENVELOPE_HEADER_BYTES);
  if (dv.getUint32(1) !== session.hi || dv.getUint32(5) !== session.lo) return -1;
  return dv.getUint32(9) * 0x1_0000_0000 + dv.getUint32(13);
}

/** The user's bytes (a view). */
export function payload(d: Uint8Array): Uint8Array {
  return d.subarray(ENVELOPE_HEADER_BYTES);
}
