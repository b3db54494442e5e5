/**
 * The expression back end: a folded Expr tree to machine code, through the emitter, for x86-64
 * (System V or Win64) and arm64 (AAPCS64).
 *
 * Register allocation: the tree is walked once; `gen(e, d)` leaves e's value in register d. A binary
 * node puts its left operand in d and its right one in a second register, evaluating the
 * register-hungrier side first (Sethi–Ullman), so a tree that needs k registers gets by with k.
 * Parameters stay in the registers they arrive in and are read there; constants become immediates
 * where an instruction form takes one. When every register holds a live value, a node borrows one:
 * push it, use it, pop it back (a spill). Pushes and pops nest like the tree, so any tree compiles
 * with two registers. Only caller-saved registers are used, except on Win64 when four parameters
 * leave none free: then rsi and rdi are saved on entry and restored on exit.
 *
 * x86-64's fixed registers: idiv divides edx:eax, and a variable shift counts in cl. So ecx and edx
 * are never allocated (they are scratch inside those sequences only), and a parameter arriving in
 * one of them moves on entry if the tree divides or shifts by a variable count. eax is allocated (the
 * result goes there); a division whose dividend must go in eax borrows it when it is busy.
 * arm64 has no fixed registers; while parameter 0 is live in w0, only the last instruction of the
 * tree may write w0, and w16 holds the quotient inside a remainder sequence.
 *
 * Truth values: comparisons, `!`, `&&`, `||` and `?:` tests leave their answer in the flags, and only
 * become 0/1 (setcc + movzx, cset) where a value is needed.
 *
 * Division by zero: every runtime `/` and `%` checks its divisor and jumps to an exit that returns
 * 0x00000000ffffffff (not an int32), after dropping whatever the spills had pushed; the normal exit
 * sign-extends the int32 result to 64 bits. jit.ts turns the former into JitError E_DIV_ZERO.
 */
import {
  A64Assembler,
  type A64Cond,
  type A64Gp,
  type Code,
  type Label,
  X64Assembler,
  type X64Cond,
  type X64Gp,
  a64Gp,
  invertA64,
  invertX64,
  x64Gp,
} from "../emit.ts";
import { JitError } from "../errors.ts";
import type { Target } from "../platform.ts";
import type { BinaryOp, Expr } from "./ast.ts";

export interface CodegenOptions {
  readonly target: Target;
  /** Parameter names (for listing comments); parameter i is the i-th argument. */
  readonly params: readonly string[];
  /** Testing hook: allocate at most this many registers for values (at least 2), to force spills. */
  readonly registers?: number;
}

export interface Generated {
  readonly code: Code;
  /** The tree divides at run time, so the code reports division by zero (see jit.ts `checked`). */
  readonly checked: boolean;
}

/** Generates code for a folded tree; `options.params.length` (≤ 4) is the arity. */
export function generate(tree: Expr, options: CodegenOptions): Generated {
  const facts = analyze(tree);
  const limit = options.registers ?? Infinity;
  if (!(limit >= 2)) throw new JitError("E_RANGE", `the code generator needs at least 2 registers, not ${limit}`);
  if (options.params.length > 4) throw new JitError("E_RANGE", `at most 4 parameters, not ${options.params.length}`);
  const { arch, abi } = options.target;
  if (arch === "arm64") {
    if (abi !== "aapcs64") throw new JitError("E_TARGET", `the ${abi} calling convention does not exist for arm64`);
    return { code: new A64Backend(facts, options.params, limit).run(tree), checked: facts.divides };
  }
  if (abi === "aapcs64") throw new JitError("E_TARGET", "the aapcs64 calling convention is for arm64 code");
  return { code: new X64Backend(facts, options.params, abi, limit).run(tree), checked: facts.divides };
}

// ---------------------------------------------------------------------------------------------------
// Analysis: what must be known before the first instruction is written.

interface Facts {
  /** Sethi–Ullman numbers of inner nodes needing more than one register (need() defaults to 1). */
  readonly need: Map<Expr, number>;
  /** Bit i set: parameter i is read somewhere. */
  usedParams: number;
  divides: boolean;
  shifts: boolean;
}

function analyze(tree: Expr): Facts {
  const facts: Facts = { need: new Map(), usedParams: 0, divides: false, shifts: false };
  visit(tree, facts);
  return facts;
}

