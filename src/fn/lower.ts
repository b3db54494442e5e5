/**
 * Lowering: a checked syntax tree to the IR (ir.ts). Each variable is one virtual register (its
 * number from the checker); temporaries come after. Conditions become branches (short-circuit `&&`
 * and `||` are control flow, never 0/1 values in between); constant subexpressions are folded with
 * chapter 2's evaluator, so `/` and `%` by a constant zero stay run-time errors, and a `const`
 * initialized with a constant is that constant wherever it is read.
 *
 * Blocks are numbered in the order they are placed, which is source order: a loop's blocks are
 * contiguous, its header first, which liveness.ts relies on. Blocks nothing jumps to are dropped.
 */
import { evalBinary, evalUnary, trapsAt } from "../expr/reference.ts";
import type { ArrayType, BinaryExpr, BinaryOp, CallExpr, Expr, FunctionDecl, LogicalExpr, Module, Stmt } from "./ast.ts";
import { check } from "./check.ts";
import type { BinOp, Block, Elem, FBinOp, LibmFn, Cond, FnIr, Inst, ModuleIr, Operand, Site, Terminator, VReg, VType } from "./ir.ts";
import { sourceError } from "./lex.ts";
import { parse } from "./parse.ts";

/** Source text to IR: parse, check, lower. Errors are JitError E_SYNTAX `FILE:LINE:COL: message`. */
export function compileFront(source: string, file = "module.ts"): ModuleIr {
  const mod = parse(source, file);
  check(mod);
  return lower(mod);
}

export function lower(mod: Module): ModuleIr {
  return { file: mod.file, functions: mod.functions.map((f) => new FunctionLowering(mod, f).run()) };
}

interface BBlock {
  insts: Inst[];
  term: BTerm | null;
  /** Placement order (-1 until placed). */
  order: number;
  id: number;
}
type BTerm =
  | { op: "jmp"; target: BBlock; at: Site }
  | { op: "br"; cond: Cond; a: VReg; b: Operand; then: BBlock; else: BBlock; at: Site }
  | { op: "fbr"; cond: Cond; a: VReg; b: VReg; then: BBlock; else: BBlock; at: Site }
  | { op: "ret"; value: VReg | null; at: Site }
  | { op: "missing"; at: Site };

type MutableCall = { op: "call"; id: number; dst: VReg | null; callee: number; args: VReg[]; at: Site };

const COMPARE: Partial<Record<BinaryOp, Cond>> = { lt: "lt", le: "le", gt: "gt", ge: "ge", eq: "eq", ne: "ne" };
const SWAPPED: Readonly<Record<Cond, Cond>> = { eq: "eq", ne: "ne", lt: "gt", le: "ge", gt: "lt", ge: "le" };
const COMMUTATIVE = new Set<BinOp>(["add", "mul", "and", "or", "xor", "min", "max"]);

/** Is `x op c` just x (every result taken | 0, as the IR's are)? */
function isIdentity(op: BinOp | BinaryOp, c: number): boolean {
  switch (op) {
    case "add": case "sub": case "or": case "xor": return c === 0;
    case "shl": case "sar": case "shr": return (c & 31) === 0;
    case "mul": return c === 1;
    case "and": return c === -1;
    default: return false;
  }
}

/** A link of a chain whose right operand is a literal that leaves its left operand as it is. */
function isIdentityLink(link: BinaryExpr | LogicalExpr): boolean {
  // Only on i32s: an f64's `x | 0` is ToInt32, and x + 0.0 turns -0 into 0.
  return link.kind === "binary" && link.left.type === "i32" && link.right.kind === "num" && link.right.float !== true && isIdentity(link.op, link.right.value);
}

const imm = (value: number): Operand => ({ kind: "imm", value });
const ELEM: Readonly<Record<ArrayType, Elem>> = { Int32Array: "i32", Float64Array: "f64", Uint8Array: "u8" };
const reg = (r: VReg): Operand => ({ kind: "reg", reg: r });

