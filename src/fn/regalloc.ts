/**
 * Linear-scan register allocation (Poletto & Sarkar, 1999) over the intervals of liveness.ts,
 * target-independent: the back end describes its registers (ir.ts RegisterDescription).
 *
 * Intervals are visited by increasing start; `active` holds those in registers, by increasing end.
 * Each new interval first expires the active ones that ended before it starts, then takes a free
 * register; with none free, whichever of it and the active intervals ends last is spilled (it gets a
 * frame slot for its whole life), the heuristic of the paper. A value keeps one location for its
 * whole life (no splitting), so a back end only ever asks "where is v?".
 *
 * Calls. A value that lives across a call must survive it: in a caller-saved register the back end
 * saves and restores it around that call (Allocation.callSaves lists exactly those), in a
 * callee-saved one the prologue saves the register once. Which is cheaper is decided per interval:
 * caller-saved costs two memory operations per crossed call, weighted by 10 per enclosing loop;
 * a callee-saved register costs two per function call the first time it is used and nothing after.
 * A value that crosses no call prefers caller-saved registers, which cost nothing.
 *
 * Hints: a parameter prefers the register it arrives in, a call's result and a returned value the
 * result register, a call's argument its argument register, and the target of a copy (`v = mov src`)
 * the register of its source once that is free, which makes the copy a move of a register to itself.
 *
 * Spill slots are given afterwards by a second scan over the spilled intervals alone (interval
 * graphs color greedily by start), so slots are shared by values whose lives do not overlap.
 */
import { JitError } from "../errors.ts";
import type { Allocation, FnIr, Loc, RegisterDescription, VReg, VType } from "./ir.ts";
import { type Intervals, liveIntervals } from "./liveness.ts";

/** The loop weight of a call: 10 per enclosing loop, capped (10^6) so sums stay exact. */
function weight(depth: number): number {
  return 10 ** Math.min(depth, 6);
}

/**
 * Two register classes (issue 21): i32 values take the general registers of `regs`, f64 values the
 * floating-point ones of `regs.fp`. The classes never share a register, so each is a separate scan
 * over the same intervals, and each has its own spill slots (4 and 8 bytes).
 */
export function allocate(f: FnIr, regs: RegisterDescription, live: Intervals = liveIntervals(f)): Allocation {
  const gp = allocateClass(f, regs, live, "i32");
  if (!f.types.includes("f64")) return { ...gp, fslots: 0, fcalleeSavedUsed: [], fcallSaves: gp.callSaves.map(() => []) };
  if (regs.fp === undefined) throw new JitError("E_UNSUPPORTED", `${f.name} uses f64, which this target's code generator does not have yet`);
  const fp = allocateClass(f, regs.fp, live, "f64");
  const locs = gp.locs.map((l, v) => (f.types[v] === "f64" ? fp.locs[v]! : l));
  return { locs, slots: gp.slots, calleeSavedUsed: gp.calleeSavedUsed, callSaves: gp.callSaves, fslots: fp.slots, fcalleeSavedUsed: fp.calleeSavedUsed, fcallSaves: fp.callSaves };
}

type ClassAllocation = Pick<Allocation, "locs" | "slots" | "calleeSavedUsed" | "callSaves">;

