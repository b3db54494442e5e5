/**
 * The functions chapter's x86-64 back end, System V and Win64: allocated IR to machine code (see
 * codegen.ts for the module's layout, the state block and the unwind).
 *
 * Registers. rax, rcx and rdx are never allocated: idiv divides edx:eax, a variable shift counts in cl,
 * setcc writes al, and the argument shuffle before a call needs a register of its own; so every
 * sequence that needs a fixed register finds it free. r15 holds the state block's address in every
 * function (the stack-limit check reads it), rbp is the frame pointer and rsp the stack pointer. The
 * rest is allocatable: caller-saved first (cheap for a value no call crosses), then callee-saved (cheap
 * for one that crosses many: saved once, in the prologue).
 *
 * The frame, after `call`:
 *
 *   [rbp + 16 ...]   stack arguments (System V: the 7th and 8th; Win64: from the 5th, above the
 *                    caller's 32-byte shadow space at [rbp + 16 .. rbp + 48))
 *   [rbp + 8]        return address
 *   [rbp]            the caller's rbp (push rbp; mov rbp, rsp: a frame chain profilers can walk)
 *   [rbp - 8k ...]   callee-saved registers this function allocated, pushed
 *   ...              caller-saved registers saved around calls (4 bytes each)
 *   ...              spill slots (4 bytes each)
 *   [rsp ...]        outgoing arguments (Win64: 32 bytes of shadow space first, for every call)
 *
 * rsp is 16-byte aligned at every call: the frame's size is rounded so that it is.
 */
import { type Label, X64Assembler, type X64Cond, type X64Gp, type X64Xmm, invertX64, x64Gp, x64Mem, xmm } from "../emit.ts";
import { JitError } from "../errors.ts";
import {
  CHECK,
  type GenerateOptions,
  IN_ARG,
  MAX_FRAME,
  type ModuleCode,
  type ModuleInput,
  REG,
  SLOT,
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
  outArg,
  parallelMove,
  quickExit,
  reg,
  returnsInPlace,
  CODE_ALIGN,
} from "./codegen.ts";
import { type Allocation, type Cond, type FnIr, type Inst, LIBM, type Loc, type Operand, type Terminator, type VReg, type VType } from "./ir.ts";

const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7, R15 = 15;
const NAMES = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
const R8 = Array.from({ length: 16 }, (_, i) => x64Gp(i, 8));
const R32 = Array.from({ length: 16 }, (_, i) => x64Gp(i, 32));
const R64 = Array.from({ length: 16 }, (_, i) => x64Gp(i, 64));
const r8 = (r: number): X64Gp => R8[r] as X64Gp;
const r32 = (r: number): X64Gp => R32[r] as X64Gp;
const r64 = (r: number): X64Gp => R64[r] as X64Gp;

const XMM_ALL = Array.from({ length: 16 }, (_, i) => i);
const XMM_NAMES = XMM_ALL.map((i) => `xmm${i}`);
const X = (i: number): X64Xmm => xmm(i);

/**
 * The register descriptions the allocator gets (numbers are x86's own: rax 0 .. r15 15), from the
 * conventions in src/abi.ts: rax, rcx, rdx are scratch, r15 holds the state block, rbp and rsp the frame.
 * `fp`, the second class (f64): every xmm register is caller-saved in System V, and xmm14 and xmm15 are
 * the back end's scratch; on Win64 xmm6-xmm15 are callee-saved (all 128 bits), so the scratch pair must
 * be caller-saved ones: xmm4, xmm5.
 */
export const X64_REGISTERS: Readonly<Record<"sysv" | "win64", TargetRegisters>> = {
  sysv: {
    ...describeTarget({ arch: "x64", abi: "sysv" }, [EDI, ESI, 8, 9, 10, 11, EBX, 12, 13, 14], [EAX, ECX, EDX], R15, [ESP, EBP], NAMES),
    fp: { allocatable: XMM_ALL.slice(0, 14), callerSaved: XMM_ALL.slice(0, 14), calleeSaved: [], args: XMM_ALL.slice(0, 8), result: 0, scratch: [14, 15], names: XMM_NAMES },
  },
  win64: {
    ...describeTarget({ arch: "x64", abi: "win64" }, [8, 9, 10, 11, EBX, ESI, EDI, 12, 13, 14], [EAX, ECX, EDX], R15, [ESP, EBP], NAMES),
    fp: { allocatable: [0, 1, 2, 3, ...XMM_ALL.slice(6)], callerSaved: [0, 1, 2, 3], calleeSaved: XMM_ALL.slice(6), args: [0, 1, 2, 3], result: 0, scratch: [4, 5], names: XMM_NAMES },
  },
};

const CC: Record<Cond, X64Cond> = { eq: "e", ne: "ne", lt: "l", le: "le", gt: "g", ge: "ge" };

/** What the entry stub saves: every callee-saved general register (rbp is pushed first, as a frame). */
const STUB_SAVES = { sysv: [EBX, 12, 13, 14, R15], win64: [EBX, ESI, EDI, 12, 13, 14, R15] } as const;

export function generateX64(input: ModuleInput, options: GenerateOptions): ModuleCode {
  return new X64Generator(input, options).run();
}

class X64Generator {
  private readonly asm: X64Assembler;
  private readonly abi: "sysv" | "win64";
  private readonly regs: TargetRegisters;
  private readonly fnLabels: Label[];
  private readonly unwind: Label;
  private readonly sites: Site[] = [];
  private readonly stackArgBase: number; // first argument passed on the stack
  // Per function:
  private fn!: FnIr;
  private alloc!: Allocation;
  private outBytes = 0;
  private slotBase = 0;
  private saveOffsets = new Map<number, number>();
  private pushed: number[] = [];
  private epilogue!: Label;
  private cold: { label: Label; site: number }[] = [];
  /** Rarely taken paths, written after the function's epilogue. */
  private outOfLine: (() => void)[] = [];
  private line = 0;
  /** Where each source line's code starts (GenerateOptions.lineTable). */
  private readonly lineMarks: { label: Label; line: number; col: number }[] = [];
  /** A block not written (see QuickExit.dead), or -1. */
  private skip = -1;
  /** The virtual register being computed into the result register (see returnsInPlace), or -1. */
  private retarget = -1;
  // f64 (the second register class): its slots, its call saves, Win64's callee-saved xmm registers.
  private fslotBase = 0;
  private fsaveOffsets = new Map<number, number>();
  private xmmSaves: { reg: number; at: number }[] = [];
  private readonly fs1: number;
  private readonly fs2: number;
  private readonly usesF64: boolean;

