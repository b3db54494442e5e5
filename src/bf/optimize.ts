/**
 * The optimizer: each pass is a function from an op table to a new op table (table.ts: one row per op),
 * run in the order of PASSES. Every pass keeps the I/O order exactly and keeps the tape-bounds
 * guarantee: placeChecks() runs after the loop rewrites (which record every cell a rewritten loop
 * would have visited) and before deferMoves() (which only renames positions), so each stretch of code
 * is checked against exactly the cells the program itself would have visited. knownValues runs last,
 * on the checked, offset code: it only drops or replaces ops, and keeps the check of anything it makes
 * straight code. A big program makes a million ops, so tables grow by doubling and no hot loop
 * allocates; every pass is linear in the ops it reads (test/bf.test.ts compiles n and 4n and compares).
 */
import { JitError } from "../errors.ts";
import { type RowSink, parse, tableFor } from "./parse.ts";
import { ADD, CHECK, CHECKED, CLOSE, CONSTANT, IN, KEEP, MOVE, MUL, ONCE, OPEN, OUT, OpTable, SCAN, SET, pushTerm } from "./table.ts";

/** The optional passes, in the order they run; placeChecks always runs (after ifLoops, before deferMoves). */
export const PASSES = ["clearLoops", "scanLoops", "mulLoops", "deadLoops", "combineSets", "ifLoops", "deferMoves", "onceLoops", "knownValues"] as const;
export type PassName = (typeof PASSES)[number];

/**
 * Run the chosen passes (all by default) and place the bounds checks. The table given is used up.
 *
 * Six walks for ten passes (ifLoops and knownValues walk alone). The three loop rewrites look for the same thing, an innermost loop of
 * adds and moves, and what one makes of a loop the others never match, so one walk tries them in
 * turn; deadLoops and combineSets, which only look at the op written before, are steps of the Writer
 * that walk writes through. onceLoops is the same for deferMoves. Each table is the one the passes
 * would make one after another. The loop rewrites and deferMoves write over the rows they read: a row
 * never becomes more than one. placeChecks adds rows, and inserts them in place, from the end.
 */
export function optimize(ops: OpTable, passes: readonly PassName[] = PASSES): OpTable {
  const first = firstWalk(passes);
  const out = first === undefined ? ops : rewriteLoops(ops, first.rules, new Writer(ops, ops.length, first.steps, "over"));
  return optimizeRead(out, passes);
}

/**
 * parse() and optimize()'s first walk in one: each row goes through the first walk as the parser
 * reads it, so a big program never has a table of its unrewritten rows (fresh memory is most of what
 * a big compile costs). Then optimizeRead() does the rest: together, the table optimize(parse(source)) makes.
 */
export function readProgram(source: string, passes: readonly PassName[] = PASSES): OpTable {
  const first = firstWalk(passes);
  if (first === undefined) return parse(source);
  return parse(source, new ReadingWalk(tableFor(source), first.rules, first.steps));
}

/** The walks after the first: ifLoops, placeChecks, then deferMoves (with onceLoops) or onceLoops alone. */
export function optimizeRead(ops: OpTable, passes: readonly PassName[] = PASSES): OpTable {
  const on = new Set(passes);
  let out = placeChecks(on.has("ifLoops") ? ifLoops(ops) : ops);
  const once = { onceLoops: on.has("onceLoops") };
  if (on.has("deferMoves")) out = deferMoves(out, new Writer(out, out.length, once, "over"));
  else if (once.onceLoops) out = onceLoops(out);
  if (on.has("knownValues")) out = knownValues(out);
  return out;
}

type Steps = { readonly deadLoops: boolean; readonly combineSets: boolean };

/** The rules and Writer steps of the first walk, or undefined when the passes chosen have none. */
function firstWalk(passes: readonly PassName[]): { rules: LoopRule[]; steps: Steps } | undefined {
  const on = new Set(passes);
  const rules = LOOP_RULES.filter(([name]) => on.has(name)).map(([, rule]) => rule);
  const steps = { deadLoops: on.has("deadLoops"), combineSets: on.has("combineSets") };
  return rules.length > 0 || steps.deadLoops || steps.combineSets ? { rules, steps } : undefined;
}

/**
 * The first walk, fed by the parser a row at a time. Rows go through the Writer as they come; at each
 * `]`, a loop whose body so far holds only adds and moves (the innermost kind rewriteLoops looks for)
 * has its rows in the output, and is offered to the rules there: one that takes it writes its row where
 * the `[` was. Writing the loop first changes nothing a rule could see: no step drops or merges an
 * add or a move inside a loop that is written, nor the row before the `[`, and a loop whose `[` was
 * dropped (deadLoops) is dropped whole either way.
 */
class ReadingWalk implements RowSink {
  private readonly writer: Writer;
  private readonly opens: number[] = []; // the row of each `[` not closed yet (-1: dropped), innermost last
  private readonly simple: boolean[] = []; // for each: whether its body so far holds only adds and moves
  constructor(readonly table: OpTable, private readonly rules: readonly LoopRule[], steps: Steps) {
    this.writer = new Writer(table, 0, steps, "into");
  }

  appended(row: number): void {
    const w = this.writer, out = this.table, kind = out.kind(row);
    if (kind === ADD || kind === MOVE) {
      w.settle(row);
      return;
    }
    if (kind === CLOSE) {
      const open = this.opens.pop() ?? -1, simple = this.simple.pop() === true;
      if (simple && open >= 0 && this.rules.length > 0) {
        out.length = open; // a rule reads the rows from the `[` to this `]` and writes its row where the `[` was
        for (const rule of this.rules) if (rule(out, open, row, w)) return;
        out.length = row + 1; // no rule took it: as it was
      }
      w.settle(row);
      return;
    }
    const top = this.simple.length - 1;
    if (top >= 0) this.simple[top] = false;
    w.settle(row);
    if (kind === OPEN) {
      this.opens.push(out.length > row ? row : -1);
      this.simple.push(true);
    }
  }
}

