/**
 * The IR as the compiler holds it: a table of rows, one per op, each row seven 32-bit fields side by
 * side in one Int32Array, rather than an object per op. A 4 MB program is 1.6 million ops; as objects,
 * allocating and collecting them took longer than everything the passes do with them. `toOps()` turns
 * a table into the `Op` objects of ir.ts, which is how the book and the tests read the IR; the fields
 * mean the same.
 *
 * Row fields, by kind (ir.ts describes each kind):
 *   every op   kind, at, start..end (its span; a check's is the source it guards)
 *   add        a = delta            set   a = value          scan  a = step
 *   move       a = delta, lo..hi = visits
 *   mul        lo..hi = visits; terms and, when CHECKED, its check, in its extra entry; KEEP: a copy
 *   open       CHECKED: an entry check, in its extra entry; ONCE: its close has no test
 *   close      ONCE: no test
 *   out        CONSTANT: the byte is a, known while compiling (the cell is not read)
 *   check      lo..hi = range
 * The few ops with a check of their own or multiply terms keep them in a side store shared by every
 * table of one program (`Extras`), so a row stays seven fields.
 */
import { JitError } from "../errors.ts";
import { type Check, type LineTable, type Op, type Range, Span, type Term } from "./ir.ts";

export const ADD = 0, SET = 1, MOVE = 2, OUT = 3, IN = 4, OPEN = 5, CLOSE = 6, SCAN = 7, MUL = 8, CHECK = 9;
/** flags: the open or mul carries a check; the open's close has no test; the mul keeps its loop cell (a copy). */
export const CHECKED = 1, ONCE = 2, KEEP = 2;
/** flags of an out: the byte is known while compiling (knownValues), and is `a`. */
export const CONSTANT = 2;

const KIND_NAMES = ["add", "set", "move", "out", "in", "open", "close", "scan", "mul", "check"] as const;

// The fields of a row.
// KIND holds the kind (bits 0-3), the flags (bits 4-5) and the row's extra entry (bits 6-30): seven
// fields a row, since a big program's tables are most of its compile's fresh memory.
const KIND = 0, AT = 1, A = 2, LO = 3, HI = 4, START = 5, END = 6, STRIDE = 7;
const EXTRA_SHIFT = 6, MAX_EXTRA = 2 ** 25 - 1;
// The fields of an extra entry.
const CHECK_LO = 0, CHECK_HI = 1, CHECK_START = 2, CHECK_END = 3, TERM_START = 4, TERM_COUNT = 5, EXTRA_STRIDE = 6;

/** What rows point into: checks of their own and multiply terms (entry 0 is "none"). */
export interface Extras {
  /** EXTRA_STRIDE numbers an entry, `entries` of them used (a typed array, grown by doubling). */
  fields: Int32Array;
  entries: number;
  /** Multiply terms, `terms` of them used (typed arrays, grown by doubling; pushTerm adds one). */
  termAt: Int32Array;
  termFactor: Int32Array;
  terms: number;
}

/** `a`, or a copy twice as long (or `need` long) when it has fewer than `need` entries. */
export function withRoom(a: Int32Array, need: number): Int32Array {
  if (need <= a.length) return a;
  const bigger = new Int32Array(Math.max(need, a.length * 2));
  bigger.set(a);
  return bigger;
}

/** Add a multiply term (at, factor) to the side store; it is term number `x.terms - 1`. */
export function pushTerm(x: Extras, at: number, factor: number): void {
  x.termAt = withRoom(x.termAt, x.terms + 1);
  x.termFactor = withRoom(x.termFactor, x.terms + 1);
  x.termAt[x.terms] = at;
  x.termFactor[x.terms] = factor;
  x.terms++;
}

/**
 * The most rows a table holds: 2^24 ops (a 470 MB table; the programs people write have thousands).
 * Past it, compiling stops with E_RANGE and says so, rather than asking for memory it may not get.
 */
export const MAX_ROWS = 2 ** 24;

export class OpTable {
  length = 0;
  data: Int32Array;

  constructor(capacity: number, readonly lines: LineTable, readonly extras: Extras) {
    this.data = new Int32Array(Math.max(capacity, 16) * STRIDE);
  }

  /** A table for a new program's parse. */
  static fresh(capacity: number, lines: LineTable): OpTable {
    return new OpTable(capacity, lines, { fields: new Int32Array(EXTRA_STRIDE * 64), entries: 1, termAt: new Int32Array(64), termFactor: new Int32Array(64), terms: 0 });
  }