class FunctionLowering {
  private readonly placed: BBlock[] = [];
  private cur: BBlock;
  private vregs: number;
  /** The values of `const` variables initialized with a constant expression, by variable number. */
  private readonly known = new Map<number, number>();
  /** Innermost loop last: where `break` and `continue` go. */
  private readonly loops: { brk: BBlock; cont: BBlock }[] = [];
  /** Loops whose counter is known to index an array within bounds in their body (see inRange). */
  private readonly safe: { arr: number; index: number }[] = [];
  /** f64 literals by value, each in one register set at the entry (see fconstant). */
  private readonly fconsts = new Map<string, VReg>();
  /** The f64 virtual registers (every other one is an i32). */
  private readonly doubles = new Set<VReg>();

  constructor(
    private readonly mod: Module,
    private readonly f: FunctionDecl,
  ) {
    this.vregs = f.symbols ?? f.params.length;
    for (const p of f.params) if (p.type === "f64") this.doubles.add(p.sym!);
    this.cur = this.block();
    this.place(this.cur);
  }

  run(): FnIr {
    this.statements(this.f.body);
    if (this.cur.term === null) {
      this.cur.term = this.f.result === "void" ? { op: "ret", value: null, at: this.f.end } : { op: "missing", at: this.f.end };
    }
    return this.finish();
  }

  // ---- blocks ----

  private block(): BBlock {
    return { insts: [], term: null, order: -1, id: -1 };
  }

  private place(b: BBlock): void {
    b.order = this.placed.length;
    this.placed.push(b);
    this.cur = b;
  }

  private terminate(term: BTerm): void {
    if (this.cur.term === null) this.cur.term = term;
  }

  /** Ends the current block with `term` and continues in a fresh (possibly unreachable) block. */
  private endWith(term: BTerm): void {
    this.terminate(term);
    this.place(this.block());
  }

  private jump(target: BBlock, at: Site): void {
    this.terminate({ op: "jmp", target, at });
  }

  private temp(type: VType = "i32"): VReg {
    const v = this.vregs++;
    if (type === "f64") this.doubles.add(v);
    return v;
  }

  private emit(inst: Inst): void {
    this.cur.insts.push(inst);
  }

  /** Drops unreachable blocks, numbers the rest in placement order, numbers the calls. */
  private finish(): FnIr {
    this.thread();
    const entry = this.placed[0]!;
    const reachable = new Uint8Array(this.placed.length);
    const stack = [entry];
    reachable[entry.order] = 1;
    while (stack.length > 0) {
      const b = stack.pop()!;
      const t = b.term!;
      const targets = t.op === "jmp" ? [t.target] : t.op === "br" || t.op === "fbr" ? [t.then, t.else] : [];
      for (const s of targets) {
        if (reachable[s.order] === 0) {
          reachable[s.order] = 1;
          stack.push(s);
        }
      }
    }
    const live = this.placed.filter((b) => reachable[b.order] === 1);
    live.forEach((b, i) => (b.id = i));
    let callId = 0;
    const blocks: Block[] = live.map((b) => {
      for (const inst of b.insts) if (inst.op === "call" || inst.op === "ccall") (inst as MutableCall).id = callId++;
      return { id: b.id, insts: b.insts, term: this.terminator(b.term!) };
    });
    const types: VType[] = new Array<VType>(this.vregs).fill("i32");
    for (const v of this.doubles) types[v] = "f64";
    return {
      name: this.f.name,
      exported: this.f.exported,
      params: this.f.params.map((p) => p.sym!),
      paramNames: this.f.params.map((p) => p.name),
      arrays: this.f.params.map((p) => (p.type === "i32" || p.type === "f64" ? null : ELEM[p.type])),
      result: this.f.result,
      blocks,
      vregs: this.vregs,
      types,
      calls: callId,
      at: this.f.at,
    };
  }