/** Returns the node's need: how many registers evaluating it into a register of its own takes. */
function visit(e: Expr, facts: Facts): number {
  let n: number;
  switch (e.kind) {
    case "num":
      return 1;
    case "param":
      facts.usedParams |= 1 << e.index;
      return 1;
    case "unary":
      n = visit(e.arg, facts);
      break;
    case "binary": {
      const divides = e.op === "div" || e.op === "mod";
      if (divides) facts.divides = true;
      if (e.right.kind !== "num" && isShift(e.op)) facts.shifts = true;
      const swap = swapped(e);
      const l = visit(swap ? e.right : e.left, facts);
      const right = swap ? e.left : e.right;
      const r = visit(right, facts);
      // A parameter is read where it lives, and most constants become immediates: no register.
      const direct = right.kind === "param" || (right.kind === "num" && !divides);
      n = direct ? l : l === r ? l + 1 : Math.max(l, r);
      break;
    }
    case "logical":
      n = Math.max(visit(e.left, facts), visit(e.right, facts));
      break;
    case "cond":
      n = Math.max(visit(e.test, facts), visit(e.then, facts), visit(e.else, facts));
      break;
  }
  if (n !== 1) facts.need.set(e, n); // most nodes need one register: need() defaults to 1, unrecorded
  return n;
}

// Operator classes as switches: asked several times per node, and a switch is cheaper than Set#has.
function isComparison(op: BinaryOp): boolean {
  switch (op) {
    case "lt": case "le": case "gt": case "ge": case "eq": case "ne": return true;
    default: return false;
  }
}
function isCommutative(op: BinaryOp): boolean {
  switch (op) {
    case "add": case "mul": case "and": case "or": case "xor": return true;
    default: return false;
  }
}
function isShift(op: BinaryOp): boolean {
  return op === "shl" || op === "sar" || op === "shr";
}
/** a < b is b > a: the comparison that holds with its operands swapped. */
const MIRROR: Partial<Record<BinaryOp, BinaryOp>> = { lt: "gt", gt: "lt", le: "ge", ge: "le", eq: "eq", ne: "ne" };

/** How directly an operand can be used: a constant as an immediate (2), a parameter in place (1). */
function rank(e: Expr): number {
  return e.kind === "num" ? 2 : e.kind === "param" ? 1 : 0;
}

/**
 * Whether to evaluate a commutative operation or comparison with its operands swapped, so that the
 * more direct one (constant, then parameter) is on the right, where instructions take it as it is:
 * `3 * x` becomes `imul eax, edi, 3`, `5 < x` becomes `cmp edi, 5` + `setg`.
 */
function swapped(e: Binary): boolean {
  return rank(e.left) > rank(e.right) && (isCommutative(e.op) || isComparison(e.op));
}

/** The comparison operator as evaluated (mirrored when the operands are swapped). */
function comparison(e: Binary, swap: boolean): BinaryOp {
  const op = swap ? MIRROR[e.op] : e.op;
  if (op === undefined) throw new JitError("E_INTERNAL", `${e.op} is not a comparison`);
  return op;
}

const bit = (r: number): number => 1 << r;
const BORROWED = 0x100; // marks a taken register that was pushed, not free

type Binary = Extract<Expr, { kind: "binary" }>;
type Logical = Extract<Expr, { kind: "logical" }>;
type Cond = Extract<Expr, { kind: "cond" }>;

// ---------------------------------------------------------------------------------------------------
// What both back ends share: the register pool, spills, and the division-by-zero exits.

/** `Cc` is the architecture's condition-code type (X64Cond, A64Cond). */
abstract class Backend<Cc extends string> {
  protected readonly facts: Facts;
  protected readonly names: readonly string[];
  /** Registers holding a live value, one bit per register number. */
  protected busy = 0;
  /** Registers for values, in order of preference. */
  protected order: readonly number[] = [];
  /** One entry per take(), innermost last: the register, plus BORROWED if it was pushed. */
  private readonly taken: number[] = [];
  /** Values the spills have pushed at this point of the code (statically known: pushes nest). */
  protected depth = 0;
  /** Division-by-zero exits, by spill depth at the jump. */
  protected readonly zero: (Label | undefined)[] = [];

  constructor(facts: Facts, names: readonly string[]) {
    this.facts = facts;
    this.names = names;
  }

  protected abstract newLabel(): Label;
  protected abstract push(r: number): void;
  protected abstract pop(r: number): void;
  /** Leave e's value in register d. */
  protected abstract gen(e: Expr, d: number): void;
  /** Set the flags from comparing register r (32-bit) with 0; `comment` names what r holds. */
  protected abstract compareRegisterWithZero(r: number, comment?: string): void;
  /** The register a parameter lives in at this point. */
  protected abstract parameterRegister(e: Extract<Expr, { kind: "param" }>): number;
  /** Branch to `label` if the last comparison saw zero (`ifZero`) or nonzero. */
  protected abstract branchOnFlags(ifZero: boolean, label: Label, comment: string): void;
  protected abstract bind(label: Label): void;
  /** Set the flags from a comparison and return the condition meaning "true". */
  protected abstract compare(e: Binary, d: number): Cc;
  /** The condition meaning the opposite. */
  protected abstract invert(cc: Cc): Cc;
  /** The condition meaning "the last comparison with 0 saw nonzero". */
  protected abstract readonly notZero: Cc;