  constructor(private readonly input: ModuleInput, private readonly options: GenerateOptions) {
    const abi = options.target.abi;
    if (abi !== "sysv" && abi !== "win64") throw new JitError("E_TARGET", `x86-64 code has no ${abi} calling convention`);
    this.abi = abi;
    this.regs = X64_REGISTERS[abi];
    this.asm = new X64Assembler(options.listing);
    this.fnLabels = input.ir.functions.map(() => this.asm.newLabel());
    this.unwind = this.asm.newLabel();
    this.stackArgBase = this.regs.args.length;
    const fp = this.regs.fp as NonNullable<TargetRegisters["fp"]>;
    this.fs1 = fp.scratch[0] as number;
    this.fs2 = fp.scratch[1] as number;
    this.usesF64 = input.ir.functions.some((f) => f.types.includes("f64"));
  }

  /**
   * Where each argument of a call with these types goes: System V counts general and xmm registers
   * apart (the 7th i32 or the 9th f64 goes on the stack); Win64 gives each position one register of
   * either class (rcx/xmm0, rdx/xmm1, r8/xmm2, r9/xmm3), the rest on the stack. `stack` is the stack
   * argument's number, counted from the first.
   */
  private places(types: readonly VType[]): { fp: boolean; reg: number; stack: number }[] {
    const gp = this.regs.args;
    const fp = (this.regs.fp as NonNullable<TargetRegisters["fp"]>).args;
    let g = 0, x = 0, k = 0;
    return types.map((t, i) => {
      const isFp = t === "f64";
      if (this.abi === "win64") return i < 4 ? { fp: isFp, reg: (isFp ? fp[i] : gp[i]) as number, stack: -1 } : { fp: isFp, reg: -1, stack: i - 4 };
      const list = isFp ? fp : gp;
      const n = isFp ? x++ : g++;
      return n < list.length ? { fp: isFp, reg: list[n] as number, stack: -1 } : { fp: isFp, reg: -1, stack: k++ };
    });
  }

  run(): ModuleCode {
    const asm = this.asm;
    const fns = this.input.ir.functions;
    for (let i = 0; i < fns.length; i++) this.function(i);
    const entries: number[] = [];
    const entryLabels: (Label | undefined)[] = fns.map((f, i) => {
      if (!f.exported) return undefined;
      const l = asm.newLabel();
      this.stub(i, l, false);
      return l;
    });
    const checkLabels: (Label | undefined)[] = this.options.checks ? fns.map((_, i) => {
      const l = asm.newLabel();
      this.stub(i, l, true);
      return l;
    }) : [];
    asm.note("unwind: back to the entry stub, whatever the depth");
    asm.bind(this.unwind);
    asm.comment("which site stopped the run").movMR(x64Mem(r64(R15), STATE.site), r32(EAX));
    asm.comment("the stack pointer at the entry stub's call").movRM(r64(ESP), x64Mem(r64(R15), STATE.savedSp));
    asm.comment("return into the entry stub, past every frame in between").ret();
    const code = asm.finish();
    for (const l of entryLabels) entries.push(l === undefined ? -1 : code.labelOffset(l));
    return {
      code,
      functions: this.fnLabels.map((l) => code.labelOffset(l)),
      entries,
      checks: checkLabels.map((l) => (l === undefined ? -1 : code.labelOffset(l))),
      sites: this.sites,
      lines: this.lineMarks.map((m) => ({ offset: code.labelOffset(m.label), line: m.line, column: m.col })),
    };
  }

  // ---- functions ----

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

    // Frame layout.
    let maxStackArgs = 0;
    let calls = false;
    const fns = this.input.ir.functions;
    for (const b of fn.blocks) {
      for (const inst of b.insts) {
        if (inst.op === "ccall") calls = true; // Win64: C functions get their shadow space too
        if (inst.op !== "call") continue;
        calls = true;
        const callee = fns[inst.callee] as FnIr;
        const stack = this.places(callee.params.map((v) => callee.types[v] as VType)).filter((p) => p.stack >= 0).length;
        maxStackArgs = Math.max(maxStackArgs, stack);
      }
    }
    this.outBytes = (this.abi === "win64" && calls ? 32 : 0) + 8 * maxStackArgs;
    this.saveOffsets = new Map();
    this.slotBase = this.outBytes;
    let area = this.outBytes + 4 * alloc.slots;
    for (const saves of alloc.callSaves) {
      for (const r of saves) {
        if (!this.saveOffsets.has(r)) {
          this.saveOffsets.set(r, area);
          area += 4;
        }
      }
    }
    // f64 slots and saves: 8 bytes each; Win64's callee-saved xmm registers: all 16 bytes.
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
    this.xmmSaves = alloc.fcalleeSavedUsed.map((r, i) => ({ reg: r, at: area + 16 * i }));
    area += 16 * this.xmmSaves.length;
    this.pushed = [...alloc.calleeSavedUsed];
    const k = this.pushed.length;
    let size = (area + 7) & ~7;
    if ((8 * k + size) % 16 !== 0) size += 8;
    if (size > MAX_FRAME) frameTooBig(fn, size);

    // Prologue: frame pointer, callee-saved registers, the frame, then the stack-limit check.
    asm.align(CODE_ALIGN);
    asm.bind(this.fnLabels[index] as Label);
    const overflow = asm.newLabel();
    this.cold.push({ label: overflow, site: this.site("stack", index, fn.at.line, fn.at.col) });
    const check = () => {
      asm.comment("below the stack limit?").cmpRM(r64(ESP), x64Mem(r64(R15), STATE.limit));
      asm.comment("out of stack: unwind").jcc("b", overflow);
    };
    const hasF64 = fn.types.includes("f64") || fn.result === "f64";
    const quick = hasF64 ? undefined : quickExit(fn, this.stackArgBase);
    if (quick !== undefined) {
      // Checked before the frame exists (its at most 16 KiB stay within the limit's 64 KiB margin).
      check();
      const args = this.regs.args;
      const a = r32(args[quick.a] as number);
      if (quick.b.kind === "imm") asm.cmpRI(a, quick.b.value);
      else asm.cmpRR(a, r32(args[quick.b.index] as number));
      const exit = asm.newLabel();
      asm.comment("returns before it needs a frame").jcc(CC[quick.cond], exit);
      const value = quick.value === null ? -1 : (args[quick.value] as number);
      this.outOfLine.push(() => {
        asm.bind(exit);
        if (value >= 0) asm.movRR(r32(EAX), r32(value));
        asm.ret();
      });
    }
    asm.comment(`${fn.name}: the caller's frame pointer`).pushR(r64(EBP));
    asm.movRR(r64(EBP), r64(ESP));
    for (const r of this.pushed) asm.comment("callee-saved, and allocated here").pushR(r64(r));
    if (size > 0) asm.comment(`the frame: ${alloc.slots} spill slot${alloc.slots === 1 ? "" : "s"}, ${this.saveOffsets.size} call save${this.saveOffsets.size === 1 ? "" : "s"}, ${this.outBytes} bytes of outgoing arguments`).subRI(r64(ESP), size);
    for (const s of this.xmmSaves) asm.comment("callee-saved (Win64), and allocated here").movdquMF(x64Mem(r64(ESP), s.at), X(s.reg));
    if (quick === undefined) check();
    // Touch a big frame a page at a time from the top (Windows grows a stack through one guard page).
    for (let off = size - 4096; off > 0; off -= 4096) asm.movMI32(x64Mem(r64(ESP), off), 0);

