/**
 * etcd's msgappv2 stream encoding (MsgApp only, plus link heartbeats), with per-connection
 * (term, index) state starting at (0, 0). Records:
 *   0x00                                          link heartbeat
 *   0x01 u64 n, n × (u64 size, Entry), u64 commit  AppEntries: continues the previous MsgApp
 *   0x02 u64 L, L bytes Message                    a whole Message
 * All u64 are 8-byte big-endian. Pure: no sockets.
 */
import {
  decodeEntry,
  decodeMessage,
  type Entry,
  entrySize,
  type Message,
  MessageType,
  messageSize,
  writeEntry,
  writeMessage,
} from '../raftpb/index.js';
import { ByteQueue } from './byte-queue.js';
import { MESSAGE_FRAME_MAX_BYTES } from './constants.js';
import { FrameDecodeError } from './errors.js';
import { isLinkHeartbeat, LINK_HEARTBEAT, LINK_HEARTBEAT_SIZE, writeU64BE } from './message-codec.js';

/** Record kinds. */
export const MsgAppV2Kind = { LinkHeartbeat: 0, AppEntries: 1, Message: 2 } as const;

/**
 * Encoder state of one msgappv2 connection. `recordSize` (planning) and `write` (real) keep separate
 * copies of the state so a whole batch can be sized, allocated once, then written.
 */
export class MsgAppV2Encoder {
  /** Term of the last written MsgApp. */
  term = 0;
  /** Raft index of the last entry the receiver has after the last written MsgApp. */
  index = 0;
  private planTerm = 0;
  private planIndex = 0;

  /** Starts sizing a batch from the current state. */
  beginPlan(): void {
    this.planTerm = this.term;
    this.planIndex = this.index;
  }

  /** Exact record size of `m` given the planned state, then advances the planned state. */
  recordSize(m: Message): number {
    if (isLinkHeartbeat(m)) return 1;
    if (this.planIndex === m.index && this.planTerm === m.logTerm && m.logTerm === m.term) {
      let n = 1 + 8 + 8;
      const es = m.entries;
      for (let i = 0; i < es.length; i++) n += 8 + entrySize(es[i]!);
      this.planIndex += es.length;
      return n;
    }
    this.planTerm = m.term;
    const es = m.entries;
    this.planIndex = es.length > 0 ? es[es.length - 1]!.index : m.index;
    return 1 + 8 + messageSize(m);
  }

  /** Writes the record of `m` at `pos` and advances the state; returns the end. */
  write(buf: Uint8Array, pos: number, m: Message): number {
    if (isLinkHeartbeat(m)) {
      buf[pos] = MsgAppV2Kind.LinkHeartbeat;
      return pos + 1;
    }
    const es = m.entries;
    if (this.index === m.index && this.term === m.logTerm && m.logTerm === m.term) {
      buf[pos++] = MsgAppV2Kind.AppEntries;
      pos = writeU64BE(buf, pos, es.length);
      for (let i = 0; i < es.length; i++) {
        const e = es[i]!;
        pos = writeU64BE(buf, pos, entrySize(e));
        pos = writeEntry(buf, pos, e);
      }
      pos = writeU64BE(buf, pos, m.commit);
      this.index += es.length;
      return pos;
    }
    buf[pos++] = MsgAppV2Kind.Message;
    pos = writeU64BE(buf, pos, messageSize(m));
    pos = writeMessage(buf, pos, m);
    this.term = m.term;
    this.index = es.length > 0 ? es[es.length - 1]!.index : m.index;
    return pos;
  }

  /** The records of `msgs` in one buffer (tests and one-offs; the stream writer batches itself). */
  encode(msgs: readonly Message[]): Buffer {
    this.beginPlan();
    let total = 0;
    for (const m of msgs) total += this.recordSize(m);
    const buf = Buffer.allocUnsafe(total);
    let pos = 0;
    for (const m of msgs) pos = this.write(buf, pos, m);
    return buf;
  }
}

/**
 * Incremental msgappv2 decoder of one connection. `local` is this member (the dialer), `remote` the
 * peer writing the stream: AppEntries records carry neither. Feed chunks split anywhere; malformed
 * input throws FrameDecodeError and the decoder stays failed.
 */
export class MsgAppV2Decoder {
  term = 0;
  index = 0;
  /**
   * Bytes accounted for the message `next` returned last: the protobuf size for Message records and
   * link heartbeats (etcd's m.Size()), the record size for AppEntries records.
   */
  lastSize = 0;
  private readonly local: bigint;
  private readonly remote: bigint;
  private readonly q = new ByteQueue();
  /** Lower bound of the bytes the record being read needs, so an incomplete record is not rescanned per chunk. */
  private need = 1;
  private failed: FrameDecodeError | undefined;