  /** Sets the flags from e's truth and returns the condition meaning "e is not 0"; d is scratch. */
  protected truth(e: Expr, d: number): Cc {
    if (e.kind === "binary" && isComparison(e.op)) return this.compare(e, d);
    if (e.kind === "unary" && e.op === "lnot") return this.invert(this.truth(e.arg, d));
    this.compareZero(e, d);
    return this.notZero;
  }

  /** Sets the flags so that "not equal" means e is not 0. */
  protected compareZero(e: Expr, d: number): void {
    if (e.kind === "param") {
      this.compareRegisterWithZero(this.parameterRegister(e), this.name(e));
    } else if (e.kind === "logical") {
      this.logicalFlags(e, d);
    } else {
      this.gen(e, d);
      this.compareRegisterWithZero(d);
    }
  }

  /** a && b, a || b as flags: both paths reach `done` with "not equal" exactly when the result is 1. */
  protected logicalFlags(e: Logical, d: number): void {
    const done = this.newLabel();
    this.compareZero(e.left, d);
    this.branchOnFlags(e.op === "land", done, e.op === "land" ? "0 && ... is 0" : "nonzero || ... is 1");
    this.compareZero(e.right, d);
    this.bind(done);
  }

  protected need(e: Expr): number {
    return e.kind === "param" ? 0 : (this.facts.need.get(e) ?? 1);
  }

  protected uses(index: number): boolean {
    return (this.facts.usedParams & bit(index)) !== 0;
  }

  protected name(e: Extract<Expr, { kind: "param" }>): string {
    return this.names[e.index] ?? `parameter ${e.index + 1}`;
  }

  /** Where to resume after take()s: pass it to releaseTo(). */
  protected mark(): number {
    return this.taken.length;
  }

  /**
   * A register for a value, other than those in `avoid`: a free one if any, else one borrowed from
   * an enclosing node (pushed now, popped by releaseTo). Never borrow a register the caller still
   * reads or writes after this take: its old value would come back over the new one.
   */
  protected take(avoid: number): number {
    for (const r of this.order) {
      if (((this.busy | avoid) & bit(r)) === 0) {
        this.busy |= bit(r);
        this.taken.push(r);
        return r;
      }
    }
    for (const r of this.order) {
      if ((avoid & bit(r)) === 0) {
        this.push(r);
        this.taken.push(r | BORROWED);
        return r;
      }
    }
    throw new JitError("E_INTERNAL", "no register to borrow");
  }

  /** Take one particular register (x86's eax for idiv), borrowing it if busy. */
  protected takeThis(r: number): void {
    if ((this.busy & bit(r)) === 0) {
      this.busy |= bit(r);
      this.taken.push(r);
    } else {
      this.push(r);
      this.taken.push(r | BORROWED);
    }
  }

  /** Give back what was taken since `mark`, innermost first (so pops mirror pushes). */
  protected releaseTo(mark: number): void {
    while (this.taken.length > mark) {
      const t = this.taken.pop() ?? 0;
      if ((t & BORROWED) !== 0) this.pop(t & 0xff);
      else this.busy &= ~bit(t);
    }
  }

  /** The exit to jump to on division by zero from here: one per spill depth, each dropping what was pushed. */
  protected zeroLabel(): Label {
    let label = this.zero[this.depth];
    if (label === undefined) {
      label = this.newLabel();
      this.zero[this.depth] = label;
    }
    return label;
  }
}

// ---------------------------------------------------------------------------------------------------
// x86-64

const EAX = 0, ECX = 1, EDX = 2, ESI = 6, EDI = 7;
const R8 = Array.from({ length: 16 }, (_, i) => x64Gp(i, 8));
const R32 = Array.from({ length: 16 }, (_, i) => x64Gp(i, 32));
const R64 = Array.from({ length: 16 }, (_, i) => x64Gp(i, 64));
const r8 = (r: number): X64Gp => R8[r] ?? R8[0]!;
const r32 = (r: number): X64Gp => R32[r] ?? R32[0]!;
const r64 = (r: number): X64Gp => R64[r] ?? R64[0]!;

const X64_ABI = {
  // Argument registers; caller-saved registers other than eax, ecx, edx; callee-saved fallbacks.
  sysv: { args: [EDI, ESI, EDX, ECX], temps: [8, 9, 10, 11, ESI, EDI], saved: [3] },
  win64: { args: [ECX, EDX, 8, 9], temps: [8, 9, 10, 11], saved: [ESI, EDI] },
} as const;

const X64_CC: Partial<Record<BinaryOp, X64Cond>> = { lt: "l", le: "le", gt: "g", ge: "ge", eq: "e", ne: "ne" };