/**
 * An op table written one row at a time, through the passes that only look at what was written last:
 * the ones chosen of deadLoops, combineSets and onceLoops, in that order.
 */
class Writer {
  readonly out: OpTable;
  // The steps chosen (plain fields: read for every row).
  private readonly deadLoops: boolean;
  private readonly combineSets: boolean;
  private readonly onceLoops: boolean;
  private zero = true; // deadLoops: the cell under the pointer is known to be 0
  private dropping = 0; // deadLoops: how deep in a loop being dropped
  private readonly opens: number[] = []; // onceLoops: the rows of the opens written and not closed yet
  /**
   * Where the output goes: "new", a new table with room for `size` rows; "over", over the rows of
   * `like` as they are read (OpTable.overwrite: `like` is used up); "into", `like` itself, whose rows
   * someone else appends and settle() passes through the steps.
   */
  constructor(like: OpTable, size: number, steps: { readonly [pass in "deadLoops" | "combineSets" | "onceLoops"]?: boolean }, where: "new" | "over" | "into" = "new") {
    this.out = where === "over" ? like.overwrite() : where === "into" ? like : like.like(size);
    this.deadLoops = steps.deadLoops === true;
    this.combineSets = steps.combineSets === true;
    this.onceLoops = steps.onceLoops === true;
  }

  /**
   * Row `k`, just appended to the output by someone else (the parser, for ReadingWalk), through the
   * same steps as write(): dropped, or merged into the row before it, or kept. The output is also the
   * table being read then, so the Writer must write in place.
   */
  settle(k: number): void {
    const out = this.out, kind = out.kind(k);
    // Taken by a step: the row is dropped (a merge has already changed the row before it).
    if ((this.deadLoops && this.dead(kind, out.a(k))) || (this.combineSets && this.combined(out, k, kind, out.at(k), k - 1))) out.length = k;
  }

  /** Write row `i` of `from` (moved by `shift` cells), unless a step takes it. */
  write(from: OpTable, i: number, shift = 0): void {
    const out = this.out;
    if (from.data === out.data && out.length > i) throw new JitError("E_INTERNAL", `a pass writing in place would overwrite row ${i} before reading it`);
    const kind = from.kind(i), at = from.at(i) + shift;
    if (this.deadLoops && this.dead(kind, from.a(i))) return;
    if (this.combineSets && this.combined(from, i, kind, at, out.length - 1)) return;
    const k = out.copy(from, i);
    out.setAt(k, at);
    if (!this.onceLoops) return;
    if (kind === OPEN) this.opens.push(k);
    else if (kind === CLOSE) {
      const open = this.opens.pop();
      if (!this.zeroedBefore(k, at)) return;
      this.out.addFlags(k, ONCE);
      if (open !== undefined) this.out.addFlags(open, ONCE); // so the code generator knows at the `[`
    }
  }

  writeAll(from: OpTable): OpTable {
    for (let i = 0; i < from.length; i++) this.write(from, i);
    return this.out;
  }

  /**
   * deadLoops: loops that can never run, one right after a `]` (the cell is 0 there, the comment-loop
   * idiom), right after a `set 0`, or at the very start (the tape starts zeroed). Dropped, body and
   * all; so are the rewritten loops (clear, scan, multiply) in such a place, which would do nothing there.
   */
  private dead(kind: number, a: number): boolean {
    if (this.dropping > 0) {
      if (kind === OPEN) this.dropping++;
      else if (kind === CLOSE) this.dropping--;
      return true;
    }
    if (this.zero && (kind === MUL || kind === SCAN || (kind === SET && a === 0))) return true;
    if (this.zero && kind === OPEN) {
      this.dropping = 1;
      return true;
    }
    this.zero = kind === CLOSE || kind === SCAN || (kind === SET && a === 0) || kind === MUL;
    return false;
  }

  /** combineSets: straight-line stores to one cell: `set v` then `add d` is `set v+d`; `add` or `set` then `set w` is `set w`. */
  private combined(from: OpTable, i: number, kind: number, at: number, last: number): boolean {
    if (kind !== SET && kind !== ADD) return false;
    const out = this.out;
    if (last < 0 || out.at(last) !== at) return false;
    const lastKind = out.kind(last) as number;
    if (lastKind !== SET && lastKind !== ADD) return false;
    if (kind === SET) out.setA(last, from.a(i));
    else if (kind === ADD && lastKind === SET) out.setA(last, (out.a(last) + from.a(i)) & 0xff);
    else return false;
    out.setKind(last, SET);
    out.setSpan(last, out.start(last), from.end(i)); // the span covers both
    return true;
  }

  /**
   * onceLoops: a `]` right after an op that leaves the same cell at 0 (another `]`, a clear, a
   * multiply loop, a scan) can never jump back: its test is left out (`once`). Nested loops that end
   * together, as in `[[...]]`, then pay for one test instead of several.
   */
  private zeroedBefore(k: number, at: number): boolean {
    const out = this.out, last = k - 1;
    if (last < 0 || out.at(last) !== at) return false;
    const kind = out.kind(last) as number;
    return kind === CLOSE || kind === MUL || kind === SCAN || (kind === SET && out.a(last) === 0);
  }
}

/** A loop rewrite: given a loop of adds and moves (rows open to close), write what it becomes and say so. */
type LoopRule = (ops: OpTable, open: number, close: number, out: Writer) => boolean;

