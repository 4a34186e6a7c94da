/**
 * The `message` stream encoding (also the head of a snapshot body): each frame is an 8-byte
 * big-endian length followed by that many bytes of raftpb.Message. Pure: no sockets.
 */
import { decodeMessage, type Message, MessageType, messageSize, writeMessage } from '../raftpb/index.js';
import { ByteQueue } from './byte-queue.js';
import { MESSAGE_FRAME_MAX_BYTES } from './constants.js';
import { FrameDecodeError } from './errors.js';

/** Bytes of the length prefix. */
export const FRAME_HEADER_BYTES = 8;

/** etcd's link heartbeat: MsgHeartbeat with every other field zero (From = To = 0). */
export const LINK_HEARTBEAT: Message = Object.freeze({
  type: MessageType.MsgHeartbeat,
  to: 0n,
  from: 0n,
  term: 0,
  logTerm: 0,
  index: 0,
  entries: [],
  commit: 0,
  reject: false,
  rejectHint: 0,
}) as Message;

/** Protobuf size of the link heartbeat (etcd counts it in sent/received bytes). */
export const LINK_HEARTBEAT_SIZE = 30;

/** True for etcd's link heartbeat: receivers discard it. */
export function isLinkHeartbeat(m: Message): boolean {
  return m.type === MessageType.MsgHeartbeat && m.from === 0n && m.to === 0n;
}

/** Writes a big-endian uint64 (a safe integer) at `pos`; returns the end. */
export function writeU64BE(buf: Uint8Array, pos: number, v: number): number {
  const hi = Math.floor(v / 0x1_0000_0000);
  const lo = v >>> 0;
  buf[pos] = hi >>> 24;
  buf[pos + 1] = (hi >>> 16) & 0xff;
  buf[pos + 2] = (hi >>> 8) & 0xff;
  buf[pos + 3] = hi & 0xff;
  buf[pos + 4] = lo >>> 24;
  buf[pos + 5] = (lo >>> 16) & 0xff;
  buf[pos + 6] = (lo >>> 8) & 0xff;
  buf[pos + 7] = lo & 0xff;
  return pos + 8;
}

/** Writes one frame of `m`, whose protobuf size is `size`, at `pos`; returns the end. */
export function writeFrame(buf: Uint8Array, pos: number, m: Message, size: number): number {
  pos = writeU64BE(buf, pos, size);
  return writeMessage(buf, pos, m);
}

/** The frames of `msgs`, concatenated, in one buffer. */
export function encodeFrames(msgs: readonly Message[]): Buffer {
  const sizes = msgs.map(messageSize);
  let total = 0;
  for (const s of sizes) total += FRAME_HEADER_BYTES + s;
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < msgs.length; i++) pos = writeFrame(buf, pos, msgs[i]!, sizes[i]!);
  return buf;
}

/**
 * Incremental decoder of a frame stream. Feed chunks split anywhere with `push`, then call `next`
 * until it returns undefined. Malformed input throws FrameDecodeError and the decoder stays failed:
 * no half-decoded message is ever returned. Decoded entries' data are views into the received chunks.
 */
export class MessageFrameDecoder {
  private readonly q = new ByteQueue();
  private readonly maxFrameBytes: number;
  private failed: FrameDecodeError | undefined;
  /** Protobuf size of the message `next` returned last (etcd's m.Size() for the byte counters). */
  lastSize = 0;

  constructor(maxFrameBytes: number = MESSAGE_FRAME_MAX_BYTES) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Unread buffered bytes. */
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
    if (q.length < FRAME_HEADER_BYTES) return undefined;
    const size = q.u64At(0);
    if (size < 0 || size > this.maxFrameBytes) {
      throw this.fail(
        new FrameDecodeError(
          'frame-too-large',
          `rafthttp: frame length ${size < 0 ? '>= 2^53' : size} exceeds the limit of ${this.maxFrameBytes} bytes`,
          { tooLarge: true },
        ),
      );
    }
    const total = FRAME_HEADER_BYTES + size;
    if (q.length < total) return undefined;
    const view = q.contiguous(total);
    let m: Message;
    try {
      m = decodeMessage(view.subarray(FRAME_HEADER_BYTES, total));
    } catch (err) {
      throw this.fail(
        new FrameDecodeError('protobuf', `rafthttp: bad message in frame: ${(err as Error).message}`, {
          cause: err,
        }),
      );
    }
    q.skip(total);
    this.lastSize = size;
    return m;
  }

  /**
   * Call at end of stream: throws when a frame was cut off (etcd: unexpected EOF). A clean end at a
   * frame boundary returns normally.
   */
  end(): void {
    if (this.failed !== undefined) throw this.failed;
    if (this.q.length > 0) {
      throw this.fail(
        new FrameDecodeError(
          'truncated',
          `rafthttp: stream ended inside a frame (${this.q.length} bytes left)`,
        ),
      );
    }
  }

  /** After the leading frame of a snapshot body: the bytes already buffered past it. */
  takeRest(): Uint8Array[] {
    return this.q.drain();
  }

  private fail(err: FrameDecodeError): FrameDecodeError {
    this.failed = err;
    return err;
  }
}
