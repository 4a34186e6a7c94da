/**
 * A strict decoder for raftexample's gob entries: it accepts exactly the byte strings Go 1.19's
 * `encoding/gob` accepts when a fresh `gob.Decoder` decodes them into `kv{Key, Val string}` (as
 * raftexample's kvstore does for every committed entry), and yields the same Key and Val.
 *
 * It follows the structure of Go's decoder (encoding/gob's decoder.go and decode.go) rather than
 * the canonical layout: the stream is a sequence of messages; negative type ids define types (a
 * `wireType`); the first non-negative id is the value, whose struct fields bind to Key and Val by
 * NAME. Fields the sender declared but kv lacks are skipped with Go's ignore rules, which can
 * involve arrays, slices, maps, nested structs, GobEncoder blobs and interfaces (whose values
 * carry their own type definitions). Anything after the first value is ignored, as Go does.
 *
 * Every case where Go returns an error (or panics) throws {@link RaftexampleGobError}. Integers are
 * bigints because gob's are 64-bit and Go's conversions (int64, int32 truncation of type ids)
 * matter for which inputs are accepted.
 */
import { RaftexampleGobError } from './errors.js';

/** Go's sanity bound on sizes (encoding/gob `tooBig` on 64-bit platforms: 8 GiB). */
const TOO_BIG = 1n << 33n;
/** Lowest type id a sender may define (encoding/gob `firstUserId`). */
const FIRST_USER_ID = 64;
/** encoding/gob `maxIgnoreNestingDepth`. */
const MAX_IGNORE_DEPTH = 10_000;

const T_STRING = 6;
const T_INTERFACE = 8;
/** Built-in struct types whose fields (`Name string`, `Id int`) Go can skip: CommonType, fieldType. */
const BUILTIN_SKIPPABLE_STRUCTS = new Set([18, 21]);

const KEY = new TextEncoder().encode('Key');
const VAL = new TextEncoder().encode('Val');

interface FieldType {
  name: Uint8Array;
  id: number;
}

/** Go's `wireType`, as far as the decoder looks at it. */
interface WireType {
  arrayT?: { elem: number; len: bigint };
  sliceT?: { elem: number };
  structT?: { fields: FieldType[] };
  mapT?: { key: number; elem: number };
  /** GobEncoderT, BinaryMarshalerT or TextMarshalerT was sent. */
  encoderT?: true;
}

type Op = () => void;
interface OpRef {
  op: Op | undefined;
}

const asInt64 = (u: bigint): bigint => BigInt.asIntN(64, u);
const toInt = (u: bigint): bigint => ((u & 1n) !== 0n ? ~(u >> 1n) : u >> 1n);

