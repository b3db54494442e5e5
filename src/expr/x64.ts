/**
 * The x86-64 expression back end (System V and Win64): see codegen.ts for the scheme both back ends follow.
 *
 * x86-64's fixed registers: idiv divides edx:eax, and a variable shift counts in cl. So ecx and edx
 * are never allocated (they are scratch inside those sequences only), and a parameter arriving in
 * one of them moves on entry if the tree divides or shifts by a variable count. eax is allocated (the
 * result goes there); a division whose dividend must go in eax borrows it when it is busy. Only
 * caller-saved registers are used, except on Win64 when four parameters leave none free: then rsi and
 * rdi are saved on entry and restored on exit.
 */
import { type Location, type ParamKind, argumentLocations, conventionOf } from "../abi.ts";
import { x64Imm8 } from "../legalize.ts";
import { type Code, type Label, X64Assembler, type X64Cond, type X64Gp, invertX64, x64Gp, x64Mem } from "../emit.ts";
import { JitError } from "../errors.ts";
import type { BinaryOp, Expr } from "./ast.ts";
import { Backend, type Binary, type Cond, type Facts, type Frame, type Logical, type Param, NONE, bit, comparison, isComparison, isShift, swapped } from "./backend.ts";

const EAX = 0, ECX = 1, EDX = 2, ESI = 6, EDI = 7;
const r8 = (r: number): X64Gp => x64Gp(r, 8);
const r32 = (r: number): X64Gp => x64Gp(r, 32);
const r64 = (r: number): X64Gp => x64Gp(r, 64);

/** Registers for values in order of preference, kept where the convention makes them caller-saved (eax, ecx, edx apart). */
const TEMPS = [8, 9, 10, 11, ESI, EDI];
/** Callee-saved fallbacks, in order of preference, kept where the convention makes them callee-saved. */
const SAVED = [ESI, EDI, 3];

interface X64Abi {
  /** Where parameters 0-3 arrive. */
  readonly args: readonly number[];
  readonly temps: readonly number[];
  readonly saved: readonly number[];
}

/** Where the status block's address arrives after `params` int32 parameters. */
function statusLocation(abi: "sysv" | "win64", params: number): Location {
  const kinds: ParamKind[] = [];
  for (let i = 0; i < params; i++) kinds.push("i32");
  kinds.push("ptr");
  return argumentLocations({ arch: "x64", abi }, kinds)[params] as Location;
}

/** The expression back end's registers for a convention (abi.ts), made once per convention. */
const X64_ABI: Partial<Record<"sysv" | "win64", X64Abi>> = {};
function x64Abi(abi: "sysv" | "win64"): X64Abi {
  const made = X64_ABI[abi];
  if (made !== undefined) return made;
  const c = conventionOf({ arch: "x64", abi });
  const callerSaved = (r: number) => !c.calleeSaved.includes(r);
  const result = {
    args: c.intArgs.slice(0, 4),
    temps: TEMPS.filter(callerSaved),
    saved: SAVED.filter((r) => !callerSaved(r)).slice(0, 2),
  };
  X64_ABI[abi] = result;
  return result;
}

const X64_CC: Partial<Record<BinaryOp, X64Cond>> = { lt: "l", le: "le", gt: "g", ge: "ge", eq: "e", ne: "ne" };

export class X64Backend extends Backend<X64Cond> {
  protected readonly notZero = "ne";
  private readonly asm: X64Assembler;
  private readonly abi: X64Abi;
  /** Where the status block's address arrives (code that divides takes it after the parameters; see jit.ts). */
  private readonly status: Location | undefined;
  /** Where each parameter lives during the function. */
  private readonly homes: number[];
  /** Callee-saved registers pushed on entry, in push order. */
  private readonly saved: number[] = [];

