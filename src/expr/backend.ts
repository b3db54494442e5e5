/**
 * What the two expression back ends (x64.ts, arm64.ts) share: the analysis made before the first
 * instruction is written, the operator classes, the register pool with its spills, the division-by-zero
 * exits, truth values in the flags, and the loop that walks chains of binary operators.
 *
 * Chains: `a + b + c + ...` parses to a tree that nests on its left, one level per term, so a 100,000-term
 * sum is a tree 100,000 levels deep. Nothing here recurses along a left operand: the analysis, the
 * code generator (gen) and the `&&`/`||` flags walk the left spine in a loop, keeping what each node
 * still has to do once its left operand is evaluated on an explicit stack (Frame). Recursion happens only
 * into right operands, unary operands and `?:` parts: real nesting, which the parser bounds.
 */
import type { Label } from "../emit.ts";
import { JitError } from "../errors.ts";
import type { BinaryOp, Expr } from "./ast.ts";

export type Binary = Extract<Expr, { kind: "binary" }>;
export type Logical = Extract<Expr, { kind: "logical" }>;
export type Cond = Extract<Expr, { kind: "cond" }>;
export type Param = Extract<Expr, { kind: "param" }>;

// ---------------------------------------------------------------------------------------------------
// Analysis: what must be known before the first instruction is written.

export interface Facts {
  /** Sethi–Ullman numbers of inner nodes needing more than one register (need() defaults to 1). */
  readonly need: Map<Expr, number>;
  /** Bit i set: parameter i is read somewhere. */
  usedParams: number;
  divides: boolean;
  /** Some `/` or `%` may see a zero divisor at run time (its divisor is not a nonzero constant): the code reports it through the status block. */
  zeroChecks: boolean;
  shifts: boolean;
}

export function analyze(tree: Expr): Facts {
  const facts: Facts = { need: new Map(), usedParams: 0, divides: false, zeroChecks: false, shifts: false };
  visit(tree, facts, []);
  return facts;
}

/**
 * Returns the node's need: how many registers evaluating it into a register of its own takes. The left
 * spine (binary and logical nodes down their left operands) is walked in a loop; `spine` is a stack
 * shared by every level of the recursion, each using the part above where it started.
 */
function visit(root: Expr, facts: Facts, spine: (Binary | Logical)[]): number {
  const base = spine.length;
  let e = root;
  while (e.kind === "binary" || e.kind === "logical") {
    spine.push(e);
    e = e.left;
  }
  let n = visitOther(e, facts, spine);
  while (spine.length > base) {
    const s = spine.pop() as Binary | Logical;
    const right = visit(s.right, facts, spine);
    n = s.kind === "logical" ? Math.max(n, right) : binaryNeed(s, n, right, facts);
    if (n !== 1) facts.need.set(s, n); // most nodes need one register: need() defaults to 1, unrecorded
  }
  return n;
}

/** A binary node's need from its operands' (`left` and `right` as written, before any swap). */
function binaryNeed(e: Binary, left: number, right: number, facts: Facts): number {
  const divides = e.op === "div" || e.op === "mod";
  if (divides) facts.divides = true;
  if (divides && !(e.right.kind === "num" && e.right.value !== 0)) facts.zeroChecks = true;
  if (e.right.kind !== "num" && isShift(e.op)) facts.shifts = true;
  const swap = swapped(e);
  const l = swap ? right : left;
  const second = swap ? e.left : e.right;
  const r = swap ? left : right;
  // A parameter is read where it lives, and most constants become immediates: no register.
  const direct = second.kind === "param" || (second.kind === "num" && !divides);
  return direct ? l : l === r ? l + 1 : Math.max(l, r);
}