/**
 * Every innermost loop whose body holds only adds and moves, replaced by what the first rule that
 * takes it makes of it. (A rewritten loop is no add or move, so no enclosing loop becomes one.)
 */
function rewriteLoops(ops: OpTable, rules: readonly LoopRule[], out: Writer): OpTable {
  for (let i = 0; i < ops.length; i++) {
    const end = ops.kind(i) === OPEN && rules.length > 0 ? simpleLoopEnd(ops, i) : -1;
    let rewritten = false;
    for (let r = 0; end >= 0 && !rewritten && r < rules.length; r++) rewritten = (rules[r] as LoopRule)(ops, i, end, out);
    if (!rewritten) out.write(ops, i);
    else i = end;
  }
  return out.out;
}

/** The innermost loop starting at row i (an open) when its body holds only adds and moves: the row of its close, or -1. */
function simpleLoopEnd(ops: OpTable, i: number): number {
  for (let j = i + 1; j < ops.length; j++) {
    const kind = ops.kind(j);
    if (kind === CLOSE) return j;
    if (kind !== ADD && kind !== MOVE) return -1;
  }
  return -1;
}

/**
 * One row to write through a Writer, for an op a pass makes rather than copies (the table-level
 * fields, lines and terms, are never copied, so one scratch row serves every program).
 */
const SCRATCH = OpTable.fresh(1, { lineColumn: () => ({ line: 0, column: 0 }) });
function made(kind: number, at: number, a: number, start: number, end: number): number {
  SCRATCH.length = 0;
  return SCRATCH.push(kind, at, a, start, end);
}

/** A rewritten loop: one row for the whole loop, `[` to `]`, written through the Writer's steps. */
function writeLoopAs(ops: OpTable, open: number, close: number, out: Writer, kind: number, a: number): number {
  out.write(SCRATCH, made(kind, ops.at(open) as number, a, ops.start(open) as number, ops.end(close) as number));
  return out.out.length - 1;
}

/**
 * `[-]`, `[+]`, `[---]`: a loop whose body only adds an odd amount to its own cell always ends with
 * the cell at 0 (an odd step reaches 0 from any byte), so it becomes `set 0`. (`[--]` may never end.)
 */
export const clearLoops = (ops: OpTable): OpTable => rewriteLoops(ops, [clearLoop], new Writer(ops, ops.length, {}));
function clearLoop(ops: OpTable, open: number, close: number, out: Writer): boolean {
  if (close !== open + 2 || ops.kind(open + 1) !== ADD || (ops.a(open + 1) as number) % 2 !== 1) return false;
  writeLoopAs(ops, open, close, out, SET, 0);
  return true;
}

/** `[>]`, `[<<]`, `[>>>>>>>>>]`: a loop that only moves becomes a scan for a zero cell, `step` cells at a time. */
export const scanLoops = (ops: OpTable): OpTable => rewriteLoops(ops, [scanLoop], new Writer(ops, ops.length, {}));
function scanLoop(ops: OpTable, open: number, close: number, out: Writer): boolean {
  const body = open + 1, delta = ops.a(body) as number;
  if (close !== open + 2 || ops.kind(body) !== MOVE || delta === 0) return false;
  if (ops.lo(body) !== Math.min(0, delta) || ops.hi(body) !== Math.max(0, delta)) return false; // no `>><`
  writeLoopAs(ops, open, close, out, SCAN, delta);
  return true;
}

/** The inverse of an odd number modulo 256 (Newton's iteration: each step doubles the correct bits). */
function inverse256(odd: number): number {
  let x = odd;
  for (let k = 0; k < 3; k++) x = (x * (2 - odd * x)) & 0xff;
  return x & 0xff;
}

/**
 * Balanced loops of adds and moves, like `[->+>++<<]`: the body runs n times, where n makes the loop
 * cell reach 0. With the loop cell changing by an odd d per pass, n = v * (-1/d) mod 256 for a cell
 * value v, so every other cell the body adds f to gains v * (f * -1/d). The loop becomes one `mul`:
 * each target += v * factor, then the loop cell = 0; with `visits`, every cell the loop passed over.
 */
export const mulLoops = (ops: OpTable): OpTable => rewriteLoops(ops, [mulLoop], new Writer(ops, ops.length, {}));
let sumAt = new Int32Array(64), touched = new Uint8Array(64); // mulLoop's scratch, by cell - lo: what the body adds, and whether it adds
function mulLoop(ops: OpTable, open: number, close: number, out: Writer): boolean {
  // Two walks over the body, so that the cells can be kept by position in arrays the size of the
  // range it visits (no longer than the body's source): linear, where a sorted list was quadratic.
  let position = 0, lo = 0, hi = 0;
  for (let j = open + 1; j < close; j++) {
    if (ops.kind(j) !== MOVE) continue;
    lo = Math.min(lo, position + (ops.lo(j) as number));
    hi = Math.max(hi, position + (ops.hi(j) as number));
    position += ops.a(j) as number;
  }
  if (position !== 0) return false;
  const width = hi - lo + 1;
  if (sumAt.length < width) {
    sumAt = new Int32Array(Math.max(width, sumAt.length * 2));
    touched = new Uint8Array(sumAt.length);
  }
  sumAt.fill(0, 0, width);
  touched.fill(0, 0, width);
  for (let j = open + 1; j < close; j++) {
    if (ops.kind(j) === ADD) {
      sumAt[position - lo] = ((sumAt[position - lo] as number) + (ops.a(j) as number)) & 0xff;
      touched[position - lo] = 1;
    } else position += ops.a(j) as number;
  }
  const cells: number[] = [], sums: number[] = [];
  for (let k = 0; k < width; k++) {
    if (touched[k] === 0) continue;
    cells.push(k + lo);
    sums.push(sumAt[k] as number);
  }
  const own = sums[cells.indexOf(0)] ?? 0;
  if (own % 2 === 0) return false;
  const scale = (256 - inverse256(own)) & 0xff; // -1/d
  const terms = ops.extras, first = terms.terms;
  for (let k = 0; k < cells.length; k++) {
    const at = cells[k] as number, factor = ((sums[k] as number) * scale) & 0xff;
    if (at !== 0 && factor !== 0) {
      pushTerm(terms, at, factor);
    }
  }
  const count = terms.terms - first;
  if (count === 0 && lo === 0 && hi === 0) {
    writeLoopAs(ops, open, close, out, SET, 0);
    return true;
  }
  const before = out.out.length;
  const row = writeLoopAs(ops, open, close, out, MUL, 0);
  if (out.out.length > before) {
    const t = out.out;
    t.setRange(row, lo, hi);
    t.setTerms(row, first, count);
  }
  return true;
}