    // Parameters into their homes.
    const dsts: number[] = [];
    const srcs: number[] = [];
    const fdsts: number[] = [];
    const fsrcs: number[] = [];
    const places = this.places(fn.params.map((v) => fn.types[v] as VType));
    fn.params.forEach((v, i) => {
      const l = alloc.locs[v];
      if (l === null || l === undefined) return;
      const p = places[i] as { fp: boolean; reg: number; stack: number };
      (p.fp ? fdsts : dsts).push(locOf(l));
      (p.fp ? fsrcs : srcs).push(p.reg >= 0 ? reg(p.reg) : p.stack * 4 + IN_ARG);
    });
    if (dsts.length > 0) parallelMove(dsts, srcs, reg(EAX), (d, s) => this.move(d, s));
    if (fdsts.length > 0) parallelMove(fdsts, fsrcs, reg(this.fs1), (d, s) => this.fmove(d, s));

    // Blocks, in the allocator's order; a jump to the next block falls through.
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

    // Epilogue, then the cold exits.
    asm.bind(this.epilogue);
    for (const s of this.xmmSaves) asm.movdquFM(X(s.reg), x64Mem(r64(ESP), s.at));
    if (size > 0) asm.addRI(r64(ESP), size);
    for (let i = this.pushed.length - 1; i >= 0; i--) asm.popR(r64(this.pushed[i] as number));
    asm.popR(r64(EBP));
    asm.ret();
    for (const write of this.outOfLine) write();
    for (const { label, site } of this.cold) {
      asm.bind(label);
      const s = this.sites[site] as Site;
      asm.comment(s.kind === "stack" ? `site ${site}: ${fn.name} is out of stack` : `site ${site}: division by zero at ${s.line}:${s.col}`).movRI(r32(EAX), site);
      asm.jmp(this.unwind);
    }
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

  // ---- locations ----

  private loc(v: VReg): Loc {
    if (v === this.retarget) return { kind: "reg", reg: EAX }; // computed straight into the result register
    const l = this.alloc.locs[v];
    if (l === null || l === undefined) throw new JitError("E_INTERNAL", `v${v} in ${this.fn.name} has no location`);
    return l;
  }

  private slotMem(slot: number) {
    return x64Mem(r64(ESP), this.slotBase + 4 * slot);
  }

  /** The memory a move location names (not a register). */
  private mem(loc: number) {
    const i = indexOf(loc);
    switch (kindOf(loc)) {
      case SLOT:
        return this.slotMem(i);
      case IN_ARG: // stack argument i (counted from the first on the stack)
        return this.abi === "sysv" ? x64Mem(r64(EBP), 16 + 8 * i) : x64Mem(r64(EBP), 48 + 8 * i);
      default:
        return this.abi === "sysv" ? x64Mem(r64(ESP), 8 * i) : x64Mem(r64(ESP), 32 + 8 * i);
    }
  }

  /** One move of a parallel move; memory to memory through eax (see parallelMove). */
  private move(d: number, s: number): void {
    const asm = this.asm;
    if (kindOf(d) === REG) {
      if (kindOf(s) === REG) asm.movRR(r32(indexOf(d)), r32(indexOf(s)));
      else asm.movRM(r32(indexOf(d)), this.mem(s));
    } else if (kindOf(s) === REG) asm.movMR(this.mem(d), r32(indexOf(s)));
    else {
      asm.movRM(r32(EAX), this.mem(s));
      asm.movMR(this.mem(d), r32(EAX));
    }
  }

  // ---- f64 locations (xmm registers; slots of 8 bytes) ----

  private fslotMem(slot: number) {
    return x64Mem(r64(ESP), this.fslotBase + 8 * slot);
  }

  private fmem(loc: number) {
    return kindOf(loc) === SLOT ? this.fslotMem(indexOf(loc)) : this.mem(loc);
  }

  /** One move of a parallel move of doubles; memory to memory through the first scratch register. */
  private fmove(d: number, s: number): void {
    const asm = this.asm;
    if (kindOf(d) === REG) {
      if (kindOf(s) === REG) asm.movapsFF(X(indexOf(d)), X(indexOf(s)));
      else asm.movsdFM(X(indexOf(d)), this.fmem(s));
    } else if (kindOf(s) === REG) asm.movsdMF(this.fmem(d), X(indexOf(s)));
    else {
      asm.movsdFM(X(this.fs1), this.fmem(s));
      asm.movsdMF(this.fmem(d), X(this.fs1));
    }
  }

  /** The xmm register holding f64 v: its own, or `scratch` loaded from its slot. */
  private fread(v: VReg, scratch: number): number {
    const l = this.loc(v);
    if (l.kind === "reg") return l.reg;
    this.asm.movsdFM(X(scratch), this.fslotMem(l.slot));
    return scratch;
  }

  /** Put f64 v in xmm register r. */
  private fload(r: number, v: VReg): void {
    const s = this.fread(v, r);
    if (s !== r) this.asm.movapsFF(X(r), X(s));
  }

  private ftarget(v: VReg): number {
    const l = this.loc(v);
    return l.kind === "reg" ? l.reg : this.fs1;
  }

  private fstore(v: VReg, r: number): void {
    const l = this.loc(v);
    if (l.kind === "slot") this.asm.movsdMF(this.fslotMem(l.slot), X(r));
    else if (l.reg !== r) this.asm.movapsFF(X(l.reg), X(r));
  }

  private isF64(v: VReg): boolean {
    return this.fn.types[v] === "f64";
  }

  /**
   * Typed arrays. The handle (an i32) numbers the array's 16-byte entry in the state block: its
   * address, then its length. rdx = handle * 16 finds the entry, ecx holds the index: an unsigned
   * compare with the length sends a negative index out too. Past the check the index is below the
   * length, and a length of at most 2^31 bytes (compile.ts refuses a larger array) keeps index * size
   * within 32 bits, which `shl ecx` zero-extends into rcx for the address [base + rcx].
   */
  private array(inst: Extract<Inst, { op: "aload" | "astore" | "alen" }>, fnIndex: number): void {
    const asm = this.asm;
    this.load(EDX, inst.arr);
    asm.shlRI(r32(EDX), 4);
    const entry = (disp: number) => x64Mem(r64(R15), STATE.arrays + disp, r64(EDX));
    if (inst.op === "alen") {
      const d = this.target(inst.dst);
      asm.comment("the array's length").movRM(r32(d), entry(8));
      this.store(inst.dst, d);
      return;
    }
    this.load(ECX, inst.index);
    if (inst.unchecked === true) asm.comment("in bounds: the loop keeps the index below the length");
    else this.boundsCheck(inst, fnIndex, entry);
    asm.comment("the array's address").movRM(r64(EDX), entry(0));
    const size = inst.elem === "f64" ? 3 : inst.elem === "i32" ? 2 : 0;
    if (size > 0) asm.shlRI(r32(ECX), size);
    const at = x64Mem(r64(EDX), 0, r64(ECX));
    if (inst.op === "aload") {
      if (inst.elem === "f64") {
        const d = this.ftarget(inst.dst);
        asm.movsdFM(X(d), at);
        this.fstore(inst.dst, d);
      } else {
        const d = this.target(inst.dst);
        if (inst.elem === "i32") asm.movRM(r32(d), at);
        else asm.movzxRM8(r32(d), at);
        this.store(inst.dst, d);
      }
      return;
    }
    if (inst.elem === "f64") asm.movsdMF(at, X(this.fread(inst.value, this.fs1)));
    else {
      const v = this.read(inst.value, EAX);
      if (inst.elem === "i32") asm.movMR(at, r32(v));
      else asm.comment("the low 8 bits: a Uint8Array store wraps").movMR(at, r8(v));
    }
  }

