/**
 * The type checker: names resolved to variables (block scope, as `let`/`const` in TypeScript),
 * types checked, and every rule TypeScript would enforce on this subset turned into one error naming
 * its line and column. It fills in `type` on expressions, `sym` on names and declarations (variable
 * numbers within the function, parameters first) and `fn` on calls.
 *
 * Types: `i32`, and `boolean` for what comparisons, `!`, `true` and `false` give. A condition may be
 * either (JavaScript's truthiness); arithmetic takes i32 only, as TypeScript insists; `&&`, `||` and
 * `?:` take two operands of one type and give that type (JavaScript's `a && b` is a or b, not 0/1).
 */
import type { ArrayType, BinaryExpr, CallExpr, Expr, FunctionDecl, LogicalExpr, Module, Stmt, ValueType } from "./ast.ts";
import type { Site } from "./ir.ts";
import { sourceError } from "./lex.ts";

interface Variable {
  readonly sym: number;
  /** The scope it belongs to (a number unique within the function). */
  readonly scope: number;
  readonly constant: boolean;
  type: ValueType;
  /** false from the start of its block until its declaration has run (the temporal dead zone). */
  ready: boolean;
}

const SHOW: Readonly<Record<ValueType | "void", string>> = { i32: "i32", f64: "f64", bool: "boolean", void: "void", Int32Array: "Int32Array", Float64Array: "Float64Array", Uint8Array: "Uint8Array" };
/** The type with its article, for messages. */
const A: Readonly<Record<ValueType, string>> = { i32: "an i32", f64: "an f64", bool: "a boolean", Int32Array: "an Int32Array", Float64Array: "a Float64Array", Uint8Array: "a Uint8Array" };
/** The Math functions that are calls into the C library. */
const LIBM_MATH = new Set<string>(["sin", "cos", "tan", "atan2", "exp", "log", "pow"]);
const isArray = (t: ValueType): t is ArrayType => t === "Int32Array" || t === "Float64Array" || t === "Uint8Array";
/** What an element reads as: a Float64Array's an f64, the others' an i32. */
export const elementType = (t: ArrayType): "i32" | "f64" => (t === "Float64Array" ? "f64" : "i32");
const OP_TEXT: Readonly<Record<string, string>> = {
  mul: "*", div: "/", mod: "%", add: "+", sub: "-", shl: "<<", sar: ">>", shr: ">>>",
  lt: "<", le: "<=", gt: ">", ge: ">=", eq: "==", ne: "!=", and: "&", xor: "^", or: "|", land: "&&", lor: "||",
};

/** Checks `mod` in place (see the file comment); throws the first error in reading order. */
export function check(mod: Module): void {
  const functions = new Map<string, number>();
  mod.functions.forEach((f, i) => {
    if (functions.has(f.name)) throw sourceError(mod.file, f.at, `function '${f.name}' is already declared`);
    functions.set(f.name, i);
  });
  for (const f of mod.functions) new FunctionChecker(mod, functions, f).run();
}

class FunctionChecker {
  /** name -> the variables of that name in enclosing scopes, innermost last. */
  private readonly scopes = new Map<string, Variable[]>();
  /** Names declared in each open scope, to pop when it closes. */
  private readonly open: string[][] = [];
  private symbols = 0;
  private loops = 0;
  /** Every variable by its number. */
  private readonly vars: Variable[] = [];
  /** Unique numbers of the open scopes; the innermost last. */
  private readonly scopeIds: number[] = [];
  private scopeCount = 0;
  /** Set while checking a call's argument: the one place a typed array may stand by itself. */
  private arrayOk = false;

  constructor(
    private readonly mod: Module,
    private readonly functions: ReadonlyMap<string, number>,
    private readonly f: FunctionDecl,
  ) {}

  run(): void {
    this.openScope();
    for (const p of this.f.params) {
      p.sym = this.declare(p.name, p.at, false, p.type, true);
    }
    this.statements(this.f.body, false);
    this.close();
    this.f.symbols = this.symbols;
  }

  private error(at: Site, message: string): Error {
    return sourceError(this.mod.file, at, message);
  }

  // ---- scopes ----

  private declare(name: string, at: Site, constant: boolean, type: ValueType, ready: boolean): number {
    const scope = this.scopeIds[this.scopeIds.length - 1]!;
    let list = this.scopes.get(name);
    if (list === undefined) {
      list = [];
      this.scopes.set(name, list);
    }
    if (list[list.length - 1]?.scope === scope) throw this.error(at, `'${name}' is already declared in this scope`);
    const sym = this.symbols++;
    const v: Variable = { sym, scope, constant, type, ready };
    list.push(v);
    this.vars.push(v);
    this.open[this.open.length - 1]!.push(name);
    return sym;
  }

