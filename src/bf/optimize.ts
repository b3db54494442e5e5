/**
 * The optimizer: each pass is a function from an op list to a new op list, run in the order of PASSES.
 * Every pass keeps the I/O order exactly and keeps the tape-bounds guarantee: placeChecks() runs after
 * the loop rewrites (which record every cell a rewritten loop would have visited) and before
 * deferMoves() (which only renames positions), so each stretch of code is checked against exactly the
 * cells the program itself would have visited.
 */
import { type Check, type Op, type Range, type Span, type Term, shifted, spanning } from "./ir.ts";

/** The optional passes, in the order they run; placeChecks always runs (after combineSets, before deferMoves). */
export const PASSES = ["clearLoops", "scanLoops", "mulLoops", "deadLoops", "combineSets", "deferMoves", "onceLoops"] as const;
export type PassName = (typeof PASSES)[number];

/** Run the chosen passes (all by default) and place the bounds checks. */
export function optimize(ops: readonly Op[], passes: readonly PassName[] = PASSES): Op[] {
  const on = new Set(passes);
  let out: readonly Op[] = ops;
  if (on.has("clearLoops")) out = clearLoops(out);
  if (on.has("scanLoops")) out = scanLoops(out);
  if (on.has("mulLoops")) out = mulLoops(out);
  if (on.has("deadLoops")) out = deadLoops(out);
  if (on.has("combineSets")) out = combineSets(out);
  out = placeChecks(out);
  if (on.has("deferMoves")) out = deferMoves(out);
  if (on.has("onceLoops")) out = onceLoops(out);
  return out as Op[];
}

/**
 * The innermost loop starting at ops[i] when its body holds only adds and moves: the index of its
 * close, or -1. The shape every loop rewrite below looks for.
 */
function simpleLoopEnd(ops: readonly Op[], i: number): number {
  if (ops[i]?.kind !== "open") return -1;
  for (let j = i + 1; j < ops.length; j++) {
    const kind = ops[j]?.kind;
    if (kind === "close") return j;
    if (kind !== "add" && kind !== "move") return -1;
  }
  return -1;
}

/**
 * `[-]`, `[+]`, `[---]`: a loop whose body only adds an odd amount to its own cell always ends with
 * the cell at 0 (an odd step reaches 0 from any byte), so it becomes `set 0`. (`[--]` may never end.)
 */
export function clearLoops(ops: readonly Op[]): Op[] {
  const out: Op[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Op;
    const body = ops[i + 1];
    if (op.kind === "open" && body?.kind === "add" && body.delta % 2 === 1 && ops[i + 2]?.kind === "close") {
      out.push({ kind: "set", at: op.at, value: 0, span: spanning(op.span, (ops[i + 2] as Op & { span: Span }).span) });
      i += 2;
    } else out.push(op);
  }
  return out;
}

