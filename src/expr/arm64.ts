/**
 * The arm64 (AAPCS64) expression back end: see codegen.ts for the scheme both back ends follow.
 *
 * Three-address instructions and no fixed registers: parameters arrive in w0..w3 and the result goes
 * in w0. While parameter 0 is live in w0, only the last instruction of the tree may write w0, and w16
 * holds the quotient inside a remainder sequence.
 */
import { conventionOf } from "../abi.ts";
import { a64AddImmediate, a64AddSubImmediate, a64CompareImmediate } from "../legalize.ts";
import { A64Assembler, type A64Cond, type A64Gp, type Code, type Label, a64Gp, invertA64, sp } from "../emit.ts";
import { JitError } from "../errors.ts";
import type { BinaryOp, Expr } from "./ast.ts";
import { Backend, type Binary, type Cond, type Facts, type Frame, type Logical, type Param, NONE, bit, comparison, isComparison, isShift, swapped } from "./backend.ts";

const w = (r: number): A64Gp => a64Gp(r, 32);
const x = (r: number): A64Gp => a64Gp(r, 64);

const AAPCS64 = conventionOf({ arch: "arm64", abi: "aapcs64" });
/**
 * Registers for values: the convention's scratch registers but x16 and x17 (the remainder's quotient and
 * the status code), then argument registers no expression parameter uses (x4-x7), then x8 (the
 * indirect-result register, caller-saved, and unused here).
 */
const A64_TEMPS = [...AAPCS64.scratch.filter((r) => r < 16), ...AAPCS64.intArgs.slice(4), 8];
const SCRATCH = 16;

const A64_CC: Partial<Record<BinaryOp, A64Cond>> = { lt: "lt", le: "le", gt: "gt", ge: "ge", eq: "eq", ne: "ne" };

export class A64Backend extends Backend<A64Cond> {
  protected readonly notZero = "ne";
  private readonly asm: A64Assembler;

  constructor(facts: Facts, names: readonly string[], limit: number, listing: boolean) {
    super(facts, names);
    this.asm = new A64Assembler(listing);
    // Argument registers of absent or unused parameters are free too (w0 is the result's). Code that
    // divides gets the status block's address after its parameters, in x<params>: saved on entry.
    const temps = [...A64_TEMPS, ...[1, 2, 3].filter((r) => !this.uses(r))];
    this.order = temps.slice(0, limit);
  }

  run(tree: Expr): Code {
    const asm = this.asm;
    // w0 is the result; while parameter 0 lives there it may be written only by the last instruction.
    if (!this.uses(0)) this.busy = bit(0);
    const status = this.names.length; // the status block's address arrives in x<params>
    if (this.facts.zeroChecks) asm.comment("the status block's address, for the division-by-zero exit").strRMpre(x(status), sp, -16);
    this.gen(tree, 0);
    if (this.facts.zeroChecks) asm.comment("drop the status block's address").ldrRMpost(x(SCRATCH), sp, 16);
    asm.comment("the result is in w0").ret();
    if (this.zero.length > 0) {
      if (!this.facts.zeroChecks) throw new JitError("E_INTERNAL", "a division-by-zero exit in code without a status block");
      for (let k = this.zero.length - 1; k > 0; k--) {
        const label = this.zero[k];
        if (label !== undefined) asm.bind(label);
        asm.comment("drop a value the spills pushed").ldrRMpost(x(9), sp, 16);
      }
      const label = this.zero[0];
      if (label !== undefined) asm.bind(label);
      asm.comment("the status block's address").ldrRMpost(x(SCRATCH), sp, 16);
      asm.comment("status 1: division by zero").movImm32(w(17), 1);
      asm.comment("report it in the status block").strRM(x(17), x(SCRATCH));
      asm.ret();
    }
    return asm.finish();
  }

  protected newLabel(): Label {
    return this.asm.newLabel();
  }
  protected push(r: number): void {
    this.asm.comment(`out of registers: save x${r} on the stack`).strRMpre(x(r), sp, -16);
    this.depth++;
  }
  protected pop(r: number): void {
    this.asm.comment(`restore x${r}`).ldrRMpost(x(r), sp, 16);
    this.depth--;
  }