  private openScope(): void {
    this.open.push([]);
    this.scopeIds.push(this.scopeCount++);
  }

  private close(): void {
    for (const name of this.open.pop()!) this.scopes.get(name)!.pop();
    this.scopeIds.pop();
  }

  private lookup(name: string, at: Site): Variable {
    const v = this.scopes.get(name)?.at(-1);
    if (v === undefined) {
      if (this.functions.has(name)) throw this.error(at, `'${name}' is a function: call it as ${name}(...)`);
      throw this.error(at, `unknown name '${name}'`);
    }
    if (!v.ready) throw this.error(at, `'${name}' is used before its declaration`);
    return v;
  }

  // ---- statements ----

  /**
   * A statement list in a new scope (or the function's own scope when `scoped` is false). The list's
   * `let`/`const` names are declared first, not ready, so a use before the declaration is an error
   * rather than a silent read of an outer variable, as in JavaScript.
   */
  private statements(list: readonly Stmt[], scoped: boolean): void {
    if (scoped) this.openScope();
    for (const s of list) {
      if (s.kind !== "let") continue;
      for (const d of s.decls) d.sym = this.declare(d.name, d.at, s.constant, "i32", false);
    }
    for (const s of list) this.statement(s);
    if (scoped) this.close();
  }

  private variableOf(sym: number): Variable {
    return this.vars[sym]!;
  }

  private statement(s: Stmt): void {
    switch (s.kind) {
      case "block":
        return this.statements(s.body, true);
      case "let":
        for (const d of s.decls) {
          const type = this.expr(d.init);
          if (d.annotation !== null && d.annotation !== type) {
            throw this.error(d.init.at, `'${d.name}' is declared ${SHOW[d.annotation]} but initialized with ${A[type]}`);
          }
          const v = this.variableOf(d.sym!);
          v.type = d.annotation ?? type;
          v.ready = true;
        }
        return;
      case "assign": {
        const v = this.lookup(s.name, s.nameAt);
        if (v.constant) throw this.error(s.nameAt, `cannot assign to '${s.name}': it is a constant`);
        if (isArray(v.type)) throw this.error(s.nameAt, `cannot assign to '${s.name}': a typed-array parameter stays the array it was given`);
        s.sym = v.sym;
        const type = this.expr(s.value);
        if (s.op === null) {
          if (type !== v.type) throw this.error(s.value.at, `cannot assign ${A[type]} to '${s.name}', which is ${SHOW[v.type]}`);
        } else if (v.type === "f64" && type === "f64" && (s.op === "add" || s.op === "sub" || s.op === "mul" || s.op === "div" || s.op === "mod")) {
          // f64 arithmetic assignment: x += y
        } else {
          if (v.type === "f64" || type === "f64") throw this.error(s.at, `operator '${OP_TEXT[s.op]}=' needs two i32 or (for + - * / %) two f64 operands; '${s.name}' is ${SHOW[v.type]}, the value ${A[type]}`);
          if (v.type !== "i32") throw this.error(s.at, `operator '${OP_TEXT[s.op]}=' needs an i32 variable; '${s.name}' is ${SHOW[v.type]}`);
          if (type !== "i32") throw this.error(s.value.at, `operator '${OP_TEXT[s.op]}=' needs an i32 value, found ${A[type]}`);
        }
        return;
      }
      case "update": {
        const v = this.lookup(s.name, s.nameAt);
        if (v.constant) throw this.error(s.nameAt, `cannot assign to '${s.name}': it is a constant`);
        if (v.type !== "i32") throw this.error(s.at, `'${s.delta === 1 ? "++" : "--"}' needs an i32 variable; '${s.name}' is ${SHOW[v.type]}`);
        s.sym = v.sym;
        return;
      }
      case "expr":
        this.call(s.expr, true);
        return;
      case "store": {
        const elem = this.expr(s.target);
        const type = this.expr(s.value);
        if (type !== elem) throw this.error(s.value.at, `an element of '${s.target.array}' is ${SHOW[elem]}: cannot store ${A[type]}${elem === "f64" ? " (write f64(i))" : type === "f64" ? " (write i32(x))" : ""}`);
        if (s.op !== null && elem === "f64" && !(s.op === "add" || s.op === "sub" || s.op === "mul" || s.op === "div" || s.op === "mod")) {
          throw this.error(s.at, `operator '${OP_TEXT[s.op]}=' on an f64 element is not supported (only + - * / %)`);
        }
        return;
      }
      case "if":
        for (const c of s.clauses) {
          this.test(c.test);
          this.statement(c.body);
        }
        if (s.else !== null) this.statement(s.else);
        return;
      case "while":
      case "do":
        this.test(s.test);
        this.loops++;
        this.statement(s.body);
        this.loops--;
        return;
      case "for": {
        this.openScope();
        for (const init of s.init) {
          if (init.kind === "let") {
            for (const d of init.decls) d.sym = this.declare(d.name, d.at, init.constant, "i32", false);
          }
          this.statement(init);
        }
        if (s.test !== null) this.test(s.test);
        this.loops++;
        this.statement(s.body);
        this.loops--;
        for (const step of s.step) this.statement(step);
        this.close();
        return;
      }
      case "break":
      case "continue":
        if (this.loops === 0) throw this.error(s.at, `'${s.kind}' outside a loop`);
        return;
      case "return": {
        const name = this.f.name;
        if (s.value === null) {
          if (this.f.result !== "void") throw this.error(s.at, `'return' needs a value: '${name}' returns i32`);
          return;
        }
        if (this.f.result === "void") throw this.error(s.value.at, `'${name}' returns void: 'return' takes no value here`);
        const type = this.expr(s.value);
        const want = this.f.result;
        if (type !== want) throw this.error(s.value.at, `'${name}' returns ${want}, not ${A[type]}${type === "bool" ? " (write 'cond ? 1 : 0')" : type === "f64" ? " (write i32(x))" : " (write f64(i))"}`);
        return;
      }
      case "empty":
        return;
    }
  }

