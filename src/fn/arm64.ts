/**
 * The functions chapter's arm64 back end (AAPCS64: Linux, macOS and Windows on ARM alike): allocated
 * IR to machine code (see codegen.ts for the module's layout, the state block and the unwind).
 *
 * Registers. x0-x7 carry arguments (the result comes back in w0); x0-x14 are allocatable and
 * caller-saved, x19-x27 allocatable and callee-saved. x15, x16 and x17 are the back end's scratch
 * registers (x16/x17 are the intra-procedure-call registers a linker's veneers may clobber anyway).
 * x28 holds the state block's address in every function. x29 is the frame pointer and x30 the link
 * register. x18 is the platform register (Windows keeps the thread's TEB there, macOS reserves it):
 * nothing here ever names it.
 *
 * The frame, every function (a frame record first, so a debugger or profiler can walk x29's chain):
 *
 *   [x29 + 16 ...]   the caller's frame
 *   [x29 + 8]        x30, the return address      } the frame record: stp x29, x30, [sp, #-16]!
 *   [x29]            the caller's x29             }
 *   ...              caller-saved registers saved around calls (4 bytes each)
 *   ...              spill slots (4 bytes each)
 *   [sp ...]         callee-saved registers this function allocated (8 bytes each)
 *
 * sp stays 16-byte aligned (the hardware checks it). Eight arguments all travel in registers, so
 * nothing is passed on the stack.
 */
import { A64Assembler, type A64Cond, type A64D, type A64Gp, type Label, a64D, a64Gp, invertA64, sp, wzr } from "../emit.ts";
import { JitError } from "../errors.ts";
import {
  CHECK,
  type GenerateOptions,
  MAX_FRAME,
  type ModuleCode,
  type ModuleInput,
  REG,
  STATE,
  type Site,
  type TargetRegisters,
  checkLayout,
  describeTarget,
  frameTooBig,
  functionNote,
  indexOf,
  isIdentity,
  kindOf,
  lineNote,
  locOf,
  parallelMove,
  quickExit,
  reg,
  returnsInPlace,
  CODE_ALIGN,
} from "./codegen.ts";
import { type Allocation, type Cond, type FnIr, type Inst, LIBM, type Loc, type Operand, type Terminator, type VReg, type VType } from "./ir.ts";

const W = Array.from({ length: 31 }, (_, i) => a64Gp(i, 32));
const X = Array.from({ length: 31 }, (_, i) => a64Gp(i, 64));
const w = (r: number): A64Gp => W[r] as A64Gp;
const x = (r: number): A64Gp => X[r] as A64Gp;
const S0 = 15, S1 = 16, S2 = 17, STATE_REG = 28, FP = 29, LR = 30;

/**
 * From the AAPCS64 convention in src/abi.ts (x18 is its reserved register): see the top of this file.
 * `fp`, the second class (f64): d0-d7 carry arguments (and d0 the result), d8-d15 are callee-saved
 * (their low 64 bits: all a double uses), d16-d29 caller-saved; d30 and d31 are the back end's scratch.
 */