  private boundsCheck(inst: Extract<Inst, { op: "aload" | "astore" }>, fnIndex: number, entry: (disp: number) => ReturnType<typeof x64Mem>): void {
    const asm = this.asm;
    const out = asm.newLabel();
    const site = this.site("bounds", fnIndex, inst.at.line, inst.at.col);
    asm.cmpRM(r32(ECX), entry(8));
    asm.comment("index outside 0..length-1 (unsigned): E_BOUNDS").jcc("ae", out);
    this.outOfLine.push(() => {
      asm.bind(out);
      asm.movMR(x64Mem(r64(R15), STATE.badIndex), r32(ECX));
      asm.movRM(r32(EAX), entry(8));
      asm.movMR(x64Mem(r64(R15), STATE.badLength), r32(EAX));
      asm.comment(`site ${site}: index out of bounds at ${inst.at.line}:${inst.at.col}`).movRI(r32(EAX), site);
      asm.jmp(this.unwind);
    });
  }

  /** f64 instructions (issue 21). */
  private finst(inst: Inst): void {
    const asm = this.asm;
    switch (inst.op) {
      case "fconst": {
        const d = this.ftarget(inst.dst);
        const bits = new BigInt64Array(new Float64Array([inst.value]).buffer)[0] as bigint;
        asm.comment(`${Object.is(inst.value, -0) ? "-0" : String(inst.value)}`).movabsRI(r64(EAX), bits);
        asm.movqFR(X(d), r64(EAX));
        this.fstore(inst.dst, d);
        return;
      }
      case "fbinary": {
        const d = this.ftarget(inst.dst);
        const b = this.fread(inst.b, this.fs2);
        // d = a op b when d holds b (b dies here) and not a: compute in the scratch register instead.
        const la = this.loc(inst.a);
        const op = inst.fbin;
        if (b === d && !(la.kind === "reg" && la.reg === d) && (op === "add" || op === "mul")) {
          // d holds b: d = d op a, the order of + and * does not change an IEEE result (NaNs aside, which JavaScript cannot tell apart)
          const a = this.fread(inst.a, this.fs2);
          if (op === "add") asm.addsdFF(X(d), X(a));
          else asm.mulsdFF(X(d), X(a));
          this.fstore(inst.dst, d);
          return;
        }
        const into = b === d && !(la.kind === "reg" && la.reg === d) ? this.fs1 : d;
        this.fload(into, inst.a);
        if (op === "add") asm.addsdFF(X(into), X(b));
        else if (op === "sub") asm.subsdFF(X(into), X(b));
        else if (op === "mul") asm.mulsdFF(X(into), X(b));
        else asm.divsdFF(X(into), X(b));
        this.fstore(inst.dst, into);
        return;
      }
      case "fneg": {
        const d = this.ftarget(inst.dst);
        this.fload(d, inst.a);
        asm.comment("-x: the sign bit flipped (so -0 from 0)").movqRF(r64(EAX), X(d));
        asm.movabsRI(r64(ECX), -0x8000000000000000n);
        asm.xorRR(r64(EAX), r64(ECX));
        asm.movqFR(X(d), r64(EAX));
        this.fstore(inst.dst, d);
        return;
      }
      case "fsqrt": {
        const a = this.fread(inst.a, this.fs2);
        const d = this.ftarget(inst.dst);
        asm.xorpsFF(X(d === a ? this.fs1 : d), X(d === a ? this.fs1 : d));
        asm.sqrtsdFF(X(d === a ? this.fs1 : d), X(a));
        this.fstore(inst.dst, d === a ? this.fs1 : d);
        return;
      }
      case "fabs": {
        const d = this.ftarget(inst.dst);
        this.fload(d, inst.a);
        asm.comment("|x|: the sign bit cleared").movqRF(r64(EAX), X(d));
        asm.movabsRI(r64(ECX), 0x7fffffffffffffffn);
        asm.andRR(r64(EAX), r64(ECX));
        asm.movqFR(X(d), r64(EAX));
        this.fstore(inst.dst, d);
        return;
      }
      case "fcmp": {
        const a = this.fread(inst.a, this.fs1);
        const b = this.fread(inst.b, this.fs2);
        const d = this.target(inst.dst);
        const c = inst.cond;
        if (c === "eq" || c === "ne") {
          // Unordered (a NaN) sets ZF and PF: equal is ZF without PF, not equal is !ZF or PF.
          asm.ucomisdFF(X(a), X(b));
          asm.setccR(c === "eq" ? "e" : "ne", r8(EAX));
          asm.setccR(c === "eq" ? "np" : "p", r8(ECX));
          asm.movzxRR(r32(EAX), r8(EAX));
          asm.movzxRR(r32(ECX), r8(ECX));
          if (c === "eq") asm.andRR(r32(EAX), r32(ECX));
          else asm.orRR(r32(EAX), r32(ECX));
          if (d !== EAX) asm.movRR(r32(d), r32(EAX));
        } else {
          const { x, y, cc } = orderedCompare(c, a, b);
          asm.ucomisdFF(X(x), X(y));
          asm.setccR(cc, r8(EAX));
          asm.movzxRR(r32(d), r8(EAX));
        }
        this.store(inst.dst, d);
        return;
      }
      case "i2f": {
        const a = this.read(inst.a, ECX);
        const d = this.ftarget(inst.dst);
        // cvtsi2sd writes only the low half: zeroing first keeps it from waiting on the register's last writer.
        asm.xorpsFF(X(d), X(d));
        asm.cvtsi2sdFR(X(d), r32(a));
        this.fstore(inst.dst, d);
        return;
      }
      case "f2i": {
        // ToInt32. cvttsd2si to 64 bits is exact below 2^63 in magnitude, and the low 32 bits of the
        // truncated value are the answer; at 2^63 and above, NaN and the infinities, it gives
        // 0x8000000000000000 (the only value for which `cmp rax, 1` overflows), and the rare path
        // takes the low 32 bits of the mantissa shifted by the exponent (see the chapter).
        const x = this.fread(inst.a, this.fs1);
        const slow = asm.newLabel();
        const done = asm.newLabel();
        asm.cvttsd2siRF(r64(EAX), X(x));
        asm.cmpRI(r64(EAX), 1);
        asm.comment("|x| >= 2^63, NaN or an infinity: out of line").jcc("o", slow);
        asm.bind(done);
        this.store(inst.dst, EAX);
        this.outOfLine.push(() => {
          const zero = asm.newLabel();
          asm.bind(slow);
          asm.comment("ToInt32 of a large x: (low 32 bits of the mantissa) << (exponent - 1075)").movqRF(r64(EAX), X(x));
          asm.movRR(r64(EDX), r64(EAX));
          asm.shrRI64(r64(EDX), 52);
          asm.movRR(r32(ECX), r32(EDX));
          asm.andRI(r32(ECX), 0x7ff);
          asm.subRI(r32(ECX), 1075);
          asm.cmpRI(r32(ECX), 31);
          asm.comment("shifted past bit 31 (NaN, the infinities too): 0").jcc("a", zero);
          asm.shlRCl(r32(EAX));
          asm.cmpRI(r32(EDX), 0x800);
          asm.comment("the sign").jcc("b", done);
          asm.negR(r32(EAX));
          asm.jmp(done);
          asm.bind(zero);
          asm.xorRR(r32(EAX), r32(EAX));
          asm.jmp(done);
        });
        return;
      }
    }
    throw new JitError("E_INTERNAL", `not an f64 instruction: ${inst.op}`);
  }