  /**
   * Jumps to an empty block that only jumps on go straight to where it goes (the join blocks of
   * if/else and loops leave many). `via` memoizes each block's final target, so chains cost their
   * length once; a cycle of empty blocks (`for (;;) {}`) is left as it is.
   */
  private thread(): void {
    const via = new Array<BBlock | undefined>(this.placed.length);
    const resolve = (b: BBlock): BBlock => {
      if (b.insts.length !== 0 || b.term?.op !== "jmp") return b; // the common case: a real block
      const path: BBlock[] = [];
      let x = b;
      while (x.insts.length === 0 && x.term?.op === "jmp" && via[x.order] === undefined && !path.includes(x) && path.length < 64) {
        path.push(x);
        x = x.term.target;
      }
      const end = via[x.order] ?? x;
      for (const p of path) via[p.order] = end;
      return end;
    };
    for (const b of this.placed) {
      const t = b.term!;
      if (t.op === "jmp") t.target = resolve(t.target);
      else if (t.op === "br" || t.op === "fbr") {
        t.then = resolve(t.then);
        t.else = resolve(t.else);
      }
    }
  }

  private terminator(t: BTerm): Terminator {
    switch (t.op) {
      case "jmp": return { op: "jmp", target: t.target.id, at: t.at };
      case "br": return { op: "br", cond: t.cond, a: t.a, b: t.b, then: t.then.id, else: t.else.id, at: t.at };
      case "fbr": return { op: "fbr", cond: t.cond, a: t.a, b: t.b, then: t.then.id, else: t.else.id, at: t.at };
      case "ret": return t;
      case "missing":
        throw sourceError(this.mod.file, t.at, `function '${this.f.name}' can reach its end without returning a value`);
    }
  }

  // ---- statements ----

  private statements(list: readonly Stmt[]): void {
    for (const s of list) this.statement(s);
  }

  private statement(s: Stmt): void {
    switch (s.kind) {
      case "block":
        return this.statements(s.body);
      case "let":
        for (const d of s.decls) {
          if (d.init.type === "f64") this.doubles.add(d.sym!);
          if (!s.constant) {
            this.valueInto(d.init, d.sym!);
            continue;
          }
          // A constant with a known value is that value wherever it is read: no register at all.
          const v = this.value(d.init, d.sym!);
          if (v.kind === "imm") this.known.set(d.sym!, v.value);
          else this.move(d.sym!, v, d.init.at);
        }
        return;
      case "assign":
        if (s.op === null) return this.valueInto(s.value, s.sym!);
        if (this.doubles.has(s.sym!)) {
          const b = this.reg(s.value);
          this.fop(s.op, s.sym!, s.sym!, b, s.at);
          return;
        }
        return this.operate(s.op, s.sym!, reg(s.sym!), this.value(s.value), s.at);
      case "update":
        this.emit({ op: "binary", bin: "add", dst: s.sym!, a: s.sym!, b: imm(s.delta), at: s.at });
        return;
      case "expr":
        this.call(s.expr, false);
        return;
      case "store": {
        // JavaScript's order: the index, the element (for op=), the value, then the store.
        const t = s.target;
        const elem = ELEM[t.elem!];
        const index = this.reg(t.index);
        let value: VReg;
        if (s.op === null) value = this.reg(s.value);
        else {
          const old = this.temp(elem === "f64" ? "f64" : "i32");
          this.emit({ op: "aload", elem, dst: old, arr: t.sym!, index, at: t.at, ...this.unchecked(t) });
          if (elem === "f64") {
            const b = this.reg(s.value);
            value = this.temp("f64");
            this.fop(s.op, value, old, b, s.at);
          } else {
            value = this.temp();
            this.operate(s.op, value, reg(old), this.value(s.value), s.at);
          }
        }
        this.emit({ op: "astore", elem, dst: null, arr: t.sym!, index, value, at: t.at, ...this.unchecked(t) });
        return;
      }
      case "if": {
        const end = this.block();
        for (const clause of s.clauses) {
          const then = this.block();
          const next = this.block();
          this.cond(clause.test, then, next);
          this.place(then);
          this.statement(clause.body);
          this.jump(end, clause.test.at);
          this.place(next);
        }
        if (s.else !== null) this.statement(s.else);
        this.jump(end, s.at);
        this.place(end);
        return;
      }
      case "while": {
        // Rotated: tested once on entry, then at the bottom, so an iteration takes one branch, not a
        // branch and a jump back (the condition is lowered twice: its code appears twice).
        const body = this.block();
        const test = this.block();
        const exit = this.block();
        this.cond(s.test, body, exit);
        this.place(body);
        this.loop(s.body, exit, test);
        this.jump(test, s.at);
        this.place(test);
        this.cond(s.test, body, exit);
        this.place(exit);
        return;
      }
      case "do": {
        const body = this.block();
        const test = this.block();
        const exit = this.block();
        this.jump(body, s.at);
        this.place(body);
        this.loop(s.body, exit, test);
        this.jump(test, s.test.at);
        this.place(test);
        this.cond(s.test, body, exit);
        this.place(exit);
        return;
      }
      case "for": {
        // Rotated as `while` is: the step and the test end each iteration.
        this.statements(s.init);
        const body = this.block();
        const step = this.block();
        const exit = this.block();
        if (s.test === null) this.jump(body, s.at);
        else this.cond(s.test, body, exit);
        this.place(body);
        const range = inRange(s);
        if (range !== null) this.safe.push(range);
        this.loop(s.body, exit, step);
        if (range !== null) this.safe.pop();
        this.jump(step, s.at);
        this.place(step);
        this.statements(s.step);
        if (s.test === null) this.jump(body, s.at);
        else this.cond(s.test, body, exit);
        this.place(exit);
        return;
      }
      case "break":
        return this.endWith({ op: "jmp", target: this.loops[this.loops.length - 1]!.brk, at: s.at });
      case "continue":
        return this.endWith({ op: "jmp", target: this.loops[this.loops.length - 1]!.cont, at: s.at });
      case "return": {
        const value = s.value === null ? null : this.reg(s.value);
        return this.endWith({ op: "ret", value, at: s.at });
      }
      case "empty":
        return;
    }
  }

