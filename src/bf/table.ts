/**
 * The IR as the compiler holds it: a table with one typed array per field and one row per op, rather
 * than an object per op. A 4 MB program is 1.6 million ops; as objects, allocating them and collecting
 * them took longer than everything the passes do with them. `toOps()` turns a table into the `Op`
 * objects of ir.ts, which is how the book and the tests read the IR; the fields mean the same.
 *
 * Row fields, by kind (ir.ts describes each kind):
 *   every op   kind, at, start..end (its span; a check's is the source it guards)
 *   add        a = delta            set   a = value          scan  a = step
 *   move       a = delta, lo..hi = visits
 *   mul        lo..hi = visits, terms[termStart .. termStart + termCount), and a check when CHECKED
 *   open       an entry check when CHECKED        close  ONCE: no test
 *   check      lo..hi = range
 * A check of its own (open, mul) is checkLo..checkHi with the span checkStart..checkEnd.
 */
import { type Check, type LineTable, type Op, type Range, Span, type Term } from "./ir.ts";

export const ADD = 0, SET = 1, MOVE = 2, OUT = 3, IN = 4, OPEN = 5, CLOSE = 6, SCAN = 7, MUL = 8, CHECK = 9;
/** flags: the open or mul carries a check; the close has no test. */
export const CHECKED = 1, ONCE = 2;

const KIND_NAMES = ["add", "set", "move", "out", "in", "open", "close", "scan", "mul", "check"] as const;

/** Multiply terms, shared by every table made from one parse (rows point into it). */
export interface Terms {
  readonly at: number[];
  readonly factor: number[];
}

export class OpTable {
  length = 0;
  kind: Uint8Array;
  flags: Uint8Array;
  at: Int32Array;
  a: Int32Array;
  lo: Int32Array;
  hi: Int32Array;
  start: Int32Array;
  end: Int32Array;
  checkLo: Int32Array;
  checkHi: Int32Array;
  checkStart: Int32Array;
  checkEnd: Int32Array;
  termStart: Int32Array;
  termCount: Int32Array;

  constructor(capacity: number, readonly lines: LineTable, readonly terms: Terms) {
    const n = Math.max(capacity, 16);
    this.kind = new Uint8Array(n);
    this.flags = new Uint8Array(n);
    this.at = new Int32Array(n);
    this.a = new Int32Array(n);
    this.lo = new Int32Array(n);
    this.hi = new Int32Array(n);
    this.start = new Int32Array(n);
    this.end = new Int32Array(n);
    this.checkLo = new Int32Array(n);
    this.checkHi = new Int32Array(n);
    this.checkStart = new Int32Array(n);
    this.checkEnd = new Int32Array(n);
    this.termStart = new Int32Array(n);
    this.termCount = new Int32Array(n);
  }

  /** An empty table for the same program, with room for `capacity` rows. */
  like(capacity: number): OpTable {
    return new OpTable(capacity, this.lines, this.terms);
  }

  /** A new row; its other fields are 0. */
  push(kind: number, at: number, a: number, start: number, end: number): number {
    const i = this.length;
    if (i === this.kind.length) this.grow();
    this.length = i + 1;
    this.kind[i] = kind;
    this.flags[i] = 0;
    this.at[i] = at;
    this.a[i] = a;
    this.lo[i] = 0;
    this.hi[i] = 0;
    this.start[i] = start;
    this.end[i] = end;
    return i;
  }

  /** Row `i` of `from`, appended. */
  copy(from: OpTable, i: number): number {
    const k = this.length;
    if (k === this.kind.length) this.grow();
    this.length = k + 1;
    this.setRow(k, from, i);
    return k;
  }

  /** Row `k` becomes a copy of row `i` of `from`. */
  setRow(k: number, from: OpTable, i: number): void {
    this.kind[k] = from.kind[i] as number;
    this.flags[k] = from.flags[i] as number;
    this.at[k] = from.at[i] as number;
    this.a[k] = from.a[i] as number;
    this.lo[k] = from.lo[i] as number;
    this.hi[k] = from.hi[i] as number;
    this.start[k] = from.start[i] as number;
    this.end[k] = from.end[i] as number;
    this.checkLo[k] = from.checkLo[i] as number;
    this.checkHi[k] = from.checkHi[i] as number;
    this.checkStart[k] = from.checkStart[i] as number;
    this.checkEnd[k] = from.checkEnd[i] as number;
    this.termStart[k] = from.termStart[i] as number;
    this.termCount[k] = from.termCount[i] as number;
  }

  /** Give row `i` a check of its own (an open's entry check, a mul's). */
  setCheck(i: number, lo: number, hi: number, start: number, end: number): void {
    this.flags[i] = (this.flags[i] as number) | CHECKED;
    this.checkLo[i] = lo;
    this.checkHi[i] = hi;
    this.checkStart[i] = start;
    this.checkEnd[i] = end;
  }

  span(i: number): Span {
    return new Span(this.lines, this.start[i] as number, this.end[i] as number);
  }

  private grow(): void {
    const n = this.kind.length * 2;
    const u8 = (a: Uint8Array) => {
      const b = new Uint8Array(n);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.kind = u8(this.kind);
    this.flags = u8(this.flags);
    this.at = i32(this.at);
    this.a = i32(this.a);
    this.lo = i32(this.lo);
    this.hi = i32(this.hi);
    this.start = i32(this.start);
    this.end = i32(this.end);
    this.checkLo = i32(this.checkLo);
    this.checkHi = i32(this.checkHi);
    this.checkStart = i32(this.checkStart);
    this.checkEnd = i32(this.checkEnd);
    this.termStart = i32(this.termStart);
    this.termCount = i32(this.termCount);
  }
}

/** The table as `Op` objects (ir.ts): for the book, the tests and `brainfuckIr`. */
export function toOps(t: OpTable): Op[] {
  const ops: Op[] = [];
  for (let i = 0; i < t.length; i++) ops.push(toOp(t, i));
  return ops;
}

/** Row `i` as an `Op` object. */
export function toOp(t: OpTable, i: number): Op {
  const at = t.at[i] as number, a = t.a[i] as number, span = t.span(i);
  const range = (): Range => ({ lo: t.lo[i] as number, hi: t.hi[i] as number });
  const check = (): Check => ({
    range: { lo: t.checkLo[i] as number, hi: t.checkHi[i] as number },
    replay: new Span(t.lines, t.checkStart[i] as number, t.checkEnd[i] as number),
  });
  const checked = ((t.flags[i] as number) & CHECKED) !== 0;
  const kind = KIND_NAMES[t.kind[i] as number];
  switch (kind) {
    case "add":
      return { kind, at, delta: a, span };
    case "set":
      return { kind, at, value: a, span };
    case "move":
      return { kind, at, delta: a, visits: range(), span };
    case "out":
    case "in":
      return { kind, at, span };
    case "open":
      return checked ? { kind, at, span, entryCheck: check() } : { kind, at, span };
    case "close":
      return ((t.flags[i] as number) & ONCE) !== 0 ? { kind, at, span, once: true } : { kind, at, span };
    case "scan":
      return { kind, at, step: a, span };
    case "mul": {
      const terms: Term[] = [];
      const first = t.termStart[i] as number;
      for (let k = first; k < first + (t.termCount[i] as number); k++) terms.push({ at: t.terms.at[k] as number, factor: t.terms.factor[k] as number });
      return checked ? { kind, at, terms, visits: range(), span, check: check() } : { kind, at, terms, visits: range(), span };
    }
    case "check":
      return { kind, at, range: range(), replay: span };
    default:
      throw new Error(`no op kind ${String(t.kind[i])}`);
  }
}