  /** Put v's value in register r (nothing if it is there already). */
  private load(r: number, v: VReg): void {
    const l = this.loc(v);
    if (l.kind === "reg") {
      if (l.reg !== r) this.asm.movRR(r32(r), r32(l.reg));
    } else this.asm.movRM(r32(r), this.slotMem(l.slot));
  }

  /** The register holding v: its own, or `scratch` loaded from its slot. */
  private read(v: VReg, scratch: number): number {
    const l = this.loc(v);
    if (l.kind === "reg") return l.reg;
    this.asm.movRM(r32(scratch), this.slotMem(l.slot));
    return scratch;
  }

  /** Where to compute v: its register, or eax to be stored into its slot by store(). */
  private target(v: VReg): number {
    const l = this.loc(v);
    return l.kind === "reg" ? l.reg : EAX;
  }

  private store(v: VReg, r: number): void {
    const l = this.loc(v);
    if (l.kind === "slot") this.asm.movMR(this.slotMem(l.slot), r32(r));
    else if (l.reg !== r) this.asm.movRR(r32(l.reg), r32(r));
  }

  private regOf(o: Operand): number {
    if (o.kind !== "reg") return -1;
    const l = this.loc(o.reg);
    return l.kind === "reg" ? l.reg : -1;
  }

  // ---- instructions ----

  private inst(inst: Inst, fnIndex: number): void {
    const asm = this.asm;
    this.noteLine(inst.at.line, inst.at.col);
    switch (inst.op) {
      case "const": {
        const d = this.target(inst.dst);
        asm.movRI(r32(d), inst.value);
        this.store(inst.dst, d);
        return;
      }
      case "aload":
      case "astore":
      case "alen":
        return this.array(inst, fnIndex);
      case "fconst":
      case "fbinary":
      case "fneg":
      case "fsqrt":
      case "fabs":
      case "fcmp":
      case "i2f":
      case "f2i":
        return this.finst(inst);
      case "mov": {
        if (this.isF64(inst.dst)) {
          const l = this.loc(inst.dst);
          if (l.kind === "reg") this.fload(l.reg, inst.src);
          else asm.movsdMF(this.fslotMem(l.slot), X(this.fread(inst.src, this.fs1)));
          return;
        }
        const l = this.loc(inst.dst);
        if (l.kind === "reg") this.load(l.reg, inst.src);
        else {
          const s = this.read(inst.src, EAX);
          asm.movMR(this.slotMem(l.slot), r32(s));
        }
        return;
      }
      case "unary": {
        const d = this.target(inst.dst);
        if (inst.un === "abs") {
          // neg sets the sign flag from -a: where -a is negative, a was the absolute value (and for
          // -2^31, both are -2^31, as Math.abs(x) | 0 gives).
          this.load(ECX, inst.a);
          asm.movRR(r32(d), r32(ECX));
          asm.negR(r32(d));
          asm.cmovccRR("s", r32(d), r32(ECX));
        } else {
          this.load(d, inst.a);
          if (inst.un === "neg") asm.negR(r32(d));
          else asm.notR(r32(d));
        }
        this.store(inst.dst, d);
        return;
      }
      case "binary":
        return this.binary(inst);
      case "div":
      case "rem":
        return this.divide(inst, fnIndex);
      case "cmp": {
        const a = this.read(inst.a, ECX);
        this.compare(a, inst.b);
        const d = this.target(inst.dst);
        asm.setccR(CC[inst.cond], r8(EAX));
        asm.movzxRR(r32(d), r8(EAX));
        this.store(inst.dst, d);
        return;
      }
      case "call":
        return this.call(inst);
      case "ccall":
        return this.ccall(inst);
    }
  }

  /**
   * A call into the C library (Math.sin ..., fmod): its address from the state block, the doubles in
   * xmm0 and xmm1 (the first two of either convention), the result in xmm0. The frame keeps rsp
   * 16-byte aligned and, on Win64, 32 bytes of shadow space below it; what lives across the call in a
   * caller-saved register is saved around it, as for a call between the module's functions.
   */
  private ccall(inst: Extract<Inst, { op: "ccall" }>): void {
    const asm = this.asm;
    const saves = this.alloc.callSaves[inst.id] ?? [];
    const fsaves = this.alloc.fcallSaves[inst.id] ?? [];
    for (const r of saves) asm.comment(`${NAMES[r]} lives across the call`).movMR(x64Mem(r64(ESP), this.saveOffsets.get(r) as number), r32(r));
    for (const r of fsaves) asm.comment(`xmm${r} lives across the call`).movsdMF(x64Mem(r64(ESP), this.fsaveOffsets.get(r) as number), X(r));
    const fdsts = inst.args.map((_, i) => reg(i));
    const fsrcs = inst.args.map((v) => locOf(this.loc(v)));
    parallelMove(fdsts, fsrcs, reg(this.fs1), (d, s) => this.fmove(d, s));
    asm.comment(`the C library's ${inst.fn}`).movRM(r64(EAX), x64Mem(r64(R15), STATE.libm + 8 * LIBM.indexOf(inst.fn)));
    if (this.options.win64OnSysv) {
      // Win64 code run on a System V host (tests): the C library here is System V's, which may change
      // rsi, rdi and xmm6-xmm15, all of them Win64's to keep. Keep them around the call, as a Win64
      // C library would (176 bytes: rsp stays 16-byte aligned).
      asm.subRI(r64(ESP), 176);
      for (let i = 0; i < 10; i++) asm.movdquMF(x64Mem(r64(ESP), 16 * i), X(6 + i));
      asm.movMR(x64Mem(r64(ESP), 160), r64(ESI));
      asm.movMR(x64Mem(r64(ESP), 168), r64(EDI));
      asm.callR(r64(EAX));
      for (let i = 0; i < 10; i++) asm.movdquFM(X(6 + i), x64Mem(r64(ESP), 16 * i));
      asm.movRM(r64(ESI), x64Mem(r64(ESP), 160));
      asm.movRM(r64(EDI), x64Mem(r64(ESP), 168));
      asm.addRI(r64(ESP), 176);
    } else asm.callR(r64(EAX));
    if (this.alloc.locs[inst.dst] != null) this.fstore(inst.dst, 0);
    for (const r of saves) asm.movRM(r32(r), x64Mem(r64(ESP), this.saveOffsets.get(r) as number));
    for (const r of fsaves) asm.movsdFM(X(r), x64Mem(r64(ESP), this.fsaveOffsets.get(r) as number));
  }

