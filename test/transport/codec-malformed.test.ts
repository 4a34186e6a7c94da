/**
 * Malformed input to the pure decoders: each yields a typed error with a stable code, never a half
 * message, and the decoder stays failed. Also a property: any chunking of any encoded batch
 * decodes to the same messages.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Message, MessageType, newEntry, newMessage } from '../../src/raftpb/index.js';
import { FrameDecodeError, TransportErrorCode } from '../../src/transport/errors.js';
import { encodeFrames, MessageFrameDecoder } from '../../src/transport/message-codec.js';
import { MsgAppV2Decoder, MsgAppV2Encoder } from '../../src/transport/msgappv2-codec.js';
import { fromHex } from '../support/hex.js';

const heartbeat = newMessage({ type: MessageType.MsgHeartbeat, to: 2n, from: 1n, term: 5, commit: 9 });

function expectDecodeError(fn: () => unknown, code: string, reason: string): void {
  assert.throws(fn, (e: unknown) => e instanceof FrameDecodeError && e.code === code && e.reason === reason);
}

describe('message frame decoder rejects bad input', () => {
  it('an oversized length prefix fails with FRAME_TOO_LARGE before any body arrives', () => {
    const d = new MessageFrameDecoder(1024);
    d.push(fromHex('0000000000000401'));
    expectDecodeError(() => d.next(), TransportErrorCode.FrameTooLarge, 'frame-too-large');
    // The decoder stays failed, even if good bytes follow.
    d.push(encodeFrames([heartbeat]));
    expectDecodeError(() => d.next(), TransportErrorCode.FrameTooLarge, 'frame-too-large');
  });

  it('a length prefix at or beyond 2^53 fails', () => {
    const d = new MessageFrameDecoder();
    d.push(fromHex('ffffffffffffffff'));
    expectDecodeError(() => d.next(), TransportErrorCode.FrameTooLarge, 'frame-too-large');
  });

  it('the default limit is etcd readBytesLimit (512 MiB)', () => {
    const ok = new MessageFrameDecoder();
    ok.push(fromHex('0000000020000000'));
    assert.equal(ok.next(), undefined);
    const bad = new MessageFrameDecoder();
    bad.push(fromHex('0000000020000001'));
    expectDecodeError(() => bad.next(), TransportErrorCode.FrameTooLarge, 'frame-too-large');
  });

  it('a truncated protobuf inside a whole frame is BAD_FRAME', () => {
    const d = new MessageFrameDecoder();
    // Frame of 4 bytes whose protobuf claims a 10-byte entries field.
    d.push(fromHex('00000000000000043a0a0800'));
    expectDecodeError(() => d.next(), TransportErrorCode.BadFrame, 'protobuf');
  });

  it('a stream ending inside a frame is BAD_FRAME (truncated), a clean end is fine', () => {
    const whole = encodeFrames([heartbeat, heartbeat]);
    const d = new MessageFrameDecoder();
    d.push(whole.subarray(0, whole.length - 3));
    assert.ok(d.next());
    assert.equal(d.next(), undefined);
    expectDecodeError(() => d.end(), TransportErrorCode.BadFrame, 'truncated');
    const clean = new MessageFrameDecoder();
    clean.push(whole);
    assert.ok(clean.next());
    assert.ok(clean.next());
    clean.end();
  });
});

describe('msgappv2 decoder rejects bad input', () => {
  it('an unknown record kind fails with etcd wording', () => {
    const d = new MsgAppV2Decoder(2n, 1n);
    d.push(fromHex('07'));
    assert.throws(() => d.next(), /failed to parse type 7 in msgappv2 stream/);
  });

  it('a garbage entry inside an AppEntries record is BAD_FRAME and nothing is returned', () => {
    const d = new MsgAppV2Decoder(2n, 1n);
    // kind 1, one entry of 3 bytes "ff ff ff" (bad varint), commit 0.
    d.push(fromHex('01' + '0000000000000001' + '0000000000000003' + 'ffffff' + '0000000000000000'));
    expectDecodeError(() => d.next(), TransportErrorCode.BadFrame, 'protobuf');
  });

  it('a garbage Message record is BAD_FRAME', () => {
    const d = new MsgAppV2Decoder(2n, 1n);
    d.push(fromHex('0200000000000000020880'));
    assert.throws(
      () => d.next(),
      (e: unknown) => e instanceof FrameDecodeError,
    );
  });

  it('an absurd entry count or length fails instead of buffering forever', () => {
    const d = new MsgAppV2Decoder(2n, 1n);
    d.push(fromHex('01' + '00000000ffffffff'));
    expectDecodeError(() => d.next(), TransportErrorCode.FrameTooLarge, 'frame-too-large');
    const d2 = new MsgAppV2Decoder(2n, 1n);
    d2.push(fromHex('02' + '0000001000000000'));
    expectDecodeError(() => d2.next(), TransportErrorCode.FrameTooLarge, 'frame-too-large');
  });

  it('a stream ending inside a record is truncated', () => {
    const d = new MsgAppV2Decoder(2n, 1n);
    d.push(fromHex('0100000000'));
    assert.equal(d.next(), undefined);
    expectDecodeError(() => d.end(), TransportErrorCode.BadFrame, 'truncated');
  });
});

const arbMsgApp = fc.record({
  term: fc.integer({ min: 0, max: 5 }),
  logTerm: fc.integer({ min: 0, max: 5 }),
  index: fc.integer({ min: 0, max: 20 }),
  commit: fc.integer({ min: 0, max: 2 ** 40 }),
  entries: fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 5 }),
  heartbeat: fc.boolean(),
});

describe('decoders are chunking-independent (property)', () => {
  it('msgappv2: a consecutive MsgApp sequence decodes identically for any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(arbMsgApp, { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1 }),
        (specs, splits) => {
          let next = 1;
          const msgs: Message[] = specs.map((s) => {
            if (s.heartbeat) return newMessage({ type: MessageType.MsgHeartbeat });
            const index = next - 1;
            const entries = s.entries.map((data) => newEntry({ term: s.term, index: next++, data }));
            return newMessage({
              type: MessageType.MsgApp,
              to: 2n,
              from: 1n,
              term: s.term,
              logTerm: s.term === s.logTerm ? s.term : s.logTerm,
              index,
              commit: s.commit,
              entries,
            });
          });
          const bytes = new MsgAppV2Encoder().encode(msgs);
          const d = new MsgAppV2Decoder(2n, 1n);
          const out: Message[] = [];
          let pos = 0;
          let k = 0;
          while (pos < bytes.length) {
            const n = splits[k++ % splits.length]!;
            d.push(bytes.subarray(pos, pos + n));
            pos += n;
            for (let m = d.next(); m !== undefined; m = d.next()) out.push(m);
          }
          d.end();
          assert.equal(out.length, msgs.length);
          out.forEach((m, i) => {
            const want = msgs[i]!;
            assert.equal(m.type, want.type);
            assert.equal(m.commit, want.commit);
            assert.equal(m.index, want.index);
            assert.equal(m.term, want.term);
            assert.deepEqual(
              m.entries.map((e) => [e.index, e.term, Buffer.from(e.data ?? []).toString('hex')]),
              want.entries.map((e) => [e.index, e.term, Buffer.from(e.data ?? []).toString('hex')]),
            );
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('message stream: any chunking decodes the same frames', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }),
        (datas, splits) => {
          const msgs = datas.map((data, i) =>
            newMessage({
              type: MessageType.MsgProp,
              to: 2n,
              from: 1n,
              entries: [newEntry({ data, index: i })],
            }),
          );
          const bytes = encodeFrames(msgs);
          const d = new MessageFrameDecoder();
          const out: Message[] = [];
          let pos = 0;
          let k = 0;
          while (pos < bytes.length) {
            const n = splits[k++ % splits.length]!;
            d.push(bytes.subarray(pos, pos + n));
            pos += n;
            for (let m = d.next(); m !== undefined; m = d.next()) out.push(m);
          }
          d.end();
          assert.deepEqual(
            out.map((m) => Buffer.from(m.entries[0]!.data!).toString('hex')),
            datas.map((x) => Buffer.from(x).toString('hex')),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