/**
 * ifLoops: a balanced loop of adds, moves and sets whose own cell only steps by an odd amount and
 * that sets some other cell, like `t[f[-]t-]` ("if t then f = 0", written as a count). It runs n
 * times, as a multiply loop does; but every pass after the first leaves a cell it sets just as the
 * first pass did, and a cell it only adds to gains n times the add. So it is a conditional: the body
 * once, without the adds to its own cell and to the add-only cells, then a `mul` that makes those
 * adds n times over and clears the loop cell (a `set 0` when there are none). onceLoops then takes
 * the test out of its `]`, so the loop is an `if`.
 */
export function ifLoops(ops: OpTable): OpTable {
  const out = new Writer(ops, ops.length, {}, "over");
  for (let i = 0; i < ops.length; i++) {
    const end = ops.kind(i) === OPEN ? storeLoopEnd(ops, i) : -1;
    if (end >= 0 && ifLoop(ops, i, end, out)) i = end;
    else out.write(ops, i);
  }
  return out.out;
}

/** The innermost loop starting at row i (an open) when its body holds only adds, moves and sets: the row of its close, or -1. */
function storeLoopEnd(ops: OpTable, i: number): number {
  for (let j = i + 1; j < ops.length; j++) {
    const kind = ops.kind(j);
    if (kind === CLOSE) return j;
    if (kind !== ADD && kind !== MOVE && kind !== SET) return -1;
  }
  return -1;
}

let setAt = new Uint8Array(64); // ifLoop's scratch, by cell - lo: whether the body sets the cell
function ifLoop(ops: OpTable, open: number, close: number, out: Writer): boolean {
  let position = 0, lo = 0, hi = 0, sets = 0;
  for (let j = open + 1; j < close; j++) {
    const kind = ops.kind(j);
    if (kind === SET) sets++;
    if (kind !== MOVE) continue;
    lo = Math.min(lo, position + (ops.lo(j) as number));
    hi = Math.max(hi, position + (ops.hi(j) as number));
    position += ops.a(j) as number;
  }
  if (position !== 0 || sets === 0) return false;
  const width = hi - lo + 1;
  if (sumAt.length < width) {
    sumAt = new Int32Array(Math.max(width, sumAt.length * 2));
    touched = new Uint8Array(sumAt.length);
  }
  if (setAt.length < width) setAt = new Uint8Array(sumAt.length);
  sumAt.fill(0, 0, width);
  touched.fill(0, 0, width);
  setAt.fill(0, 0, width);
  for (let j = open + 1; j < close; j++) {
    const kind = ops.kind(j), k = position - lo;
    if (kind === MOVE) position += ops.a(j) as number;
    else if (kind === SET) setAt[k] = 1;
    else {
      sumAt[k] = ((sumAt[k] as number) + (ops.a(j) as number)) & 0xff;
      touched[k] = 1;
    }
  }
  const own = sumAt[-lo] as number;
  if (setAt[-lo] === 1 || own % 2 === 0) return false;
  const scale = (256 - inverse256(own)) & 0xff; // -1/d
  const terms = ops.extras, first = terms.terms;
  for (let k = 0; k < width; k++) {
    const factor = ((sumAt[k] as number) * scale) & 0xff;
    if (touched[k] === 1 && setAt[k] === 0 && k !== -lo && factor !== 0) pushTerm(terms, k + lo, factor);
  }
  const count = terms.terms - first;
  // Everything read is in the scratch arrays and the rows are written no further on than they are read.
  out.write(ops, open);
  for (let j = open + 1; j < close; j++) {
    const kind = ops.kind(j), k = position - lo;
    if (kind === MOVE) position += ops.a(j) as number;
    if (kind === MOVE || kind === SET || (kind === ADD && setAt[k] === 1)) out.write(ops, j);
  }
  const at = ops.at(close), start = ops.start(close), end = ops.end(close);
  if (count === 0) out.write(SCRATCH, made(SET, at, 0, start, end));
  else {
    out.write(SCRATCH, made(MUL, at, 0, start, end));
    const t = out.out, row = t.length - 1;
    t.setRange(row, lo, hi);
    t.setTerms(row, first, count);
  }
  out.write(ops, close);
  return true;
}

const LOOP_RULES: readonly (readonly [PassName, LoopRule])[] = [["clearLoops", clearLoop], ["scanLoops", scanLoop], ["mulLoops", mulLoop]];

