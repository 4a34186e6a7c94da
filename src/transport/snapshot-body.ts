/**
 * The POST /raft/snapshot body: one message-stream frame carrying the MsgSnap, then the raw
 * database bytes until the end of the body. Pure helpers; the sender and handler do the I/O.
 */
import type { Message } from '../raftpb/index.js';
import { FrameDecodeError, TransportError, TransportErrorCode } from './errors.js';
import { encodeFrames, MessageFrameDecoder } from './message-codec.js';

/** The head of a snapshot body: the frame of `m`. */
export function encodeSnapshotHead(m: Message): Buffer {
  return encodeFrames([m]);
}

/**
 * Yields the chunks of `source`, checking that exactly `dbSize` bytes come out when it is given
 * (etcd's exact-length reader): more or fewer bytes throw SnapshotSizeMismatch. `onProgress` is
 * called with each chunk's length.
 */
export async function* exactLength(
  source: AsyncIterable<Uint8Array>,
  dbSize: number | undefined,
  onProgress: (bytes: number) => void,
): AsyncGenerator<Uint8Array> {
  let seen = 0;
  for await (const chunk of source) {
    seen += chunk.length;
    if (dbSize !== undefined && seen > dbSize) {
      throw new TransportError(
        TransportErrorCode.SnapshotSizeMismatch,
        `snapshot body yields more than its declared ${dbSize} bytes`,
      );
    }
    onProgress(chunk.length);
    yield chunk;
  }
  if (dbSize !== undefined && seen < dbSize) {
    throw new TransportError(
      TransportErrorCode.SnapshotSizeMismatch,
      `snapshot body ended after ${seen} of its declared ${dbSize} bytes`,
    );
  }
}

/** The leading message of a snapshot body and an iterable over the database bytes after it. */
export interface SplitSnapshotBody {
  message: Message;
  /** Protobuf size of the message. */
  messageSize: number;
  /** The database bytes (what was buffered past the frame, then the rest of the source). */
  db: AsyncIterable<Uint8Array>;
}

/**
 * Reads the leading frame off `source`. Throws FrameDecodeError when the body ends inside it or it
 * is malformed (etcd answers 400 "failed to decode raft message (…)").
 */
export async function splitSnapshotBody(
  source: AsyncIterator<Uint8Array>,
  maxFrameBytes: number,
): Promise<SplitSnapshotBody> {
  const dec = new MessageFrameDecoder(maxFrameBytes);
  for (;;) {
    const m = dec.next();
    if (m !== undefined) {
      const rest = dec.takeRest();
      return { message: m, messageSize: dec.lastSize, db: dbBytes(rest, source) };
    }
    const r = await source.next();
    if (r.done) {
      dec.end();
      throw new FrameDecodeError('truncated', 'unexpected EOF');
    }
    dec.push(r.value);
  }
}

async function* dbBytes(first: Uint8Array[], source: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const c of first) yield c;
  for (;;) {
    const r = await source.next();
    if (r.done) return;
    yield r.value;
  }
}