  // ---- expressions ----

  /** Types `root`; the left spine of a chain `a + b + c ...` is walked in a loop. */
  private expr(root: Expr): ValueType {
    if (root.kind !== "binary" && root.kind !== "logical") return this.other(root);
    const spine: (BinaryExpr | LogicalExpr)[] = [];
    let e: Expr = root;
    while (e.kind === "binary" || e.kind === "logical") {
      spine.push(e);
      e = e.left;
    }
    let left = this.other(e);
    for (let i = spine.length - 1; i >= 0; i--) {
      const link = spine[i]!;
      const right = this.expr(link.right);
      left = link.kind === "binary" ? this.binary(link, left, right) : this.logical(link, left, right);
      link.type = left;
    }
    return left;
  }

  private binary(e: BinaryExpr, left: ValueType, right: ValueType): ValueType {
    const op = e.op;
    if (op === "eq" || op === "ne") {
      if (left !== right) throw this.error(e.at, `operator '${OP_TEXT[op]}' compares ${A[left]} with ${A[right]}`);
      return "bool";
    }
    if (left === "f64" || right === "f64") {
      // `x | 0` is ToInt32 in JavaScript: the one operator that takes an f64 to an i32.
      if (op === "or" && left === "f64" && e.right.kind === "num" && e.right.value === 0 && e.right.float !== true) return "i32";
      if (left !== right) throw this.error(e.at, `operator '${OP_TEXT[op]}' mixes ${A[left]} and ${A[right]}: convert one with f64(i) or i32(x)`);
      if (op === "add" || op === "sub" || op === "mul" || op === "div") return "f64";
      if (op === "lt" || op === "le" || op === "gt" || op === "ge") return "bool";
      if (op === "mod") return "f64"; // C's fmod, which is JavaScript's % on doubles
      throw this.error(e.at, `operator '${OP_TEXT[op]}' needs i32 operands, found f64 (write i32(x))`);
    }
    if (left !== "i32" || right !== "i32") {
      const bad = left !== "i32" ? e.left : e.right;
      throw this.error(bad.at, `operator '${OP_TEXT[op]}' needs i32 operands, found a boolean (write 'cond ? 1 : 0')`);
    }
    return op === "lt" || op === "le" || op === "gt" || op === "ge" ? "bool" : "i32";
  }

  private logical(e: LogicalExpr, left: ValueType, right: ValueType): ValueType {
    if (left === "f64" || right === "f64") throw this.error(e.at, `operator '${OP_TEXT[e.op]}' does not take f64 operands (compare them: x != 0.0)`);
    if (left !== right) throw this.error(e.at, `operator '${OP_TEXT[e.op]}' has ${A[left]} and ${A[right]} operand (use one type)`);
    return left;
  }

  private other(e: Expr): ValueType {
    const type = this.typeOf(e);
    e.type = type;
    return type;
  }