class X64Backend extends Backend<X64Cond> {
  protected readonly notZero = "ne";
  private readonly asm = new X64Assembler();
  private readonly abi: (typeof X64_ABI)[keyof typeof X64_ABI];
  /** Where each parameter lives during the function. */
  private readonly homes: number[];
  /** Callee-saved registers pushed on entry, in push order. */
  private readonly saved: number[] = [];

  constructor(facts: Facts, names: readonly string[], abi: "sysv" | "win64", limit: number) {
    super(facts, names);
    this.abi = X64_ABI[abi];
    this.homes = [...this.abi.args];
    this.plan(limit);
  }

  /** Choose the registers: move parameters out of ecx/edx if needed, save callee-saved ones if short. */
  private plan(limit: number): void {
    let free: number[] = [];
    for (const r of this.abi.temps) if (!this.holdsParameter(r)) free.push(r);
    const moves: number[] = []; // parameter indices
    for (let i = 0; i < this.homes.length; i++) {
      const home = this.homes[i];
      if (!this.uses(i) || !((home === ECX && this.facts.shifts) || (home === EDX && this.facts.divides))) continue;
      const to = free.pop();
      if (to === undefined) throw new JitError("E_INTERNAL", "no register for a parameter");
      this.homes[i] = to;
      moves.push(i);
    }
    if (free.length === 0) {
      // Win64 with four parameters that divide and shift: use callee-saved registers, saved on entry.
      free = this.abi.saved.slice(0, Math.max(1, Math.min(2, limit - 1)));
      this.saved.push(...free);
    }
    const order = free.length < limit ? free : free.slice(0, limit - 1);
    order.push(EAX);
    this.order = order;
    for (const r of this.saved) this.asm.comment(`${r64(r).name} is callee-saved: keep the caller's value`).pushR(r64(r));
    for (const i of moves) {
      const from = this.abi.args[i] ?? ECX;
      const why = from === ECX ? "shift counts need cl" : "idiv needs edx";
      this.asm.comment(`${this.names[i] ?? `parameter ${i + 1}`} (moved: ${why})`).movRR(r32(this.homes[i] ?? EAX), r32(from));
    }
  }

  private holdsParameter(r: number): boolean {
    for (let i = 0; i < this.homes.length; i++) if (this.homes[i] === r && this.uses(i)) return true;
    return false;
  }

  run(tree: Expr): Code {
    const asm = this.asm;
    this.busy = bit(EAX);
    this.gen(tree, EAX);
    if (this.facts.divides) asm.comment("sign-extend the result: an int32 in rax means success").movsxdRR(r64(EAX), r32(EAX));
    this.restoreSaved();
    asm.comment("the result is in eax").ret();
    if (this.zero.length > 0) {
      for (let k = this.zero.length - 1; k > 0; k--) {
        const label = this.zero[k];
        if (label !== undefined) asm.bind(label);
        asm.comment("drop a value the spills pushed").popR(r64(ECX));
      }
      const label = this.zero[0];
      if (label !== undefined) asm.bind(label);
      asm.comment("division by zero: 0x00000000ffffffff is no int32").movRI32(r32(EAX), -1);
      this.restoreSaved();
      asm.ret();
    }
    return asm.finish();
  }

  private restoreSaved(): void {
    for (let i = this.saved.length - 1; i >= 0; i--) this.asm.popR(r64(this.saved[i] ?? 0));
  }

  protected newLabel(): Label {
    return this.asm.newLabel();
  }
  protected push(r: number): void {
    this.asm.comment(`out of registers: save ${r64(r).name} on the stack`).pushR(r64(r));
    this.depth++;
  }
  protected pop(r: number): void {
    this.asm.comment(`restore ${r64(r).name}`).popR(r64(r));
    this.depth--;
  }

  private home(e: Extract<Expr, { kind: "param" }>): number {
    return this.homes[e.index] ?? EAX;
  }

  /** Leaves e's value in register d (which it may use as scratch on the way). */
  protected gen(e: Expr, d: number): void {
    const asm = this.asm;
    switch (e.kind) {
      case "num":
        asm.movRI32(r32(d), e.value);
        return;
      case "param":
        asm.comment(this.name(e)).movRR(r32(d), r32(this.home(e)));
        return;
      case "unary":
        if (e.op === "lnot") return this.setFlag(invertX64(this.truth(e.arg, d)), d);
        this.gen(e.arg, d);
        if (e.op === "neg") asm.negR(r32(d));
        else asm.notR(r32(d));
        return;
      case "binary":
        return this.binary(e, d);
      case "logical":
        return this.logical(e, d);
      case "cond":
        return this.cond(e, d);
    }
  }

