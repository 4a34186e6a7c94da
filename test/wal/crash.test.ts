/**
 * Crash test: a child process appends batches and reports each acknowledged (durable) one; the
 * parent SIGKILLs it at a random moment (seeded), reopens the WAL and checks that every
 * acknowledged entry and hard state is there and that whatever follows is whole and exactly what
 * was written. Then the next round's child continues the same log (taking over the stale lock,
 * repairing a torn tail, cutting segments). Set RAFTWIRE_CRASH_SEED to replay a run.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Wal, walExists } from '../../src/wal/index.js';
import { type Fixture, nextLine, startFixture } from './child.js';
import { CRASH_METADATA, crashEntryData, crashHardState, prng } from './fixtures/crash-model.js';
import { tempRoot } from './helpers.js';

const ROUNDS = 40;
const SEGMENT_BYTES = 48 * 1024;
const SEED = Number(process.env.RAFTWIRE_CRASH_SEED ?? 0x5eed) >>> 0;

/** What the parent knows is durable: the last acknowledged index and its round. */
interface Acked {
  lastIndex: number;
  /** term (round) of each acknowledged entry, by index. */
  terms: number[];
  /** from-index of the last acknowledged batch, and its round (the hard state saved with it). */
  hs: { from: number; term: number } | undefined;
}

async function runRound(dir: string, round: number, rand: () => number, acked: Acked): Promise<string> {
  const f: Fixture = startFixture('crash-writer', [
    dir,
    String(round),
    String((rand() * 2 ** 32) >>> 0),
    String(SEGMENT_BYTES),
  ]);
  // Some rounds die during startup and recovery (timed from spawn), most while appending (timed
  // from the writer's `ready`).
  const early = rand() < 0.2;
  const delayMs = early ? Math.floor(rand() * 150) : 5 + Math.floor(rand() * 150);
  let readyAt = -1;
  let acks = 0;
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const reader = (async () => {
    for (;;) {
      const line = await nextLine(f);
      if (line === undefined) return;
      const [kind, a, b] = line.split(' ');
      if (kind === 'ready') {
        readyAt = Number(a);
        assert.ok(
          readyAt >= acked.lastIndex,
          `round ${round}: reopened at ${readyAt} < acked ${acked.lastIndex}`,
        );
        onReady();
        continue;
      }
      assert.equal(kind, 'ack', line);
      const from = Number(a);
      const to = Number(b);
      assert.ok(
        from <= acked.lastIndex + 1 || readyAt >= from - 1,
        `round ${round}: ack ${line} leaves a gap`,
      );
      for (let i = from; i <= to; i++) acked.terms[i] = round;
      acked.terms.length = to + 1;
      acked.lastIndex = to;
      acked.hs = { from, term: round };
      acks++;
    }
  })();
  if (!early) await Promise.race([ready, f.exited]);
  await sleep(delayMs);
  f.child.kill('SIGKILL');
  await f.exited;
  await reader;
  assert.equal(f.stderr(), '', `round ${round}: the writer failed`);
  return `${early ? 'early' : 'late'}:${acks}`;
}

/**
 * Opens the WAL and checks it against what was acknowledged. Whatever was read back is then
 * held to the same standard: SIGKILL keeps the page cache, so a later reopen must find it again.
 * Returns the entry count.
 */
async function verify(dir: string, round: number, acked: Acked): Promise<number> {
  const w = await Wal.open(dir, { index: 0, term: 0 });
  try {
    const c = await w.readAll();
    assert.deepEqual([...c.metadata], [...CRASH_METADATA]);
    const es = c.entries;
    assert.ok(
      es.length >= acked.lastIndex,
      `round ${round}: ${es.length} entries < ${acked.lastIndex} acknowledged`,
    );
    let prevTerm = 0;
    for (let i = 0; i < es.length; i++) {
      const e = es[i];
      assert.ok(e !== undefined);
      assert.equal(e.index, i + 1, `round ${round}: entry ${i} has index ${e.index}`);
      if (e.index <= acked.lastIndex)
        assert.equal(e.term, acked.terms[e.index], `round ${round}: term of ${e.index}`);
      assert.ok(e.term >= prevTerm, `round ${round}: terms go back at ${e.index}`);
      prevTerm = e.term;
      const data = Buffer.from(e.data ?? new Uint8Array(0));
      assert.ok(data.equals(crashEntryData(e.index, e.term)), `round ${round}: data of ${e.index}`);
    }
    if (acked.hs !== undefined) {
      const want = crashHardState(acked.hs.from, acked.hs.term);
      const hs = c.hardState;
      assert.ok(hs.term >= want.term, `round ${round}: hard state term ${hs.term} < ${want.term}`);
      assert.ok(hs.commit >= want.commit, `round ${round}: commit ${hs.commit} < ${want.commit}`);
      assert.ok(hs.commit <= es.length);
      assert.equal(hs.vote, crashHardState(1, hs.term).vote);
    }
    acked.terms = [0, ...es.map((e) => e.term)];
    acked.lastIndex = es.length;
    return es.length;
  } finally {
    await w.close();
  }
}

describe('crash test (SIGKILL at random moments)', () => {
  let t: Awaited<ReturnType<typeof tempRoot>>;
  before(async () => {
    t = await tempRoot();
  });
  after(() => t.dispose());

  it(`keeps every acknowledged entry and hard state over ${ROUNDS} kills (seed ${SEED})`, async (ctx) => {
    const rand = prng(SEED);
    const acked: Acked = { lastIndex: 0, terms: [], hs: undefined };
    const outcomes: string[] = [];
    let maxEntries = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      outcomes.push(await runRound(t.dir, round, rand, acked));
      if (!(await walExists(t.dir))) {
        // Killed before create finished: nothing was acknowledged, nothing may be there.
        assert.equal(acked.lastIndex, 0);
        continue;
      }
      maxEntries = await verify(t.dir, round, acked);
    }
    const names = await readdir(t.dir);
    const segments = names.filter((n) => n.endsWith('.wal'));
    ctx.diagnostic(
      `entries ${acked.lastIndex}, segments ${segments.length}, repaired tails ${names.filter((n) => n.endsWith('.broken')).length}, rounds ${outcomes.join(' ')}`,
    );
    // The run must have appended across several segments and acknowledged in most rounds.
    assert.ok(segments.length > 2, `only ${segments.length} segments`);
    assert.ok(acked.lastIndex > 100, `only ${acked.lastIndex} entries acknowledged`);
    assert.ok(maxEntries >= acked.lastIndex);
    const withAcks = outcomes.filter((o) => !o.endsWith(':0')).length;
    assert.ok(withAcks > ROUNDS / 3, `acks in only ${withAcks} rounds: ${outcomes.join(' ')}`);
  });
});