  /**
   * An f64 literal's register: one per distinct value (-0 and 0 apart), loaded once at the entry,
   * so a loop does not rebuild its constants every iteration (a double has no immediate form).
   */
  private fconstant(value: number, at: Site): VReg {
    const key = Object.is(value, -0) ? "-0" : String(value);
    let v = this.fconsts.get(key);
    if (v === undefined) {
      v = this.temp("f64");
      this.fconsts.set(key, v);
      (this.placed[0] as BBlock).insts.unshift({ op: "fconst", dst: v, value, at });
    }
    return v;
  }

  /** `{ unchecked: true }` for a[i] inside a loop that keeps i within a's bounds. */
  private unchecked(e: Extract<Expr, { kind: "index" }>): { unchecked?: true } {
    const i = e.index;
    if (i.kind !== "name" || this.known.has(i.sym!)) return {};
    for (const r of this.safe) if (r.arr === e.sym && r.index === i.sym) return { unchecked: true };
    return {};
  }

  private loop(body: Stmt, brk: BBlock, cont: BBlock): void {
    this.loops.push({ brk, cont });
    this.statement(body);
    this.loops.pop();
  }

  // ---- conditions ----

  /** Branches to `t` when `e` is truthy, else to `f`. */
  private cond(e: Expr, t: BBlock, f: BBlock): void {
    for (;;) {
      if (e.kind === "unary" && e.op === "lnot") {
        [t, f] = [f, t];
        e = e.arg;
        continue;
      }
      break;
    }
    if (e.kind === "logical") return this.logicalCond(e, t, f);
    if (e.kind === "binary") {
      const cond = COMPARE[e.op];
      if (cond !== undefined && e.left.type === "f64") {
        const a = this.reg(e.left);
        const b = this.reg(e.right);
        return this.terminate({ op: "fbr", cond, a, b, then: t, else: f, at: e.at });
      }
      if (cond !== undefined) {
        let a = this.value(e.left);
        let b = this.value(e.right);
        let c = cond;
        if (a.kind === "imm" && b.kind === "imm") return this.jump(evalBinary(e.op, a.value, b.value) !== 0 ? t : f, e.at);
        if (a.kind === "imm") {
          [a, b] = [b, a];
          c = SWAPPED[c];
        }
        return this.terminate({ op: "br", cond: c, a: (a as { reg: VReg }).reg, b, then: t, else: f, at: e.at });
      }
    }
    const v = this.value(e);
    if (v.kind === "imm") return this.jump(v.value !== 0 ? t : f, e.at);
    this.terminate({ op: "br", cond: "ne", a: v.reg, b: imm(0), then: t, else: f, at: e.at });
  }