  private binary(e: Binary, d: number): void {
    const op = e.op;
    if (op === "div" || op === "mod") return this.divide(e, d);
    if (isShift(op)) return this.shift(e, d);
    if (isComparison(op)) return this.setFlag(this.compare(e, d), d);
    const swap = swapped(e);
    const left = swap ? e.right : e.left;
    const right = swap ? e.left : e.right;
    const asm = this.asm;
    const a = r32(d);
    if (right.kind === "num") {
      const v = right.value;
      if (op === "mul" && left.kind === "param") {
        // The three-operand imul reads the parameter in place: no copy first.
        asm.comment(this.name(left)).imulRRI(a, r32(this.home(left)), v);
        return;
      }
      this.gen(left, d);
      switch (op) {
        case "add": asm.addRI(a, v); break;
        case "sub": asm.subRI(a, v); break;
        case "mul": asm.imulRRI(a, a, v); break;
        case "and": asm.andRI(a, v); break;
        case "or": asm.orRI(a, v); break;
        case "xor": asm.xorRI(a, v); break;
        default: throw new JitError("E_INTERNAL", `unexpected operator ${op}`);
      }
      return;
    }
    const mark = this.mark();
    const b = r32(this.pair(left, d, right));
    if (right.kind === "param") asm.comment(this.name(right));
    switch (op) {
      case "add": asm.addRR(a, b); break;
      case "sub": asm.subRR(a, b); break;
      case "mul": asm.imulRR(a, b); break;
      case "and": asm.andRR(a, b); break;
      case "or": asm.orRR(a, b); break;
      case "xor": asm.xorRR(a, b); break;
      default: throw new JitError("E_INTERNAL", `unexpected operator ${op}`);
    }
    this.releaseTo(mark);
  }

  /**
   * Left into d, right into a second register, the hungrier side first; returns the second register
   * (a parameter's own, or one taken here, given back by the caller's releaseTo).
   */
  private pair(left: Expr, d: number, right: Expr): number {
    if (right.kind === "param") {
      this.gen(left, d);
      return this.home(right);
    }
    if (this.need(right) > this.need(left)) {
      const t = this.take(bit(d));
      this.gen(right, t);
      this.gen(left, d);
      return t;
    }
    this.gen(left, d);
    const t = this.take(bit(d));
    this.gen(right, t);
    return t;
  }

  /** cmp for a comparison; returns the condition that holds when it is true. */
  protected compare(e: Binary, d: number): X64Cond {
    const swap = swapped(e);
    const cc = X64_CC[comparison(e, swap)] ?? "e";
    const left = swap ? e.right : e.left;
    const right = swap ? e.left : e.right;
    const mark = this.mark();
    if (right.kind !== "num" && right.kind !== "param") {
      const t = this.pair(left, d, right); // left is no parameter: the swap put those on the right
      this.asm.cmpRR(r32(d), r32(t));
    } else {
      let l = d;
      if (left.kind === "param") {
        l = this.home(left);
        this.asm.comment(right.kind === "param" ? `${this.name(left)}, ${this.name(right)}` : this.name(left));
      } else {
        this.gen(left, d);
        if (right.kind === "param") this.asm.comment(this.name(right));
      }
      if (right.kind === "num") this.compareImmediate(l, right.value);
      else this.asm.cmpRR(r32(l), r32(this.home(right)));
    }
    this.releaseTo(mark);
    return cc;
  }

  /**
   * cmp r, imm. Assemblers encode `cmp eax, imm32` in the short accumulator form (3D id), which
   * cmpRI does not write; so that every listing reassembles to the same bytes, such a constant goes
   * through a register instead.
   */
  private compareImmediate(r: number, imm: number): void {
    if (r !== EAX || (imm >= -128 && imm <= 127)) {
      this.asm.cmpRI(r32(r), imm);
      return;
    }
    const t = this.take(bit(r));
    this.asm.movRI32(r32(t), imm);
    this.asm.cmpRR(r32(r), r32(t));
  }

  /** 1 or 0 in d from the flags. */
  private setFlag(cc: X64Cond, d: number): void {
    this.asm.setccR(cc, r8(d));
    this.asm.movzxRR(r32(d), r8(d));
  }

  protected invert(cc: X64Cond): X64Cond {
    return invertX64(cc);
  }

  protected compareRegisterWithZero(r: number, comment?: string): void {
    if (comment !== undefined) this.asm.comment(comment);
    this.asm.cmpRI(r32(r), 0);
  }

  protected parameterRegister(e: Extract<Expr, { kind: "param" }>): number {
    return this.home(e);
  }

  protected branchOnFlags(ifZero: boolean, label: Label, comment: string): void {
    this.asm.comment(comment).jcc(ifZero ? "e" : "ne", label);
  }

  protected bind(label: Label): void {
    this.asm.bind(label);
  }

  private logical(e: Logical, d: number): void {
    this.logicalFlags(e, d);
    this.asm.comment("1 if the last cmp saw nonzero");
    this.setFlag("ne", d);
  }

