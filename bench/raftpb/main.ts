/**
 * bench/raftpb: encode and decode rates of raftwire's codec against etcd 3.4.23's gogoproto code,
 * measured in the same run, interleaved (Go, TS, Go, TS, …), median of the repetitions.
 *
 * Cases: MsgApp with 1×64 B entry and with 64×128 B entries, etcd-style 64-bit member IDs.
 * Encode allocates a new buffer per message, as Go's Marshal does; decode builds a new Message.
 * The same messages also go through the npm libraries the hand-written codec replaced
 * (protobufjs, @bufbuild/protobuf: see libraries.ts), after checking that the hand codec decodes
 * their bytes to the same message; their rates are printed beside it (docs/raftpb.md records them).
 *
 *   node dist/bench/raftpb/main.js [--seconds 1] [--reps 3]
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  decodeMessage,
  type Entry,
  encodeMessage,
  type Message,
  MessageType,
} from '../../src/raftpb/index.js';
import { fmtInt, median, printTable } from '../support/stats.js';
import { type LibraryCodec, protobufEsCodec, protobufjsCodec } from './libraries.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '1' }, reps: { type: 'string', default: '3' } },
});
const seconds = Number(values.seconds);
const reps = Number(values.reps);

const CASES = { 'msgapp-1x64': [1, 64], 'msgapp-64x128': [64, 128] } as const;
type CaseName = keyof typeof CASES;
const OPS = ['encode', 'decode', 'encode+decode'] as const;
type Op = (typeof OPS)[number];

function message(n: number, size: number): Message {
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const data = new Uint8Array(size);
    for (let j = 0; j < size; j++) data[j] = (i * 31 + j) & 0xff;
    entries.push({ term: 5, index: 1001 + i, type: 0, data });
  }
  return {
    type: MessageType.MsgApp,
    to: 0xd622127685879b3cn,
    from: 0x8e9e05c52164694dn,
    term: 5,
    logTerm: 5,
    index: 1000,
    entries,
    commit: 999,
    reject: false,
    rejectHint: 0,
  };
}

let sink = 0;

function measure(op: () => void): number {
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  let ops = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < 256; i++) op();
    ops += 256;
  }
  return (ops * 1000) / (performance.now() - start);
}

function runTs(name: CaseName): Record<Op, number> {
  const [n, size] = CASES[name];
  const m = message(n, size);
  const bytes = encodeMessage(m);
  return {
    encode: measure(() => {
      sink += encodeMessage(m).length;
    }),
    decode: measure(() => {
      sink += decodeMessage(bytes).entries.length;
    }),
    'encode+decode': measure(() => {
      sink += decodeMessage(encodeMessage(m)).entries.length;
    }),
  };
}

const goBin = join(import.meta.dirname, '..', '..', '..', 'build', 'go', 'bench-raftpb');

function runGo(name: CaseName): Record<Op, number> {
  const out = execFileSync(goBin, [name, String(seconds)], { encoding: 'utf8' });
  const result = {} as Record<Op, number>;
  for (const line of out.trim().split('\n')) {
    const r = JSON.parse(line) as { op: Op; opsPerSec: number };
    result[r.op] = r.opsPerSec;
  }
  return result;
}

const LIBS = ['protobufjs', 'protobuf-es'] as const;

/** The libraries' codecs for a case, checked against the hand codec's reading of their bytes. */
function libraryCodecs(name: CaseName): LibraryCodec[] {
  const [n, size] = CASES[name];
  const m = message(n, size);
  const codecs = [protobufjsCodec(m), protobufEsCodec(m)];
  for (const c of codecs) {
    const back = decodeMessage(c.encode());
    const same =
      back.to === m.to &&
      back.from === m.from &&
      back.commit === m.commit &&
      back.entries.length === m.entries.length &&
      back.entries.every(
        (e, i) => e.index === m.entries[i]?.index && e.data?.length === m.entries[i]?.data?.length,
      );
    if (!same) throw new Error(`${c.name}: the hand codec reads its bytes as another message`);
    if (c.decode(encodeMessage(m)) !== n) throw new Error(`${c.name}: cannot decode the hand codec's bytes`);
  }
  return codecs;
}

function runLibs(name: CaseName): Record<string, number> {
  const [n, size] = CASES[name];
  const bytes = encodeMessage(message(n, size));
  const out: Record<string, number> = {};
  for (const c of libraryCodecs(name)) {
    out[`${c.name} encode`] = measure(() => {
      sink += c.encode().length;
    });
    out[`${c.name} decode`] = measure(() => {
      sink += c.decode(bytes);
    });
  }
  return out;
}

const samples = new Map<string, number[]>();
const add = (key: string, v: number) => samples.set(key, [...(samples.get(key) ?? []), v]);

// Warm-up, not recorded: V8 needs a few hundred thousand calls before the codecs run optimized.
for (const name of Object.keys(CASES) as CaseName[]) {
  runTs(name);
  runLibs(name);
}

for (let rep = 0; rep < reps; rep++) {
  for (const name of Object.keys(CASES) as CaseName[]) {
    const go = runGo(name);
    const ts = runTs(name);
    for (const op of OPS) {
      add(`go ${name} ${op}`, go[op]);
      add(`ts ${name} ${op}`, ts[op]);
    }
    for (const [k, v] of Object.entries(runLibs(name))) add(`${k} ${name}`, v);
  }
}

console.log(`raftpb codec, ops/s (median of ${reps} interleaved runs of ${seconds}s each; sink ${sink > 0})`);
const rows: string[][] = [];
for (const name of Object.keys(CASES) as CaseName[]) {
  for (const op of OPS) {
    const go = median(samples.get(`go ${name} ${op}`)!);
    const ts = median(samples.get(`ts ${name} ${op}`)!);
    rows.push([name, op, fmtInt(go), fmtInt(ts), (ts / go).toFixed(2)]);
  }
}
printTable(['case', 'op', 'Go ops/s', 'TS ops/s', 'TS/Go'], rows);

console.log(
  '\nnpm libraries on the same messages, ops/s (hand/lib: how many times faster the hand codec is)',
);
const libRows: string[][] = [];
for (const name of Object.keys(CASES) as CaseName[]) {
  for (const op of ['encode', 'decode'] as const) {
    const ts = median(samples.get(`ts ${name} ${op}`)!);
    const row = [name, op, fmtInt(ts)];
    for (const lib of LIBS) {
      const v = median(samples.get(`${lib} ${op} ${name}`)!);
      row.push(fmtInt(v), (ts / v).toFixed(1));
    }
    libRows.push(row);
  }
}
printTable(['case', 'op', 'hand ops/s', 'protobufjs', 'hand/pbjs', 'protobuf-es', 'hand/es'], libRows);