  /** `a && b && c ...` (one operator along the left spine) as a loop of branches. */
  private logicalCond(root: LogicalExpr, t: BBlock, f: BBlock): void {
    const spine: LogicalExpr[] = [];
    let e: Expr = root;
    while (e.kind === "logical" && e.op === root.op) {
      spine.push(e);
      e = e.left;
    }
    const operands = [e, ...spine.reverse().map((link) => link.right)];
    for (let i = 0; i < operands.length - 1; i++) {
      const mid = this.block();
      if (root.op === "land") this.cond(operands[i]!, mid, f);
      else this.cond(operands[i]!, t, mid);
      this.place(mid);
    }
    this.cond(operands[operands.length - 1]!, t, f);
  }

  // ---- values ----

  /** e's value in a register (an immediate is loaded into a temporary). */
  private reg(e: Expr): VReg {
    return this.materialize(this.value(e), e.at);
  }

  private materialize(v: Operand, at: Site): VReg {
    if (v.kind === "reg") return v.reg;
    const dst = this.temp();
    this.emit({ op: "const", dst, value: v.value, at });
    return dst;
  }

  private move(dst: VReg, v: Operand, at: Site): void {
    if (v.kind === "imm") this.emit({ op: "const", dst, value: v.value, at });
    else if (v.reg !== dst) this.emit({ op: "mov", dst, src: v.reg, at });
  }

  /** Evaluates `e` into `dst` (a variable): the last instruction writes it, after all reads. */
  private valueInto(e: Expr, dst: VReg): void {
    const v = this.value(e, dst);
    this.move(dst, v, e.at);
  }

  /**
   * e's value as an operand. `want`, if given, is where the last instruction may write (the caller
   * moves the result there if it did not). The left spine of a chain is a loop.
   */
  private value(root: Expr, want: VReg | null = null): Operand {
    if (root.kind !== "binary" && root.kind !== "logical") return this.other(root, want);
    const spine: (BinaryExpr | LogicalExpr)[] = [];
    let e: Expr = root;
    while (e.kind === "binary" || e.kind === "logical") {
      spine.push(e);
      e = e.left;
    }
    // `(t + e) | 0`: outer links that change nothing (a right operand that is the identity of the
    // operator) are skipped, and the link below them writes where the whole chain is wanted.
    let top = 0;
    while (top < spine.length && isIdentityLink(spine[top]!)) top++;
    let left = this.other(e, top === spine.length ? want : null);
    for (let i = spine.length - 1; i >= top; i--) {
      const link = spine[i]!;
      const dst = i === top ? want : null;
      left = link.kind === "binary" ? this.binary(link, left, dst) : this.logicalValue(link, left);
    }
    return left;
  }

  private binary(e: BinaryExpr, left: Operand, want: VReg | null): Operand {
    if (e.left.type === "f64") return this.fbinary(e, left, want);
    const right = this.value(e.right);
    if (left.kind === "imm" && right.kind === "imm" && !trapsAt(e.op, right.value)) return imm(evalBinary(e.op, left.value, right.value));
    const cond = COMPARE[e.op];
    if (cond !== undefined) {
      if (left.kind === "imm" && right.kind === "imm") return imm(evalBinary(e.op, left.value, right.value));
      let a = left;
      let b = right;
      let c = cond;
      if (a.kind === "imm") {
        [a, b] = [b, a];
        c = SWAPPED[c];
      }
      const dst = want ?? this.temp();
      this.emit({ op: "cmp", cond: c, dst, a: (a as { reg: VReg }).reg, b, at: e.at });
      return reg(dst);
    }
    const dst = want ?? this.temp();
    this.operate(e.op, dst, left, right, e.at);
    return reg(dst);
  }