  private cond(e: Cond, d: number): void {
    const otherwise = this.newLabel();
    const end = this.newLabel();
    this.asm.jcc(invertX64(this.truth(e.test, d)), otherwise);
    this.gen(e.then, d);
    this.asm.jmp(end);
    this.asm.bind(otherwise);
    this.gen(e.else, d);
    this.asm.bind(end);
  }

  /** Shifts use the count's low 5 bits (the hardware does too); a variable count goes in cl. */
  private shift(e: Binary, d: number): void {
    const { left, right } = e;
    const a = r32(d);
    if (right.kind === "num") {
      this.gen(left, d);
      const count = right.value & 31;
      if (count !== right.value) this.asm.comment(`count ${right.value} & 31 = ${count}`);
      if (count === 0) return;
      if (e.op === "shl") this.asm.shlRI(a, count);
      else if (e.op === "sar") this.asm.sarRI(a, count);
      else this.asm.shrRI(a, count);
      return;
    }
    const mark = this.mark();
    const count = this.pair(left, d, right);
    this.asm.comment(`the shift count${right.kind === "param" ? ` (${this.name(right)})` : ""} goes in cl`).movRR(r32(ECX), r32(count));
    if (e.op === "shl") this.asm.shlRCl(a);
    else if (e.op === "sar") this.asm.sarRCl(a);
    else this.asm.shrRCl(a);
    this.releaseTo(mark);
  }

  /**
   * idiv divides edx:eax: the dividend goes in eax (borrowed if busy) and the divisor anywhere else.
   * Guards: a zero divisor exits; -1 is done without idiv, which traps on -2147483648 / -1.
   */
  private divide(e: Binary, d: number): void {
    const asm = this.asm;
    const mod = e.op === "mod";
    const { left, right } = e;
    if (right.kind === "num" && right.value === 0) {
      asm.comment("division by zero, whatever the dividend").jmp(this.zeroLabel());
      return;
    }
    if (right.kind === "num" && right.value === -1) {
      this.gen(left, d);
      if (mod) asm.comment("n % -1 is 0").movRI32(r32(d), 0);
      else asm.comment("n / -1 is -n (idiv would trap on -2147483648 / -1)").negR(r32(d));
      return;
    }
    const mark = this.mark();
    let divisor: number;
    if (d === EAX) {
      divisor = this.pair(left, EAX, right);
    } else {
      this.takeThis(EAX);
      if (right.kind === "param") {
        this.gen(left, EAX);
        divisor = this.home(right);
      } else {
        divisor = d; // d is ours until the result goes in it
        if (this.need(right) > this.need(left)) {
          this.gen(right, d);
          this.gen(left, EAX);
        } else {
          this.gen(left, EAX);
          this.gen(right, d);
        }
      }
    }
    const s = r32(divisor);
    const eax = r32(EAX), edx = r32(EDX);
    if (right.kind !== "num") {
      const what = right.kind === "param" ? `divisor ${this.name(right)}` : "divisor";
      asm.comment(`${what} 0?`).cmpRI(s, 0);
      asm.comment("report division by zero").jcc("e", this.zeroLabel());
      const general = this.newLabel();
      const done = this.newLabel();
      asm.cmpRI(s, -1);
      asm.jcc("ne", general);
      if (mod) asm.comment("n % -1 is 0 (idiv would trap on -2147483648 % -1)").xorRR(edx, edx);
      else asm.comment("n / -1 is -n (idiv would trap on -2147483648 / -1)").negR(eax);
      asm.jmp(done);
      asm.bind(general);
      asm.comment("sign-extend eax into edx:eax").cdq();
      asm.comment("eax = quotient, edx = remainder").idivR(s);
      asm.bind(done);
    } else {
      asm.comment("sign-extend eax into edx:eax").cdq();
      asm.comment("eax = quotient, edx = remainder").idivR(s);
    }
    if (mod) asm.movRR(r32(d), edx);
    else if (d !== EAX) asm.movRR(r32(d), eax);
    this.releaseTo(mark);
  }
}

// ---------------------------------------------------------------------------------------------------
// arm64: three-address instructions, no fixed registers, parameters in w0..w3 and the result in w0.

const W = Array.from({ length: 31 }, (_, i) => a64Gp(i, 32));
const X = Array.from({ length: 31 }, (_, i) => a64Gp(i, 64));
const w = (r: number): A64Gp => W[r] ?? W[0]!;
const x = (r: number): A64Gp => X[r] ?? X[0]!;

/** Caller-saved registers that are not argument registers (x16 is our scratch, x17 unused, x18 the OS's). */
const A64_TEMPS = [9, 10, 11, 12, 13, 14, 15, 4, 5, 6, 7, 8];
const SCRATCH = 16;

const A64_CC: Partial<Record<BinaryOp, A64Cond>> = { lt: "lt", le: "le", gt: "gt", ge: "ge", eq: "eq", ne: "ne" };