/** `[>]`, `[<<]`, `[>>>>>>>>>]`: a loop that only moves becomes a scan for a zero cell, `step` cells at a time. */
export function scanLoops(ops: readonly Op[]): Op[] {
  const out: Op[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Op;
    const body = ops[i + 1];
    const close = ops[i + 2];
    if (
      op.kind === "open" && body?.kind === "move" && close?.kind === "close" && body.delta !== 0 &&
      body.visits.lo === Math.min(0, body.delta) && body.visits.hi === Math.max(0, body.delta) // no `>><`
    ) {
      out.push({ kind: "scan", at: op.at, step: body.delta, span: spanning(op.span, close.span) });
      i += 2;
    } else out.push(op);
  }
  return out;
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
export function mulLoops(ops: readonly Op[]): Op[] {
  const out: Op[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Op;
    const end = simpleLoopEnd(ops, i);
    const rewritten = end < 0 ? undefined : mulLoop(ops, i, end);
    if (rewritten === undefined) {
      out.push(op);
      continue;
    }
    out.push(rewritten);
    i = end;
  }
  return out;
}

function mulLoop(ops: readonly Op[], open: number, close: number): Op | undefined {
  const adds = new Map<number, number>();
  let position = 0, lo = 0, hi = 0;
  for (let j = open + 1; j < close; j++) {
    const op = ops[j] as Op;
    if (op.kind === "add") adds.set(position, ((adds.get(position) ?? 0) + op.delta) & 0xff);
    else if (op.kind === "move") {
      lo = Math.min(lo, position + op.visits.lo);
      hi = Math.max(hi, position + op.visits.hi);
      position += op.delta;
    }
  }
  const own = adds.get(0) ?? 0;
  if (position !== 0 || own % 2 === 0) return undefined;
  const scale = (256 - inverse256(own)) & 0xff; // -1/d
  const terms: Term[] = [];
  for (const [at, f] of [...adds].sort((a, b) => a[0] - b[0])) {
    const factor = (f * scale) & 0xff;
    if (at !== 0 && factor !== 0) terms.push({ at, factor });
  }
  const first = ops[open] as Op & { span: Span };
  const last = ops[close] as Op & { span: Span };
  const span = spanning(first.span, last.span);
  if (terms.length === 0 && lo === 0 && hi === 0) return { kind: "set", at: first.at, value: 0, span };
  return { kind: "mul", at: first.at, terms, visits: { lo, hi }, span };
}

/**
 * Loops that can never run: one right after a `]` (the cell is 0 there, the comment-loop idiom), right
 * after a `set 0`, or at the very start (the tape starts zeroed). Removed, body and all; so are the
 * rewritten loops (clear, scan, multiply) in such a place, which would do nothing there.
 */
export function deadLoops(ops: readonly Op[]): Op[] {
  const out: Op[] = [];
  let zero = true; // the cell under the pointer is known to be 0
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Op;
    if (zero && (op.kind === "mul" || op.kind === "scan" || (op.kind === "set" && op.value === 0))) continue;
    if (op.kind === "open" && zero) {
      let depth = 0;
      for (; i < ops.length; i++) {
        const k = ops[i]?.kind;
        if (k === "open") depth++;
        else if (k === "close" && --depth === 0) break;
      }
      continue;
    }
    out.push(op);
    zero = op.kind === "close" || op.kind === "scan" || (op.kind === "set" && op.value === 0) || (op.kind === "mul");
  }
  return out;
}

/** Straight-line stores to one cell: `set v` then `add d` is `set v+d`; `add` or `set` then `set w` is `set w`. */
export function combineSets(ops: readonly Op[]): Op[] {
  const out: Op[] = [];
  for (const op of ops) {
    const last = out[out.length - 1];
    if (last !== undefined && last.at === op.at && (last.kind === "set" || last.kind === "add")) {
      if (op.kind === "set") {
        out[out.length - 1] = { ...op, span: spanning(last.span, op.span) };
        continue;
      }
      if (op.kind === "add" && last.kind === "set") {
        out[out.length - 1] = { kind: "set", at: op.at, value: (last.value + op.delta) & 0xff, span: spanning(last.span, op.span) };
        continue;
      }
    }
    out.push(op);
  }
  return out;
}

/**
 * For each loop (by the index of its open): is it balanced, that is, is the pointer the same at the
 * start of every pass through its body? True when its moves add up to 0 and it holds no scan and no
 * loop that is not balanced itself.
 */
export function balancedLoops(ops: readonly Op[]): boolean[] {
  const balanced: boolean[] = [];
  const stack: { index: number; delta: number; ok: boolean }[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Op;
    const top = stack[stack.length - 1];
    if (op.kind === "open") stack.push({ index: i, delta: 0, ok: true });
    else if (op.kind === "move" && top !== undefined) top.delta += op.delta;
    else if (op.kind === "scan" && top !== undefined) top.ok = false;
    else if (op.kind === "close") {
      const frame = stack.pop();
      if (frame === undefined) continue;
      const b = frame.ok && frame.delta === 0;
      balanced[frame.index] = b;
      const parent = stack[stack.length - 1];
      if (parent !== undefined && !b) parent.ok = false;
    }
  }
  return balanced;
}

const within = (r: Range, known: Range): boolean => r.lo >= known.lo && r.hi <= known.hi;
const union = (a: Range, b: Range): Range => ({ lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) });
const shift = (r: Range, by: number): Range => ({ lo: r.lo + by, hi: r.hi + by });

/**
 * Bounds checks. The code is cut into stretches that have no I/O and no loop (adds, sets, moves and
 * the rewritten loops); each gets one check, at its start, of every cell the stretch visits (moves
 * included: `><` at the last cell leaves the tape). A stretch ends after an I/O op, so the output
 * written before a failure is exactly what the program wrote. A check is left out when the cells it
 * covers are already known to be on the tape: since the last time the pointer changed, or, in a
 * balanced loop, since the loop was entered. A balanced loop's first stretch is checked once, on entry
 * (`entryCheck`), not on every pass. A `mul` is conditional (it does nothing when its cell is 0), so
 * the cells only it visits get a check of their own, taken only when it runs. Scans check each step.
 */