  /** An operator with f64 operands: arithmetic, a comparison, or `x | 0` (ToInt32). Never folded. */
  private fbinary(e: BinaryExpr, left: Operand, want: VReg | null): Operand {
    const a = this.materialize(left, e.at);
    if (e.op === "or") {
      const dst = want ?? this.temp();
      this.emit({ op: "f2i", dst, a, at: e.at });
      return reg(dst);
    }
    const b = this.reg(e.right);
    const cond = COMPARE[e.op];
    if (cond !== undefined) {
      const dst = want ?? this.temp();
      this.emit({ op: "fcmp", cond, dst, a, b, at: e.at });
      return reg(dst);
    }
    const dst = want ?? this.temp("f64");
    this.fop(e.op, dst, a, b, e.at);
    return reg(dst);
  }

  /**
   * Math.pow through C's pow, where the two disagree: JavaScript's Math.pow(x, NaN) is NaN (C's
   * pow(1, NaN) is 1), and so is Math.pow(±1, ±Infinity) (C's is 1).
   */
  private pow(x: VReg, y: VReg, at: Site): VReg {
    const t = this.temp("f64");
    this.emit({ op: "ccall", id: -1, dst: t, fn: "pow", args: [x, y], at });
    const fix = this.block(), check = this.block(), check2 = this.block(), done = this.block();
    this.terminate({ op: "fbr", cond: "ne", a: y, b: y, then: fix, else: check, at });
    this.place(check);
    const ax = this.temp("f64");
    this.emit({ op: "fabs", dst: ax, a: x, at });
    this.terminate({ op: "fbr", cond: "eq", a: ax, b: this.fconstant(1, at), then: check2, else: done, at });
    this.place(check2);
    const ay = this.temp("f64");
    this.emit({ op: "fabs", dst: ay, a: y, at });
    this.terminate({ op: "fbr", cond: "eq", a: ay, b: this.fconstant(Infinity, at), then: fix, else: done, at });
    this.place(fix);
    this.emit({ op: "mov", dst: t, src: this.fconstant(Number.NaN, at), at });
    this.jump(done, at);
    this.place(done);
    return t;
  }

  /** dst = a op b on doubles: + - * / inline, % as a call of C's fmod (JavaScript's % on doubles). */
  private fop(op: BinaryOp, dst: VReg, a: VReg, b: VReg, at: Site): void {
    if (op === "mod") this.emit({ op: "ccall", id: -1, dst, fn: "fmod", args: [a, b], at });
    else this.emit({ op: "fbinary", fbin: op as FBinOp, dst, a, b, at });
  }

  /** dst = a op b for an arithmetic, bitwise or shift operator, folded when both are known. */
  private operate(op: BinaryOp, dst: VReg, a: Operand, b: Operand, at: Site): void {
    if (op === "div" || op === "mod") {
      if (a.kind === "imm" && b.kind === "imm" && b.value !== 0) return this.move(dst, imm(evalBinary(op, a.value, b.value)), at);
      const ra = this.materialize(a, at);
      const rb = this.materialize(b, at);
      this.emit({ op: op === "div" ? "div" : "rem", dst, a: ra, b: rb, at });
      return;
    }
    this.arith(op as BinOp, dst, a, b, at, (x, y) => evalBinary(op, x, y));
  }

  private arith(op: BinOp, dst: VReg, a: Operand, b: Operand, at: Site, fold: (a: number, b: number) => number): void {
    if (a.kind === "imm" && b.kind === "imm") return this.move(dst, imm(fold(a.value, b.value)), at);
    if (a.kind === "imm" && COMMUTATIVE.has(op)) [a, b] = [b, a];
    if (b.kind === "imm" && isIdentity(op, b.value)) return this.move(dst, a, at); // x |= 0, Math.imul(x, 1)
    const ra = this.materialize(a, at);
    const rb = b.kind === "imm" && (op === "shl" || op === "sar" || op === "shr") ? imm(b.value & 31) : b;
    this.emit({ op: "binary", bin: op, dst, a: ra, b: rb, at });
  }

