/**
 * Live intervals for linear scan (Poletto & Sarkar): for each virtual register, one range of
 * positions [start, end] in the layout order of the blocks, outside which it is certainly dead.
 *
 * Positions: instruction k of the function (terminators included, in block order) reads its operands
 * at 2k+2 and writes its result at 2k+3; parameters are written at 1. A register used for the last
 * time by instruction k ends at 2k+2, so the result of k may take its register.
 *
 * Without loops, every point where a value is live lies between a definition and a use in layout
 * order, so [first definition, last use] is enough. A loop is a range of the layout from a block to
 * the last block that jumps back to it (lower.ts places each loop's blocks contiguously, header
 * first). A value defined before a loop begins and mentioned inside it may be live all around it, so
 * its interval is stretched to the loop's end. A value first defined inside the loop is not live at
 * its header: every variable has an initializer and every temporary is written before it is read, so
 * each iteration writes it before reading it. test/fn-front.test.ts checks the intervals against
 * exact dataflow liveness on random functions.
 *
 * Cost: one pass over the instructions, then O(log loops) per register (a sparse table of loop ends),
 * so the whole is O(n log n), not the O(blocks × registers) of iterative bit-vector dataflow.
 */
import type { FnIr, VReg } from "./ir.ts";

export interface Intervals {
  /** start[v], end[v]: v's interval; -1 for both if no instruction mentions v. */
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** callPos[id]: the position where call `id` reads its arguments (it writes its result at +1). */
  readonly callPos: Int32Array;
  /** callDepth[id]: how many loops contain call `id` (for the allocator's costs). */
  readonly callDepth: Int32Array;
  /** Loops as [start, end] position ranges, sorted by start. */
  readonly loops: readonly { readonly start: number; readonly end: number }[];
  /** The first and last position of each block. */
  readonly blockStart: Int32Array;
  readonly blockEnd: Int32Array;
}

/** Is v live across call `id` (defined before it and read after it)? */
export function crosses(live: Intervals, v: VReg, id: number): boolean {
  const p = live.callPos[id]!;
  return live.start[v]! < p && live.end[v]! > p + 1;
}

export function liveIntervals(f: FnIr): Intervals {
  const start = new Int32Array(f.vregs).fill(-1);
  const end = new Int32Array(f.vregs).fill(-1);
  const callPos = new Int32Array(f.calls);
  const blockStart = new Int32Array(f.blocks.length);
  const blockEnd = new Int32Array(f.blocks.length);
  const def = (v: VReg, p: number): void => {
    if (start[v]! < 0 || p < start[v]!) start[v] = p;
    if (p > end[v]!) end[v] = p;
  };
  const use = (v: VReg, p: number): void => {
    if (start[v]! < 0) start[v] = p; // read before any write: only in unreachable-looking shapes
    if (p > end[v]!) end[v] = p;
  };
  for (const p of f.params) def(p, 1);
  let k = 0;
  for (const b of f.blocks) {
    blockStart[b.id] = 2 * k + 2;
    for (const i of b.insts) {
      const p = 2 * k + 2;
      switch (i.op) {
        case "const":
        case "fconst":
          break;
        case "fneg":
        case "fsqrt":
        case "fabs":
        case "i2f":
        case "f2i":
          use(i.a, p);
          break;
        case "alen":
          use(i.arr, p);
          break;
        case "aload":
          use(i.arr, p);
          use(i.index, p);
          break;
        case "astore":
          use(i.arr, p);
          use(i.index, p);
          use(i.value, p);
          break;
        case "fbinary":
        case "fcmp":
          use(i.a, p);
          use(i.b, p);
          break;
        case "mov": use(i.src, p); break;
        case "unary": use(i.a, p); break;
        case "binary":
        case "cmp":
          use(i.a, p);
          if (i.b.kind === "reg") use(i.b.reg, p);
          break;
        case "div":
        case "rem":
          use(i.a, p);
          use(i.b, p);
          break;
        case "ccall":
        case "call":
          for (const a of i.args) use(a, p);
          callPos[i.id] = p;
          break;
      }
      if (i.op === "astore") { /* writes memory, no register */ }
      else if (i.op !== "call") def(i.dst, p + 1);
      else if (i.dst !== null) def(i.dst, p + 1);
      k++;
    }
    const p = 2 * k + 2;
    const t = b.term;
    if (t.op === "br") {
      use(t.a, p);
      if (t.b.kind === "reg") use(t.b.reg, p);
    } else if (t.op === "fbr") {
      use(t.a, p);
      use(t.b, p);
    } else if (t.op === "ret" && t.value !== null) {
      use(t.value, p);
    }
    blockEnd[b.id] = p + 1;
    k++;
  }

  // Loops: a jump to a block at or before the jumping one closes a loop from that block.
  const loopEnd = new Int32Array(f.blocks.length).fill(-1);
  for (const b of f.blocks) {
    const t = b.term;
    const targets = t.op === "jmp" ? [t.target] : t.op === "br" || t.op === "fbr" ? [t.then, t.else] : [];
    for (const target of targets) {
      if (target <= b.id) loopEnd[target] = Math.max(loopEnd[target]!, blockEnd[b.id]!);
    }
  }
  const loops: { start: number; end: number }[] = [];
  for (let id = 0; id < f.blocks.length; id++) {
    if (loopEnd[id]! >= 0) loops.push({ start: blockStart[id]!, end: loopEnd[id]! });
  }
  if (loops.length > 0) stretch(start, end, loops);
  return { start, end, callPos, callDepth: depths(callPos, loops), loops, blockStart, blockEnd };
}