  constructor(local: bigint, remote: bigint) {
    this.local = local;
    this.remote = remote;
  }

  get bufferedBytes(): number {
    return this.q.length;
  }

  push(chunk: Uint8Array): void {
    this.q.push(chunk);
  }

  /** The next whole message, or undefined until more bytes arrive. Throws FrameDecodeError. */
  next(): Message | undefined {
    if (this.failed !== undefined) throw this.failed;
    const q = this.q;
    if (q.length < this.need) return undefined;
    const kind = q.byteAt(0);
    if (kind === MsgAppV2Kind.LinkHeartbeat) {
      q.skip(1);
      this.need = 1;
      this.lastSize = LINK_HEARTBEAT_SIZE;
      return { ...LINK_HEARTBEAT, entries: [] };
    }
    if (kind === MsgAppV2Kind.Message) return this.readMessage();
    if (kind === MsgAppV2Kind.AppEntries) return this.readAppEntries();
    throw this.fail('bad-kind', `failed to parse type ${kind} in msgappv2 stream`);
  }

  /** Call at end of stream: throws when a record was cut off. */
  end(): void {
    if (this.failed !== undefined) throw this.failed;
    if (this.q.length > 0) {
      throw this.fail('truncated', `msgappv2 stream ended inside a record (${this.q.length} bytes left)`);
    }
  }

  private u64(at: number, what: string): number {
    const v = this.q.u64At(at);
    if (v < 0) throw this.fail('unsafe-integer', `msgappv2 ${what} does not fit in 2^53`);
    return v;
  }

  private readMessage(): Message | undefined {
    const q = this.q;
    if (q.length < 9) return this.wait(9);
    const size = this.u64(1, 'message length');
    const total = 9 + size;
    if (q.length < total) return this.wait(total);
    const view = q.contiguous(total);
    let m: Message;
    try {
      m = decodeMessage(view.subarray(9, total));
    } catch (err) {
      throw this.fail('protobuf', `msgappv2: bad message record: ${(err as Error).message}`, err);
    }
    q.skip(total);
    this.need = 1;
    this.term = m.term;
    this.index = m.entries.length > 0 ? m.entries[m.entries.length - 1]!.index : m.index;
    this.lastSize = size;
    return m;
  }

  private readAppEntries(): Message | undefined {
    const q = this.q;
    if (q.length < 9) return this.wait(9);
    const n = this.u64(1, 'entry count');
    // Each entry needs at least its 8-byte size prefix: a count beyond the buffered bytes waits.
    let pos = 9;
    if (q.length < pos + 8 * n + 8) return this.wait(pos + 8 * n + 8);
    for (let i = 0; i < n; i++) {
      if (q.length < pos + 8) return this.wait(pos + 8);
      const size = this.u64(pos, 'entry size');
      pos += 8 + size;
      if (q.length < pos) return this.wait(pos + 8 * (n - i - 1) + 8);
    }
    if (q.length < pos + 8) return this.wait(pos + 8);
    const total = pos + 8;
    const view = q.contiguous(total);
    const entries: Entry[] = new Array(n);
    let at = 9;
    let index = this.index;
    try {
      for (let i = 0; i < n; i++) {
        const size = this.u64(at, 'entry size');
        entries[i] = decodeEntry(view.subarray(at + 8, at + 8 + size));
        at += 8 + size;
        index++;
      }
    } catch (err) {
      if (err instanceof FrameDecodeError) throw err;
      throw this.fail('protobuf', `msgappv2: bad entry in AppEntries record: ${(err as Error).message}`, err);
    }
    const commit = this.u64(at, 'commit');
    q.skip(total);
    this.need = 1;
    const m: Message = {
      type: MessageType.MsgApp,
      to: this.local,
      from: this.remote,
      term: this.term,
      logTerm: this.term,
      index: this.index,
      entries,
      commit,
      reject: false,
      rejectHint: 0,
    };
    this.index = index;
    // Record bytes, not m.Size(): sizing the rebuilt message again would cost a pass over its entries.
    this.lastSize = total;
    return m;
  }

  private wait(need: number): undefined {
    // etcd puts no limit on msgappv2 records; a garbage length must not make us buffer forever.
    if (need > MESSAGE_FRAME_MAX_BYTES) {
      this.failed = new FrameDecodeError(
        'frame-too-large',
        `msgappv2 record of at least ${need} bytes exceeds the limit of ${MESSAGE_FRAME_MAX_BYTES} bytes`,
        { tooLarge: true },
      );
      throw this.failed;
    }
    this.need = need;
    return undefined;
  }

  private fail(reason: string, message: string, cause?: unknown): FrameDecodeError {
    this.failed = new FrameDecodeError(reason, message, cause === undefined ? undefined : { cause });
    return this.failed;
  }
}