  /** JavaScript's `a && b` (a if a is falsy, else b) and `a || b`, as a value. */
  private logicalValue(e: LogicalExpr, left: Operand): Operand {
    if (left.kind === "imm") {
      const truthy = left.value !== 0;
      return (e.op === "land") === truthy ? this.value(e.right) : left;
    }
    const dst = this.temp();
    this.move(dst, left, e.at);
    const right = this.block();
    const join = this.block();
    this.terminate(e.op === "land"
      ? { op: "br", cond: "ne", a: dst, b: imm(0), then: right, else: join, at: e.at }
      : { op: "br", cond: "ne", a: dst, b: imm(0), then: join, else: right, at: e.at });
    this.place(right);
    this.valueInto(e.right, dst);
    this.jump(join, e.at);
    this.place(join);
    return reg(dst);
  }

  private other(e: Expr, want: VReg | null): Operand {
    switch (e.kind) {
      case "index": {
        const index = this.reg(e.index);
        const elem = ELEM[e.elem!];
        const dst = want ?? this.temp(elem === "f64" ? "f64" : "i32");
        this.emit({ op: "aload", elem, dst, arr: e.sym!, index, at: e.at, ...this.unchecked(e) });
        return reg(dst);
      }
      case "length": {
        const dst = want ?? this.temp();
        this.emit({ op: "alen", dst, arr: e.sym!, at: e.at });
        return reg(dst);
      }
      case "num":
        return e.float === true ? reg(this.fconstant(e.value, e.at)) : imm(e.value);
      case "convert": {
        const arg = this.value(e.arg);
        const from = e.arg.type;
        if (from === e.to) return arg;
        if (e.to === "f64") {
          const dst = want ?? this.temp("f64");
          if (arg.kind === "imm") this.emit({ op: "fconst", dst, value: arg.value, at: e.at });
          else this.emit({ op: "i2f", dst, a: arg.reg, at: e.at });
          return reg(dst);
        }
        const dst = want ?? this.temp();
        this.emit({ op: "f2i", dst, a: this.materialize(arg, e.at), at: e.at });
        return reg(dst);
      }
      case "bool":
        return imm(e.value ? 1 : 0);
      case "name": {
        const known = this.known.get(e.sym!);
        return known === undefined ? reg(e.sym!) : imm(known);
      }
      case "unary": {
        const arg = this.value(e.arg);
        if (e.op === "plus") return arg;
        if (e.type === "f64") {
          const dst = want ?? this.temp("f64");
          this.emit({ op: "fneg", dst, a: (arg as { reg: VReg }).reg, at: e.at });
          return reg(dst);
        }
        if (e.op === "lnot") {
          if (arg.kind === "imm") return imm(arg.value === 0 ? 1 : 0);
          const dst = want ?? this.temp();
          this.emit({ op: "cmp", cond: "eq", dst, a: arg.reg, b: imm(0), at: e.at });
          return reg(dst);
        }
        if (arg.kind === "imm") return imm(evalUnary(e.op, arg.value));
        const dst = want ?? this.temp();
        this.emit({ op: "unary", un: e.op, dst, a: arg.reg, at: e.at });
        return reg(dst);
      }
      case "binary":
      case "logical":
        return this.value(e, want);
      case "cond": {
        const then = this.block();
        const otherwise = this.block();
        const join = this.block();
        const dst = this.temp(e.type === "f64" ? "f64" : "i32");
        this.cond(e.test, then, otherwise);
        this.place(then);
        this.valueInto(e.then, dst);
        this.jump(join, e.at);
        this.place(otherwise);
        this.valueInto(e.else, dst);
        this.jump(join, e.at);
        this.place(join);
        return reg(dst);
      }
      case "call":
        return reg(this.call(e, true, want)!);
      case "math": {
        if (e.type === "f64" && e.fn !== "sqrt" && e.fn !== "abs") {
          const args = e.args.map((x) => this.reg(x));
          if (e.fn === "pow") return reg(this.pow(args[0]!, args[1]!, e.at));
          const dst = want ?? this.temp("f64");
          this.emit({ op: "ccall", id: -1, dst, fn: e.fn as LibmFn, args, at: e.at });
          return reg(dst);
        }
        if (e.type === "f64") {
          const a = this.reg(e.args[0]!);
          const dst = want ?? this.temp("f64");
          this.emit({ op: e.fn === "sqrt" ? "fsqrt" : "fabs", dst, a, at: e.at });
          return reg(dst);
        }
        let acc = this.value(e.args[0]!);
        if (e.fn === "abs") {
          if (acc.kind === "imm") return imm(Math.abs(acc.value) | 0);
          const dst = want ?? this.temp();
          this.emit({ op: "unary", un: "abs", dst, a: acc.reg, at: e.at });
          return reg(dst);
        }
        const op: BinOp = e.fn === "imul" ? "mul" : (e.fn as "min" | "max");
        const fold = e.fn === "imul" ? Math.imul : e.fn === "min" ? Math.min : Math.max;
        for (let i = 1; i < e.args.length; i++) {
          const b = this.value(e.args[i]!);
          if (acc.kind === "imm" && b.kind === "imm") {
            acc = imm(fold(acc.value, b.value));
            continue;
          }
          const dst = i === e.args.length - 1 && want !== null ? want : this.temp();
          this.arith(op, dst, acc, b, e.at, fold);
          acc = reg(dst);
        }
        return acc;
      }
    }
  }