  constructor(facts: Facts, names: readonly string[], abi: "sysv" | "win64", limit: number, listing: boolean) {
    super(facts, names);
    this.asm = new X64Assembler(listing);
    this.abi = x64Abi(abi);
    this.homes = this.abi.args.slice(0, names.length);
    this.status = facts.zeroChecks ? statusLocation(abi, names.length) : undefined;
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
    // Kept on the stack until an exit: then no register has to be kept free for it.
    if (this.status?.kind === "int") this.asm.comment("the status block's address, for the division-by-zero exit").pushR(r64(this.status.reg));
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
    if (this.status?.kind === "int") asm.comment("drop the status block's address").popR(r64(ECX));
    this.restoreSaved();
    asm.comment("the result is in eax").ret();
    if (this.zero.length > 0) {
      if (this.status === undefined) throw new JitError("E_INTERNAL", "a division-by-zero exit in code without a status block");
      for (let k = this.zero.length - 1; k > 0; k--) {
        const label = this.zero[k];
        if (label !== undefined) asm.bind(label);
        asm.comment("drop a value the spills pushed").popR(r64(ECX));
      }
      const label = this.zero[0];
      if (label !== undefined) asm.bind(label);
      const status = this.status;
      if (status?.kind === "int") asm.comment("the status block's address").popR(r64(ECX));
      this.restoreSaved();
      if (status?.kind === "stack") asm.comment("the status block's address, a stack argument").movRM(r64(ECX), x64Mem(r64(4), status.offset));
      asm.comment("status 1: division by zero").movRI(r32(EAX), 1);
      asm.comment("report it in the status block").movMR(x64Mem(r64(ECX)), r64(EAX));
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

  private home(e: Param): number {
    return this.homes[e.index] ?? EAX;
  }

  /** Leaves e's value in register d (which it may use as scratch on the way); binary nodes: enter/leave. */
  protected genOther(e: Expr, d: number): void {
    const asm = this.asm;
    switch (e.kind) {
      case "num":
        asm.movRI(r32(d), e.value);
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
        return this.gen(e, d);
      case "logical":
        return this.logical(e, d);
      case "cond":
        return this.cond(e, d);
    }
  }

  /**
   * Every binary form evaluates its first operand into d (eax for a dividend) and then does the rest:
   * enter() emits what comes before that operand, leave() what comes after (see Backend.gen).
   */
  protected enter(e: Binary, d: number): Frame | undefined {
    const op = e.op;
    const mark = this.mark();
    if (op === "div" || op === "mod") return this.enterDivide(e, d, mark);
    if (isComparison(op)) return this.enterCompare(e, d, mark);
    const swap = swapped(e); // never for shifts
    const left = swap ? e.right : e.left;
    const right = swap ? e.left : e.right;
    if (right.kind === "num") {
      // The three-operand imul reads the parameter in place: no copy first.
      if (op === "mul" && left.kind === "param") return this.frame(e, d, mark, undefined, d);
      return this.frame(e, d, mark, left, d);
    }
    return this.enterPair(e, d, mark, left, right);
  }

  protected leave(f: Frame): void {
    const { e, d } = f;
    const op = e.op;
    if (op === "div" || op === "mod") return this.leaveDivide(f);
    if (isComparison(op)) {
      this.leaveCompare(f);
      this.releaseTo(f.mark);
      return this.setFlag(this.condition(e), d);
    }
    if (isShift(op)) return this.leaveShift(f);
    const swap = swapped(e);
    const left = swap ? e.right : e.left;
    const right = swap ? e.left : e.right;
    const asm = this.asm;
    const a = r32(d);
    if (right.kind === "num") {
      const v = right.value;
      if (op === "mul" && left.kind === "param") {
        asm.comment(this.name(left)).imulRRI(a, r32(this.home(left)), v);
        return;
      }
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
    const b = r32(this.second(f, right));
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
    this.releaseTo(f.mark);
  }

  /**
   * Left into d, right into a second register, the hungrier side first. The right side, when first, is
   * evaluated here; second() gets it afterwards otherwise (a parameter's own register, or one taken then).
   */
  private enterPair(e: Binary, d: number, mark: number, left: Expr, right: Expr): Frame {
    if (right.kind !== "param" && this.need(right) > this.need(left)) {
      const t = this.take(bit(d));
      this.gen(right, t);
      return this.frame(e, d, mark, left, d, t);
    }
    return this.frame(e, d, mark, left, d);
  }

  /** The second operand's register once the first is in f.d (given back by the caller's releaseTo). */
  private second(f: Frame, right: Expr): number {
    if (f.other !== NONE) return f.other;
    if (right.kind === "param") return this.home(right);
    const t = this.take(bit(f.d));
    this.gen(right, t);
    return t;
  }

  /** The condition that holds when comparison e is true. */
  private condition(e: Binary): X64Cond {
    return X64_CC[comparison(e, swapped(e))] ?? "e";
  }

  /** cmp for a comparison, for its flags; returns the condition that holds when it is true. */
  protected compare(e: Binary, d: number): X64Cond {
    const mark = this.mark();
    const f = this.enterCompare(e, d, mark);
    this.reserve();
    if (f.child !== undefined) this.gen(f.child, f.into);
    this.leaveCompare(f);
    this.unreserve();
    this.releaseTo(mark);
    return this.condition(e);
  }

  private enterCompare(e: Binary, d: number, mark: number): Frame {
    const swap = swapped(e);
    const left = swap ? e.right : e.left;
    const right = swap ? e.left : e.right;
    if (right.kind !== "num" && right.kind !== "param") return this.enterPair(e, d, mark, left, right); // left is no parameter: the swap put those on the right
    return this.frame(e, d, mark, left.kind === "param" ? undefined : left, d);
  }

  private leaveCompare(f: Frame): void {
    const { e, d } = f;
    const swap = swapped(e);
    const left = swap ? e.right : e.left;
    const right = swap ? e.left : e.right;
    if (right.kind !== "num" && right.kind !== "param") {
      this.asm.cmpRR(r32(d), r32(this.second(f, right)));
      return;
    }
    let l = d;
    if (left.kind === "param") {
      l = this.home(left);
      this.asm.comment(right.kind === "param" ? `${this.name(left)}, ${this.name(right)}` : this.name(left));
    } else if (right.kind === "param") {
      this.asm.comment(this.name(right));
    }
    if (right.kind === "num") this.compareImmediate(l, right.value);
    else this.asm.cmpRR(r32(l), r32(this.home(right)));
  }

  /**
   * cmp r, imm. Assemblers encode `cmp eax, imm32` in the short accumulator form (3D id), which
   * cmpRI does not write; so that every listing reassembles to the same bytes, such a constant goes
   * through a register instead.
   */
  private compareImmediate(r: number, imm: number): void {
    if (r !== EAX || x64Imm8(imm)) {
      this.asm.cmpRI(r32(r), imm);
      return;
    }
    const t = this.take(bit(r));
    this.asm.movRI(r32(t), imm);
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

  protected parameterRegister(e: Param): number {
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
  private leaveShift(f: Frame): void {
    const { e, d } = f;
    const right = e.right;
    const a = r32(d);
    if (right.kind === "num") {
      const count = right.value & 31;
      if (count !== right.value) this.asm.comment(`count ${right.value} & 31 = ${count}`);
      if (count === 0) return;
      if (e.op === "shl") this.asm.shlRI(a, count);
      else if (e.op === "sar") this.asm.sarRI(a, count);
      else this.asm.shrRI(a, count);
      return;
    }
    const count = this.second(f, right);
    this.asm.comment(`the shift count${right.kind === "param" ? ` (${this.name(right)})` : ""} goes in cl`).movRR(r32(ECX), r32(count));
    if (e.op === "shl") this.asm.shlRCl(a);
    else if (e.op === "sar") this.asm.sarRCl(a);
    else this.asm.shrRCl(a);
    this.releaseTo(f.mark);
  }

  /**
   * idiv divides edx:eax: the dividend goes in eax (borrowed if busy) and the divisor anywhere else.
   * Guards: a zero divisor exits; -1 is done without idiv, which traps on -2147483648 / -1.
   */
  private enterDivide(e: Binary, d: number, mark: number): Frame | undefined {
    const { left, right } = e;
    if (right.kind === "num" && right.value === 0) {
      this.asm.comment("division by zero, whatever the dividend").jmp(this.zeroLabel());
      return undefined;
    }
    if (right.kind === "num" && right.value === -1) return this.frame(e, d, mark, left, d);
    if (d === EAX) return this.enterPair(e, EAX, mark, left, right);
    this.takeThis(EAX);
    // Otherwise the divisor goes in d, which is ours until the result goes in it.
    if (right.kind !== "param" && this.need(right) > this.need(left)) {
      this.gen(right, d);
      return this.frame(e, d, mark, left, EAX, d);
    }
    return this.frame(e, d, mark, left, EAX);
  }

  private leaveDivide(f: Frame): void {
    const asm = this.asm;
    const { e, d } = f;
    const mod = e.op === "mod";
    const right = e.right;
    if (right.kind === "num" && right.value === -1) {
      if (mod) asm.comment("n % -1 is 0").movRI(r32(d), 0);
      else asm.comment("n / -1 is -n (idiv would trap on -2147483648 / -1)").negR(r32(d));
      return;
    }
    let divisor: number;
    if (d === EAX) divisor = this.second(f, right);
    else if (right.kind === "param") divisor = this.home(right);
    else {
      if (f.other === NONE) this.gen(right, d);
      divisor = d;
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
    this.releaseTo(f.mark);
  }
}