  /** An empty table for the same program, with room for `capacity` rows. */
  like(capacity: number): OpTable {
    return new OpTable(capacity, this.lines, this.extras);
  }

  /**
   * An empty table over this one's rows, for a pass that writes its output where it reads its input:
   * fresh memory is what a big program's compile costs most (each new page is a fault), so a pass
   * that never writes more rows than it has read reuses them. Row k may be written only once row k
   * of the input has been read (Writer checks).
   */
  overwrite(): OpTable {
    const t = new OpTable(0, this.lines, this.extras);
    t.data = this.data;
    return t;
  }

  kind(i: number): number {
    return (this.data[i * STRIDE + KIND] as number) & 15;
  }
  flags(i: number): number {
    return ((this.data[i * STRIDE + KIND] as number) >> 4) & 3;
  }
  at(i: number): number {
    return this.data[i * STRIDE + AT] as number;
  }
  a(i: number): number {
    return this.data[i * STRIDE + A] as number;
  }
  lo(i: number): number {
    return this.data[i * STRIDE + LO] as number;
  }
  hi(i: number): number {
    return this.data[i * STRIDE + HI] as number;
  }
  start(i: number): number {
    return this.data[i * STRIDE + START] as number;
  }
  end(i: number): number {
    return this.data[i * STRIDE + END] as number;
  }

  setKind(i: number, kind: number): void {
    const d = this.data, p = i * STRIDE + KIND;
    d[p] = ((d[p] as number) & ~15) | kind;
  }
  addFlags(i: number, flags: number): void {
    this.data[i * STRIDE + KIND] = (this.data[i * STRIDE + KIND] as number) | (flags << 4);
  }
  setAt(i: number, at: number): void {
    this.data[i * STRIDE + AT] = at;
  }
  setA(i: number, a: number): void {
    this.data[i * STRIDE + A] = a;
  }
  setRange(i: number, lo: number, hi: number): void {
    this.data[i * STRIDE + LO] = lo;
    this.data[i * STRIDE + HI] = hi;
  }
  setSpan(i: number, start: number, end: number): void {
    this.data[i * STRIDE + START] = start;
    this.data[i * STRIDE + END] = end;
  }

  /** A new row; its other fields are 0. */
  push(kind: number, at: number, a: number, start: number, end: number): number {
    const i = this.length;
    if ((i + 1) * STRIDE > this.data.length) this.grow();
    this.length = i + 1;
    const d = this.data, p = i * STRIDE;
    d[p + KIND] = kind; // no flags, no extra entry
    d[p + AT] = at;
    d[p + A] = a;
    d[p + LO] = 0;
    d[p + HI] = 0;
    d[p + START] = start;
    d[p + END] = end;
    return i;
  }

  /**
   * Check rows inserted in place: check j (range lo[j]..hi[j], span start[j]..end[j]) goes before row
   * before[j] (ascending). The rows move up from the end, a block per check, into room the table has
   * or grows.
   */
  insertChecks(before: readonly number[], lo: readonly number[], hi: readonly number[], start: readonly number[], end: readonly number[]): void {
    const m = before.length, n = this.length;
    while ((n + m) * STRIDE > this.data.length) this.grow();
    let top = n; // rows before[j] .. top - 1 move up by j + 1
    for (let j = m - 1; j >= 0; j--) {
      const row = before[j] as number;
      this.data.copyWithin((row + j + 1) * STRIDE, row * STRIDE, top * STRIDE);
      const d = this.data, p = (row + j) * STRIDE;
      d[p + KIND] = CHECK;
      d[p + AT] = 0;
      d[p + A] = 0;
      d[p + LO] = lo[j] as number;
      d[p + HI] = hi[j] as number;
      d[p + START] = start[j] as number;
      d[p + END] = end[j] as number;
      top = row;
    }
    this.length = n + m;
  }

  /** Row `i` of `from`, appended. */
  copy(from: OpTable, i: number): number {
    const k = this.length;
    if ((k + 1) * STRIDE > this.data.length) this.grow();
    this.length = k + 1;
    const d = this.data, s = from.data, p = k * STRIDE, q = i * STRIDE;
    for (let f = 0; f < STRIDE; f++) d[p + f] = s[q + f] as number;
    return k;
  }

