/**
 * The optimizer: each pass is a function from an op list to a new op list, run in the order of PASSES.
 * Every pass keeps the I/O order exactly and keeps the tape-bounds guarantee: placeChecks() runs after
 * the loop rewrites (which record every cell a rewritten loop would have visited) and before
 * deferMoves() (which only renames positions), so each stretch of code is checked against exactly the
 * cells the program itself would have visited.
 * A big program makes a million ops, so lists are sized up front and cut to length (pushing onto a
 * million-entry array took longer than some passes' own work), and no hot loop allocates for nothing.
 */
import { type Check, type Op, SourceOp, type Span, type Term, spanning } from "./ir.ts";

/** The optional passes, in the order they run; placeChecks always runs (after combineSets, before deferMoves). */
export const PASSES = ["clearLoops", "scanLoops", "mulLoops", "deadLoops", "combineSets", "deferMoves", "onceLoops"] as const;
export type PassName = (typeof PASSES)[number];

/** Run the chosen passes (all by default) and place the bounds checks. */
export function optimize(ops: readonly Op[], passes: readonly PassName[] = PASSES): Op[] {
  const on = new Set(passes);
  let out: readonly Op[] = ops;
  // Four walks for eight passes. The three loop rewrites look for the same thing, an innermost loop of
  // adds and moves, and what one makes of a loop the others never match, so one walk tries them in
  // turn; deadLoops and combineSets, which only look at the op written before, are steps of the
  // Writer that walk writes through. onceLoops is the same for deferMoves. Each list is the one the
  // passes would make one after another.
  const rules = LOOP_RULES.filter(([name]) => on.has(name)).map(([, rule]) => rule);
  const steps = { deadLoops: on.has("deadLoops"), combineSets: on.has("combineSets") };
  if (rules.length > 0 || steps.deadLoops || steps.combineSets) out = rewriteLoops(out, rules, new Writer(out.length, steps));
  out = placeChecks(out);
  const once = { onceLoops: on.has("onceLoops") };
  if (on.has("deferMoves")) out = deferMoves(out, new Writer(out.length, once));
  else if (once.onceLoops) out = onceLoops(out);
  return out as Op[];
}

/**
 * An op list written one op at a time, through the passes that only look at what was written last:
 * the ones chosen of deadLoops, combineSets and onceLoops, in that order.
 */
class Writer {
  readonly #ops: Op[];
  #length = 0;
  #zero = true; // deadLoops: the cell under the pointer is known to be 0
  #dropping = 0; // deadLoops: how deep in a loop being dropped
  constructor(size: number, readonly steps: { readonly [pass in "deadLoops" | "combineSets" | "onceLoops"]?: boolean }) {
    this.#ops = sized(size);
  }
  write(op: Op): void {
    if (this.steps.deadLoops === true && this.#dead(op)) return;
    if (this.steps.combineSets === true && this.#combined(op)) return;
    const written = this.steps.onceLoops === true ? this.#once(op) : op; // before #length moves on: #once reads the last op
    this.#ops[this.#length++] = written;
  }
  writeAll(ops: readonly Op[]): Op[] {
    for (const op of ops) this.write(op);
    return this.list();
  }
  list(): Op[] {
    return cut(this.#ops, this.#length);
  }

  /**
   * deadLoops: loops that can never run, one right after a `]` (the cell is 0 there, the comment-loop
   * idiom), right after a `set 0`, or at the very start (the tape starts zeroed). Dropped, body and
   * all; so are the rewritten loops (clear, scan, multiply) in such a place, which would do nothing there.
   */
  #dead(op: Op): boolean {
    if (this.#dropping > 0) {
      if (op.kind === "open") this.#dropping++;
      else if (op.kind === "close") this.#dropping--;
      return true;
    }
    if (this.#zero && (op.kind === "mul" || op.kind === "scan" || (op.kind === "set" && op.value === 0))) return true;
    if (this.#zero && op.kind === "open") {
      this.#dropping = 1;
      return true;
    }
    this.#zero = op.kind === "close" || op.kind === "scan" || (op.kind === "set" && op.value === 0) || op.kind === "mul";
    return false;
  }

  /** combineSets: straight-line stores to one cell: `set v` then `add d` is `set v+d`; `add` or `set` then `set w` is `set w`. */
  #combined(op: Op): boolean {
    const last = this.#ops[this.#length - 1];
    if (last === undefined || last.at !== op.at || (last.kind !== "set" && last.kind !== "add")) return false;
    if (op.kind === "set") this.#ops[this.#length - 1] = { kind: "set", at: op.at, value: op.value, span: spanning(last, op) };
    else if (op.kind === "add" && last.kind === "set") {
      this.#ops[this.#length - 1] = { kind: "set", at: op.at, value: (last.value + op.delta) & 0xff, span: spanning(last, op) };
    } else return false;
    return true;
  }

  /**
   * onceLoops: a `]` right after an op that leaves the same cell at 0 (another `]`, a clear, a
   * multiply loop, a scan) can never jump back: its test is left out (`once`). Nested loops that end
   * together, as in `[[...]]`, then pay for one test instead of several.
   */
  #once(op: Op): Op {
    const last = this.#ops[this.#length - 1];
    const zeroed =
      last !== undefined && last.at === op.at &&
      (last.kind === "close" || last.kind === "mul" || last.kind === "scan" || (last.kind === "set" && last.value === 0));
    return op.kind === "close" && zeroed ? { kind: "close", at: op.at, span: op.span, once: true } : op;
  }
}

/** A loop rewrite: given a loop of adds and moves (ops[open] to ops[close]), the op it becomes, if any. */
type LoopRule = (ops: readonly Op[], open: number, close: number) => Op | undefined;

/**
 * Every innermost loop whose body holds only adds and moves, replaced by what the first rule that
 * takes it makes of it. (A rewritten loop is no add or move, so no enclosing loop becomes one.)
 */
function rewriteLoops(ops: readonly Op[], rules: readonly LoopRule[], out: Writer): Op[] {
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Op;
    const end = op.kind === "open" && rules.length > 0 ? simpleLoopEnd(ops, i) : -1;
    let rewritten: Op | undefined;
    for (let r = 0; end >= 0 && rewritten === undefined && r < rules.length; r++) rewritten = (rules[r] as LoopRule)(ops, i, end);
    if (rewritten === undefined) out.write(op);
    else {
      out.write(rewritten);
      i = end;
    }
  }
  return out.list();
}

