/**
 * etcd's text form of member IDs (types.ID): lowercase hex without prefix or leading zeros, as
 * `strconv.FormatUint(id, 16)` writes it; parsing accepts what `strconv.ParseUint(s, 16, 64)` does.
 */
import { RaftwireError } from '../errors/index.js';
import { RaftpbErrorCode, RaftpbRangeError } from './errors.js';
import { MAX_U64 } from './wire/varint.js';

/** `parseId` of a string that is not 1 to 16 hex digits (code `RAFTWIRE_INVALID_ID`). */
export class InvalidIdError extends RaftwireError {
  static readonly code = RaftpbErrorCode.INVALID_ID;
  constructor(input: string) {
    super(RaftpbErrorCode.INVALID_ID, `invalid member ID ${JSON.stringify(input)}: want 1 to 16 hex digits`);
  }
}

/** etcd's text form of a member ID; an ID outside 0..2^64-1 throws `RAFTWIRE_RAFTPB_RANGE`. */
export function formatId(id: bigint): string {
  if (id < 0n || id > MAX_U64) throw new RaftpbRangeError('member ID', id);
  return id.toString(16);
}

const HEX_ID = /^[0-9a-fA-F]{1,16}$/;

/** Parses a hex member ID (case-insensitive), as it appears in URLs and etcd headers. */
export function parseId(s: string): bigint {
  if (!HEX_ID.test(s)) throw new InvalidIdError(s);
  return BigInt(`0x${s}`);
}