class A64Backend extends Backend<A64Cond> {
  protected readonly notZero = "ne";
  private readonly asm = new A64Assembler();

  constructor(facts: Facts, names: readonly string[], limit: number) {
    super(facts, names);
    // Argument registers of absent or unused parameters are free too (w0 is the result's).
    const temps = [...A64_TEMPS, ...[1, 2, 3].filter((r) => !this.uses(r))];
    this.order = temps.slice(0, limit);
  }

  run(tree: Expr): Code {
    const asm = this.asm;
    // w0 is the result; while parameter 0 lives there it may be written only by the last instruction.
    if (!this.uses(0)) this.busy = bit(0);
    this.gen(tree, 0);
    if (this.facts.divides) asm.comment("sign-extend the result: an int32 in x0 means success").sxtw(x(0), w(0));
    asm.comment("the result is in w0").ret();
    if (this.zero.length > 0) {
      for (let k = this.zero.length - 1; k > 0; k--) {
        const label = this.zero[k];
        if (label !== undefined) asm.bind(label);
        asm.comment("drop a value the spills pushed").popX(x(9));
      }
      const label = this.zero[0];
      if (label !== undefined) asm.bind(label);
      asm.comment("division by zero: 0x00000000ffffffff is no int32");
      asm.movImm32(w(0), -1);
      asm.ret();
    }
    return asm.finish();
  }

  protected newLabel(): Label {
    return this.asm.newLabel();
  }
  protected push(r: number): void {
    this.asm.comment(`out of registers: save x${r} on the stack`).pushX(x(r));
    this.depth++;
  }
  protected pop(r: number): void {
    this.asm.comment(`restore x${r}`).popX(x(r));
    this.depth--;
  }

  /** d is w0 while parameter 0 still lives there: then only e's last instruction may write it. */
  private pinned(d: number): boolean {
    return d === 0 && this.uses(0);
  }

  /** A register for e's value: the parameter's own, d if it may be written now, or a taken one. */
  private operand(e: Expr, d: number, avoid: number): number {
    if (e.kind === "param") return e.index;
    const r = this.pinned(d) || (avoid & bit(d)) !== 0 ? this.take(avoid | bit(d)) : d;
    this.gen(e, r);
    return r;
  }

  /** Both operands of a binary node, the hungrier side first. */
  private operands(left: Expr, right: Expr, d: number): [number, number] {
    if (this.need(right) > this.need(left)) {
      const r = this.operand(right, d, 0);
      return [this.operand(left, d, bit(r)), r];
    }
    const l = this.operand(left, d, 0);
    return [l, this.operand(right, d, bit(l))];
  }

  /** A scratch register for tests and truth values: d unless parameter 0 still lives there. */
  private scratch(d: number): number {
    return this.pinned(d) ? this.take(bit(d)) : d;
  }

  protected gen(e: Expr, d: number): void {
    const asm = this.asm;
    switch (e.kind) {
      case "num":
        asm.movImm32(w(d), e.value);
        return;
      case "param":
        if (d !== e.index) asm.comment(this.name(e)).movRR(w(d), w(e.index));
        return;
      case "unary": {
        const mark = this.mark();
        if (e.op === "lnot") {
          const cc = this.truth(e.arg, this.scratch(d));
          asm.cset(w(d), invertA64(cc));
        } else {
          const a = this.operand(e.arg, d, 0);
          if (e.op === "neg") asm.negR(w(d), w(a));
          else asm.mvnR(w(d), w(a));
        }
        this.releaseTo(mark);
        return;
      }
      case "binary":
        return this.binary(e, d);
      case "logical":
        return this.logical(e, d);
      case "cond":
        return this.cond(e, d);
    }
  }

  private binary(e: Binary, d: number): void {
    const asm = this.asm;
    const op = e.op;
    const mark = this.mark();
    if (isComparison(op)) {
      const cc = this.compare(e, d);
      this.releaseTo(mark);
      asm.cset(w(d), cc);
      return;
    }
    if ((op === "div" || op === "mod") && e.right.kind === "num" && e.right.value === 0) {
      asm.comment("division by zero, whatever the dividend").b(this.zeroLabel());
      return;
    }
    const swap = swapped(e);
    const left = swap ? e.right : e.left;
    const right = swap ? e.left : e.right;
    if (right.kind === "num" && this.immediate(op, left, right.value, d)) {
      this.releaseTo(mark);
      return;
    }
    const [l, r] = this.operands(left, right, d);
    const rd = w(d), rn = w(l), rm = w(r);
    switch (op) {
      case "add": asm.addRR(rd, rn, rm); break;
      case "sub": asm.subRR(rd, rn, rm); break;
      case "mul": asm.mulRR(rd, rn, rm); break;
      case "and": asm.andRR(rd, rn, rm); break;
      case "or": asm.orrRR(rd, rn, rm); break;
      case "xor": asm.eorRR(rd, rn, rm); break;
      // The 32-bit shifts use the count modulo 32, as JavaScript does.
      case "shl": asm.lslvRR(rd, rn, rm); break;
      case "sar": asm.asrvRR(rd, rn, rm); break;
      case "shr": asm.lsrvRR(rd, rn, rm); break;
      case "div":
      case "mod":
        this.divide(op === "mod", right, d, l, r);
        break;
      default:
        throw new JitError("E_INTERNAL", `unexpected operator ${op}`);
    }
    this.releaseTo(mark);
  }