export function placeChecks(ops: readonly Op[]): Op[] {
  const balanced = balancedLoops(ops);
  const out: (Op | null)[] = [];
  const frames: { known: Range; balanced: boolean }[] = [];
  let known: Range = { lo: 0, hi: 0 }; // cells relative to the pointer known to be on the tape
  // The stretch being built: its slot for a check, the range visited relative to its start, and where
  // the pointer is now relative to that start.
  let slot = 0, range: Range = { lo: 0, hi: 0 }, position = 0;
  let first: Span | undefined, last: Span | undefined;
  let muls: { index: number; position: number }[] = [];
  let hoistInto = -1; // the open of a balanced loop whose body's first stretch is being built

  const begin = () => {
    slot = out.length;
    out.push(null);
    range = { lo: 0, hi: 0 };
    position = 0;
    first = last = undefined;
    muls = [];
  };
  const extend = (span: Span) => {
    first ??= span;
    last = span;
  };
  const end = () => {
    if (first !== undefined && last !== undefined) {
      const need = !within(range, known);
      const coverage = need ? union(known, range) : known;
      if (need) {
        const check: Check = { range, replay: spanning(first, last) };
        const open = out[hoistInto];
        if (hoistInto >= 0 && open?.kind === "open") out[hoistInto] = { ...open, entryCheck: check };
        else out[slot] = { kind: "check", at: 0, range, replay: check.replay };
      }
      for (const m of muls) {
        const mul = out[m.index];
        if (mul?.kind !== "mul" || within(shift(mul.visits, m.position), coverage)) continue;
        out[m.index] = { ...mul, check: { range: mul.visits, replay: mul.span } };
      }
      known = shift(coverage, -position);
    }
    hoistInto = -1;
  };

  begin();
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Op;
    switch (op.kind) {
      case "add":
      case "set":
        out.push(op);
        extend(op.span);
        break;
      case "move":
        range = union(range, shift(op.visits, position));
        position += op.delta;
        out.push(op);
        extend(op.span);
        break;
      case "mul":
        muls.push({ index: out.length, position });
        out.push(op);
        extend(op.span);
        break;
      case "out":
      case "in":
        out.push(op);
        extend(op.span);
        end();
        begin();
        break;
      case "scan":
        end();
        out.push(op);
        known = { lo: 0, hi: 0 };
        begin();
        break;
      case "open": {
        end();
        const b = balanced[i] === true;
        frames.push({ known, balanced: b });
        out.push(op);
        if (!b) known = { lo: 0, hi: 0 };
        begin();
        if (b) hoistInto = out.length - 2; // the open, just before the new stretch's slot
        break;
      }
      case "close": {
        end();
        const frame = frames.pop();
        out.push(op);
        known = frame?.balanced === true ? frame.known : { lo: 0, hi: 0 };
        begin();
        break;
      }
      case "check":
        out.push(op);
        break;
    }
  }
  end();
  return out.filter((op): op is Op => op !== null);
}

/**
 * Pointer moves deferred into addressing offsets: `>+>+<<` is `add [p+1], 1; add [p+2], 1`, with no
 * pointer arithmetic at all. The pointer register only moves where it must: before the `]` of a loop
 * whose body moves it, so that every pass starts at the same offset.
 */
export function deferMoves(ops: readonly Op[]): Op[] {
  const out: Op[] = [];
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
        out.push({ kind: "move", at: 0, delta: pending - entry, visits: { lo: 0, hi: 0 }, span: op.span });
        pending = entry;
      }
    }
    out.push(shifted(op, pending));
  }
  return out;
}

/**
 * A `]` right after an op that leaves the same cell at 0 (another `]`, a clear, a multiply loop, a
 * scan) can never jump back: its test is left out (`once`). Nested loops that end together, as in
 * `[[...]]`, then pay for one test instead of several.
 */
export function onceLoops(ops: readonly Op[]): Op[] {
  const out: Op[] = [];
  for (const op of ops) {
    const last = out[out.length - 1];
    const zeroed =
      last !== undefined && last.at === op.at &&
      (last.kind === "close" || last.kind === "mul" || last.kind === "scan" || (last.kind === "set" && last.value === 0));
    out.push(op.kind === "close" && zeroed ? { ...op, once: true } : op);
  }
  return out;
}