/** deadLoops and combineSets alone (see Writer). */
export const deadLoops = (ops: OpTable): OpTable => new Writer(ops, ops.length, { deadLoops: true }).writeAll(ops);
export const combineSets = (ops: OpTable): OpTable => new Writer(ops, ops.length, { combineSets: true }).writeAll(ops);

/**
 * For each loop (by the row of its open): is it balanced, that is, is the pointer the same at the
 * start of every pass through its body? True when its moves add up to 0 and it holds no scan and no
 * loop that is not balanced itself.
 */
export function balancedLoops(ops: OpTable): Uint8Array {
  const balanced = new Uint8Array(ops.length); // 1: balanced
  // The loops open here, innermost last: where each opened, its moves so far, and whether it can still be balanced.
  const index: number[] = [], delta: number[] = [], ok: boolean[] = [];
  let top = -1;
  for (let i = 0; i < ops.length; i++) {
    const kind = ops.kind(i);
    if (kind === OPEN) {
      top++;
      index[top] = i;
      delta[top] = 0;
      ok[top] = true;
    } else if (kind === MOVE && top >= 0) delta[top] = (delta[top] as number) + (ops.a(i) as number);
    else if (kind === SCAN && top >= 0) ok[top] = false;
    else if (kind === CLOSE && top >= 0) {
      const b = ok[top] === true && delta[top] === 0;
      balanced[index[top] as number] = b ? 1 : 0;
      top--;
      if (top >= 0 && !b) ok[top] = false;
    }
  }
  return balanced;
}

/**
 * Bounds checks. The code is cut into stretches that have no I/O and no loop (adds, sets, moves and
 * the rewritten loops); each gets one check, at its start, of every cell the stretch visits (moves
 * included: `><` at the last cell leaves the tape). A stretch ends after an I/O op, so the output
 * written before a failure is exactly what the program wrote. A check is left out when the cells it
 * covers are already known to be on the tape: since the last time the pointer changed, or, in a
 * balanced loop, since the loop was entered. A balanced loop's first stretch is checked once, on entry
 * (`entryCheck`), not on every pass. A `mul` is conditional (it does nothing when its cell is 0), so
 * the cells only it visits get a check of their own, taken only when it runs. A scan checks where it stops.
 */
export function placeChecks(ops: OpTable): OpTable {
  const balanced = balancedLoops(ops);
  // Decided first, row numbers staying put: the checks of their own are set on the opens and muls
  // themselves, and the new check rows are listed (before which row, range, span), then inserted in
  // one pass from the end. The rows move up in place: no second table, so no fresh memory for one.
  const before: number[] = [], rangeLo: number[] = [], rangeHi: number[] = [], spanStart: number[] = [], spanEnd: number[] = [];
  // The loops open here, innermost last: what was known on entry, and whether the loop is balanced.
  const frameLo: number[] = [], frameHi: number[] = [], frameBalanced: boolean[] = [];
  let knownLo = 0, knownHi = 0; // cells relative to the pointer known to be on the tape
  // The stretch being built: the row its check would go before, the range visited relative to its
  // start, and where the pointer is now relative to that start; its first and last rows (-1: none
  // yet); its multiply loops, by row and position.
  let slot = 0, lo = 0, hi = 0, position = 0, first = -1, last = -1;
  const mulIndex: number[] = [], mulPosition: number[] = [];
  let hoistInto = -1; // the open of a balanced loop whose body's first stretch is being built

  const begin = (next: number) => {
    slot = next;
    lo = hi = position = 0;
    first = last = -1;
    mulIndex.length = mulPosition.length = 0;
  };
  const end = () => {
    if (first >= 0) {
      const need = lo < knownLo || hi > knownHi;
      const coverLo = need ? Math.min(knownLo, lo) : knownLo, coverHi = need ? Math.max(knownHi, hi) : knownHi;
      if (need) {
        const start = ops.start(first), stop = ops.end(last);
        if (hoistInto >= 0 && ops.kind(hoistInto) === OPEN) ops.setCheck(hoistInto, lo, hi, start, stop);
        else {
          before.push(slot);
          rangeLo.push(lo);
          rangeHi.push(hi);
          spanStart.push(start);
          spanEnd.push(stop);
        }
      }
      for (let k = 0; k < mulIndex.length; k++) {
        const mul = mulIndex[k] as number, at = mulPosition[k] as number;
        if (ops.lo(mul) + at >= coverLo && ops.hi(mul) + at <= coverHi) continue;
        ops.setCheck(mul, ops.lo(mul), ops.hi(mul), ops.start(mul), ops.end(mul));
      }
      knownLo = coverLo - position;
      knownHi = coverHi - position;
    }
    hoistInto = -1;
  };

  begin(0);
  for (let i = 0; i < ops.length; i++) {
    switch (ops.kind(i)) {
      case ADD:
      case SET:
        last = i;
        if (first < 0) first = i;
        break;
      case MOVE:
        lo = Math.min(lo, position + ops.lo(i));
        hi = Math.max(hi, position + ops.hi(i));
        position += ops.a(i);
        last = i;
        if (first < 0) first = i;
        break;
      case MUL:
        mulIndex.push(i);
        mulPosition.push(position);
        last = i;
        if (first < 0) first = i;
        break;
      case OUT:
      case IN:
        last = i;
        if (first < 0) first = i;
        end();
        begin(i + 1);
        break;
      case SCAN:
        end();
        knownLo = knownHi = 0;
        begin(i + 1);
        break;
      case OPEN: {
        end();
        const b = balanced[i] === 1;
        frameLo.push(knownLo);
        frameHi.push(knownHi);
        frameBalanced.push(b);
        if (!b) knownLo = knownHi = 0;
        begin(i + 1);
        if (b) hoistInto = i; // the open, just before the new stretch
        break;
      }
      case CLOSE: {
        end();
        const lo = frameLo.pop(), hi = frameHi.pop(), b = frameBalanced.pop();
        knownLo = b === true ? (lo as number) : 0;
        knownHi = b === true ? (hi as number) : 0;
        begin(i + 1);
        break;
      }
    }
  }
  end();
  ops.insertChecks(before, rangeLo, rangeHi, spanStart, spanEnd);
  return ops;
}