function visitOther(e: Expr, facts: Facts, spine: (Binary | Logical)[]): number {
  let n: number;
  switch (e.kind) {
    case "num":
      return 1;
    case "param":
      facts.usedParams |= 1 << e.index;
      return 1;
    case "unary":
      n = visit(e.arg, facts, spine);
      break;
    case "cond":
      n = Math.max(visit(e.test, facts, spine), visit(e.then, facts, spine), visit(e.else, facts, spine));
      break;
    default:
      throw new JitError("E_INTERNAL", `unexpected ${e.kind} node`);
  }
  if (n !== 1) facts.need.set(e, n);
  return n;
}

// Operator classes as switches: asked several times per node, and a switch is cheaper than Set#has.
export function isComparison(op: BinaryOp): boolean {
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
export function isShift(op: BinaryOp): boolean {
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
export function swapped(e: Binary): boolean {
  return rank(e.left) > rank(e.right) && (isCommutative(e.op) || isComparison(e.op));
}

/** The comparison operator as evaluated (mirrored when the operands are swapped). */
export function comparison(e: Binary, swap: boolean): BinaryOp {
  const op = swap ? MIRROR[e.op] : e.op;
  if (op === undefined) throw new JitError("E_INTERNAL", `${e.op} is not a comparison`);
  return op;
}

export const bit = (r: number): number => 1 << r;
const BORROWED = 0x100; // marks a taken register that was pushed, not free
/** No register (Frame.other when the right operand has not been evaluated first). */
export const NONE = -1;

/**
 * A binary node in the middle of code generation: what was done before its first operand (`child`,
 * evaluated into `into`), and what leave() needs to finish it. `child` is undefined when the node
 * evaluates no operand into a register of its own first (a parameter is read in place). Frames are
 * reused (see Backend.frame), so their fields are written again for every node.
 */
export interface Frame {
  e: Binary;
  d: number;
  /** The register pool's mark when the node started: leave() gives back what was taken since. */
  mark: number;
  child: Expr | undefined;
  into: number;
  /** The second operand's register when it was evaluated before the first; NONE otherwise. */
  other: number;
}

// ---------------------------------------------------------------------------------------------------
// What both back ends share: the register pool, spills, and the division-by-zero exits.

/** `Cc` is the architecture's condition-code type (X64Cond, A64Cond). */
export abstract class Backend<Cc extends string> {
  protected readonly facts: Facts;
  protected readonly names: readonly string[];
  /** Registers holding a live value, one bit per register number. */
  protected busy = 0;
  /** Registers for values, in order of preference. */
  protected order: readonly number[] = [];
  /** One entry per take(), innermost last: the register, plus BORROWED if it was pushed. */
  private readonly taken: number[] = [];
  /**
   * Binary nodes waiting for their first operand, innermost last: frames[0..top) (see gen). The objects
   * above top are kept for reuse: a compile allocates one per level of the deepest chain, not one per node.
   */
  private readonly frames: Frame[] = [];
  private top = 0;
  /** Values the spills have pushed at this point of the code (statically known: pushes nest). */
  protected depth = 0;
  /** Division-by-zero exits, by spill depth at the jump. */
  protected readonly zero: (Label | undefined)[] = [];
  /**
   * For profilers only (perf.ts): pairs of a label bound where a node's own code starts and the node's
   * source position. Undefined (no labels at all) unless the code generator is asked for them.
   */
  marks: number[] | undefined;

  constructor(facts: Facts, names: readonly string[]) {
    this.facts = facts;
    this.names = names;
  }

  protected abstract newLabel(): Label;
  protected abstract push(r: number): void;
  protected abstract pop(r: number): void;
  /** Leave the value of e, which is no binary node, in register d. */
  protected abstract genOther(e: Expr, d: number): void;
  /**
   * Start a binary node whose value goes in d: emit what comes before its first operand and say which
   * operand that is (Frame.child); undefined when the node is already complete.
   */
  protected abstract enter(e: Binary, d: number): Frame | undefined;
  /** Finish a binary node once its first operand is in frame.into. */
  protected abstract leave(f: Frame): void;
  /** Set the flags from comparing register r (32-bit) with 0; `comment` names what r holds. */
  protected abstract compareRegisterWithZero(r: number, comment?: string): void;
  /** The register a parameter lives in at this point. */
  protected abstract parameterRegister(e: Param): number;
  /** Branch to `label` if the last comparison saw zero (`ifZero`) or nonzero. */
  protected abstract branchOnFlags(ifZero: boolean, label: Label, comment: string): void;
  protected abstract bind(label: Label): void;
  /** Set the flags from a comparison and return the condition meaning "true". */
  protected abstract compare(e: Binary, d: number): Cc;
  /** The condition meaning the opposite. */
  protected abstract invert(cc: Cc): Cc;
  /** The condition meaning "the last comparison with 0 saw nonzero". */
  protected abstract readonly notZero: Cc;

  /**
   * Leave e's value in register d. Down a chain of binary nodes, each node is entered (enter()) and
   * its first operand taken next in this loop, not by a recursive call; once the bottom of the chain is
   * evaluated, the nodes are finished (leave()) innermost first. The code is the same as recursion's.
   */
  protected gen(e: Expr, d: number): void {
    const base = this.top;
    let node = e;
    let into = d;
    for (;;) {
      if (node.kind !== "binary") {
        if (this.marks !== undefined) this.markSource(node);
        this.genOther(node, into);
        break;
      }
      const f = this.enter(node, into);
      if (f === undefined) break;
      this.top++;
      if (f.child === undefined) break;
      node = f.child;
      into = f.into;
    }
    // A frame stays reserved while it is being left: leave() may generate code, which takes frames too.
    while (this.top > base) {
      const f = this.frames[this.top - 1] as Frame;
      if (this.marks !== undefined) this.markSource(f.e);
      this.leave(f);
      this.top--;
    }
  }

  private markSource(e: Expr): void {
    const label = this.newLabel();
    this.bind(label);
    this.marks?.push(label, e.pos);
  }

  /**
   * The frame for a node entering now: the next one above top, refilled. enter() makes it as its last
   * step (after any code it generates itself), and gen() reserves it.
   */
  protected frame(e: Binary, d: number, mark: number, child: Expr | undefined, into: number, other = NONE): Frame {
    const f = this.frames[this.top];
    if (f === undefined) {
      const made: Frame = { e, d, mark, child, into, other };
      this.frames[this.top] = made;
      return made;
    }
    f.e = e;
    f.d = d;
    f.mark = mark;
    f.child = child;
    f.into = into;
    f.other = other;
    return f;
  }

  /**
   * For a frame entered outside gen (a comparison wanted for its flags): reserve() it before its first
   * operand is generated, unreserve() once the node is finished.
   */
  protected reserve(): void {
    this.top++;
  }

  protected unreserve(): void {
    this.top--;
  }

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

  /**
   * a && b, a || b as flags: every path reaches `done` with "not equal" exactly when the result is 1.
   * A chain a && b && c nests on its left: its links are walked in a loop, outermost label first.
   */
  protected logicalFlags(e: Logical, d: number): void {
    const links: Logical[] = [];
    const labels: Label[] = [];
    let bottom: Expr = e;
    while (bottom.kind === "logical") {
      links.push(bottom);
      labels.push(this.newLabel());
      bottom = bottom.left;
    }
    this.compareZero(bottom, d);
    for (let i = links.length - 1; i >= 0; i--) {
      const link = links[i] as Logical;
      const done = labels[i] as Label;
      this.branchOnFlags(link.op === "land", done, link.op === "land" ? "0 && ... is 0" : "nonzero || ... is 1");
      this.compareZero(link.right, d);
      this.bind(done);
    }
  }

  protected need(e: Expr): number {
    return e.kind === "param" ? 0 : (this.facts.need.get(e) ?? 1);
  }

  protected uses(index: number): boolean {
    return (this.facts.usedParams & bit(index)) !== 0;
  }

  protected name(e: Param): string {
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
