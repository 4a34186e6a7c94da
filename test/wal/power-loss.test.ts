/**
 * Power-loss test: the WAL runs on a file layer that loses unsynced writes (test/wal/lossy-fs.ts)
 * and crashes at a seeded operation count, keeping a random subset of the pending sectors. After
 * each crash the WAL is reopened on the real file system: every acknowledged entry and hard state
 * must be there, and whatever follows must be whole (torn records are repaired away). Both sync
 * modes; the crash can hit create, readAll (and its repair), saves and segment cuts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Entry } from '../../src/raftpb/index.js';
import { Wal, walExists } from '../../src/wal/index.js';
import { CRASH_METADATA, crashEntry, crashEntryData, crashHardState, prng } from './fixtures/crash-model.js';
import { tempRoot } from './helpers.js';
import { lossyFs } from './lossy-fs.js';

const ROUNDS = 60;
const ZERO = { index: 0, term: 0 };

interface Acked {
  terms: number[]; // terms[i] is the term of entry i; length - 1 is the last durable index
  hsFrom: number;
  hsTerm: number;
}

async function verify(dir: string, round: number, acked: Acked): Promise<void> {
  const w = await Wal.open(dir, ZERO);
  try {
    const c = await w.readAll();
    assert.deepEqual([...c.metadata], [...CRASH_METADATA]);
    const es: Entry[] = c.entries;
    const last = acked.terms.length - 1;
    assert.ok(es.length >= last, `round ${round}: ${es.length} entries < ${last} acknowledged`);
    for (let i = 0; i < es.length; i++) {
      const e = es[i] as Entry;
      assert.equal(e.index, i + 1);
      if (e.index <= last) assert.equal(e.term, acked.terms[e.index], `round ${round}: term of ${e.index}`);
      assert.ok(
        Buffer.from(e.data ?? []).equals(crashEntryData(e.index, e.term)),
        `round ${round}: data of ${e.index}`,
      );
    }
    if (acked.hsTerm > 0) {
      const want = crashHardState(acked.hsFrom, acked.hsTerm);
      assert.ok(
        c.hardState.term >= want.term && c.hardState.commit >= want.commit,
        `round ${round}: hard state`,
      );
    }
    acked.terms = [0, ...es.map((e) => e.term)];
  } finally {
    await w.close();
  }
}

for (const sync of ['fdatasync', 'o_dsync'] as const) {
  describe(`power loss (${sync})`, () => {
    let t: Awaited<ReturnType<typeof tempRoot>>;
    before(async () => {
      t = await tempRoot();
    });
    after(() => t.dispose());

    it(`keeps every acknowledged entry over ${ROUNDS} simulated power cuts`, async (ctx) => {
      const rand = prng(sync === 'fdatasync' ? 0xd15c : 0xd5c0);
      const acked: Acked = { terms: [0], hsFrom: 0, hsTerm: 0 };
      let crashes = 0;
      let acks = 0;
      for (let round = 1; round <= ROUNDS; round++) {
        const lossy = lossyFs(1 + Math.floor(rand() * 80), rand);
        const options = { fs: lossy.fs, segmentSizeBytes: 4096, sync };
        let wal: Wal | undefined;
        let next = 1;
        try {
          if (await walExists(t.dir)) {
            wal = await Wal.open(t.dir, ZERO, options);
            const c = await wal.readAll();
            next = (c.entries[c.entries.length - 1]?.index ?? 0) + 1;
          } else {
            wal = await Wal.create(t.dir, CRASH_METADATA, options);
          }
          const w = wal;
          await new Promise<void>((done, fail) => {
            let inFlight = 0;
            const pump = (): void => {
              while (inFlight < 3 && !lossy.crashed) {
                const from = next;
                const to = from + Math.floor(rand() * 6);
                next = to + 1;
                const ents: Entry[] = [];
                for (let i = from; i <= to; i++) ents.push(crashEntry(i, round));
                inFlight++;
                w.save(crashHardState(from, round), ents).then(
                  () => {
                    inFlight--;
                    acks++;
                    acked.terms.length = from;
                    for (let i = from; i <= to; i++) acked.terms[i] = round;
                    acked.hsFrom = from;
                    acked.hsTerm = round;
                    pump();
                  },
                  (e: unknown) => {
                    inFlight--;
                    if (!lossy.crashed) fail(e);
                    else if (inFlight === 0) done();
                  },
                );
              }
            };
            pump();
          });
        } catch (e) {
          if (!lossy.crashed) throw e;
        }
        assert.ok(lossy.crashed);
        crashes++;
        await wal?.close().catch(() => undefined);
        if (await walExists(t.dir)) await verify(t.dir, round, acked);
      }
      ctx.diagnostic(`${crashes} crashes, ${acks} acknowledged saves, ${acked.terms.length - 1} entries`);
      assert.ok(acks > ROUNDS, `only ${acks} acknowledged saves`);
    });
  });
}