/**
 * Pointer moves deferred into addressing offsets: `>+>+<<` is `add [p+1], 1; add [p+2], 1`, with no
 * pointer arithmetic at all. The pointer register only moves where it must: before the `]` of a loop
 * whose body moves it, so that every pass starts at the same offset. (`out` needs room for no more
 * rows than `ops` has: each move made before a `]` replaces at least one taken out.)
 */
export function deferMoves(ops: OpTable, out = new Writer(ops, ops.length, {})): OpTable {
  const atOpen: number[] = [];
  let pending = 0;
  for (let i = 0; i < ops.length; i++) {
    const kind = ops.kind(i);
    if (kind === MOVE) {
      pending += ops.a(i) as number;
      continue;
    }
    if (kind === OPEN) atOpen.push(pending);
    if (kind === CLOSE) {
      const entry = atOpen.pop() ?? 0;
      if (pending !== entry) {
        // In place, the skipped moves of this loop's body left room for it (row i is read first).
        if (out.out.data === ops.data && out.out.length >= i) throw new JitError("E_INTERNAL", `deferMoves in place would overwrite row ${i} before reading it`);
        out.write(SCRATCH, made(MOVE, 0, pending - entry, ops.start(i) as number, ops.end(i) as number));
        pending = entry;
      }
    }
    out.write(ops, i, pending);
  }
  return out.out;
}

/** onceLoops alone (see Writer). */
export const onceLoops = (ops: OpTable): OpTable => new Writer(ops, ops.length, { onceLoops: true }).writeAll(ops);

/**
 * knownValues: what each cell holds, where the compiler can know it, carried through straight code
 * and into and out of `if`s (loops whose `]` has no test, onceLoops), and used:
 *   - the tape starts zeroed: until the pointer first moves by an amount not known (a scan, a loop
 *     that moves it), every cell not written is 0;
 *   - an `add` to a known cell is a `set`; a `set` to the value the cell has is dropped;
 *   - a `mul` whose loop cell is known becomes adds (or sets) of constants, and is dropped when that
 *     is 0; a loop (or an `if`) whose cell is known to be 0 is dropped whole;
 *   - an `if` whose cell is known not to be 0 is its body alone;
 *   - an `out` of a known cell writes the byte as a constant, without reading the cell;
 *   - after a loop, its cell is 0; a `mul` leaves its cell at 0; after an `if`, a cell is known when
 *     it is known the same both ways (the body run or skipped);
 *   - a copy through a temporary, `[->+>+<<]>>[-<<+>>]` (a multiply into a cell known to be 0, then
 *     a multiply of that cell straight back), is one `mul` that keeps its loop cell (`keep`);
 *   - cells a loop leaves at 0: at a loop that goes round (and does not move the pointer), the cells
 *     known to be 0 before it are assumed 0 at the start of its body too, and the body is worked
 *     through on that assumption; if the body's end leaves them at 0, the assumption holds for every
 *     pass (by induction), otherwise the body is worked through again assuming only the cells it did
 *     leave at 0, and if that fails too, nothing. A budget of rows (four times the program's) bounds
 *     the work; past it, loops are worked through once.
 * The stores of known values wait: a cell's `set` is written only when something reads the cell
 * from memory (input at end of input, a loop's test, a multiply, a check's replay) or the pointer
 * moves, so a run of stores to one cell leaves one, and one that nothing reads, none.
 * The offsets are the ones deferMoves left: the known values are forgotten wherever the pointer moves.
 * A dropped `mul` or `if` had a check of its own only if it could run; when it is made straight code,
 * its check stays, as a `check` row. At most MAX_KNOWN cells are remembered, so each `if` costs a bounded copy.
 */