  /** d is w0 while parameter 0 still lives there: then only e's last instruction may write it. */
  private pinned(d: number): boolean {
    return d === 0 && this.uses(0);
  }

  /** The register operand() evaluates a value into: d if it may be written now, else a taken one. */
  private place(d: number, avoid: number): number {
    return this.pinned(d) || (avoid & bit(d)) !== 0 ? this.take(avoid | bit(d)) : d;
  }

  /** A register for e's value: the parameter's own, or one from place(), evaluated now. */
  private operand(e: Expr, d: number, avoid: number): number {
    if (e.kind === "param") return e.index;
    const r = this.place(d, avoid);
    this.gen(e, r);
    return r;
  }

  /** A frame whose first operand is `first`: read in place if a parameter, else evaluated into place(). */
  private first(e: Binary, d: number, mark: number, first: Expr, avoid: number, other = NONE): Frame {
    if (first.kind === "param") return this.frame(e, d, mark, undefined, first.index, other);
    return this.frame(e, d, mark, first, this.place(d, avoid), other);
  }

  /** A scratch register for tests and truth values: d unless parameter 0 still lives there. */
  private scratch(d: number): number {
    return this.pinned(d) ? this.take(bit(d)) : d;
  }

  protected genOther(e: Expr, d: number): void {
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
          asm.csetR(w(d), invertA64(cc));
        } else {
          const a = this.operand(e.arg, d, 0);
          if (e.op === "neg") asm.negRR(w(d), w(a));
          else asm.mvnRR(w(d), w(a));
        }
        this.releaseTo(mark);
        return;
      }
      case "binary":
        return this.gen(e, d);
      case "logical":
        return this.logical(e, d);
      case "cond":
        return this.cond(e, d);
    }
  }

  /**
   * Whether `op` with constant v as its second operand has an immediate form here: add/sub with a
   * 12-bit immediate, shifts by a constant.
   */
  private immediate(op: BinaryOp, v: number): boolean {
    return ((op === "add" || op === "sub") && a64AddSubImmediate(v)) || isShift(op);
  }

  /** Both operands of a binary node, the hungrier side first: the second one now if it goes first. */
  protected enter(e: Binary, d: number): Frame | undefined {
    const op = e.op;
    const mark = this.mark();
    if (isComparison(op)) return this.enterCompare(e, d, mark);
    if ((op === "div" || op === "mod") && e.right.kind === "num" && e.right.value === 0) {
      this.asm.comment("division by zero, whatever the dividend").b(this.zeroLabel());
      return undefined;
    }
    const swap = swapped(e);
    const left = swap ? e.right : e.left;
    const right = swap ? e.left : e.right;
    if (right.kind === "num" && this.immediate(op, right.value)) {
      if (isShift(op)) {
        const count = right.value & 31;
        if (count !== right.value) this.asm.comment(`count ${right.value} & 31 = ${count}`);
        if (count === 0) return this.frame(e, d, mark, left, d);
      }
      return this.first(e, d, mark, left, 0);
    }
    return this.enterOperands(e, d, mark, left, right);
  }

  private enterOperands(e: Binary, d: number, mark: number, left: Expr, right: Expr): Frame {
    if (this.need(right) > this.need(left)) {
      const r = this.operand(right, d, 0);
      return this.first(e, d, mark, left, bit(r), r);
    }
    return this.first(e, d, mark, left, 0);
  }

  protected leave(f: Frame): void {
    const asm = this.asm;
    const { e, d } = f;
    const op = e.op;
    if (isComparison(op)) {
      this.leaveCompare(f);
      this.releaseTo(f.mark);
      asm.csetR(w(d), this.condition(e));
      return;
    }
    const swap = swapped(e);
    const right = swap ? e.left : e.right;
    const l = f.into;
    if (right.kind === "num" && this.immediate(op, right.value)) {
      const v = right.value;
      if (op === "add" || op === "sub") {
        a64AddImmediate(asm, op === "add", w(d), w(l), v);
      } else {
        const count = v & 31;
        if (op === "shl" && count !== 0) asm.lslRRI(w(d), w(l), count);
        else if (op === "sar" && count !== 0) asm.asrRRI(w(d), w(l), count);
        else if (count !== 0) asm.lsrRRI(w(d), w(l), count);
      }
      this.releaseTo(f.mark);
      return;
    }
    const r = f.other !== NONE ? f.other : this.operand(right, d, bit(l));
    const rd = w(d), rn = w(l), rm = w(r);
    switch (op) {
      case "add": asm.addRRR(rd, rn, rm); break;
      case "sub": asm.subRRR(rd, rn, rm); break;
      case "mul": asm.mulRRR(rd, rn, rm); break;
      case "and": asm.andRRR(rd, rn, rm); break;
      case "or": asm.orrRRR(rd, rn, rm); break;
      case "xor": asm.eorRRR(rd, rn, rm); break;
      // The 32-bit shifts use the count modulo 32, as JavaScript does.
      case "shl": asm.lslRRR(rd, rn, rm); break;
      case "sar": asm.asrRRR(rd, rn, rm); break;
      case "shr": asm.lsrRRR(rd, rn, rm); break;
      case "div":
      case "mod":
        this.divide(op === "mod", right, d, l, r);
        break;
      default:
        throw new JitError("E_INTERNAL", `unexpected operator ${op}`);
    }
    this.releaseTo(f.mark);
  }

  /**
   * sdiv truncates toward zero and never traps: -2147483648 / -1 wraps to -2147483648 as JavaScript's
   * `| 0` does, but n / 0 gives 0, so a zero divisor is checked first. The remainder is n - q * divisor.
   */
  private divide(mod: boolean, right: Expr, d: number, l: number, r: number): void {
    const asm = this.asm;
    if (right.kind !== "num") {
      asm.comment(`report division by zero${right.kind === "param" ? ` (divisor ${this.name(right)})` : ""}`).cbzR(w(r), this.zeroLabel());
    }
    if (!mod) {
      asm.sdivRRR(w(d), w(l), w(r));
      return;
    }
    // msub reads dividend, divisor and quotient at once, so the quotient goes in w16, a scratch
    // register that nothing else here uses (AAPCS64's IP0: free between calls, and we make none).
    asm.comment("w16 = quotient").sdivRRR(w(SCRATCH), w(l), w(r));
    asm.comment("remainder = dividend - quotient * divisor").msubRRRR(w(d), w(SCRATCH), w(r), w(l));
  }

  /** The condition that holds when comparison e is true. */
  private condition(e: Binary): A64Cond {
    return A64_CC[comparison(e, swapped(e))] ?? "eq";
  }

  /** cmp for a comparison (with an immediate when it fits); returns the condition for "true". */
  protected compare(e: Binary, d: number): A64Cond {
    const f = this.enterCompare(e, d, this.mark());
    this.reserve();
    if (f.child !== undefined) this.gen(f.child, f.into);
    this.leaveCompare(f);
    this.unreserve();
    return this.condition(e);
  }

  private enterCompare(e: Binary, d: number, mark: number): Frame {
    const swap = swapped(e);
    const left = swap ? e.right : e.left;
    const right = swap ? e.left : e.right;
    if (right.kind === "num" && right.value > -4096 && right.value < 4096) return this.first(e, d, mark, left, 0);
    return this.enterOperands(e, d, mark, left, right);
  }

  private leaveCompare(f: Frame): void {
    const { e, d } = f;
    const swap = swapped(e);
    const left = swap ? e.right : e.left;
    const right = swap ? e.left : e.right;
    const l = f.into;
    if (right.kind === "num" && a64AddSubImmediate(right.value)) {
      if (left.kind === "param") this.asm.comment(this.name(left));
      a64CompareImmediate(this.asm, w(l), right.value);
      return;
    }
    const r = f.other !== NONE ? f.other : this.operand(right, d, bit(l));
    this.asm.cmpRR(w(l), w(r));
  }

  protected invert(cc: A64Cond): A64Cond {
    return invertA64(cc);
  }

  protected compareRegisterWithZero(r: number, comment?: string): void {
    if (comment !== undefined) this.asm.comment(comment);
    this.asm.cmpRI(w(r), 0);
  }

  protected parameterRegister(e: Param): number {
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
    this.asm.comment("1 if the last cmp saw nonzero").csetR(w(d), "ne");
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
