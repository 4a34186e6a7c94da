/**
 * etcd's text form of member IDs (types.ID): lowercase hex without prefix or leading zeros, as
 * `strconv.FormatUint(id, 16)` writes it; parsing accepts what `strconv.ParseUint(s, 16, 64)` does.
 */
import { RaftwireError } from '../errors/index.js';
import { MAX_U64 } from './wire/varint.js';

export class InvalidIdError extends RaftwireError {
  static readonly code = 'RAFTWIRE_INVALID_ID';
  constructor(input: string) {
    super(InvalidIdError.code, `invalid member ID ${JSON.stringify(input)}: want 1 to 16 hex digits`);
  }
}

export function formatId(id: bigint): string {
  if (id < 0n || id > MAX_U64) throw new RangeError(`member ID ${id} is not a uint64`);
  return id.toString(16);
}

const HEX_ID = /^[0-9a-fA-F]{1,16}$/;

/** Parses a hex member ID (case-insensitive), as it appears in URLs and etcd headers. */
export function parseId(s: string): bigint {
  if (!HEX_ID.test(s)) throw new InvalidIdError(s);
  return BigInt(`0x${s}`);
}