const NOTHING: ReadonlyMap<number, number> = new Map(); // known: nothing (shared, never written)
/** The most cells knownValues remembers at once (past it, it forgets them all): the bound on each `if`'s copy. */
const MAX_KNOWN = 32;
export function knownValues(ops: OpTable): OpTable {
  const out = new Writer(ops, ops.length, {});
  let known = new Map<number, number>(); // cell -> value (-1: written, value not known)
  let zeroed = true; // every cell not in `known` is 0
  // Cells whose known value is not in memory yet: the row that made it, and what memory holds.
  const pending = new Map<number, { row: number; was: number | undefined }>();
  // The `if`s open here, innermost last: what was known at the `[` (the cell is 0 when it is skipped),
  // whether the pointer moved inside, and whether its `[` and `]` were dropped (the cell was known not 0).
  const frames: { known: ReadonlyMap<number, number>; zeroed: boolean; moved: boolean; bare: boolean }[] = [];
  const value = (at: number): number | undefined => known.get(at) ?? (zeroed ? 0 : undefined);
  const emit = (kind: number, at: number, a: number, start: number, end: number) => out.write(SCRATCH, made(kind, at, a, start, end));
  // (Map.clear() is dear in JavaScriptCore: the maps are cleared only when they hold something.)
  const flush = () => {
    if (pending.size === 0) return;
    pending.forEach(({ row }, c) => emit(SET, c, known.get(c) ?? 0, ops.start(row), ops.end(row)));
    pending.clear();
  };
  /** Every `if` open here forgets at its `]` (inner ones first: once one is marked, so are those around it). */
  const moved = () => {
    for (let f = frames.length - 1; f >= 0 && !(frames[f] as (typeof frames)[number]).moved; f--) (frames[f] as (typeof frames)[number]).moved = true;
  };
  const forget = () => {
    flush();
    if (known.size > 0) known = new Map();
    zeroed = false;
    moved();
  };
  const unknown = (at: number) => {
    pending.delete(at);
    if (zeroed) known.set(at, -1);
    else known.delete(at);
    if (known.size > MAX_KNOWN) forget();
  };
  const store = (at: number, v: number, row: number) => {
    const p = pending.get(at);
    if (p === undefined) {
      const now = value(at); // in memory too, as nothing is pending
      if (now === v) {
        if (zeroed && !known.has(at) && known.size < MAX_KNOWN) known.set(at, v); // named, for a loop's retry
        return;
      }
      pending.set(at, { row, was: now === -1 ? undefined : now });
    } else if (p.was === v) pending.delete(at); // back to what memory holds
    else p.row = row;
    known.set(at, v);
    if (known.size > MAX_KNOWN) forget();
  };
  // The loops that go round open here, innermost last: where the body starts (input row, output
  // length), and what was assumed at its start (undefined: nothing, it is being worked through again).
  const loops: { row: number; outLength: number; terms: number; assumed: Map<number, number> | undefined; zeroed: boolean; retried: boolean }[] = [];
  let budget = 4 * ops.length + 64;
  // For each loop (by the row of its open): whether the pointer moves inside it (a move or a scan at
  // any depth). Such a body forgets everything, so assuming anything at its start is bound to fail.
  const moving = new Uint8Array(ops.length);
  const openRows: number[] = [];
  for (let i = 0; i < ops.length; i++) {
    const kind = ops.kind(i);
    if (kind === OPEN) openRows.push(i);
    else if (kind === CLOSE) {
      const row = openRows.pop() as number;
      if (moving[row] === 1 && openRows.length > 0) moving[openRows[openRows.length - 1] as number] = 1;
    } else if ((kind === MOVE || kind === SCAN) && openRows.length > 0) moving[openRows[openRows.length - 1] as number] = 1;
  }
  const emitCheck = (row: number) => {
    flush(); // its replay reads the tape
    out.write(SCRATCH, made(CHECK, ops.at(row), 0, ops.checkStart(row), ops.checkEnd(row)));
    out.out.setRange(out.out.length - 1, ops.checkLo(row), ops.checkHi(row));
  };
  /** Whether the state now implies `assumed`: every cell assumed 0 is 0. */
  const holds = (assumed: Map<number, number>, assumedZeroed: boolean): boolean => {
    if (assumedZeroed && !zeroed) return false;
    let ok = true;
    assumed.forEach((w, c) => {
      if (w === 0 && value(c) !== 0) ok = false;
    });
    if (assumedZeroed) {
      known.forEach((w, c) => {
        if (w !== 0 && !assumed.has(c)) ok = false;
      });
    }
    return ok;
  };
  /** For a mul at row i: the cell it copies through, when the next row multiplies that cell straight back. */
  const copyBack = (i: number): number | undefined => {
    const j = i + 1;
    if (j >= ops.length || ops.kind(j) !== MUL || (ops.flags(i) & KEEP) !== 0) return undefined;
    const at = ops.at(i), u = ops.at(j), x = ops.extras;
    if (u === at || value(u) !== 0 || ops.termCount(j) !== 1) return undefined;
    const back = ops.termStart(j);
    if (u + (x.termAt[back] as number) !== at || x.termFactor[back] !== 1) return undefined;
    // The mul back must visit no cell the first does not (its check, if it has one, goes with it).
    if (u + ops.lo(j) < at + ops.lo(i) || u + ops.hi(j) > at + ops.hi(i)) return undefined;
    for (let k = ops.termStart(i); k < ops.termStart(i) + ops.termCount(i); k++) if (at + (x.termAt[k] as number) === u) return x.termFactor[k] === 1 ? u : undefined;
    return undefined;
  };
  for (let i = 0; i < ops.length; i++) {
    budget--;
    const kind = ops.kind(i), at = ops.at(i), a = ops.a(i);
    const v = value(at);
    const cell = v === -1 ? undefined : v; // -1: written, not known
    switch (kind) {
      case ADD:
        if (cell !== undefined) store(at, (cell + a) & 0xff, i);
        else out.write(ops, i);
        continue;
      case SET:
        store(at, a, i);
        continue;
      case MUL: {
        if (cell === 0) continue;
        const first = ops.termStart(i), count = ops.termCount(i), x = ops.extras;
        if (cell === undefined) {
          flush();
          const back = copyBack(i);
          out.write(ops, i);
          for (let k = first; k < first + count; k++) unknown(at + (x.termAt[k] as number));
          if (back === undefined) {
            known.set(at, 0); // in memory: the mul stores it
            continue;
          }
          // A copy: this mul without the temporary, keeping its cell; the next row (the mul back) goes.
          const t = out.out, row = t.length - 1, kept = x.terms;
          for (let k = first; k < first + count; k++) if (at + (x.termAt[k] as number) !== back) pushTerm(x, x.termAt[k] as number, x.termFactor[k] as number);
          t.setTerms(row, kept, x.terms - kept);
          t.addFlags(row, KEEP);
          t.setSpan(row, ops.start(i), ops.end(i + 1));
          known.delete(at); // as it was: not known
          if (zeroed) known.set(at, -1);
          known.set(back, 0); // never written
          i++;
          continue;
        }
        // The loop runs: its check (if it has one of its own) is taken, then constants are added.
        if ((ops.flags(i) & CHECKED) !== 0) emitCheck(i);
        for (let k = first; k < first + count; k++) {
          const target = at + (x.termAt[k] as number), add = (cell * (x.termFactor[k] as number)) & 0xff;
          const t = value(target);
          if (t !== undefined && t !== -1) store(target, (t + add) & 0xff, i);
          else if (add !== 0) {
            emit(ADD, target, add, ops.start(i), ops.end(i));
            unknown(target);
          }
        }
        store(at, 0, i);
        continue;
      }
      case IN:
        flush(); // at end of input the cell may be left as it is
        out.write(ops, i);
        unknown(at);
        continue;
      case OUT:
        // Reads only its cell: a known one is written as a constant, and nothing need be stored first.
        out.write(ops, i);
        if (cell !== undefined) {
          out.out.setA(out.out.length - 1, cell);
          out.out.addFlags(out.out.length - 1, CONSTANT);
        }
        continue;
      case CHECK:
        flush(); // its replay reads the tape
        out.write(ops, i);
        continue;
      case MOVE:
      case SCAN:
        forget();
        out.write(ops, i);
        continue;
      case OPEN: {
        if (cell === 0) {
          // Never runs: dropped, body and all.
          for (let depth = 0; ; i++) {
            const k = ops.kind(i);
            if (k === OPEN) depth++;
            else if (k === CLOSE && --depth === 0) break;
          }
          continue;
        }
        if ((ops.flags(i) & ONCE) === 0) {
          flush();
          moved(); // an if around a loop: forget at its ]
          // What is assumed at the start of the body: the cells known to be 0 here.
          let assumed: Map<number, number> | undefined;
          if (budget > 0 && moving[i] === 0) {
            assumed = new Map();
            // (Without the zeroed tape, a cell not known needs no entry.)
            const into = assumed;
            known.forEach((w, c) => {
              if (w === 0 || zeroed) into.set(c, w === 0 ? 0 : -1);
            });
            if (assumed.size === 0 && !zeroed) assumed = undefined; // nothing to assume
          }
          loops.push({ row: i, outLength: out.out.length, terms: ops.extras.terms, assumed, zeroed: assumed !== undefined && zeroed, retried: false });
          out.write(ops, i);
          known = assumed !== undefined ? new Map(assumed) : known.size > 0 ? new Map() : known;
          zeroed = assumed !== undefined && zeroed;
          continue;
        }
        const bare = cell !== undefined; // runs for certain: the body alone
        if (bare && (ops.flags(i) & CHECKED) !== 0) emitCheck(i);
        if (!bare) {
          flush();
          out.write(ops, i);
        }
        frames.push({ known: known.size === 0 ? NOTHING : new Map(known), zeroed, moved: false, bare });
        continue;
      }
      case CLOSE: {
        if ((ops.flags(i) & ONCE) === 0) {
          flush();
          const loop = loops.pop();
          if (loop === undefined) throw new JitError("E_INTERNAL", "knownValues: a ] without its [");
          if (loop.assumed !== undefined && !holds(loop.assumed, loop.zeroed)) {
            // The body does not leave the cells it was assumed to start with at 0: again, assuming only
            // the ones it did leave at 0 (once; then nothing).
            let fewer: Map<number, number> | undefined;
            if (!loop.retried && budget > 0) {
              for (const [c, w] of loop.assumed) if (w === 0 && value(c) === 0) (fewer ??= new Map()).set(c, 0);
              // Cells assumed 0 as untouched, and that the body names and leaves at 0.
              if (loop.zeroed) for (const [c, w] of known) if (w === 0 && !loop.assumed.has(c)) (fewer ??= new Map()).set(c, 0);
            }
            out.out.length = loop.outLength;
            pending.clear();
            known = fewer === undefined ? new Map() : new Map(fewer);
            zeroed = false;
            loops.push({ ...loop, assumed: fewer, zeroed: false, retried: true });
            out.write(ops, loop.row);
            i = loop.row;
            continue;
          }
          moved();
          // After the loop: what was assumed at every pass's start, and the loop cell at 0.
          known = loop.assumed ?? (known.size > 0 ? new Map() : known); // the popped loop's own map: no copy
          zeroed = loop.zeroed;
          out.write(ops, i);
          known.set(at, 0);
          continue;
        }
        const f = frames.pop();
        if (f === undefined) throw new JitError("E_INTERNAL", "knownValues: an if's ] without its [");
        if (!f.bare) {
          flush();
          out.write(ops, i);
          if (f.moved) forget();
          else {
            // Known after the if: what both ways agree on (skipped, the state at the `[`; run, the state now).
            const both: boolean = f.zeroed && zeroed;
            if (!both && (f.known.size === 0 || known.size === 0)) {
              if (known.size > 0) known = new Map();
              zeroed = false;
              if (value(at) !== 0) known.set(at, 0);
              continue;
            }
            const before = (c: number) => f.known.get(c) ?? (f.zeroed ? 0 : undefined);
            const merged = new Map<number, number>();
            const agree = (c: number) => {
              const w = before(c), n = value(c);
              if (w !== undefined && w !== -1 && w === n) merged.set(c, w);
              else if (both) merged.set(c, -1); // written one way or the other: no longer the zero it started as
            };
            for (const c of f.known.keys()) agree(c);
            for (const c of known.keys()) if (!f.known.has(c)) agree(c);
            known = merged;
            zeroed = both;
          }
        }
        if (f.moved) {
          forget();
          moved();
        }
        if (value(at) !== 0) known.set(at, 0); // the body left it at 0, in memory
        continue;
      }
    }
  }
  return out.out;
}