/** The innermost loop starting at ops[i] (an open) when its body holds only adds and moves: the index of its close, or -1. */
function simpleLoopEnd(ops: readonly Op[], i: number): number {
  for (let j = i + 1; j < ops.length; j++) {
    const kind = (ops[j] as Op).kind;
    if (kind === "close") return j;
    if (kind !== "add" && kind !== "move") return -1;
  }
  return -1;
}

/**
 * `[-]`, `[+]`, `[---]`: a loop whose body only adds an odd amount to its own cell always ends with
 * the cell at 0 (an odd step reaches 0 from any byte), so it becomes `set 0`. (`[--]` may never end.)
 */
export const clearLoops = (ops: readonly Op[]): Op[] => rewriteLoops(ops, [clearLoop], new Writer(ops.length, {}));
function clearLoop(ops: readonly Op[], open: number, close: number): Op | undefined {
  const body = ops[open + 1] as Op, first = ops[open] as Op & { span: Span }, last = ops[close] as Op & { span: Span };
  if (close !== open + 2 || body.kind !== "add" || body.delta % 2 !== 1) return undefined;
  return { kind: "set", at: first.at, value: 0, span: spanning(first, last) };
}

/** `[>]`, `[<<]`, `[>>>>>>>>>]`: a loop that only moves becomes a scan for a zero cell, `step` cells at a time. */
export const scanLoops = (ops: readonly Op[]): Op[] => rewriteLoops(ops, [scanLoop], new Writer(ops.length, {}));
function scanLoop(ops: readonly Op[], open: number, close: number): Op | undefined {
  const body = ops[open + 1] as Op, first = ops[open] as Op & { span: Span }, last = ops[close] as Op & { span: Span };
  if (close !== open + 2 || body.kind !== "move" || body.delta === 0) return undefined;
  if (body.visits.lo !== Math.min(0, body.delta) || body.visits.hi !== Math.max(0, body.delta)) return undefined; // no `>><`
  return { kind: "scan", at: first.at, step: body.delta, span: spanning(first, last) };
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
export const mulLoops = (ops: readonly Op[]): Op[] => rewriteLoops(ops, [mulLoop], new Writer(ops.length, {}));
function mulLoop(ops: readonly Op[], open: number, close: number): Op | undefined {
  // The cells the body adds to, in order, and what it adds to each (a few, so arrays, not a Map).
  const cells: number[] = [], sums: number[] = [];
  let position = 0, lo = 0, hi = 0;
  for (let j = open + 1; j < close; j++) {
    const op = ops[j] as Op;
    if (op.kind === "add") {
      let k = 0;
      while (k < cells.length && (cells[k] as number) < position) k++;
      if (cells[k] === position) sums[k] = ((sums[k] as number) + op.delta) & 0xff;
      else {
        cells.splice(k, 0, position);
        sums.splice(k, 0, op.delta);
      }
    } else if (op.kind === "move") {
      lo = Math.min(lo, position + op.visits.lo);
      hi = Math.max(hi, position + op.visits.hi);
      position += op.delta;
    }
  }
  const own = sums[cells.indexOf(0)] ?? 0;
  if (position !== 0 || own % 2 === 0) return undefined;
  const scale = (256 - inverse256(own)) & 0xff; // -1/d
  const terms: Term[] = [];
  for (let k = 0; k < cells.length; k++) {
    const at = cells[k] as number, factor = ((sums[k] as number) * scale) & 0xff;
    if (at !== 0 && factor !== 0) terms.push({ at, factor });
  }
  const first = ops[open] as Op & { span: Span };
  const last = ops[close] as Op & { span: Span };
  const span = spanning(first, last);
  if (terms.length === 0 && lo === 0 && hi === 0) return { kind: "set", at: first.at, value: 0, span };
  return { kind: "mul", at: first.at, terms, visits: { lo, hi }, span };
}

const LOOP_RULES: readonly (readonly [PassName, LoopRule])[] = [["clearLoops", clearLoop], ["scanLoops", scanLoop], ["mulLoops", mulLoop]];

/** deadLoops and combineSets alone (see Writer). */
export const deadLoops = (ops: readonly Op[]): Op[] => new Writer(ops.length, { deadLoops: true }).writeAll(ops);
export const combineSets = (ops: readonly Op[]): Op[] => new Writer(ops.length, { combineSets: true }).writeAll(ops);

/**
 * For each loop (by the index of its open): is it balanced, that is, is the pointer the same at the
 * start of every pass through its body? True when its moves add up to 0 and it holds no scan and no
 * loop that is not balanced itself.
 */
export function balancedLoops(ops: readonly Op[]): Uint8Array {
  const balanced = new Uint8Array(ops.length); // 1: balanced
  // The loops open here, innermost last: where each opened, its moves so far, and whether it can still be balanced.
  const index: number[] = [], delta: number[] = [], ok: boolean[] = [];
  let top = -1;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Op;
    if (op.kind === "open") {
      top++;
      index[top] = i;
      delta[top] = 0;
      ok[top] = true;
    } else if (op.kind === "move" && top >= 0) delta[top] = (delta[top] as number) + op.delta;
    else if (op.kind === "scan" && top >= 0) ok[top] = false;
    else if (op.kind === "close" && top >= 0) {
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
 * the cells only it visits get a check of their own, taken only when it runs. Scans check each step.
 * (Ranges are kept as pairs of numbers, lo and hi, so that the walk allocates only the checks.)
 */
type SpannedOp = Exclude<Op, { kind: "check" }>;

export function placeChecks(ops: readonly Op[]): Op[] {
  const balanced = balancedLoops(ops);
  const out: (Op | null)[] = new Array(2 * ops.length + 1); // each op, and at most one slot before each
  let n = 0, slots = 0; // the entries in out, and how many of them are still null (stretches that needed no check)
  const frames: { knownLo: number; knownHi: number; balanced: boolean }[] = [];
  let knownLo = 0, knownHi = 0; // cells relative to the pointer known to be on the tape
  // The stretch being built: its slot for a check, the range visited relative to its start, and where
  // the pointer is now relative to that start; its multiply loops, by index in out and position.
  let slot = 0, lo = 0, hi = 0, position = 0;
  let first: SpannedOp | undefined, last: SpannedOp | undefined; // the stretch's first and last ops
  const mulIndex: number[] = [], mulPosition: number[] = [];
  let hoistInto = -1; // the open of a balanced loop whose body's first stretch is being built

  const begin = () => {
    slot = n;
    out[n++] = null;
    slots++;
    lo = hi = position = 0;
    first = last = undefined;
    mulIndex.length = mulPosition.length = 0;
  };
  const extend = (op: SpannedOp) => {
    first ??= op;
    last = op;
  };
  const end = () => {
    if (first !== undefined && last !== undefined) {
      const need = lo < knownLo || hi > knownHi;
      const coverLo = need ? Math.min(knownLo, lo) : knownLo, coverHi = need ? Math.max(knownHi, hi) : knownHi;
      if (need) {
        const check: Check = { range: { lo, hi }, replay: spanning(first, last) };
        const open = out[hoistInto];
        if (hoistInto >= 0 && open?.kind === "open") out[hoistInto] = { kind: "open", at: open.at, span: open.span, entryCheck: check };
        else {
          out[slot] = { kind: "check", at: 0, range: check.range, replay: check.replay };
          slots--;
        }
      }
      for (let k = 0; k < mulIndex.length; k++) {
        const mul = out[mulIndex[k] as number], at = mulPosition[k] as number;
        if (mul?.kind !== "mul" || (mul.visits.lo + at >= coverLo && mul.visits.hi + at <= coverHi)) continue;
        const check = { range: mul.visits, replay: mul.span };
        out[mulIndex[k] as number] = { kind: "mul", at: mul.at, terms: mul.terms, visits: mul.visits, span: mul.span, check };
      }
      knownLo = coverLo - position;
      knownHi = coverHi - position;
    }
    hoistInto = -1;
  };

  begin();
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Op;
    switch (op.kind) {
      case "add":
      case "set":
        out[n++] = op;
        extend(op);
        break;
      case "move":
        lo = Math.min(lo, position + op.visits.lo);
        hi = Math.max(hi, position + op.visits.hi);
        position += op.delta;
        out[n++] = op;
        extend(op);
        break;
      case "mul":
        mulIndex.push(n);
        mulPosition.push(position);
        out[n++] = op;
        extend(op);
        break;
      case "out":
      case "in":
        out[n++] = op;
        extend(op);
        end();
        begin();
        break;
      case "scan":
        end();
        out[n++] = op;
        knownLo = knownHi = 0;
        begin();
        break;
      case "open": {
        end();
        const b = balanced[i] === 1;
        frames.push({ knownLo, knownHi, balanced: b });
        out[n++] = op;
        if (!b) knownLo = knownHi = 0;
        begin();
        if (b) hoistInto = n - 2; // the open, just before the new stretch's slot
        break;
      }
      case "close": {
        end();
        const frame = frames.pop();
        out[n++] = op;
        knownLo = frame?.balanced === true ? frame.knownLo : 0;
        knownHi = frame?.balanced === true ? frame.knownHi : 0;
        begin();
        break;
      }
      case "check":
        out[n++] = op;
        break;
    }
  }
  end();
  // The slots that stayed empty are dropped.
  const list = sized(n - slots);
  for (let i = 0, k = 0; i < n; i++) if (out[i] !== null) list[k++] = out[i] as Op;
  return list;
}

/**
 * Pointer moves deferred into addressing offsets: `>+>+<<` is `add [p+1], 1; add [p+2], 1`, with no
 * pointer arithmetic at all. The pointer register only moves where it must: before the `]` of a loop
 * whose body moves it, so that every pass starts at the same offset. (`out` needs room for no more
 * ops than `ops` has: each move made before a `]` replaces at least one taken out.)
 */
export function deferMoves(ops: readonly Op[], out = new Writer(ops.length, {})): Op[] {
  const atOpen: number[] = [];
  let pending = 0;
  for (const op of ops) {
    if (op.kind === "move") {
      pending += op.delta;
      continue;
    }
    if (op.kind === "open") atOpen.push(pending);
    if (op.kind === "close") {
      const entry = atOpen.pop() ?? 0;
      if (pending !== entry) {
        out.write({ kind: "move", at: 0, delta: pending - entry, visits: { lo: 0, hi: 0 }, span: op.span });
        pending = entry;
      }
    }
    out.write(shifted(op, pending));
  }
  return out.list();
}

/**
 * The op with a different `at` (ops are immutable). Field by field, not a spread: the parser's ops
 * make their span in a getter, which a spread would not copy (and would make for each op).
 */
function shifted(op: Op, by: number): Op {
  if (by === 0) return op;
  const at = op.at + by;
  if (op instanceof SourceOp) return new SourceOp(op.kind, at, op.delta, op.visits, op.lines, op.start, op.end) as Op;
  switch (op.kind) {
    case "add": return { kind: "add", at, delta: op.delta, span: op.span };
    case "set": return { kind: "set", at, value: op.value, span: op.span };
    case "move": return { kind: "move", at, delta: op.delta, visits: op.visits, span: op.span };
    case "out": case "in": return { kind: op.kind, at, span: op.span };
    case "open": return op.entryCheck === undefined ? { kind: "open", at, span: op.span } : { kind: "open", at, span: op.span, entryCheck: op.entryCheck };
    case "close": return op.once === undefined ? { kind: "close", at, span: op.span } : { kind: "close", at, span: op.span, once: op.once };
    case "scan": return { kind: "scan", at, step: op.step, span: op.span };
    case "mul": return op.check === undefined ? { kind: "mul", at, terms: op.terms, visits: op.visits, span: op.span } : { kind: "mul", at, terms: op.terms, visits: op.visits, span: op.span, check: op.check };
    case "check": return { kind: "check", at, range: op.range, replay: op.replay };
  }
}

/** onceLoops alone (see Writer). */
export const onceLoops = (ops: readonly Op[]): Op[] => new Writer(ops.length, { onceLoops: true }).writeAll(ops);

/** An array for up to `length` ops, to be filled from the start and cut to length by cut(). */
const sized = (length: number): Op[] => new Array<Op>(length);
function cut(out: Op[], length: number): Op[] {
  out.length = length;
  return out;
}