/**
 * Stretches every interval that starts before a loop and reaches into it to the loop's end. The loops
 * starting inside (start, end] are a range of the sorted array; a sparse table gives their greatest
 * end in O(1), and stretching repeats until nothing changes (once for properly nested loops).
 */
function stretch(start: Int32Array, end: Int32Array, loops: readonly { start: number; end: number }[]): void {
  const n = loops.length;
  const starts = Int32Array.from(loops, (l) => l.start);
  const table: Int32Array[] = [Int32Array.from(loops, (l) => l.end)];
  for (let w = 1; 2 * w <= n; w *= 2) {
    const prev = table[table.length - 1]!;
    const next = new Int32Array(n - 2 * w + 1);
    for (let i = 0; i < next.length; i++) next[i] = Math.max(prev[i]!, prev[i + w]!);
    table.push(next);
  }
  const maxEnd = (lo: number, hi: number): number => { // inclusive
    const level = 31 - Math.clz32(hi - lo + 1);
    const row = table[level]!;
    return Math.max(row[lo]!, row[hi - (1 << level) + 1]!);
  };
  // The first loop index whose start is > p.
  const after = (p: number): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! > p) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  for (let v = 0; v < start.length; v++) {
    const s = start[v]!;
    if (s < 0) continue;
    const lo = after(s);
    for (;;) {
      const hi = after(end[v]!) - 1;
      if (lo > hi) break;
      const m = maxEnd(lo, hi);
      if (m <= end[v]!) break;
      end[v] = m;
    }
  }
}

/** How many loops contain each call position: a sweep over sorted loop starts and ends. */
function depths(callPos: Int32Array, loops: readonly { start: number; end: number }[]): Int32Array {
  const out = new Int32Array(callPos.length);
  if (loops.length === 0) return out;
  const starts = Int32Array.from(loops, (l) => l.start).sort();
  const ends = Int32Array.from(loops, (l) => l.end).sort();
  let s = 0;
  let e = 0;
  // Calls are numbered in block order, so their positions increase.
  for (let id = 0; id < callPos.length; id++) {
    const p = callPos[id]!;
    while (s < starts.length && starts[s]! <= p) s++;
    while (e < ends.length && ends[e]! < p) e++;
    out[id] = s - e;
  }
  return out;
}