  private compare(a: number, b: Operand): void {
    // test r, r sets the flags every signed comparison with 0 reads as cmp r, 0 does, in 2 bytes.
    if (b.kind === "imm" && b.value === 0) this.asm.testRR(r32(a), r32(a));
    else if (b.kind === "imm") this.asm.cmpRI(r32(a), b.value);
    else this.asm.cmpRR(r32(a), r32(this.read(b.reg, EDX)));
  }

  private binary(inst: Extract<Inst, { op: "binary" }>): void {
    const asm = this.asm;
    const op = inst.bin;
    const d = this.target(inst.dst);
    const b = inst.b;
    if (b.kind === "imm" && isIdentity(op, b.value)) {
      // x | 0, x + 0, x << 0, ...: what `| 0` in the source becomes; a move (or nothing).
      const l = this.loc(inst.dst);
      if (l.kind === "reg") this.load(l.reg, inst.a);
      else asm.movMR(this.slotMem(l.slot), r32(this.read(inst.a, EAX)));
      return;
    }
    if (op === "shl" || op === "sar" || op === "shr") {
      if (b.kind === "imm") {
        this.load(d, inst.a);
        const n = b.value & 31;
        if (op === "shl") asm.shlRI(r32(d), n);
        else if (op === "sar") asm.sarRI(r32(d), n);
        else asm.shrRI(r32(d), n);
      } else {
        this.load(ECX, b.reg); // the count first: b may live in d
        this.load(d, inst.a);
        if (op === "shl") asm.shlRCl(r32(d));
        else if (op === "sar") asm.sarRCl(r32(d));
        else asm.shrRCl(r32(d));
      }
      this.store(inst.dst, d);
      return;
    }
    if (b.kind === "imm" && op === "mul") {
      asm.imulRRI(r32(d), r32(this.read(inst.a, d)), b.value);
      this.store(inst.dst, d);
      return;
    }
    const la = this.regOf({ kind: "reg", reg: inst.a });
    if (b.kind === "imm" && (op === "add" || op === "sub") && la >= 0 && la !== d && b.value !== -2147483648) {
      // Three operands without a copy first: lea d, [a + v] (lea sets no flags; none are needed).
      asm.leaRM(r32(d), x64Mem(r64(la), op === "add" ? b.value : -b.value));
      this.store(inst.dst, d);
      return;
    }
    if (b.kind === "reg" && op === "add" && la >= 0 && la !== d) {
      const lb = this.regOf(b);
      if (lb >= 0 && lb !== d) {
        asm.leaRM(r32(d), x64Mem(r64(la), 0, r64(lb)));
        this.store(inst.dst, d);
        return;
      }
    }
    if (b.kind === "imm" && op !== "min" && op !== "max") {
      this.load(d, inst.a);
      const v = b.value;
      if (op === "add") asm.addRI(r32(d), v);
      else if (op === "sub") asm.subRI(r32(d), v);
      else if (op === "and") asm.andRI(r32(d), v);
      else if (op === "or") asm.orRI(r32(d), v);
      else asm.xorRI(r32(d), v);
      this.store(inst.dst, d);
      return;
    }
    // Register (or spilled) right operand; min/max with a constant load it into ecx.
    let rb: number;
    if (b.kind === "imm") {
      asm.movRI(r32(ECX), b.value);
      rb = ECX;
    } else if (this.regOf(b) === d && this.regOf({ kind: "reg", reg: inst.a }) !== d) {
      // dst shares b's register (b dies here): d = d op a when the order does not matter; else
      // compute in eax, then copy.
      if (COMMUTATIVE.has(op)) {
        this.op(op, d, this.read(inst.a, ECX));
        this.store(inst.dst, d);
        return;
      }
      this.load(EAX, inst.a);
      this.op(op, EAX, d);
      this.store(inst.dst, EAX);
      return;
    } else rb = this.read(b.reg, ECX);
    this.load(d, inst.a);
    this.op(op, d, rb);
    this.store(inst.dst, d);
  }

  /** d = d op s. */
  private op(op: string, d: number, s: number): void {
    const asm = this.asm;
    const a = r32(d), b = r32(s);
    switch (op) {
      case "add": return asm.addRR(a, b);
      case "sub": return asm.subRR(a, b);
      case "mul": return asm.imulRR(a, b);
      case "and": return asm.andRR(a, b);
      case "or": return asm.orRR(a, b);
      case "xor": return asm.xorRR(a, b);
      case "min":
        asm.cmpRR(a, b);
        return asm.cmovccRR("g", a, b);
      case "max":
        asm.cmpRR(a, b);
        return asm.cmovccRR("l", a, b);
    }
    throw new JitError("E_INTERNAL", `no x86-64 form for ${op}`);
  }

  private divide(inst: Extract<Inst, { op: "div" | "rem" }>, fnIndex: number): void {
    const asm = this.asm;
    const zero = asm.newLabel();
    this.cold.push({ label: zero, site: this.site("div", fnIndex, inst.at.line, inst.at.col) });
    this.load(ECX, inst.b);
    this.load(EAX, inst.a);
    asm.testRR(r32(ECX), r32(ECX));
    asm.comment("division by zero: unwind").jcc("e", zero);
    // idiv faults on -2^31 / -1; the answer is -a (wrapping) with remainder 0, and -1 divides
    // anything. That case goes out of line, so the common path takes no branch.
    const minusOne = asm.newLabel();
    const done = asm.newLabel();
    asm.cmpRI(r32(ECX), -1);
    asm.comment("x / -1 is done out of line (idiv would fault on -2^31 / -1)").jcc("e", minusOne);
    asm.cdq();
    asm.idivR(r32(ECX));
    asm.bind(done);
    this.store(inst.dst, inst.op === "div" ? EAX : EDX);
    const div = inst.op === "div";
    this.outOfLine.push(() => {
      asm.bind(minusOne);
      if (div) asm.comment("x / -1 is -x, wrapping").negR(r32(EAX));
      else asm.comment("x % -1 is 0").xorRR(r32(EDX), r32(EDX));
      asm.jmp(done);
    });
  }

