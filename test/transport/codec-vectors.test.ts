/**
 * The wire codecs against etcd 3.4.23's vectors: message stream frames, msgappv2 records with their
 * (term, index) state, the snapshot body, version acceptance. Every decoder is fed the bytes split
 * at every position and in 1-byte chunks.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Message } from '../../src/raftpb/index.js';
import { dbFileName } from '../../src/snap/index.js';
import { encodeFrames, MessageFrameDecoder } from '../../src/transport/message-codec.js';
import { MsgAppV2Decoder, MsgAppV2Encoder } from '../../src/transport/msgappv2-codec.js';
import { encodeSnapshotHead, splitSnapshotBody } from '../../src/transport/snapshot-body.js';
import { checkVersionHeaders, streamTypeSupported } from '../../src/transport/version.js';
import { type Json, messageFromJson, messageToJson, stripNames } from '../raftpb/json-form.js';
import { fromHex, toHex } from '../support/hex.js';
import { vectorsDir } from '../support/paths.js';

const load = (name: string): Json => JSON.parse(readFileSync(join(vectorsDir, name), 'utf8'));

interface Decoder {
  push(c: Uint8Array): void;
  next(): Message | undefined;
  end(): void;
}

/** Decodes `bytes` fed in the given chunk sizes (cycled). */
function decodeChunked(make: () => Decoder, bytes: Uint8Array, splits: number[]): Message[] {
  const d = make();
  const out: Message[] = [];
  let pos = 0;
  let k = 0;
  while (pos < bytes.length) {
    const n = Math.max(1, splits[k++ % splits.length]!);
    d.push(bytes.slice(pos, pos + n));
    pos += n;
    for (let m = d.next(); m !== undefined; m = d.next()) out.push(m);
  }
  d.end();
  return out;
}

/** Every way of splitting `bytes` in two, plus 1-byte and 3-byte chunking. */
function allSplits(bytes: Uint8Array): number[][] {
  const out: number[][] = [[bytes.length], [1], [3], [7, 1, 13]];
  for (let i = 1; i < bytes.length; i++) out.push([i, bytes.length]);
  return out;
}

const asJson = (ms: Message[]) => ms.map((m) => stripNames(messageToJson(m)));

describe('message stream codec (message_stream.json)', () => {
  const v = load('message_stream.json');
  const msgs: Message[] = v.frames.map((f: Json) => messageFromJson(f.message));

  it('frames every message byte for byte and concatenates them into the stream', () => {
    v.frames.forEach((f: Json, i: number) => {
      assert.equal(toHex(encodeFrames([msgs[i]!])), f.hex, f.note ?? `frame ${i}`);
    });
    assert.equal(toHex(encodeFrames(msgs)), v.streamHex);
  });

  it('decodes the stream into the same messages however it is split', () => {
    const bytes = fromHex(v.streamHex);
    const want = v.frames.map((f: Json) => stripNames(f.message));
    for (const splits of allSplits(bytes)) {
      assert.deepEqual(
        asJson(decodeChunked(() => new MessageFrameDecoder(), bytes, splits)),
        want,
        `splits ${splits}`,
      );
    }
  });
});

describe('msgappv2 codec (msgappv2_stream.json)', () => {
  const v = load('msgappv2_stream.json');
  const local = BigInt(v.local);
  const remote = BigInt(v.remote);

  it('encodes each step to its record and (term, index) state', () => {
    const enc = new MsgAppV2Encoder();
    for (const [i, step] of v.steps.entries()) {
      const rec = enc.encode([messageFromJson(step.input)]);
      assert.equal(toHex(rec), step.hex, `step ${i} (${step.kindName})`);
      assert.deepEqual(
        { term: String(enc.term), index: String(enc.index) },
        step.stateAfter,
        `state after step ${i}`,
      );
    }
  });

  it('encodes the whole sequence as one batch into the stream bytes', () => {
    const enc = new MsgAppV2Encoder();
    assert.equal(toHex(enc.encode(v.steps.map((s: Json) => messageFromJson(s.input)))), v.streamHex);
  });

  it('decodes the stream into the decoded messages however it is split, tracking state', () => {
    const bytes = fromHex(v.streamHex);
    const want = v.steps.map((s: Json) => stripNames(s.decoded));
    for (const splits of allSplits(bytes)) {
      assert.deepEqual(
        asJson(decodeChunked(() => new MsgAppV2Decoder(local, remote), bytes, splits)),
        want,
        `splits ${splits}`,
      );
    }
    const d = new MsgAppV2Decoder(local, remote);
    for (const [i, step] of v.steps.entries()) {
      d.push(fromHex(step.hex));
      assert.ok(d.next(), `step ${i}`);
      assert.deepEqual({ term: String(d.term), index: String(d.index) }, step.stateAfter);
    }
  });
});

describe('snapshot body (snapshot_body.json)', () => {
  const v = load('snapshot_body.json');
  const m = messageFromJson(v.message);

  it('is the message frame followed by the database bytes', () => {
    assert.equal(toHex(encodeSnapshotHead(m)), v.messageFrameHex);
    assert.equal(toHex(encodeSnapshotHead(m)) + v.dbHex, v.bodyHex);
    assert.equal(dbFileName(m.snapshot!.metadata.index), v.dbFileName);
  });

  it('splits a received body into the message and the database bytes at any chunking', async () => {
    const body = fromHex(v.bodyHex);
    for (const splits of allSplits(body)) {
      async function* source() {
        let pos = 0;
        let k = 0;
        while (pos < body.length) {
          const n = splits[k++ % splits.length]!;
          yield body.slice(pos, pos + n);
          pos += n;
        }
      }
      const got = await splitSnapshotBody(source(), 1 << 20);
      assert.deepEqual(stripNames(messageToJson(got.message)), stripNames(v.message));
      const db: Uint8Array[] = [];
      for await (const c of got.db) db.push(c);
      assert.equal(toHex(Buffer.concat(db)), v.dbHex, `splits ${splits}`);
      assert.equal(got.messageSize + v.dbHex.length / 2, v.senderTotalSize);
    }
  });
});

describe('version checks (version_compat.json)', () => {
  const v = load('version_compat.json');
  it('accepts and rejects request headers as etcd 3.4.23 does', () => {
    for (const c of v.requestChecks) {
      const r = checkVersionHeaders(c.xServerVersion, c.xMinClusterVersion);
      assert.equal(r.ok, c.compatible, JSON.stringify(c));
      if (!r.ok) {
        assert.equal(r.malformed, false);
        assert.equal(r.reason, c.error);
      }
    }
  });
  it('accepts stream types by the response X-Server-Version as the etcd dialer does', () => {
    for (const c of v.streamTypeSupport) {
      assert.equal(
        streamTypeSupported(c.responseXServerVersion, c.streamType),
        c.accepted,
        JSON.stringify(c),
      );
    }
  });
  it('treats malformed versions as malformed (etcd panics and drops the connection)', () => {
    for (const bad of ['3.4', 'v3.4.23', 'abc', '3.4.23.1']) {
      const r = checkVersionHeaders(bad, '3.0.0');
      assert.equal(r.ok, false);
      assert.equal(r.ok === false && r.malformed, true, bad);
      assert.equal(streamTypeSupported(bad, 'message'), undefined);
    }
  });
});