  /** A call; returns the result register (null for a discarded or void result). */
  private call(e: CallExpr, used: boolean, want: VReg | null = null): VReg | null {
    const args = e.args.map((a) => this.reg(a));
    const callee = this.mod.functions[e.fn!]!;
    const dst = used && callee.result !== "void" ? (want ?? this.temp(callee.result)) : null;
    const inst: MutableCall = { op: "call", id: -1, dst, callee: e.fn!, args, at: e.at };
    this.emit(inst);
    return dst;
  }
}

/**
 * `for (let i = C; i < a.length; i++) body` with C a non-negative literal and no assignment to i in
 * the body (a typed-array parameter is always the same array, and its length cannot change during a
 * call: nothing else runs): in the body, 0 <= i < a.length, so a[i] needs no check. The step cannot
 * overflow either (i < a.length <= 2^31 - 1). Returns the array's and the counter's variables.
 */
function inRange(s: Extract<Stmt, { kind: "for" }>): { arr: number; index: number } | null {
  const init = s.init.length === 1 ? s.init[0]! : null;
  if (init === null || init.kind !== "let" || init.decls.length !== 1) return null;
  const d = init.decls[0]!;
  if (d.init.kind !== "num" || d.init.float === true || d.init.value < 0) return null;
  const t = s.test;
  if (t === null || t.kind !== "binary" || t.op !== "lt" || t.left.kind !== "name" || t.left.sym !== d.sym || t.right.kind !== "length") return null;
  const step = s.step.length === 1 ? s.step[0]! : null;
  const counts = step !== null && step.kind === "update" && step.delta === 1 && step.sym === d.sym
    || step !== null && step.kind === "assign" && step.op === "add" && step.sym === d.sym && step.value.kind === "num" && step.value.value === 1 && step.value.float !== true;
  if (!counts || assigns(s.body, d.sym!)) return null;
  return { arr: t.right.sym!, index: d.sym! };
}

/** Does any statement in `root` (walked with a stack, not recursion) assign to variable `sym`? */
function assigns(root: Stmt, sym: number): boolean {
  const stack: Stmt[] = [root];
  while (stack.length > 0) {
    const s = stack.pop()!;
    switch (s.kind) {
      case "assign":
      case "update":
        if (s.sym === sym) return true;
        break;
      case "block": stack.push(...s.body); break;
      case "if":
        for (const c of s.clauses) stack.push(c.body);
        if (s.else !== null) stack.push(s.else);
        break;
      case "while": case "do": stack.push(s.body); break;
      case "for": stack.push(...s.init, ...s.step, s.body); break;
      default: break;
    }
  }
  return false;
}