function fail(reason: string): never {
  throw new RaftexampleGobError(reason);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One decode: Go's fresh `gob.Decoder` over one entry's bytes. */
class Decoder {
  /** Position in the entry (the decoder's io.Reader). */
  private inPos = 0;
  /** The current message (Go's `dec.buf`), shared by every nested state as in Go. */
  private buf: Uint8Array = new Uint8Array(0);
  private bufPos = 0;
  private readonly wireTypes = new Map<number, WireType>();
  private readonly ignorerCache = new Map<number, { engine: OpRef[] | undefined }>();

  constructor(private readonly input: Uint8Array) {}

  decode(): { key: Uint8Array; val: Uint8Array } {
    const id = this.decodeTypeSequence(false);
    return this.decodeKv(id);
  }

  // --- the message layer (decoder.go) ---

  private bufLen(): number {
    return this.buf.length - this.bufPos;
  }

  /** decodeUintReader over the entry (message counts). */
  private readCount(): bigint {
    const b = this.input[this.inPos];
    if (b === undefined) fail('EOF');
    this.inPos++;
    if (b <= 0x7f) return BigInt(b);
    const n = 256 - b;
    if (n > 8) fail('gob: encoded unsigned integer out of range');
    if (this.inPos + n > this.input.length) fail('unexpected EOF');
    let x = 0n;
    for (let i = 0; i < n; i++) x = (x << 8n) | BigInt(this.input[this.inPos + i] as number);
    this.inPos += n;
    return x;
  }

  private recvMessage(): void {
    const nbytes = this.readCount();
    if (nbytes >= TOO_BIG) fail('gob: decoder: message too large');
    const n = Number(nbytes);
    if (this.inPos + n > this.input.length) fail('unexpected EOF');
    this.buf = this.input.subarray(this.inPos, this.inPos + n);
    this.bufPos = 0;
    this.inPos += n;
  }

  private decodeTypeSequence(isInterface: boolean): number {
    for (;;) {
      if (this.bufLen() === 0) this.recvMessage();
      // Receive a type id (Go's typeId is an int32: the int64 is truncated).
      const id = Number(BigInt.asIntN(32, toInt(this.uint())));
      if (id >= 0) return id;
      this.recvType(Number(BigInt.asIntN(32, BigInt(-id))));
      if (this.bufLen() > 0) {
        if (!isInterface) fail('extra data in buffer');
        this.uint();
      }
    }
  }

  private recvType(id: number): void {
    if (id < FIRST_USER_ID || this.wireTypes.has(id)) fail('gob: duplicate type received');
    const wire = this.decodeWireType();
    this.wireTypes.set(id, wire);
  }

  // --- primitive decoding within the current message (decode.go) ---

  private uint(): bigint {
    const b = this.buf[this.bufPos];
    if (b === undefined) fail('EOF');
    this.bufPos++;
    if (b <= 0x7f) return BigInt(b);
    const n = 256 - b;
    if (n > 8) fail('gob: encoded unsigned integer out of range');
    if (this.bufLen() < n) fail(`invalid uint data length ${n}: exceeds input size ${this.bufLen()}`);
    let x = 0n;
    for (let i = 0; i < n; i++) x = (x << 8n) | BigInt(this.buf[this.bufPos + i] as number);
    this.bufPos += n;
    return x;
  }

  /** Go's getLength: a length that fits in what is left of the message, or a failure. */
  private length(what: string): number {
    const n = asInt64(this.uint());
    if (n < 0n || BigInt(this.bufLen()) < n || n >= TOO_BIG) fail(`bad ${what} length`);
    return Number(n);
  }

  private bytes(what: string): Uint8Array {
    const n = this.length(what);
    const out = this.buf.subarray(this.bufPos, this.bufPos + n);
    this.bufPos += n;
    return out;
  }

  private int32(): number {
    const v = toInt(this.uint());
    if (v < -(1n << 31n) || v > (1n << 31n) - 1n) fail('value out of range for a type id');
    return Number(v);
  }

  /** The field loop of Go's decodeStruct/ignoreStruct: deltas until 0 or the message's end. */
  private structLoop(fieldCount: number, onField: (fieldnum: number) => void): void {
    let fieldnum = -1n;
    while (this.bufLen() > 0) {
      const delta = asInt64(this.uint());
      if (delta < 0n) fail('decode: corrupted data: negative delta');
      if (delta === 0n) break;
      const f = fieldnum + delta;
      if (f >= BigInt(fieldCount)) fail('gob: bad data: field numbers out of bounds');
      onField(Number(f));
      fieldnum = f;
    }
  }

  // --- the wireType (a value of the built-in type 16) ---

  private commonType(): void {
    // CommonType{Name string, Id typeId}: decoded (so its errors count), not used.
    this.structLoop(2, (f) => (f === 0 ? this.bytes('string') : this.int32()));
  }

  private decodeWireType(): WireType {
    const wire: WireType = {};
    this.structLoop(7, (f) => {
      switch (f) {
        case 0: {
          const a = { elem: 0, len: 0n };
          this.structLoop(3, (g) => {
            if (g === 0) this.commonType();
            else if (g === 1) a.elem = this.int32();
            else a.len = toInt(this.uint());
          });
          wire.arrayT = a;
          break;
        }
        case 1: {
          const s = { elem: 0 };
          this.structLoop(2, (g) => {
            if (g === 0) this.commonType();
            else s.elem = this.int32();
          });
          wire.sliceT = s;
          break;
        }
        case 2: {
          const st: { fields: FieldType[] } = { fields: [] };
          this.structLoop(2, (g) => {
            if (g === 0) this.commonType();
            else st.fields = this.fieldTypes();
          });
          wire.structT = st;
          break;
        }
        case 3: {
          const m = { key: 0, elem: 0 };
          this.structLoop(3, (g) => {
            if (g === 0) this.commonType();
            else if (g === 1) m.key = this.int32();
            else m.elem = this.int32();
          });
          wire.mapT = m;
          break;
        }
        default:
          this.structLoop(1, () => this.commonType());
          wire.encoderT = true;
      }
    });
    return wire;
  }

  /** structType.Field, a []*fieldType (Go's decodeSlice with 8-byte elements). */
  private fieldTypes(): FieldType[] {
    const u = this.uint();
    if (asInt64(u) < 0n || BigInt.asUintN(64, u * 8n) > TOO_BIG || u * 8n >= 1n << 64n) {
      fail('slice too big');
    }
    const out: FieldType[] = [];
    for (let i = 0n; i < u; i++) {
      if (this.bufLen() === 0) fail('decoding array or slice: length exceeds input size');
      const field: FieldType = { name: new Uint8Array(0), id: 0 };
      this.structLoop(2, (g) => {
        if (g === 0) field.name = this.bytes('string');
        else field.id = this.int32();
      });
      out.push(field);
    }
    return out;
  }

  // --- skipping fields kv does not have (decIgnoreOpFor and the ignore functions) ---

  private ignoreOpFor(wireId: number, inProgress: Map<number, OpRef>, depth: number): OpRef {
    if (depth > MAX_IGNORE_DEPTH) fail('invalid nesting depth');
    const pending = inProgress.get(wireId);
    if (pending !== undefined) return pending;
    switch (wireId) {
      case 1: // bool
      case 2: // int
      case 3: // uint
      case 4: // float
        return { op: () => void this.uint() };
      case 5: // bytes
      case T_STRING:
        return { op: () => void this.bytes('slice') };
      case 7: // complex
        return {
          op: () => {
            this.uint();
            this.uint();
          },
        };
    }
    const ref: OpRef = { op: undefined };
    inProgress.set(wireId, ref);
    if (wireId === T_INTERFACE) {
      ref.op = () => this.ignoreInterface();
      return ref;
    }
    const wire = this.wireTypes.get(wireId);
    if (wire === undefined) fail(`bad data: undefined type ${wireId}`);
    if (wire.arrayT !== undefined) {
      const { elem, len } = wire.arrayT;
      const elemOp = this.ignoreOpFor(elem, inProgress, depth + 1);
      ref.op = () => {
        if (this.uint() !== BigInt.asUintN(64, len)) fail('length mismatch in ignoreArray');
        this.ignoreElements(elemOp, len);
      };
    } else if (wire.mapT !== undefined) {
      const keyOp = this.ignoreOpFor(wire.mapT.key, inProgress, depth + 1);
      const elemOp = this.ignoreOpFor(wire.mapT.elem, inProgress, depth + 1);
      ref.op = () => this.ignoreMap(keyOp, elemOp);
    } else if (wire.sliceT !== undefined) {
      const elemOp = this.ignoreOpFor(wire.sliceT.elem, inProgress, depth + 1);
      ref.op = () => this.ignoreElements(elemOp, asInt64(this.uint()));
    } else if (wire.structT !== undefined) {
      const engine = this.ignoreEngine(wireId, wire.structT.fields);
      ref.op = () => this.runEngine(engine.engine as OpRef[]);
    } else if (wire.encoderT === true) {
      ref.op = () => void this.bytes('GobDecoder');
    }
    if (ref.op === undefined) fail(`bad data: ignore can't handle type ${wireId}`);
    return ref;
  }

  /** getIgnoreEnginePtr: compiled once per type, registered before compiling (recursive types). */
  private ignoreEngine(wireId: number, fields: FieldType[]): { engine: OpRef[] | undefined } {
    const cached = this.ignorerCache.get(wireId);
    if (cached !== undefined) return cached;
    const entry: { engine: OpRef[] | undefined } = { engine: undefined };
    this.ignorerCache.set(wireId, entry);
    entry.engine = fields.map((f) => {
      if (f.name.length === 0) fail('empty name for remote field');
      return this.ignoreOpFor(f.id, new Map(), 0);
    });
    return entry;
  }

  private runEngine(engine: OpRef[]): void {
    this.structLoop(engine.length, (f) => (engine[f] as OpRef).op?.());
  }

  private ignoreElements(elemOp: OpRef, length: bigint): void {
    for (let i = 0n; i < length; i++) {
      if (this.bufLen() === 0) fail('decoding array or slice: length exceeds input size');
      elemOp.op?.();
    }
  }

  private ignoreMap(keyOp: OpRef, elemOp: OpRef): void {
    const n = asInt64(this.uint());
    for (let i = 0n; i < n; i++) {
      const before = this.bufPos;
      const bufBefore = this.buf;
      keyOp.op?.();
      elemOp.op?.();
      // An element that consumes nothing from an empty message consumes nothing every time:
      // Go would spin through the remaining count to the same result.
      if (this.bufPos === before && this.buf === bufBefore && this.bufLen() === 0) break;
    }
  }

  private ignoreInterface(): void {
    // The concrete type's name (not looked up when ignoring), then its type sequence (which may
    // define types and read further messages), then the delimited value, tossed.
    const n = this.length('interface name');
    this.bufPos += n;
    this.decodeTypeSequence(true);
    const m = this.length('interface value');
    this.bufPos += m;
  }

  // --- the value: kv{Key, Val string} ---

  private decodeKv(id: number): { key: Uint8Array; val: Uint8Array } {
    let fields: FieldType[];
    let userDefined = false;
    if (BUILTIN_SKIPPABLE_STRUCTS.has(id)) {
      fields = [
        { name: new TextEncoder().encode('Name'), id: T_STRING },
        { name: new TextEncoder().encode('Id'), id: 2 },
      ];
    } else if (id < FIRST_USER_ID) {
      // Go's other built-in ids: not structs, or structs with fields it cannot skip.
      fail(id === 0 || id > 24 ? 'gob: unknown type id or corrupted data' : 'type mismatch in decoder');
    } else {
      const wire = this.wireTypes.get(id);
      if (wire === undefined) fail('gob: unknown type id or corrupted data');
      if (wire.structT === undefined)
        fail('type mismatch in decoder: want struct type main.kv; got non-struct');
      fields = wire.structT.fields;
      userDefined = true;
    }
    let key: Uint8Array = new Uint8Array(0);
    let val: Uint8Array = new Uint8Array(0);
    let matched = 0;
    const ops: OpRef[] = fields.map((f) => {
      if (f.name.length === 0) fail('empty name for remote field of type kv');
      const isKey = sameBytes(f.name, KEY);
      if (isKey || sameBytes(f.name, VAL)) {
        if (f.id !== T_STRING) fail(`wrong type (string) for received field kv.${isKey ? 'Key' : 'Val'}`);
        matched++;
        return {
          op: () => {
            const v = this.bytes('string').slice();
            if (isKey) key = v;
            else val = v;
          },
        };
      }
      return this.ignoreOpFor(f.id, new Map(), 0);
    });
    if (matched === 0 && userDefined && fields.length > 0) {
      fail('type mismatch: no fields matched compiling decoder for kv');
    }
    this.runEngine(ops);
    return { key, val };
  }
}

/**
 * Decodes one raftexample entry (`EntryNormal.Data`) as a fresh Go `gob.Decoder` decodes it into
 * `kv{Key, Val string}`. Key and Val are returned as copies (byte strings, no UTF-8 check).
 * Throws {@link RaftexampleGobError} exactly where Go returns an error.
 */
export function decodeKvEntry(data: Uint8Array): { key: Uint8Array; val: Uint8Array } {
  try {
    return new Decoder(data).decode();
  } catch (e) {
    if (e instanceof RangeError) {
      // Values nested thousands deep (a crafted recursive type: a client's PUT cannot produce
      // one) exhaust the JS stack; Go's growable stacks would decode them. Refuse clearly.
      throw new RaftexampleGobError(`nesting too deep for this decoder (${e.message})`);
    }
    throw e;
  }
}
