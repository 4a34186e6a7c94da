/**
 * The register model the checker steps: one register per key, states interned as ids of their
 * canonical JSON text (id 0 is absent, `null`). Each operation is compiled to a kind and its
 * arguments' state ids, so a step is a few integer comparisons.
 */
import { canonicalJson } from './json-value.js';

/** What one operation does to the register, by outcome. */
export const Kind = {
  /** ok read: allowed only when the state is the value read. */
  Read: 0,
  /** write (ok or unknown) and delete: the state becomes the value. */
  Write: 1,
  /** ok cas: allowed only when the state is `expected`; it becomes `new`. */
  CasOk: 2,
  /** failed cas: allowed only when the state is not `expected` (a read that saw something else). */
  CasFail: 3,
  /** unknown cas: swaps when the state is `expected`, otherwise leaves it. */
  CasInfo: 4,
  /** ok append: the state (absent = "") must be a string; the argument is appended. */
  AppendOk: 5,
  /** unknown append: appends to a string or absent state, leaves any other state. */
  AppendInfo: 6,
} as const;
/** One of the Kind values. */
export type Kind = (typeof Kind)[keyof typeof Kind];

/** The state id of absent (`null`). */
export const ABSENT = 0;

/** Interned register states of one key. */
export class StateTable {
  private readonly ids = new Map<string, number>([['null', ABSENT]]);
  /** The raw string of each state that is a JSON string (for append), else undefined. */
  private readonly strings: (string | undefined)[] = [undefined];
  private readonly texts: string[] = ['null'];
  private readonly appendMemo = new Map<number, number>();
  /** `opCount`: how many operations the key has (append results are memoized per state and op). */
  constructor(private readonly opCount: number) {}

  /** The id of a value's state. */
  idOf(value: unknown): number {
    return this.idOfText(canonicalJson(value), typeof value === 'string' ? value : undefined);
  }

  private idOfText(text: string, raw: string | undefined): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.texts.length;
      this.ids.set(text, id);
      this.texts.push(text);
      this.strings.push(raw);
    }
    return id;
  }

  /** Canonical JSON text of a state. */
  text(id: number): string {
    return this.texts[id]!;
  }

  /** The state after appending string `arg` (operation `op`) to `state`, or -1 if not a string. */
  append(state: number, op: number, arg: string): number {
    const memoKey = state * this.opCount + op;
    const known = this.appendMemo.get(memoKey);
    if (known !== undefined) return known;
    let result = -1;
    if (state === ABSENT) result = this.idOfText(JSON.stringify(arg), arg);
    else {
      const s = this.strings[state];
      if (s !== undefined) {
        const joined = s + arg;
        result = this.idOfText(JSON.stringify(joined), joined);
      }
    }
    this.appendMemo.set(memoKey, result);
    return result;
  }
}

/** One operation compiled for the search. */
export interface ModelOp {
  /** The operation's index among its key's operations (stable across searches of that key). */
  id: number;
  kind: Kind;
  /** Read: value read; Write: value written; cas: expected. */
  a: number;
  /** cas: new value. */
  b: number;
  /** append: the string appended. */
  arg: string;
  /** Event positions of the call and the return (Infinity: may take effect any time after the call). */
  call: number;
  ret: number;
}

/** The state after `op` from `state`, or -1 when the operation cannot take effect in that state. */
export function step(table: StateTable, op: ModelOp, state: number): number {
  switch (op.kind) {
    case Kind.Read:
      return state === op.a ? state : -1;
    case Kind.Write:
      return op.a;
    case Kind.CasOk:
      return state === op.a ? op.b : -1;
    case Kind.CasFail:
      return state !== op.a ? state : -1;
    case Kind.CasInfo:
      return state === op.a ? op.b : state;
    case Kind.AppendOk:
      return table.append(state, op.id, op.arg);
    case Kind.AppendInfo: {
      const next = table.append(state, op.id, op.arg);
      return next < 0 ? state : next;
    }
  }
}