function allocateClass(f: FnIr, regs: RegisterDescription, live: Intervals, cls: VType): ClassAllocation {
  const { start, end } = live;
  const n = f.vregs;
  // Flags by register number (registers are small numbers: 0-31 on every target).
  const size = 1 + Math.max(0, ...regs.allocatable, ...regs.callerSaved, ...regs.calleeSaved);
  const callerSaved = new Uint8Array(size);
  const calleeSaved = new Uint8Array(size);
  for (const r of regs.callerSaved) callerSaved[r] = 1;
  for (const r of regs.calleeSaved) calleeSaved[r] = 1;
  for (const r of regs.allocatable) {
    if (callerSaved[r] === calleeSaved[r]) throw new Error(`register ${r} must be exactly one of caller-saved and callee-saved`);
  }

  // Crossed-call cost: a prefix sum of call weights over calls in position order.
  const calls = live.callPos.length;
  const prefix = new Float64Array(calls + 1);
  for (let id = 0; id < calls; id++) prefix[id + 1] = prefix[id]! + weight(live.callDepth[id]!);
  const firstCallAfter = (p: number): number => { // first call id with callPos > p
    let lo = 0;
    let hi = calls;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (live.callPos[mid]! > p) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  /** Weighted count of calls v lives across (start < pos and end > pos + 1). */
  const crossing = (v: VReg): number => {
    const lo = firstCallAfter(start[v]!);
    const hi = firstCallAfter(end[v]! - 2); // calls with pos < end - 1
    return hi > lo ? prefix[hi]! - prefix[lo]! : 0;
  };

  const hint = hints(f, regs, cls);
  // copyOf[v]: a register v is copied from (`v = mov src`); v takes src's register if it is free.
  const copyOf = new Int32Array(n).fill(-1);
  for (const b of f.blocks) for (const i of b.insts) if (i.op === "mov" && copyOf[i.dst] === -1) copyOf[i.dst] = i.src;
  const order: VReg[] = [];
  for (let v = 0; v < n; v++) if (start[v]! >= 0 && f.types[v] === cls) order.push(v);
  order.sort((a, b) => start[a]! - start[b]! || a - b);

  const reg = new Int32Array(n).fill(-1);
  const spilled: VReg[] = [];
  const active: VReg[] = []; // by increasing end
  const free = new Uint8Array(size);
  for (const r of regs.allocatable) free[r] = 1;
  const usedCallee = new Uint8Array(size);
  const allocatable = regs.allocatable;

  const insertActive = (v: VReg): void => {
    let i = active.length;
    while (i > 0 && end[active[i - 1]!]! > end[v]!) i--;
    active.splice(i, 0, v);
  };
  const take = (v: VReg, r: number): void => {
    reg[v] = r;
    free[r] = 0;
    if (calleeSaved[r] === 1) usedCallee[r] = 1;
    insertActive(v);
  };
  const pick = (v: VReg): number | undefined => {
    const cross = calls === 0 ? 0 : crossing(v);
    const h = hint[v]!;
    if (h >= 0 && free[h] === 1 && (cross === 0 || calleeSaved[h] === 1)) return h;
    const c = copyOf[v]!;
    const rc = c >= 0 ? reg[c]! : -1;
    if (rc >= 0 && free[rc] === 1 && (cross === 0 || calleeSaved[rc] === 1)) return rc;
    let caller: number | undefined;
    let calleeUsed: number | undefined;
    let calleeNew: number | undefined;
    for (let k = 0; k < allocatable.length; k++) {
      const r = allocatable[k]!;
      if (free[r] === 0) continue;
      if (callerSaved[r] === 1) {
        if (cross === 0) return r;
        caller ??= r;
      } else if (usedCallee[r] === 1) calleeUsed ??= r;
      else calleeNew ??= r;
    }
    if (cross === 0) return caller ?? calleeUsed ?? calleeNew;
    if (calleeUsed !== undefined) return calleeUsed;
    // A new callee-saved register costs 2 once; a caller-saved one 2 per weighted crossed call.
    if (calleeNew !== undefined && 2 <= 2 * cross) return calleeNew;
    return caller ?? calleeNew;
  };

  for (const v of order) {
    while (active.length > 0 && end[active[0]!]! < start[v]!) free[reg[active.shift()!]!] = 1;
    const r = pick(v);
    if (r !== undefined) {
      take(v, r);
      continue;
    }
    // No register free: spill whichever ends last, v or the active interval ending last.
    const last = active[active.length - 1];
    if (last !== undefined && end[last]! > end[v]!) {
      active.pop();
      const r2 = reg[last]!;
      reg[last] = -1;
      spilled.push(last);
      reg[v] = r2;
      insertActive(v);
    } else {
      spilled.push(v);
    }
  }

  const locs: (Loc | null)[] = new Array<Loc | null>(n).fill(null);
  for (let v = 0; v < n; v++) if (reg[v]! >= 0) locs[v] = { kind: "reg", reg: reg[v]! };
  const slots = assignSlots(spilled, start, end, locs);
  return {
    locs,
    slots,
    calleeSavedUsed: regs.calleeSaved.filter((r) => usedCallee[r] === 1),
    callSaves: callSaves(f, live, order, reg, callerSaved),
  };
}

/** Preferred registers: parameters their argument register, call results and returned values the result register, call arguments their argument register. */
function hints(f: FnIr, regs: RegisterDescription, cls: VType): Int32Array {
  const hint = new Int32Array(f.vregs).fill(-1);
  const set = (v: VReg, r: number | undefined): void => {
    if (r !== undefined && hint[v] === -1 && f.types[v] === cls) hint[v] = r;
  };
  f.params.forEach((p, i) => set(p, regs.args[i]));
  for (const b of f.blocks) {
    for (const i of b.insts) {
      if (i.op !== "call") continue;
      if (i.dst !== null) set(i.dst, regs.result);
      i.args.forEach((a, k) => set(a, regs.args[k]));
    }
    if (b.term.op === "ret" && b.term.value !== null) set(b.term.value, regs.result);
  }
  return hint;
}

/** Greedy slot coloring of the spilled intervals by start; a slot is reused once its owner has ended. */
function assignSlots(spilled: VReg[], start: Int32Array, end: Int32Array, locs: (Loc | null)[]): number {
  spilled.sort((a, b) => start[a]! - start[b]!);
  const heap: VReg[] = []; // spilled intervals holding a slot, min-heap by end
  const slotOf = new Map<VReg, number>();
  const freeSlots: number[] = [];
  let count = 0;
  const less = (a: VReg, b: VReg): boolean => end[a]! < end[b]!;
  const push = (v: VReg): void => {
    heap.push(v);
    for (let i = heap.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const pop = (): VReg => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  for (const v of spilled) {
    while (heap.length > 0 && end[heap[0]!]! < start[v]!) freeSlots.push(slotOf.get(pop())!);
    const slot = freeSlots.pop() ?? count++;
    slotOf.set(v, slot);
    locs[v] = { kind: "slot", slot };
    push(v);
  }
  return count;
}

/**
 * For each call, the caller-saved registers whose value lives across it. Intervals in registers are
 * swept by start alongside the calls; at most one interval holds a register at any position, so the
 * open set stays as small as the register file. The call's own result is never saved, though its
 * interval may span the call (`x = g(x)`): restoring it would overwrite the result.
 */
function callSaves(f: FnIr, live: Intervals, order: readonly VReg[], reg: Int32Array, callerSaved: Uint8Array): number[][] {
  const dstOf = new Int32Array(f.calls).fill(-1);
  for (const b of f.blocks) for (const i of b.insts) if ((i.op === "call" || i.op === "ccall") && i.dst !== null) dstOf[i.id] = i.dst;
  const out: number[][] = [];
  let open: VReg[] = [];
  let next = 0;
  for (let id = 0; id < live.callPos.length; id++) {
    const p = live.callPos[id]!;
    while (next < order.length && live.start[order[next]!]! < p) {
      const v = order[next++]!;
      if (reg[v]! >= 0 && callerSaved[reg[v]!] === 1) open.push(v);
    }
    open = open.filter((v) => live.end[v]! > p + 1);
    out.push(open.filter((v) => v !== dstOf[id]).map((v) => reg[v]!).sort((a, b) => a - b));
  }
  return out;
}