export const ARM64_REGISTERS: TargetRegisters = {
  ...describeTarget(
    { arch: "arm64", abi: "aapcs64" },
    [9, 10, 11, 12, 13, 14, 8, 0, 1, 2, 3, 4, 5, 6, 7, 19, 20, 21, 22, 23, 24, 25, 26, 27],
    [S0, S1, S2],
    STATE_REG,
    [FP, LR],
    Array.from({ length: 31 }, (_, i) => `w${i}`),
  ),
  fp: {
    allocatable: [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    callerSaved: [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 0, 1, 2, 3, 4, 5, 6, 7],
    calleeSaved: [8, 9, 10, 11, 12, 13, 14, 15],
    args: [0, 1, 2, 3, 4, 5, 6, 7],
    result: 0,
    scratch: [30, 31],
    names: Array.from({ length: 32 }, (_, i) => `d${i}`),
  },
};
const FS1 = 30, FS2 = 31;
const D = (i: number): A64D => a64D(i);
/** After fcmp, conditions that are false when either operand is NaN (unordered is NZCV 0011), but ne. */
const FCC: Record<Cond, A64Cond> = { eq: "eq", ne: "ne", lt: "mi", le: "ls", gt: "gt", ge: "ge" };

const CC: Record<Cond, A64Cond> = { eq: "eq", ne: "ne", lt: "lt", le: "le", gt: "gt", ge: "ge" };
const INVERT: Record<Cond, Cond> = { eq: "ne", ne: "eq", lt: "ge", ge: "lt", le: "gt", gt: "le" };

export function generateArm64(input: ModuleInput, options: GenerateOptions): ModuleCode {
  if (options.target.arch !== "arm64") throw new JitError("E_TARGET", "the arm64 back end generates arm64 code");
  return new Arm64Generator(input, options).run();
}

class Arm64Generator {
  private readonly asm: A64Assembler;
  private readonly fnLabels: Label[];
  private readonly unwind: Label;
  private readonly sites: Site[] = [];
  private fn!: FnIr;
  private alloc!: Allocation;
  private slotBase = 0;
  private saveOffsets = new Map<number, number>();
  private pushed: number[] = [];
  private epilogue!: Label;
  private cold: { label: Label; site: number }[] = [];
  private line = 0;
  /** Where each source line's code starts (GenerateOptions.lineTable). */
  private readonly lineMarks: { label: Label; line: number; col: number }[] = [];
  /** A block not written (see QuickExit.dead), or -1. */
  private skip = -1;
  /** The virtual register being computed into the result register (see returnsInPlace), or -1. */
  private retarget = -1;
  // f64: 8-byte slots and call saves, the callee-saved d registers this function uses.
  private fslotBase = 0;
  private fsaveOffsets = new Map<number, number>();
  private dSaves: { reg: number; at: number }[] = [];
  private outOfLine: (() => void)[] = [];
  private readonly usesF64: boolean;

  constructor(private readonly input: ModuleInput, private readonly options: GenerateOptions) {
    this.usesF64 = input.ir.functions.some((f) => f.types.includes("f64"));
    this.asm = new A64Assembler(options.listing);
    this.fnLabels = input.ir.functions.map(() => this.asm.newLabel());
    this.unwind = this.asm.newLabel();
  }

  run(): ModuleCode {
    const asm = this.asm;
    const fns = this.input.ir.functions;
    for (let i = 0; i < fns.length; i++) this.function(i);
    const entryLabels = fns.map((f, i) => {
      if (!f.exported) return undefined;
      const l = asm.newLabel();
      this.stub(i, l, false);
      return l;
    });
    const checkLabels = this.options.checks ? fns.map((_, i) => {
      const l = asm.newLabel();
      this.stub(i, l, true);
      return l;
    }) : [];
    asm.note("unwind: back to the entry stub, whatever the depth");
    asm.bind(this.unwind);
    asm.comment("which site stopped the run").strRM(w(S1), x(STATE_REG), STATE.site);
    asm.ldrRM(x(S1), x(STATE_REG), STATE.savedSp);
    asm.comment("the stack pointer at the entry stub's call").addRRI(sp, x(S1), 0);
    asm.comment("the return address into the entry stub").ldrRM(x(LR), x(STATE_REG), STATE.resume);
    asm.comment("return there, past every frame in between").ret();
    const code = asm.finish();
    return {
      code,
      functions: this.fnLabels.map((l) => code.labelOffset(l)),
      entries: entryLabels.map((l) => (l === undefined ? -1 : code.labelOffset(l))),
      checks: checkLabels.map((l) => code.labelOffset(l)),
      sites: this.sites,
      lines: this.lineMarks.map((m) => ({ offset: code.labelOffset(m.label), line: m.line, column: m.col })),
    };
  }

  private function(index: number): void {
    const asm = this.asm;
    const fn = (this.fn = this.input.ir.functions[index] as FnIr);
    const alloc = (this.alloc = this.input.allocations[index] as Allocation);
    const source = this.options.source;
    if (this.options.listing && source !== undefined) asm.note(functionNote(fn, source.file));
    this.line = 0;
    this.cold = [];
    this.outOfLine = [];
    this.epilogue = asm.newLabel();

    this.pushed = [...alloc.calleeSavedUsed];
    this.slotBase = 8 * this.pushed.length;
    let area = this.slotBase + 4 * alloc.slots;
    this.saveOffsets = new Map();
    for (const saves of alloc.callSaves) {
      for (const r of saves) {
        if (!this.saveOffsets.has(r)) {
          this.saveOffsets.set(r, area);
          area += 4;
        }
      }
    }
    area = (area + 7) & ~7;
    this.fslotBase = area;
    area += 8 * alloc.fslots;
    this.fsaveOffsets = new Map();
    for (const saves of alloc.fcallSaves) {
      for (const r of saves) {
        if (!this.fsaveOffsets.has(r)) {
          this.fsaveOffsets.set(r, area);
          area += 8;
        }
      }
    }
    this.dSaves = alloc.fcalleeSavedUsed.map((r, i) => ({ reg: r, at: area + 8 * i }));
    area += 8 * this.dSaves.length;
    const size = (area + 15) & ~15;
    if (size > MAX_FRAME) frameTooBig(fn, size);

    asm.align(CODE_ALIGN);
    asm.bind(this.fnLabels[index] as Label);
    const overflow = asm.newLabel();
    this.cold.push({ label: overflow, site: this.site("stack", index, fn.at.line, fn.at.col) });
    const check = () => {
      asm.comment("the stack limit").ldrRM(x(S1), x(STATE_REG), STATE.limit);
      asm.cmpSpR(x(S1));
      asm.comment("out of stack: unwind").bcond("lo", overflow);
    };
    const hasF64 = fn.types.includes("f64") || fn.result === "f64";
    const quick = hasF64 ? undefined : quickExit(fn, 8);
    let quickExitLabel: Label | undefined;
    if (quick !== undefined) {
      // Checked before the frame exists (its at most 16 KiB stay within the limit's 64 KiB margin).
      check();
      if (quick.b.kind === "imm") this.compareImm(quick.a, quick.b.value);
      else asm.cmpRR(w(quick.a), w(quick.b.index));
      quickExitLabel = asm.newLabel();
      asm.comment("returns before it needs a frame").bcond(CC[quick.cond], quickExitLabel);
    }
    asm.comment(`${fn.name}: the frame record`).stpRRMpre(x(FP), x(LR), sp, -16);
    asm.comment("x29 points at it").addRRI(x(FP), sp, 0);
    for (let left = size; left > 0; left -= Math.min(left, 4080)) asm.subRRI(sp, sp, Math.min(left, 4080));
    if (quick === undefined) check();
    // Touch a big frame a page at a time from the top (Windows grows a stack through one guard page).
    for (let off = size - 4096; off > 0; off -= 4096) asm.strRM(wzr, sp, off);
    for (let i = 0; i < this.pushed.length; i += 2) {
      const a = this.pushed[i] as number;
      const b = this.pushed[i + 1];
      if (b === undefined) asm.strRM(x(a), sp, 8 * i);
      else asm.stpRRM(x(a), x(b), sp, 8 * i);
    }
    for (const s of this.dSaves) asm.comment("callee-saved, and allocated here").strFM(D(s.reg), sp, s.at);

    const dsts: number[] = [];
    const srcs: number[] = [];
    const fdsts: number[] = [];
    const fsrcs: number[] = [];
    const places = argRegisters(fn.params.map((v) => fn.types[v] as VType));
    fn.params.forEach((v, i) => {
      const l = alloc.locs[v];
      if (l === null || l === undefined) return;
      const p = places[i] as { fp: boolean; reg: number };
      (p.fp ? fdsts : dsts).push(locOf(l));
      (p.fp ? fsrcs : srcs).push(reg(p.reg));
    });
    if (dsts.length > 0) parallelMove(dsts, srcs, reg(S1), (d, s) => this.move(d, s));
    if (fdsts.length > 0) parallelMove(fdsts, fsrcs, reg(FS1), (d, s) => this.fmove(d, s));

    const labels = fn.blocks.map(() => asm.newLabel());
    this.skip = quick === undefined ? -1 : quick.dead;
    const inPlace = returnsInPlace(fn);
    fn.blocks.forEach((block, bi) => {
      if (bi === this.skip) return;
      asm.bind(labels[bi] as Label);
      const n = block.insts.length;
      for (let k = 0; k < n; k++) {
        const inst = block.insts[k] as Inst;
        if (k === n - 1 && inPlace[bi] === true && !hasF64 && "dst" in inst && inst.dst !== null) this.retarget = inst.dst;
        this.inst(inst, index);
      }
      // With a quick exit, the entry's test was made before the frame: what is left is the other way.
      if (bi === 0 && quick !== undefined) this.term({ op: "jmp", target: quick.other, at: block.term.at }, labels, bi);
      else this.term(block.term, labels, bi);
      this.retarget = -1;
    });

    asm.bind(this.epilogue);
    for (const s of this.dSaves) asm.ldrFM(D(s.reg), sp, s.at);
    for (let i = 0; i < this.pushed.length; i += 2) {
      const a = this.pushed[i] as number;
      const b = this.pushed[i + 1];
      if (b === undefined) asm.ldrRM(x(a), sp, 8 * i);
      else asm.ldpRRM(x(a), x(b), sp, 8 * i);
    }
    if (size > 0) asm.addRRI(sp, x(FP), 0);
    asm.ldpRRMpost(x(FP), x(LR), sp, 16);
    asm.ret();
    if (quick !== undefined && quickExitLabel !== undefined) {
      asm.bind(quickExitLabel);
      if (quick.value !== null && quick.value !== 0) asm.movRR(w(0), w(quick.value));
      asm.ret();
    }
    for (const write of this.outOfLine) write();
    for (const { label, site } of this.cold) {
      asm.bind(label);
      const s = this.sites[site] as Site;
      asm.comment(s.kind === "stack" ? `site ${site}: ${fn.name} is out of stack` : `site ${site}: division by zero at ${s.line}:${s.col}`).movImm32(w(S1), site);
      asm.b(this.unwind);
    }
  }

  /**
   * Typed arrays: x16 = the state block + handle * 16 finds the array's entry (address, then length);
   * an unsigned compare of the index with the length (x15) sends a negative index out too. Past it,
   * index * size fits 32 bits (compile.ts refuses arrays of 2^31 bytes or more), so x16 + x17 is the
   * element's address.
   */
  private array(inst: Extract<Inst, { op: "aload" | "astore" | "alen" }>, fnIndex: number): void {
    const asm = this.asm;
    const h = this.read(inst.arr, S1);
    asm.lslRRI(w(S1), w(h), 4);
    asm.addRRR(x(S1), x(STATE_REG), x(S1));
    if (inst.op === "alen") {
      const d = this.target(inst.dst);
      asm.comment("the array's length").ldrRM(w(d), x(S1), STATE.arrays + 8);
      this.store(inst.dst, d);
      return;
    }
    const i = this.read(inst.index, S2);
    if (inst.unchecked !== true) {
      const out = asm.newLabel();
      const site = this.site("bounds", fnIndex, inst.at.line, inst.at.col);
      asm.ldrRM(w(S0), x(S1), STATE.arrays + 8);
      asm.cmpRR(w(i), w(S0));
      asm.comment("index outside 0..length-1 (unsigned): E_BOUNDS").bcond("hs", out);
      this.outOfLine.push(() => {
        asm.bind(out);
        asm.strRM(w(i), x(STATE_REG), STATE.badIndex);
        asm.strRM(w(S0), x(STATE_REG), STATE.badLength);
        asm.comment(`site ${site}: index out of bounds at ${inst.at.line}:${inst.at.col}`).movImm32(w(S1), site);
        asm.b(this.unwind);
      });
    } else asm.comment("in bounds: the loop keeps the index below the length");
    asm.comment("the array's address").ldrRM(x(S1), x(S1), STATE.arrays);
    const size = inst.elem === "f64" ? 3 : inst.elem === "i32" ? 2 : 0;
    if (size > 0) asm.lslRRI(w(S2), w(i), size);
    else if (i !== S2) asm.movRR(w(S2), w(i));
    asm.addRRR(x(S1), x(S1), x(S2));
    if (inst.op === "aload") {
      if (inst.elem === "f64") {
        const d = this.ftarget(inst.dst);
        asm.ldrFM(D(d), x(S1));
        this.fstore(inst.dst, d);
      } else {
        const d = this.target(inst.dst);
        if (inst.elem === "i32") asm.ldrRM(w(d), x(S1));
        else asm.ldrbRM(w(d), x(S1));
        this.store(inst.dst, d);
      }
      return;
    }
    if (inst.elem === "f64") asm.strFM(D(this.fread(inst.value, FS1)), x(S1));
    else {
      const v = this.read(inst.value, S2);
      if (inst.elem === "i32") asm.strRM(w(v), x(S1));
      else asm.comment("the low 8 bits: a Uint8Array store wraps").strbRM(w(v), x(S1));
    }
  }

  // ---- f64 (issue 21): d registers, 8-byte slots ----

  private fslotOffset(slot: number): number {
    return this.fslotBase + 8 * slot;
  }

  private fmove(d: number, s: number): void {
    const asm = this.asm;
    if (kindOf(d) === REG) {
      if (kindOf(s) === REG) asm.fmovFF(D(indexOf(d)), D(indexOf(s)));
      else asm.ldrFM(D(indexOf(d)), sp, this.fslotOffset(indexOf(s)));
    } else if (kindOf(s) === REG) asm.strFM(D(indexOf(s)), sp, this.fslotOffset(indexOf(d)));
    else {
      asm.ldrFM(D(FS1), sp, this.fslotOffset(indexOf(s)));
      asm.strFM(D(FS1), sp, this.fslotOffset(indexOf(d)));
    }
  }

  private fread(v: VReg, scratch: number): number {
    const l = this.loc(v);
    if (l.kind === "reg") return l.reg;
    this.asm.ldrFM(D(scratch), sp, this.fslotOffset(l.slot));
    return scratch;
  }

  private ftarget(v: VReg): number {
    const l = this.loc(v);
    return l.kind === "reg" ? l.reg : FS1;
  }

  private fstore(v: VReg, r: number): void {
    const l = this.loc(v);
    if (l.kind === "slot") this.asm.strFM(D(r), sp, this.fslotOffset(l.slot));
    else if (l.reg !== r) this.asm.fmovFF(D(l.reg), D(r));
  }

  private finst(inst: Inst): void {
    const asm = this.asm;
    switch (inst.op) {
      case "mov": {
        const l = this.loc(inst.dst);
        const s = this.fread(inst.src, l.kind === "reg" ? l.reg : FS1);
        this.fstore(inst.dst, s);
        return;
      }
      case "fconst": {
        const d = this.ftarget(inst.dst);
        const bits = new BigUint64Array(new Float64Array([inst.value]).buffer)[0] as bigint;
        let first = true;
        for (let k = 0; k < 4; k++) {
          const part = Number((bits >> BigInt(16 * k)) & 0xffffn);
          if (part === 0 && !(k === 3 && first)) continue;
          if (first) asm.comment(`${Object.is(inst.value, -0) ? "-0" : String(inst.value)}`).movzRI(x(S1), part, 16 * k);
          else asm.movkRI(x(S1), part, 16 * k);
          first = false;
        }
        asm.fmovFR(D(d), x(S1));
        this.fstore(inst.dst, d);
        return;
      }
      case "fbinary": {
        const a = this.fread(inst.a, FS1);
        const b = this.fread(inst.b, FS2);
        const d = this.ftarget(inst.dst);
        const op = inst.fbin;
        if (op === "add") asm.faddFFF(D(d), D(a), D(b));
        else if (op === "sub") asm.fsubFFF(D(d), D(a), D(b));
        else if (op === "mul") asm.fmulFFF(D(d), D(a), D(b));
        else asm.fdivFFF(D(d), D(a), D(b));
        this.fstore(inst.dst, d);
        return;
      }
      case "fsqrt":
      case "fabs":
      case "fneg": {
        const a = this.fread(inst.a, FS1);
        const d = this.ftarget(inst.dst);
        if (inst.op === "fsqrt") asm.fsqrtFF(D(d), D(a));
        else if (inst.op === "fabs") asm.fabsFF(D(d), D(a));
        else asm.fnegFF(D(d), D(a));
        this.fstore(inst.dst, d);
        return;
      }
      case "fcmp": {
        const a = this.fread(inst.a, FS1);
        const b = this.fread(inst.b, FS2);
        const d = this.target(inst.dst);
        asm.fcmpFF(D(a), D(b));
        asm.csetR(w(d), FCC[inst.cond]);
        this.store(inst.dst, d);
        return;
      }
      case "i2f": {
        const a = this.read(inst.a, S1);
        const d = this.ftarget(inst.dst);
        asm.scvtfFR(D(d), w(a));
        this.fstore(inst.dst, d);
        return;
      }
      case "f2i": {
        // ToInt32: fcvtzs to 64 bits is exact below 2^63 in magnitude (and gives 0 for NaN); it
        // saturates at and beyond, to INT64_MIN or INT64_MAX, the two values whose cmp/cmn with 1
        // overflows. Those go out of line: the low 32 bits of the mantissa shifted by the exponent.
        const v = this.fread(inst.a, FS1);
        const slow = asm.newLabel();
        const done = asm.newLabel();
        asm.fcvtzsRF(x(S1), D(v));
        asm.cmpRI(x(S1), 1);
        asm.comment("-2^63: saturated, or exactly that").bcond("vs", slow);
        asm.cmnRI(x(S1), 1);
        asm.comment("2^63 - 1: saturated").bcond("vs", slow);
        asm.bind(done);
        this.store(inst.dst, S1);
        this.outOfLine.push(() => {
          const zero = asm.newLabel();
          asm.bind(slow);
          asm.comment("ToInt32 of a large x: (low 32 bits of the mantissa) << (exponent - 1075)").fmovRF(x(S1), D(v));
          asm.lslRRI(x(S2), x(S1), 1);
          asm.lsrRRI(x(S2), x(S2), 53);
          asm.subRRI(w(S2), w(S2), 1075);
          asm.cmpRI(w(S2), 31);
          asm.comment("shifted past bit 31 (the infinities too): 0").bcond("hi", zero);
          asm.cmpRI(x(S1), 0);
          asm.lslRRR(w(S1), w(S1), w(S2));
          asm.comment("the sign").cnegRR(w(S1), w(S1), "lt");
          asm.b(done);
          asm.bind(zero);
          asm.movzRI(w(S1), 0);
          asm.b(done);
        });
        return;
      }
    }
    throw new JitError("E_INTERNAL", `not an f64 instruction: ${inst.op}`);
  }

  private site(kind: Site["kind"], fn: number, line: number, col: number): number {
    this.sites.push({ kind, fn, line, col });
    return this.sites.length - 1;
  }

  private noteLine(line: number, col: number): void {
    const source = this.options.source;
    const listing = this.options.listing && source !== undefined;
    if ((!listing && !this.options.lineTable) || line === this.line) return;
    this.line = line;
    if (line <= 0) return;
    if (listing) this.asm.note(lineNote(source, line));
    if (this.options.lineTable) {
      // A label per source line: its offset is final only after finish() sizes the branches.
      const label = this.asm.newLabel();
      this.asm.bind(label);
      this.lineMarks.push({ label, line, col });
    }
  }

  private loc(v: VReg): Loc {
    if (v === this.retarget) return { kind: "reg", reg: 0 }; // computed straight into the result register
    const l = this.alloc.locs[v];
    if (l === null || l === undefined) throw new JitError("E_INTERNAL", `v${v} in ${this.fn.name} has no location`);
    return l;
  }

  private slotOffset(slot: number): number {
    return this.slotBase + 4 * slot;
  }

  private move(d: number, s: number): void {
    const asm = this.asm;
    if (kindOf(d) === REG) {
      if (kindOf(s) === REG) asm.movRR(w(indexOf(d)), w(indexOf(s)));
      else asm.ldrRM(w(indexOf(d)), sp, this.slotOffset(indexOf(s)));
    } else if (kindOf(s) === REG) asm.strRM(w(indexOf(s)), sp, this.slotOffset(indexOf(d)));
    else {
      asm.ldrRM(w(S1), sp, this.slotOffset(indexOf(s)));
      asm.strRM(w(S1), sp, this.slotOffset(indexOf(d)));
    }
  }

  private load(r: number, v: VReg): void {
    const l = this.loc(v);
    if (l.kind === "reg") {
      if (l.reg !== r) this.asm.movRR(w(r), w(l.reg));
    } else this.asm.ldrRM(w(r), sp, this.slotOffset(l.slot));
  }

  private read(v: VReg, scratch: number): number {
    const l = this.loc(v);
    if (l.kind === "reg") return l.reg;
    this.asm.ldrRM(w(scratch), sp, this.slotOffset(l.slot));
    return scratch;
  }

  private target(v: VReg): number {
    const l = this.loc(v);
    return l.kind === "reg" ? l.reg : S0;
  }

  private store(v: VReg, r: number): void {
    const l = this.loc(v);
    if (l.kind === "slot") this.asm.strRM(w(r), sp, this.slotOffset(l.slot));
    else if (l.reg !== r) this.asm.movRR(w(l.reg), w(r));
  }

  /** The right operand in a register: its own, or loaded (a constant into `scratch`). */
  private operand(b: Operand, scratch: number): number {
    if (b.kind === "reg") return this.read(b.reg, scratch);
    this.asm.movImm32(w(scratch), b.value);
    return scratch;
  }

  private inst(inst: Inst, fnIndex: number): void {
    const asm = this.asm;
    this.noteLine(inst.at.line, inst.at.col);
    switch (inst.op) {
      case "const": {
        const d = this.target(inst.dst);
        asm.movImm32(w(d), inst.value);
        this.store(inst.dst, d);
        return;
      }
      case "fconst":
      case "fbinary":
      case "fneg":
      case "fsqrt":
      case "fabs":
      case "fcmp":
      case "i2f":
      case "f2i":
        return this.finst(inst);
      case "aload":
      case "astore":
      case "alen":
        return this.array(inst, fnIndex);
      case "mov": {
        if (this.fn.types[inst.dst] === "f64") return this.finst(inst);
        const l = this.loc(inst.dst);
        if (l.kind === "reg") this.load(l.reg, inst.src);
        else asm.strRM(w(this.read(inst.src, S1)), sp, this.slotOffset(l.slot));
        return;
      }
      case "unary": {
        const a = this.read(inst.a, S1);
        const d = this.target(inst.dst);
        if (inst.un === "neg") asm.negRR(w(d), w(a));
        else if (inst.un === "not") asm.mvnRR(w(d), w(a));
        else {
          asm.cmpRI(w(a), 0);
          asm.comment("Math.abs (and -2^31 stays -2^31, as | 0 makes it)").cnegRR(w(d), w(a), "lt");
        }
        this.store(inst.dst, d);
        return;
      }
      case "binary":
        return this.binary(inst);
      case "div":
      case "rem": {
        const zero = asm.newLabel();
        this.cold.push({ label: zero, site: this.site("div", fnIndex, inst.at.line, inst.at.col) });
        const b = this.read(inst.b, S2);
        asm.comment("division by zero: unwind").cbzR(w(b), zero);
        const a = this.read(inst.a, S1);
        const d = this.target(inst.dst);
        // sdiv never traps: -2^31 / -1 wraps to -2^31, and msub makes the remainder 0, as JavaScript's | 0 does.
        if (inst.op === "div") asm.sdivRRR(w(d), w(a), w(b));
        else {
          asm.sdivRRR(w(S0), w(a), w(b));
          asm.msubRRRR(w(d), w(S0), w(b), w(a));
        }
        this.store(inst.dst, d);
        return;
      }
      case "cmp": {
        const a = this.read(inst.a, S1);
        this.compare(a, inst.b);
        const d = this.target(inst.dst);
        asm.csetR(w(d), CC[inst.cond]);
        this.store(inst.dst, d);
        return;
      }
      case "call":
        return this.call(inst);
      case "ccall":
        return this.ccall(inst);
    }
  }

  /** A call into the C library: its address from the state block, the doubles in d0 and d1, the result in d0. */
  private ccall(inst: Extract<Inst, { op: "ccall" }>): void {
    const asm = this.asm;
    const saves = this.alloc.callSaves[inst.id] ?? [];
    const fsaves = this.alloc.fcallSaves[inst.id] ?? [];
    for (const r of saves) asm.comment(`w${r} lives across the call`).strRM(w(r), sp, this.saveOffsets.get(r) as number);
    for (const r of fsaves) asm.comment(`d${r} lives across the call`).strFM(D(r), sp, this.fsaveOffsets.get(r) as number);
    const fdsts = inst.args.map((_, i) => reg(i));
    const fsrcs = inst.args.map((v) => locOf(this.loc(v)));
    parallelMove(fdsts, fsrcs, reg(FS1), (d, s) => this.fmove(d, s));
    asm.comment(`the C library's ${inst.fn}`).ldrRM(x(S1), x(STATE_REG), STATE.libm + 8 * LIBM.indexOf(inst.fn));
    asm.blrR(x(S1));
    if (this.alloc.locs[inst.dst] != null) this.fstore(inst.dst, 0);
    for (const r of saves) asm.ldrRM(w(r), sp, this.saveOffsets.get(r) as number);
    for (const r of fsaves) asm.ldrFM(D(r), sp, this.fsaveOffsets.get(r) as number);
  }

  /** cmp with an immediate: the 12-bit field, its negation (cmn), or through a scratch register. */
  private compareImm(a: number, v: number): void {
    if (v >= 0 && v <= 4095) this.asm.cmpRI(w(a), v);
    else if (v < 0 && v >= -4095) this.asm.cmnRI(w(a), -v);
    else {
      this.asm.movImm32(w(S2), v);
      this.asm.cmpRR(w(a), w(S2));
    }
  }

  private compare(a: number, b: Operand): void {
    const asm = this.asm;
    if (b.kind === "imm" && b.value >= 0 && b.value <= 4095) asm.cmpRI(w(a), b.value);
    else if (b.kind === "imm" && b.value < 0 && b.value >= -4095) asm.cmnRI(w(a), -b.value);
    else asm.cmpRR(w(a), w(this.operand(b, S2)));
  }

  private binary(inst: Extract<Inst, { op: "binary" }>): void {
    const asm = this.asm;
    const op = inst.bin;
    const b = inst.b;
    if (b.kind === "imm" && isIdentity(op, b.value)) {
      // x | 0, x + 0, x << 0, ...: what `| 0` in the source becomes; a move (or nothing).
      const l = this.loc(inst.dst);
      if (l.kind === "reg") this.load(l.reg, inst.a);
      else asm.strRM(w(this.read(inst.a, S1)), sp, this.slotOffset(l.slot));
      return;
    }
    const a = this.read(inst.a, S1);
    const d = this.target(inst.dst);
    if (b.kind === "imm") {
      const v = b.value;
      if (op === "shl" || op === "sar" || op === "shr") {
        const n = v & 31;
        if (op === "shl") asm.lslRRI(w(d), w(a), n);
        else if (op === "sar") asm.asrRRI(w(d), w(a), n);
        else asm.lsrRRI(w(d), w(a), n);
        this.store(inst.dst, d);
        return;
      }
      if ((op === "add" || op === "sub") && v >= -4095 && v <= 4095) {
        const add = (op === "add") === v >= 0;
        if (add) asm.addRRI(w(d), w(a), Math.abs(v));
        else asm.subRRI(w(d), w(a), Math.abs(v));
        this.store(inst.dst, d);
        return;
      }
    }
    const r = this.operand(b, S2);
    const A = w(a), B = w(r), D = w(d);
    switch (op) {
      case "add": asm.addRRR(D, A, B); break;
      case "sub": asm.subRRR(D, A, B); break;
      case "mul": asm.mulRRR(D, A, B); break;
      case "and": asm.andRRR(D, A, B); break;
      case "or": asm.orrRRR(D, A, B); break;
      case "xor": asm.eorRRR(D, A, B); break;
      case "shl": asm.lslRRR(D, A, B); break;
      case "sar": asm.asrRRR(D, A, B); break;
      case "shr": asm.lsrRRR(D, A, B); break;
      case "min":
        asm.cmpRR(A, B);
        asm.cselRRR(D, A, B, "lt");
        break;
      case "max":
        asm.cmpRR(A, B);
        asm.cselRRR(D, A, B, "gt");
        break;
    }
    this.store(inst.dst, d);
  }

  private call(inst: Extract<Inst, { op: "call" }>): void {
    const asm = this.asm;
    const saves = this.alloc.callSaves[inst.id] ?? [];
    const fsaves = this.alloc.fcallSaves[inst.id] ?? [];
    for (const r of saves) asm.comment(`w${r} lives across the call`).strRM(w(r), sp, this.saveOffsets.get(r) as number);
    for (const r of fsaves) asm.comment(`d${r} lives across the call`).strFM(D(r), sp, this.fsaveOffsets.get(r) as number);
    const callee = this.input.ir.functions[inst.callee] as FnIr;
    const places = argRegisters(callee.params.map((v) => callee.types[v] as VType));
    const dsts: number[] = [];
    const srcs: number[] = [];
    const fdsts: number[] = [];
    const fsrcs: number[] = [];
    inst.args.forEach((v, i) => {
      const p = places[i] as { fp: boolean; reg: number };
      (p.fp ? fdsts : dsts).push(reg(p.reg));
      (p.fp ? fsrcs : srcs).push(locOf(this.loc(v)));
    });
    parallelMove(dsts, srcs, reg(S1), (d, s) => this.move(d, s));
    if (fdsts.length > 0) parallelMove(fdsts, fsrcs, reg(FS1), (d, s) => this.fmove(d, s));
    asm.comment(callee.name).bl(this.fnLabels[inst.callee] as Label);
    if (inst.dst !== null && this.alloc.locs[inst.dst] != null) {
      if (callee.result === "f64") this.fstore(inst.dst, 0);
      else this.store(inst.dst, 0);
    }
    for (const r of saves) asm.ldrRM(w(r), sp, this.saveOffsets.get(r) as number);
    for (const r of fsaves) asm.ldrFM(D(r), sp, this.fsaveOffsets.get(r) as number);
  }

  private term(t: Terminator, labels: readonly Label[], index: number): void {
    const asm = this.asm;
    this.noteLine(t.at.line, t.at.col);
    // The next block written (a quick exit's own block may be left out).
    const next = index + 1 === this.skip ? index + 2 : index + 1;
    switch (t.op) {
      case "jmp": {
        if (t.target === next) return;
        // A jump to a block that only tests and branches (a loop's header, from the end of its body)
        // tests right here instead: one branch per iteration, not two.
        const header = this.fn.blocks[t.target];
        if (header !== undefined && header.insts.length === 0 && header.term.op === "br") return this.term(header.term, labels, index);
        asm.b(labels[t.target] as Label);
        return;
      }
      case "br": {
        const a = this.read(t.a, S1);
        if (t.b.kind === "imm" && t.b.value === 0 && (t.cond === "eq" || t.cond === "ne")) {
          // Compare with zero and branch in one instruction.
          const jump = (cond: Cond, label: Label) => (cond === "eq" ? asm.cbzR(w(a), label) : asm.cbnzR(w(a), label));
          if (t.then === next) jump(INVERT[t.cond], labels[t.else] as Label);
          else {
            jump(t.cond, labels[t.then] as Label);
            if (t.else !== next) asm.b(labels[t.else] as Label);
          }
          return;
        }
        this.compare(a, t.b);
        if (t.then === next) asm.bcond(CC[INVERT[t.cond]], labels[t.else] as Label);
        else {
          asm.bcond(CC[t.cond], labels[t.then] as Label);
          if (t.else !== next) asm.b(labels[t.else] as Label);
        }
        return;
      }
      case "fbr": {
        const a = this.fread(t.a, FS1);
        const b = this.fread(t.b, FS2);
        asm.fcmpFF(D(a), D(b));
        const cc = FCC[t.cond];
        if (t.then === next) asm.bcond(invertA64(cc), labels[t.else] as Label);
        else {
          asm.bcond(cc, labels[t.then] as Label);
          if (t.else !== next) asm.b(labels[t.else] as Label);
        }
        return;
      }
      case "ret":
        if (t.value !== null && this.fn.types[t.value] === "f64") {
          const r = this.fread(t.value, 0);
          if (r !== 0) asm.fmovFF(D(0), D(r));
        } else if (t.value !== null) this.load(0, t.value);
        if (next < this.fn.blocks.length) asm.b(this.epilogue);
        return;
    }
  }

  // ---- the entry stub, and the ABI check stub ----

  private stub(index: number, label: Label, check: boolean): void {
    const asm = this.asm;
    const fn = this.input.ir.functions[index] as FnIr;
    // d8-d15 are the caller's: the unwind skips the functions' epilogues, so the stub keeps them.
    const keepD = check || this.usesF64;
    const frame = keepD ? 160 : 96;
    const inner = check ? asm.newLabel() : label;
    if (check) this.checkWrapper(label, inner);
    asm.note(`${check ? "ABI check stub" : "entry stub"} for ${fn.name}: what JavaScript calls, with the state block's address`);
    asm.bind(inner);
    asm.stpRRMpre(x(FP), x(LR), sp, -frame);
    asm.addRRI(x(FP), sp, 0);
    for (let r = 19; r < 29; r += 2) asm.stpRRM(x(r), x(r + 1), sp, 16 + 8 * (r - 19));
    if (keepD) for (let d = 8; d < 16; d += 2) asm.stpFFM(a64D(d), a64D(d + 1), sp, 96 + 8 * (d - 8));
    // Under the check wrapper x28 already holds the block.
    if (!check) asm.comment("the state block, for every function").movRR(x(STATE_REG), x(0));
    asm.addRRI(x(S1), sp, 0);
    asm.ldrRM(x(S2), x(STATE_REG), STATE.budget);
    asm.subRRR(x(S1), x(S1), x(S2));
    asm.ldrRM(x(S2), x(STATE_REG), STATE.floor);
    asm.cmpRR(x(S1), x(S2));
    asm.cselRRR(x(S1), x(S1), x(S2), "hs");
    asm.comment("the stack limit for this call: max(sp - budget, floor)").strRM(x(S1), x(STATE_REG), STATE.limit);
    asm.movImm32(w(S1), -1);
    asm.strRM(w(S1), x(STATE_REG), STATE.site);
    // Known values again: the stub's own prologue made x29 its frame pointer.
    if (check) this.fillCheck();
    if (check) this.recordSp(CHECK.spBefore);
    argRegisters(fn.params.map((v) => fn.types[v] as VType)).forEach((p, i) => {
      if (p.fp) asm.ldrFM(D(p.reg), x(STATE_REG), STATE.fargs + 8 * i);
      else asm.ldrRM(w(p.reg), x(STATE_REG), STATE.args + 4 * i);
    });
    const setup = asm.newLabel();
    asm.comment("records where to unwind to, then branches to the function").bl(setup);
    if (fn.result === "f64") asm.strFM(D(0), x(STATE_REG), STATE.fresult);
    else asm.strRM(w(0), x(STATE_REG), STATE.result);
    if (check) this.dumpCheck(CHECK.out, CHECK.spAfter);
    asm.comment("-1, or the site that stopped the run").ldrRM(w(0), x(STATE_REG), STATE.site);
    if (keepD) for (let d = 8; d < 16; d += 2) asm.ldpFFM(a64D(d), a64D(d + 1), sp, 96 + 8 * (d - 8));
    for (let r = 19; r < 29; r += 2) asm.ldpRRM(x(r), x(r + 1), sp, 16 + 8 * (r - 19));
    asm.ldpRRMpost(x(FP), x(LR), sp, frame);
    asm.ret();
    asm.bind(setup);
    asm.comment("x30 returns into the stub").strRM(x(LR), x(STATE_REG), STATE.resume);
    asm.addRRI(x(S1), sp, 0);
    asm.strRM(x(S1), x(STATE_REG), STATE.savedSp);
    asm.b(this.fnLabels[index] as Label);
  }

  /**
   * The ABI check stub's outer half (see x64.ts checkWrapper): known values in every callee-saved
   * register, the entry stub called, and what its caller then sees recorded, after a return or an unwind.
   */
  private checkWrapper(label: Label, inner: Label): void {
    const asm = this.asm;
    asm.note("ABI check wrapper: known values in, the entry stub called, what comes back out");
    asm.bind(label);
    asm.stpRRMpre(x(FP), x(LR), sp, -160);
    asm.addRRI(x(FP), sp, 0);
    for (let r = 19; r < 29; r += 2) asm.stpRRM(x(r), x(r + 1), sp, 16 + 8 * (r - 19));
    for (let d = 8; d < 16; d += 2) asm.stpFFM(a64D(d), a64D(d + 1), sp, 96 + 8 * (d - 8));
    asm.movRR(x(STATE_REG), x(0));
    this.fillCheck();
    this.recordSp(CHECK.outerSpBefore);
    asm.bl(inner);
    this.dumpCheck(CHECK.outer, CHECK.outerSpAfter);
    for (let d = 8; d < 16; d += 2) asm.ldpFFM(a64D(d), a64D(d + 1), sp, 96 + 8 * (d - 8));
    for (let r = 19; r < 29; r += 2) asm.ldpRRM(x(r), x(r + 1), sp, 16 + 8 * (r - 19));
    asm.ldpRRMpost(x(FP), x(LR), sp, 160);
    asm.ret();
  }

  private recordSp(at: number): void {
    this.asm.ldrRM(x(S1), x(STATE_REG), STATE.aux);
    this.asm.addRRI(x(S2), sp, 0);
    this.asm.strRM(x(S2), x(S1), at);
  }

  private fillCheck(): void {
    const asm = this.asm;
    const layout = checkLayout("aapcs64");
    asm.ldrRM(x(S1), x(STATE_REG), STATE.aux);
    layout.gp.forEach((name, k) => {
      const r = Number(name.slice(1));
      if (r !== STATE_REG) asm.ldrRM(x(r), x(S1), CHECK.in + 8 * k);
    });
    layout.vec.forEach((_, k) => {
      asm.ldrRM(x(S2), x(S1), CHECK.in + 8 * (layout.gp.length + k));
      asm.fmovFR(a64D(8 + k), x(S2));
    });
  }

  private dumpCheck(to: number, spAt: number): void {
    const asm = this.asm;
    const layout = checkLayout("aapcs64");
    asm.ldrRM(x(S1), x(STATE_REG), STATE.aux);
    asm.addRRI(x(S2), sp, 0);
    asm.strRM(x(S2), x(S1), spAt);
    layout.gp.forEach((name, k) => asm.strRM(x(Number(name.slice(1))), x(S1), to + 8 * k));
    layout.vec.forEach((_, k) => {
      asm.fmovRF(x(S2), a64D(8 + k));
      asm.strRM(x(S2), x(S1), to + 8 * (layout.gp.length + k));
    });
  }
}

/** AAPCS64: integer arguments in x0-x7 and doubles in d0-d7, each class counted apart (8 parameters at most: none on the stack). */
function argRegisters(types: readonly VType[]): { fp: boolean; reg: number }[] {
  let g = 0, f = 0;
  return types.map((t) => (t === "f64" ? { fp: true, reg: f++ } : { fp: false, reg: g++ }));
}
