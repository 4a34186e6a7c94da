/**
 * Random gob streams for the differential test of the raftexample gob decoder: canonical kv
 * entries, streams with arbitrary type definitions (structs, slices, arrays, maps, GobEncoder
 * blobs, interfaces) built the way Go's encoder lays them out, and byte-level mutations of both.
 */

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Gen {
  constructor(readonly rnd: () => number) {}
  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  chance(p: number): boolean {
    return this.rnd() < p;
  }
  bytes(n: number): number[] {
    return Array.from({ length: n }, () => this.int(256));
  }
  /** A length skewed to small values, sometimes past the one- and two-byte uint forms. */
  len(): number {
    const r = this.rnd();
    if (r < 0.3) return 0;
    if (r < 0.8) return this.int(20);
    if (r < 0.95) return 100 + this.int(200);
    return 65_000 + this.int(1000);
  }
}

export function guint(n: bigint | number): number[] {
  let v = BigInt(n);
  if (v < 128n) return [Number(v)];
  const out: number[] = [];
  while (v > 0n) {
    out.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return [256 - out.length, ...out];
}

export function gint(n: number): number[] {
  const v = BigInt(n);
  return guint(v < 0n ? ((-v - 1n) << 1n) | 1n : v << 1n);
}

const gstring = (b: number[]): number[] => [...guint(b.length), ...b];
const ascii = (s: string): number[] => [...new TextEncoder().encode(s)];
export const message = (body: number[]): number[] => [...guint(body.length), ...body];

type TypeDesc =
  | { kind: 'struct'; fields: [string, number][] }
  | { kind: 'slice'; elem: number }
  | { kind: 'array'; elem: number; len: number }
  | { kind: 'map'; key: number; elem: number }
  | { kind: 'gobenc' };

function commonType(name: string, id: number): number[] {
  return [1, 1, ...gstring(ascii(name)), 1, ...gint(id), 0];
}

/** The definition message of type `id`, laid out as Go's encoder writes a wireType. */
export function definition(id: number, name: string, t: TypeDesc): number[] {
  return message(definitionBody(id, name, t));
}

/** A definition without its message length: type id −id, then the wireType. */
function definitionBody(id: number, name: string, t: TypeDesc): number[] {
  let body: number[];
  switch (t.kind) {
    case 'struct': {
      const fields = t.fields.flatMap(([n, fid]) => [1, ...gstring(ascii(n)), 1, ...gint(fid), 0]);
      body = [3, ...commonType(name, id), 1, ...guint(t.fields.length), ...fields, 0, 0];
      break;
    }
    case 'slice':
      body = [2, ...commonType(name, id), 1, ...gint(t.elem), 0, 0];
      break;
    case 'array':
      body = [1, ...commonType(name, id), 1, ...gint(t.elem), 1, ...gint(t.len), 0, 0];
      break;
    case 'map':
      body = [4, ...commonType(name, id), 1, ...gint(t.key), 1, ...gint(t.elem), 0, 0];
      break;
    case 'gobenc':
      body = [5, ...commonType(name, id), 0, 0];
      break;
  }
  return [...gint(-id), ...body];
}

/** A random stream: definitions of a few user types and a value of the struct type chosen for kv. */
export function structuredStream(g: Gen): Uint8Array {
  const types = new Map<number, TypeDesc>();
  const builtin = [1, 2, 3, 4, 5, 6, 6, 6, 7, 8];
  const anyType = (below: number): number => {
    const user = [...types.keys()].filter((id) => id < below);
    return user.length > 0 && g.chance(0.4) ? g.pick(user) : g.pick(builtin);
  };
  const nTypes = g.int(4);
  for (let i = 0; i < nTypes; i++) {
    const id = 66 + i;
    const kind = g.pick(['struct', 'slice', 'array', 'map', 'gobenc'] as const);
    let t: TypeDesc;
    if (kind === 'struct') {
      const nf = g.int(3);
      t = { kind, fields: Array.from({ length: nf }, (_, k) => [`F${k}`, anyType(id)]) };
    } else if (kind === 'slice') t = { kind, elem: anyType(id) };
    else if (kind === 'array') t = { kind, elem: anyType(id), len: g.int(3) };
    else if (kind === 'map') t = { kind, key: anyType(id), elem: anyType(id) };
    else t = { kind };
    types.set(id, t);
  }
  const names = ['Key', 'Val', 'X', 'Y', 'Key', 'Val'];
  const nf = g.int(5);
  const fields: [string, number][] = Array.from({ length: nf }, () => {
    const name = g.chance(0.03) ? '' : g.pick(names);
    const isKv = name === 'Key' || name === 'Val';
    return [name, isKv && g.chance(0.9) ? 6 : anyType(1000)];
  });
  const valueId = g.chance(0.9) ? 65 : g.pick([18, 21, 66, 64]);
  types.set(65, { kind: 'struct', fields });

  let inlineId = 90;
  const value = (id: number, depth: number): number[] => {
    if (depth > 4) return [0];
    switch (id) {
      case 1:
      case 2:
      case 3:
      case 4:
        return guint(g.chance(0.5) ? g.int(128) : g.int(1 << 30));
      case 5:
      case 6:
        return gstring(g.bytes(g.chance(0.9) ? g.int(12) : g.len()));
      case 7:
        return [...guint(g.int(300)), ...guint(g.int(300))];
      case 8: {
        if (g.chance(0.3)) return [0, ...gint(6), ...message(gstring(g.bytes(3)))];
        if (g.chance(0.4)) {
          // A concrete type defined inline, in the same message, before the value's type id.
          const id = inlineId++;
          const t: TypeDesc = g.chance(0.5)
            ? { kind: 'slice', elem: g.pick([2, 6]) }
            : { kind: 'struct', fields: [['A', g.pick([2, 6])]] };
          const inner =
            t.kind === 'slice'
              ? [...guint(1), ...(t.elem === 6 ? gstring(g.bytes(2)) : guint(5))]
              : [1, ...guint(3), 0];
          return [
            ...gstring(ascii('T')),
            ...definitionBody(id, `I${id}`, t),
            ...guint(g.int(40)),
            ...gint(id),
            ...message(inner),
          ];
        }
        const inner = gstring(g.bytes(g.int(5)));
        return [...gstring(ascii('T')), ...gint(6), ...message(inner)];
      }
    }
    const t = types.get(id);
    if (t === undefined) return [0];
    switch (t.kind) {
      case 'struct': {
        const out: number[] = [];
        let last = -1;
        t.fields.forEach(([, fid], k) => {
          if (g.chance(0.3)) return;
          out.push(...guint(k - last), ...value(fid, depth + 1));
          last = k;
        });
        if (g.chance(0.9)) out.push(0);
        return out;
      }
      case 'slice': {
        const n = g.int(3);
        return [...guint(n), ...Array.from({ length: n }, () => value(t.elem, depth + 1)).flat()];
      }
      case 'array':
        return [...guint(t.len), ...Array.from({ length: t.len }, () => value(t.elem, depth + 1)).flat()];
      case 'map': {
        const n = g.int(3);
        return [
          ...guint(n),
          ...Array.from({ length: n }, () => [
            ...value(t.key, depth + 1),
            ...value(t.elem, depth + 1),
          ]).flat(),
        ];
      }
      case 'gobenc':
        return gstring(g.bytes(g.int(6)));
    }
  };

  const defs = [...types.entries()].map(([id, t]) => definition(id, id === 65 ? 'kv' : `T${id}`, t));
  // Definitions in a random order (Go compiles only when the value arrives).
  for (let i = defs.length - 1; i > 0; i--) {
    const j = g.int(i + 1);
    [defs[i], defs[j]] = [defs[j] as number[], defs[i] as number[]];
  }
  const body = [...gint(valueId), ...value(valueId === 64 ? 65 : valueId, 0)];
  const out = [...defs.flat(), ...message(body)];
  if (g.chance(0.1)) out.push(...g.bytes(g.int(4)));
  return Uint8Array.from(out);
}

const SPECIAL = [0x00, 0x01, 0x02, 0x03, 0x0c, 0x7f, 0x80, 0x81, 0x82, 0xf7, 0xf8, 0xfe, 0xff];

/** One to three byte-level mutations: replace, insert, delete, truncate, duplicate a slice. */
export function mutate(g: Gen, input: Uint8Array): Uint8Array {
  let b = [...input];
  const n = 1 + g.int(3);
  for (let i = 0; i < n; i++) {
    const at = g.int(b.length + 1);
    switch (g.int(6)) {
      case 0:
        if (b.length > 0) b[Math.min(at, b.length - 1)] = g.chance(0.5) ? g.pick(SPECIAL) : g.int(256);
        break;
      case 1:
        b.splice(at, 0, g.chance(0.5) ? g.pick(SPECIAL) : g.int(256));
        break;
      case 2:
        b.splice(at, 1);
        break;
      case 3:
        b = b.slice(0, at);
        break;
      case 4: {
        const len = 1 + g.int(8);
        b.splice(at, 0, ...b.slice(at, at + len));
        break;
      }
      case 5:
        if (b.length > 0) {
          const j = Math.min(at, b.length - 1);
          b[j] = (b[j] as number) ^ (1 << g.int(8));
        }
        break;
    }
  }
  return Uint8Array.from(b);
}