  // Checks of their own and multiply terms, in the row's extra entry (a new entry on every change, so
  // that a row copied into another table is not changed with it).
  private extra(i: number, field: number): number {
    const e = (this.data[i * STRIDE + KIND] as number) >> EXTRA_SHIFT;
    return this.extras.fields[e * EXTRA_STRIDE + field] as number;
  }
  private setExtra(i: number, checkLo: number, checkHi: number, checkStart: number, checkEnd: number, termStart: number, termCount: number): void {
    const x = this.extras, e = x.entries++;
    if (e > MAX_EXTRA) throw new JitError("E_RANGE", `more than ${MAX_EXTRA} checks and multiply loops`);
    const f = (x.fields = withRoom(x.fields, x.entries * EXTRA_STRIDE)), p = e * EXTRA_STRIDE;
    f[p + CHECK_LO] = checkLo;
    f[p + CHECK_HI] = checkHi;
    f[p + CHECK_START] = checkStart;
    f[p + CHECK_END] = checkEnd;
    f[p + TERM_START] = termStart;
    f[p + TERM_COUNT] = termCount;
    const d = this.data, row = i * STRIDE + KIND;
    d[row] = ((d[row] as number) & ((1 << EXTRA_SHIFT) - 1)) | (e << EXTRA_SHIFT);
  }
  checkLo(i: number): number {
    return this.extra(i, CHECK_LO);
  }
  checkHi(i: number): number {
    return this.extra(i, CHECK_HI);
  }
  checkStart(i: number): number {
    return this.extra(i, CHECK_START);
  }
  checkEnd(i: number): number {
    return this.extra(i, CHECK_END);
  }
  termStart(i: number): number {
    return this.extra(i, TERM_START);
  }
  termCount(i: number): number {
    return this.extra(i, TERM_COUNT);
  }

  /** Give row `i` a check of its own (an open's entry check, a mul's). */
  setCheck(i: number, lo: number, hi: number, start: number, end: number): void {
    this.setExtra(i, lo, hi, start, end, this.termStart(i), this.termCount(i));
    this.addFlags(i, CHECKED);
  }

  /** Give row `i` (a mul) its terms: termAt/termFactor[first .. first + count). */
  setTerms(i: number, first: number, count: number): void {
    this.setExtra(i, this.checkLo(i), this.checkHi(i), this.checkStart(i), this.checkEnd(i), first, count);
  }

  span(i: number): Span {
    return new Span(this.lines, this.start(i), this.end(i));
  }

  private grow(): void {
    const rows = this.data.length / STRIDE;
    if (rows >= MAX_ROWS) throw new JitError("E_RANGE", `the program has more than ${MAX_ROWS.toLocaleString("en-US")} operations after runs are folded (babyjit's limit)`);
    const bigger = new Int32Array(Math.min(2 * rows, MAX_ROWS) * STRIDE);
    bigger.set(this.data);
    this.data = bigger;
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
  const at = t.at(i), a = t.a(i), span = t.span(i);
  const range = (): Range => ({ lo: t.lo(i), hi: t.hi(i) });
  const check = (): Check => ({ range: { lo: t.checkLo(i), hi: t.checkHi(i) }, replay: new Span(t.lines, t.checkStart(i), t.checkEnd(i)) });
  const checked = (t.flags(i) & CHECKED) !== 0;
  const kind = KIND_NAMES[t.kind(i)];
  switch (kind) {
    case "add":
      return { kind, at, delta: a, span };
    case "set":
      return { kind, at, value: a, span };
    case "move":
      return { kind, at, delta: a, visits: range(), span };
    case "out":
      return (t.flags(i) & CONSTANT) !== 0 ? { kind, at, span, value: a } : { kind, at, span };
    case "in":
      return { kind, at, span };
    case "open":
      return checked ? { kind, at, span, entryCheck: check() } : { kind, at, span };
    case "close":
      return (t.flags(i) & ONCE) !== 0 ? { kind, at, span, once: true } : { kind, at, span };
    case "scan":
      return { kind, at, step: a, span };
    case "mul": {
      const terms: Term[] = [];
      const first = t.termStart(i);
      for (let k = first; k < first + t.termCount(i); k++) terms.push({ at: t.extras.termAt[k] as number, factor: t.extras.termFactor[k] as number });
      const keep = (t.flags(i) & KEEP) !== 0 ? { keep: true as const } : {};
      return checked ? { kind, at, terms, visits: range(), span, check: check(), ...keep } : { kind, at, terms, visits: range(), span, ...keep };
    }
    case "check":
      return { kind, at, range: range(), replay: span };
    default:
      throw new Error(`no op kind ${String(t.kind(i))}`);
  }
}