  private typeOf(e: Expr): ValueType {
    switch (e.kind) {
      case "num":
        return e.float === true ? "f64" : "i32";
      case "bool":
        return "bool";
      case "name": {
        const v = this.lookup(e.name, e.at);
        e.sym = v.sym;
        const ok = this.arrayOk;
        this.arrayOk = false;
        if (isArray(v.type) && !ok) throw this.error(e.at, `'${e.name}' is ${A[v.type]}: index it, take its .length, or pass it to a function`);
        return v.type;
      }
      case "index":
      case "length": {
        const v = this.lookup(e.array, e.arrayAt);
        if (!isArray(v.type)) throw this.error(e.arrayAt, `'${e.array}' is ${A[v.type]}, not a typed array: it has no ${e.kind === "index" ? "elements" : "length"}`);
        e.sym = v.sym;
        if (e.kind === "length") return "i32";
        const index = this.expr(e.index);
        if (index !== "i32") throw this.error(e.index.at, `an index must be an i32, not ${A[index]}${index === "f64" ? " (write i32(x))" : ""}`);
        e.elem = v.type;
        return elementType(v.type);
      }
      case "unary": {
        const arg = this.expr(e.arg);
        if (arg === "f64") {
          if (e.op === "neg" || e.op === "plus") return "f64";
          throw this.error(e.arg.at, `operator '${e.op === "lnot" ? "!" : "~"}' does not take an f64 operand`);
        }
        if (e.op === "lnot") return "bool";
        if (arg !== "i32") throw this.error(e.arg.at, `operator '${e.op === "neg" ? "-" : e.op === "not" ? "~" : "+"}' needs an i32 operand, found a boolean`);
        return "i32";
      }
      case "binary":
      case "logical":
        return this.expr(e);
      case "convert": {
        const arg = this.expr(e.arg);
        if (arg === "bool") throw this.error(e.arg.at, `${e.to}(...) takes an i32 or an f64, not a boolean`);
        return e.to;
      }
      case "cond": {
        this.test(e.test);
        const then = this.expr(e.then);
        const otherwise = this.expr(e.else);
        if (then !== otherwise) throw this.error(e.at, `the branches of '?:' have different types (${SHOW[then]} and ${SHOW[otherwise]})`);
        return then;
      }
      case "call":
        return this.call(e, false) as ValueType;
      case "math": {
        // Math.sqrt takes an f64, Math.abs either (and gives the same type); the rest take i32s.
        const first = this.expr(e.args[0]!);
        if (LIBM_MATH.has(e.fn)) {
          e.args.forEach((a, k) => {
            const t = k === 0 ? first : this.expr(a);
            if (t !== "f64") throw this.error(a.at, `Math.${e.fn} needs f64 arguments, found ${A[t]}${t === "i32" ? " (write f64(i))" : ""}`);
          });
          return "f64";
        }
        if (e.fn === "sqrt" || (e.fn === "abs" && first === "f64")) {
          if (first !== "f64") throw this.error(e.args[0]!.at, `Math.${e.fn} needs an f64 argument, found ${A[first]}${first === "i32" ? " (write f64(i))" : ""}`);
          return "f64";
        }
        e.args.forEach((a, k) => {
          const t = k === 0 ? first : this.expr(a);
          if (t !== "i32") throw this.error(a.at, `Math.${e.fn} needs i32 arguments, found ${A[t]}`);
        });
        return "i32";
      }
    }
  }

  /** A call; `statement` allows a void callee. */
  private call(e: CallExpr, statement: boolean): ValueType | "void" {
    const local = this.scopes.get(e.callee)?.at(-1);
    if (local !== undefined) throw this.error(e.at, `'${e.callee}' is a variable, not a function`);
    const index = this.functions.get(e.callee);
    if (index === undefined) throw this.error(e.at, `unknown function '${e.callee}'`);
    const callee = this.mod.functions[index]!;
    if (e.args.length !== callee.params.length) {
      const n = callee.params.length;
      throw this.error(e.at, `'${e.callee}' takes ${n} argument${n === 1 ? "" : "s"}, not ${e.args.length}`);
    }
    e.args.forEach((a, k) => {
      const want = callee.params[k]!.type;
      this.arrayOk = a.kind === "name";
      const t = this.expr(a);
      this.arrayOk = false;
      if (t !== want) throw this.error(a.at, `an argument of '${e.callee}' must be ${want}, not ${A[t]}${t === "bool" ? " (write 'cond ? 1 : 0')" : ""}`);
    });
    e.fn = index;
    if (callee.result === "void") {
      if (!statement) throw this.error(e.at, `'${e.callee}' returns void: its result cannot be used`);
      return "void";
    }
    e.type = callee.result;
    return callee.result;
  }

  /** A condition: an i32 or a boolean (an f64's truthiness, NaN included, is left to an explicit compare). */
  private test(e: Expr): void {
    if (this.expr(e) === "f64") throw this.error(e.at, "a condition must be an i32 or a boolean, not an f64 (compare it: x != 0.0)");
  }
}