  private call(inst: Extract<Inst, { op: "call" }>): void {
    const asm = this.asm;
    const saves = this.alloc.callSaves[inst.id] ?? [];
    const fsaves = this.alloc.fcallSaves[inst.id] ?? [];
    for (const r of saves) asm.comment(`${NAMES[r]} lives across the call`).movMR(x64Mem(r64(ESP), this.saveOffsets.get(r) as number), r32(r));
    for (const r of fsaves) asm.comment(`xmm${r} lives across the call`).movsdMF(x64Mem(r64(ESP), this.fsaveOffsets.get(r) as number), X(r));
    const callee = this.input.ir.functions[inst.callee] as FnIr;
    const places = this.places(callee.params.map((v) => callee.types[v] as VType));
    const dsts: number[] = [];
    const srcs: number[] = [];
    const fdsts: number[] = [];
    const fsrcs: number[] = [];
    inst.args.forEach((v, i) => {
      const p = places[i] as { fp: boolean; reg: number; stack: number };
      (p.fp ? fdsts : dsts).push(p.reg >= 0 ? reg(p.reg) : outArg(p.stack));
      (p.fp ? fsrcs : srcs).push(locOf(this.loc(v)));
    });
    // Stack arguments first (no register destination can be one of their sources then), then registers.
    parallelMove(dsts, srcs, reg(EAX), (d, s) => this.move(d, s));
    if (fdsts.length > 0) parallelMove(fdsts, fsrcs, reg(this.fs1), (d, s) => this.fmove(d, s));
    asm.comment(callee.name).call(this.fnLabels[inst.callee] as Label);
    if (inst.dst !== null && this.alloc.locs[inst.dst] != null) {
      if (callee.result === "f64") this.fstore(inst.dst, 0);
      else this.store(inst.dst, EAX);
    }
    for (const r of saves) asm.movRM(r32(r), x64Mem(r64(ESP), this.saveOffsets.get(r) as number));
    for (const r of fsaves) asm.movsdFM(X(r), x64Mem(r64(ESP), this.fsaveOffsets.get(r) as number));
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
        asm.jmp(labels[t.target] as Label);
        return;
      }
      case "br": {
        const a = this.read(t.a, ECX);
        this.compare(a, t.b);
        const cc = CC[t.cond];
        if (t.then === next) asm.jcc(invert(cc), labels[t.else] as Label);
        else {
          asm.jcc(cc, labels[t.then] as Label);
          if (t.else !== next) asm.jmp(labels[t.else] as Label);
        }
        return;
      }
      case "fbr": {
        const a = this.fread(t.a, this.fs1);
        const b = this.fread(t.b, this.fs2);
        const thenL = labels[t.then] as Label;
        const elseL = labels[t.else] as Label;
        if (t.cond === "eq" || t.cond === "ne") {
          asm.ucomisdFF(X(a), X(b));
          const eq = t.cond === "eq";
          // Unordered (PF) is "not equal": to else for ==, to then for !=.
          asm.jcc("p", eq ? elseL : thenL);
          if (t.then === next) asm.jcc(eq ? "ne" : "e", elseL);
          else {
            asm.jcc(eq ? "e" : "ne", thenL);
            if (t.else !== next) asm.jmp(elseL);
          }
          return;
        }
        const { x, y, cc } = orderedCompare(t.cond, a, b);
        asm.ucomisdFF(X(x), X(y));
        if (t.then === next) asm.jcc(invertX64(cc), elseL);
        else {
          asm.jcc(cc, thenL);
          if (t.else !== next) asm.jmp(elseL);
        }
        return;
      }
      case "ret":
        if (t.value !== null && this.isF64(t.value)) this.fload(0, t.value);
        else if (t.value !== null) this.load(EAX, t.value);
        if (next < this.fn.blocks.length) asm.jmp(this.epilogue);
        return;
    }
  }

  // ---- the entry stub (and the ABI check stub, which is one with more in it) ----

  private stub(index: number, label: Label, check: boolean): void {
    const asm = this.asm;
    const fn = this.input.ir.functions[index] as FnIr;
    const win = this.abi === "win64";
    const saves = STUB_SAVES[this.abi];
    const inner = check ? asm.newLabel() : label;
    if (check) this.checkWrapper(label, inner, win, saves);
    asm.note(`${check ? "ABI check stub" : "entry stub"} for ${fn.name}: what JavaScript calls, with the state block's address`);
    asm.bind(inner);
    asm.pushR(r64(EBP));
    asm.movRR(r64(EBP), r64(ESP));
    for (const r of saves) asm.pushR(r64(r));
    // Win64's xmm6-xmm15 are the caller's: the unwind skips the functions' epilogues, so the stub keeps them.
    const xmmSave = (check || this.usesF64) && win ? 160 : 0;
    const out = (win ? 32 + 8 * 4 : 8 * 2) + xmmSave;
    const size = ((8 * (saves.length + 1) + 8 + out + 15) & ~15) - 8 * (saves.length + 1) - 8;
    asm.subRI(r64(ESP), size);
    const xmmAt = size - xmmSave;
    if (xmmSave > 0) for (let i = 0; i < 10; i++) asm.movdquMF(x64Mem(r64(ESP), xmmAt + 16 * i), { arch: "x64", id: 6 + i, name: `xmm${6 + i}` });
    // Under the check wrapper r15 already holds the block, and the argument register a known value.
    if (!check) asm.comment("the state block, for every function").movRR(r64(R15), r64(win && !this.options.win64OnSysv ? ECX : EDI));
    // limit = max(rsp - budget, floor)
    asm.movRR(r64(EAX), r64(ESP));
    asm.subRM(r64(EAX), x64Mem(r64(R15), STATE.budget));
    asm.movRM(r64(ECX), x64Mem(r64(R15), STATE.floor));
    asm.cmpRR(r64(EAX), r64(ECX));
    asm.cmovccRR("b", r64(EAX), r64(ECX));
    asm.comment("the stack limit for this call").movMR(x64Mem(r64(R15), STATE.limit), r64(EAX));
    asm.movMI32(x64Mem(r64(R15), STATE.site), -1);
    // Known values again: the stub's own prologue made rbp its frame pointer.
    if (check) this.fillCheck(win);
    if (check) this.recordSp(CHECK.spBefore);
    const places = this.places(fn.params.map((v) => fn.types[v] as VType));
    places.forEach((p, i) => {
      if (p.stack < 0) return;
      if (p.fp) {
        asm.movsdFM(X(this.fs1), x64Mem(r64(R15), STATE.fargs + 8 * i));
        asm.movsdMF(this.mem(outArg(p.stack)), X(this.fs1));
      } else {
        asm.movRM(r32(EAX), x64Mem(r64(R15), STATE.args + 4 * i));
        asm.movMR(this.mem(outArg(p.stack)), r32(EAX));
      }
    });
    places.forEach((p, i) => {
      if (p.stack >= 0) return;
      if (p.fp) asm.movsdFM(X(p.reg), x64Mem(r64(R15), STATE.fargs + 8 * i));
      else asm.movRM(r32(p.reg), x64Mem(r64(R15), STATE.args + 4 * i));
    });
    const setup = asm.newLabel();
    asm.comment("records where to unwind to, then jumps to the function").call(setup);
    if (fn.result === "f64") asm.movsdMF(x64Mem(r64(R15), STATE.fresult), X(0));
    else asm.movMR(x64Mem(r64(R15), STATE.result), r32(EAX));
    if (check) this.dumpCheck(win, CHECK.out, CHECK.spAfter);
    asm.comment("-1, or the site that stopped the run").movRM(r32(EAX), x64Mem(r64(R15), STATE.site));
    if (xmmSave > 0) for (let i = 0; i < 10; i++) asm.movdquFM({ arch: "x64", id: 6 + i, name: `xmm${6 + i}` }, x64Mem(r64(ESP), xmmAt + 16 * i));
    asm.addRI(r64(ESP), size);
    for (let i = saves.length - 1; i >= 0; i--) asm.popR(r64(saves[i] as number));
    asm.popR(r64(EBP));
    asm.ret();
    asm.bind(setup);
    asm.comment("rsp points at the return address into the stub").movMR(x64Mem(r64(R15), STATE.savedSp), r64(ESP));
    asm.jmp(this.fnLabels[index] as Label);
  }

  /**
   * The ABI check stub's outer half: saves JavaScript's registers, puts the known values in every
   * callee-saved register, and calls the inner half (an entry stub that records what the function
   * left in them). What it finds after that call is what an entry stub's caller sees, after a return
   * or an unwind alike: the unwind path's restoring is checked too (CHECK.outer).
   */
  private checkWrapper(label: Label, inner: Label, win: boolean, saves: readonly number[]): void {
    const asm = this.asm;
    asm.note("ABI check wrapper: known values in, the entry stub called, what comes back out");
    asm.bind(label);
    asm.pushR(r64(EBP));
    asm.movRR(r64(EBP), r64(ESP));
    for (const r of saves) asm.pushR(r64(r));
    const xmmSave = win ? 160 : 0;
    const out = (win ? 32 : 0) + xmmSave;
    const size = ((8 * (saves.length + 1) + 8 + out + 15) & ~15) - 8 * (saves.length + 1) - 8;
    asm.subRI(r64(ESP), size);
    const xmmAt = size - xmmSave;
    if (xmmSave > 0) for (let i = 0; i < 10; i++) asm.movdquMF(x64Mem(r64(ESP), xmmAt + 16 * i), { arch: "x64", id: 6 + i, name: `xmm${6 + i}` });
    asm.movRR(r64(R15), r64(win && !this.options.win64OnSysv ? ECX : EDI));
    this.fillCheck(win);
    this.recordSp(CHECK.outerSpBefore);
    asm.call(inner);
    asm.movRR(r64(ECX), r64(EAX));
    this.dumpCheck(win, CHECK.outer, CHECK.outerSpAfter);
    asm.movRR(r64(EAX), r64(ECX));
    if (xmmSave > 0) for (let i = 0; i < 10; i++) asm.movdquFM({ arch: "x64", id: 6 + i, name: `xmm${6 + i}` }, x64Mem(r64(ESP), xmmAt + 16 * i));
    asm.addRI(r64(ESP), size);
    for (let i = saves.length - 1; i >= 0; i--) asm.popR(r64(saves[i] as number));
    asm.popR(r64(EBP));
    asm.ret();
  }

  private recordSp(at: number): void {
    this.asm.movRM(r64(EAX), x64Mem(r64(R15), STATE.aux));
    this.asm.movMR(x64Mem(r64(EAX), at), r64(ESP));
  }

  /** The check stub: every callee-saved register gets the known value from the check buffer. */
  private fillCheck(win: boolean): void {
    const asm = this.asm;
    const layout = checkLayout(this.abi);
    asm.movRM(r64(EAX), x64Mem(r64(R15), STATE.aux));
    layout.gp.forEach((name, k) => {
      const id = NAMES.indexOf(name);
      if (id !== R15) asm.movRM(r64(id), x64Mem(r64(EAX), CHECK.in + 8 * k));
    });
    if (win) {
      layout.vec.forEach((_, k) => {
        asm.movRM(r64(ECX), x64Mem(r64(EAX), CHECK.in + 8 * (layout.gp.length + k)));
        asm.movqFR({ arch: "x64", id: 6 + k, name: `xmm${6 + k}` }, r64(ECX));
      });
    }
  }

  /** After the call: what every callee-saved register holds now, into the check buffer at `to`. */
  private dumpCheck(win: boolean, to: number, spAt: number): void {
    const asm = this.asm;
    const layout = checkLayout(this.abi);
    asm.movRM(r64(EAX), x64Mem(r64(R15), STATE.aux));
    asm.movMR(x64Mem(r64(EAX), spAt), r64(ESP));
    layout.gp.forEach((name, k) => asm.movMR(x64Mem(r64(EAX), to + 8 * k), r64(NAMES.indexOf(name))));
    if (win) {
      layout.vec.forEach((_, k) => {
        asm.movqRF(r64(EDX), { arch: "x64", id: 6 + k, name: `xmm${6 + k}` });
        asm.movMR(x64Mem(r64(EAX), to + 8 * (layout.gp.length + k)), r64(EDX));
      });
    }
  }
}

const COMMUTATIVE = new Set(["add", "mul", "and", "or", "xor", "min", "max"]);

/**
 * An ordered comparison of doubles as ucomisd x, y and a condition that is false when either is NaN:
 * `a` (above: CF and ZF clear) and `ae` (CF clear) are, and unordered sets CF; so a < b is b > a.
 */
function orderedCompare(c: Cond, a: number, b: number): { x: number; y: number; cc: X64Cond } {
  switch (c) {
    case "gt": return { x: a, y: b, cc: "a" };
    case "ge": return { x: a, y: b, cc: "ae" };
    case "lt": return { x: b, y: a, cc: "a" };
    default: return { x: b, y: a, cc: "ae" };
  }
}

function invert(cc: X64Cond): X64Cond {
  const pairs: Record<string, X64Cond> = { e: "ne", ne: "e", l: "ge", ge: "l", le: "g", g: "le" };
  return pairs[cc] as X64Cond;
}