  /** add/sub with a 12-bit immediate and shifts by a constant; false if `op` has no such form here. */
  private immediate(op: BinaryOp, left: Expr, v: number, d: number): boolean {
    const asm = this.asm;
    if ((op === "add" || op === "sub") && v > -4096 && v < 4096) {
      const l = this.operand(left, d, 0);
      // x + -5 is x - 5: the immediate field holds only 0..4095.
      if ((op === "add") === (v >= 0)) asm.addRI(w(d), w(l), Math.abs(v));
      else asm.subRI(w(d), w(l), Math.abs(v));
      return true;
    }
    if (!isShift(op)) return false;
    const count = v & 31;
    if (count !== v) asm.comment(`count ${v} & 31 = ${count}`);
    if (count === 0) {
      this.gen(left, d);
      return true;
    }
    const l = this.operand(left, d, 0);
    if (op === "shl") asm.lslRI(w(d), w(l), count);
    else if (op === "sar") asm.asrRI(w(d), w(l), count);
    else asm.lsrRI(w(d), w(l), count);
    return true;
  }

  /**
   * sdiv truncates toward zero and never traps: -2147483648 / -1 wraps to -2147483648 as JavaScript's
   * `| 0` does, but n / 0 gives 0, so a zero divisor is checked first. The remainder is n - q * divisor.
   */
  private divide(mod: boolean, right: Expr, d: number, l: number, r: number): void {
    const asm = this.asm;
    if (right.kind !== "num") {
      asm.comment(`report division by zero${right.kind === "param" ? ` (divisor ${this.name(right)})` : ""}`).cbz(w(r), this.zeroLabel());
    }
    if (!mod) {
      asm.sdivRR(w(d), w(l), w(r));
      return;
    }
    // msub reads dividend, divisor and quotient at once, so the quotient goes in w16, a scratch
    // register that nothing else here uses (AAPCS64's IP0: free between calls, and we make none).
    asm.comment("w16 = quotient").sdivRR(w(SCRATCH), w(l), w(r));
    asm.comment("remainder = dividend - quotient * divisor").msubRRR(w(d), w(SCRATCH), w(r), w(l));
  }

  /** cmp for a comparison (with an immediate when it fits); returns the condition for "true". */
  protected compare(e: Binary, d: number): A64Cond {
    const swap = swapped(e);
    const cc = A64_CC[comparison(e, swap)] ?? "eq";
    const left = swap ? e.right : e.left;
    const right = swap ? e.left : e.right;
    if (right.kind === "num" && right.value > -4096 && right.value < 4096) {
      const l = this.operand(left, d, 0);
      if (left.kind === "param") this.asm.comment(this.name(left));
      if (right.value >= 0) this.asm.cmpRI(w(l), right.value);
      else this.asm.cmnRI(w(l), -right.value);
      return cc;
    }
    const [l, r] = this.operands(left, right, d);
    this.asm.cmpRR(w(l), w(r));
    return cc;
  }

  protected invert(cc: A64Cond): A64Cond {
    return invertA64(cc);
  }

  protected compareRegisterWithZero(r: number, comment?: string): void {
    if (comment !== undefined) this.asm.comment(comment);
    this.asm.cmpRI(w(r), 0);
  }

  protected parameterRegister(e: Extract<Expr, { kind: "param" }>): number {
    return e.index;
  }

  protected branchOnFlags(ifZero: boolean, label: Label, comment: string): void {
    this.asm.comment(comment).bcond(ifZero ? "eq" : "ne", label);
  }

  protected bind(label: Label): void {
    this.asm.bind(label);
  }

  private logical(e: Logical, d: number): void {
    const mark = this.mark();
    this.logicalFlags(e, this.scratch(d));
    this.releaseTo(mark);
    this.asm.comment("1 if the last cmp saw nonzero").cset(w(d), "ne");
  }

  private cond(e: Cond, d: number): void {
    const otherwise = this.newLabel();
    const end = this.newLabel();
    const mark = this.mark();
    const cc = this.truth(e.test, this.scratch(d));
    this.releaseTo(mark);
    this.asm.bcond(invertA64(cc), otherwise);
    this.gen(e.then, d);
    this.asm.b(end);
    this.asm.bind(otherwise);
    this.gen(e.else, d);
    this.asm.bind(end);
  }
}
