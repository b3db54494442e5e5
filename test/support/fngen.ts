/**
 * Random well-typed modules for the functions chapter's differential test, their reference (the same
 * module run by Bun with the chapter's meaning made explicit) and a shrinker's moves.
 *
 * A module is generated as a small model and printed twice:
 * - `source`: the TypeScript babyjit compiles, using every operator bare (`a + b`, `x += y`, `x++`);
 * - `reference`: the same program where every i32 result is taken `| 0` (and `*` is Math.imul), `/`
 *   and `%` go through helpers that throw E_DIV_ZERO on a zero divisor: the chapter's definition of
 *   the meaning, which Bun then executes (transpiled by Bun.Transpiler, run by JavaScriptCore).
 *
 * Termination by construction: loops count a variable of their own, which nothing else assigns, up
 * to a small bound, and every function takes a budget `d` first, returns at once when it is <= 0 and
 * passes d - 1 to every call, so recursion, mutual recursion included, is bounded by the entry's d.
 * Many variables live at once (and across calls) so the allocator spills.
 */
import { type Rng, below, pick } from "./random.ts";

const chance = (rng: Rng, p: number): boolean => rng() < p;

export type GType = "i32" | "bool";
export type GExpr =
  | { k: "lit"; v: number }
  | { k: "bool"; v: boolean }
  | { k: "var"; name: string }
  | { k: "un"; op: "-" | "~" | "!" | "+"; a: GExpr }
  | { k: "bin"; op: string; a: GExpr; b: GExpr }
  | { k: "cond"; t: GExpr; a: GExpr; b: GExpr }
  | { k: "call"; fn: string; args: GExpr[] }
  | { k: "math"; fn: "imul" | "abs" | "min" | "max"; args: GExpr[] };
export type GStmt =
  | { k: "let"; cst: boolean; name: string; type: GType | null; init: GExpr }
  | { k: "assign"; name: string; op: string; e: GExpr }
  | { k: "upd"; name: string; op: "++" | "--"; prefix: boolean }
  | { k: "call"; e: GExpr }
  | { k: "if"; clauses: { c: GExpr; body: GStmt[] }[]; els: GStmt[] | null }
  /** form 0: for (let i = 0; i < n; i++); 1: no condition, `if (i >= n) break;` first; 2: no init or step, `i++` first. */
  | { k: "for"; v: string; n: number; body: GStmt[]; form: number }
  | { k: "while"; v: string; n: number; body: GStmt[] }
  | { k: "do"; v: string; n: number; body: GStmt[] }
  | { k: "break" }
  | { k: "continue" }
  | { k: "ret"; e: GExpr | null }
  | { k: "block"; body: GStmt[] };
export interface GFn {
  name: string;
  exported: boolean;
  params: string[]; // params[0] is the budget d
  result: "i32" | "void";
  body: GStmt[];
  /** false: the babyjit source leaves out the semicolons JavaScript would insert. */
  semicolons: boolean;
}
export interface FnCase {
  fns: GFn[];
  /** The function called, and the argument lists it is called with (the budget first). */
  entry: string;
  inputs: number[][];
}

const EDGE = [0, 0, 1, -1, 2, -2, 3, 5, 7, 31, 32, 33, 255, 65536, 2147483647, -2147483648, 2147483646, -2147483647];
const ARITH = ["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", ">>>"];
const COMPARE = ["<", "<=", ">", ">=", "==", "!=", "===", "!=="];
const COMPOUND = ["=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", ">>>=", "&=", "|=", "^="];

interface Var {
  name: string;
  type: GType;
  mutable: boolean;
}

class Gen {
  private count = 0;
  private scopes: Var[][] = [];
  private loopDepth = 0;
  private calls = 0;
  private readonly fns: { name: string; params: number; result: "i32" | "void" }[];
  constructor(
    private readonly rng: Rng,
    fns: { name: string; params: number; result: "i32" | "void" }[],
    private readonly size: number,
  ) {
    this.fns = fns;
  }

  private fresh(prefix: string): string {
    return `${prefix}${this.count++}`;
  }
  private vars(type: GType, mutable = false): Var[] {
    const out: Var[] = [];
    for (const s of this.scopes) for (const v of s) if (v.type === type && (!mutable || v.mutable)) out.push(v);
    return out;
  }
  private declare(v: Var): void {
    this.scopes[this.scopes.length - 1]!.push(v);
  }

  fn(index: number): GFn {
    const me = this.fns[index]!;
    const params = ["d", ...Array.from({ length: me.params - 1 }, (_, i) => `p${i}`)];
    this.scopes = [params.map((name) => ({ name, type: "i32" as GType, mutable: name !== "d" && chance(this.rng, 0.7) }))];
    this.calls = 0;
    const body: GStmt[] = [];
    // The budget guard: no call happens at d <= 0.
    body.push({ k: "if", clauses: [{ c: { k: "bin", op: "<=", a: { k: "var", name: "d" }, b: { k: "lit", v: 0 } }, body: [{ k: "ret", e: me.result === "void" ? null : this.expr("i32", 2, false) }] }], els: null });
    // Now and then, more values live across the whole body than any target has registers.
    const wide: GExpr[] = [];
    if (chance(this.rng, 0.25)) {
      const n = 16 + below(this.rng, 20);
      for (let i = 0; i < n; i++) {
        const name = this.fresh("w");
        body.push({ k: "let", cst: true, name, type: null, init: this.expr("i32", 1, false) });
        wide.push({ k: "var", name });
        this.declare({ name, type: "i32", mutable: false });
      }
    }
    body.push(...this.block(this.size, 0));
    const sum = wide.reduce<GExpr | null>((acc, w, i) => (acc === null ? w : { k: "bin", op: i % 3 === 0 ? "^" : i % 3 === 1 ? "+" : "-", a: acc, b: w }), null);
    if (me.result === "i32") {
      const e = this.expr("i32", 3, true);
      body.push({ k: "ret", e: sum === null ? e : { k: "bin", op: "^", a: e, b: sum } });
    } else if (sum !== null) {
      body.push({ k: "let", cst: true, name: this.fresh("x"), type: null, init: sum });
    }
    return { name: me.name, exported: index === 0 || chance(this.rng, 0.3), params, result: me.result, body, semicolons: chance(this.rng, 0.8) };
  }

  private block(n: number, depth: number): GStmt[] {
    this.scopes.push([]);
    const out: GStmt[] = [];
    for (let i = 0; i < n; i++) out.push(this.stmt(depth));
    this.scopes.pop();
    return out;
  }

  private stmt(depth: number): GStmt {
    const r = this.rng();
    const nest = depth < 3;
    if (r < 0.3) {
      const type: GType = chance(this.rng, 0.85) ? "i32" : "bool";
      const init = this.expr(type, 3, true);
      const v = { name: this.fresh(type === "i32" ? "x" : "b"), type, mutable: chance(this.rng, 0.75) };
      this.declare(v);
      return { k: "let", cst: !v.mutable, name: v.name, type: chance(this.rng, 0.5) ? type : null, init };
    }
    if (r < 0.5) {
      const targets = this.vars("i32", true);
      if (targets.length === 0) return this.stmt(depth);
      const v = pick(this.rng, targets);
      const op = pick(this.rng, COMPOUND);
      return { k: "assign", name: v.name, op, e: op === "/=" || op === "%=" ? this.divisor(true) : this.expr("i32", 3, true) };
    }
    if (r < 0.55) {
      const bools = this.vars("bool", true);
      if (bools.length > 0 && chance(this.rng, 0.5)) return { k: "assign", name: pick(this.rng, bools).name, op: "=", e: this.expr("bool", 2, true) };
      const targets = this.vars("i32", true);
      if (targets.length === 0) return this.stmt(depth);
      return { k: "upd", name: pick(this.rng, targets).name, op: chance(this.rng, 0.5) ? "++" : "--", prefix: chance(this.rng, 0.5) };
    }
    if (r < 0.6) {
      const voids = this.fns.filter((f) => f.result === "void");
      const f = voids.length > 0 && chance(this.rng, 0.6) ? pick(this.rng, voids) : pick(this.rng, this.fns);
      if (this.calls > 3) return this.stmt(depth);
      this.calls++;
      return { k: "call", e: this.callOf(f) };
    }
    if (r < 0.72 && nest) {
      const clauses = Array.from({ length: 1 + below(this.rng, 3) }, () => ({ c: this.expr(pick(this.rng, ["i32", "bool", "bool"] as GType[]), 3, true), body: this.block(1 + below(this.rng, 3), depth + 1) }));
      return { k: "if", clauses, els: chance(this.rng, 0.5) ? this.block(1 + below(this.rng, 2), depth + 1) : null };
    }
    if (r < 0.84 && nest && this.loopDepth < 3) {
      const kind = pick(this.rng, ["for", "while", "do"] as const);
      const v = this.fresh("i");
      const n = below(this.rng, 6);
      this.scopes.push([{ name: v, type: "i32", mutable: false }]);
      this.loopDepth++;
      const body = this.block(1 + below(this.rng, 4), depth + 1);
      this.loopDepth--;
      this.scopes.pop();
      return kind === "for" ? { k: "for", v, n, body, form: below(this.rng, 3) } : { k: kind, v, n, body };
    }
    if (r < 0.88 && this.loopDepth > 0) return { k: chance(this.rng, 0.5) ? "break" : "continue" };
    if (r < 0.9) return { k: "block", body: this.block(1 + below(this.rng, 3), depth + 1) };
    if (r < 0.92 && depth > 0) return { k: "ret", e: this.fns.find((f) => f.name === this.current)?.result === "void" ? null : this.expr("i32", 2, true) };
    return this.stmt(depth);
  }

  current = "";

  private callOf(f: { name: string; params: number }): GExpr {
    const args: GExpr[] = [{ k: "bin", op: "-", a: { k: "var", name: "d" }, b: { k: "lit", v: 1 } }];
    for (let i = 1; i < f.params; i++) args.push(this.expr("i32", 1, false));
    return { k: "call", fn: f.name, args };
  }

  /** A divisor that is usually not zero (so programs run on), sometimes anything. */
  private divisor(calls: boolean): GExpr {
    const e = this.expr("i32", 2, calls);
    return chance(this.rng, 0.95) ? { k: "bin", op: "|", a: e, b: { k: "lit", v: 1 } } : e;
  }

  expr(type: GType, depth: number, calls: boolean): GExpr {
    const rng = this.rng;
    if (type === "bool") {
      const r = rng();
      const bools = this.vars("bool");
      if (depth <= 0 || r < 0.15) {
        if (bools.length > 0 && chance(rng, 0.6)) return { k: "var", name: pick(rng, bools).name };
        return chance(rng, 0.5) ? { k: "bin", op: pick(rng, COMPARE), a: this.expr("i32", 0, calls), b: this.expr("i32", 0, calls) } : { k: "bool", v: chance(rng, 0.5) };
      }
      if (r < 0.6) return { k: "bin", op: pick(rng, COMPARE), a: this.expr("i32", depth - 1, calls), b: this.expr("i32", depth - 1, calls) };
      if (r < 0.7) return { k: "un", op: "!", a: this.expr(chance(rng, 0.5) ? "bool" : "i32", depth - 1, calls) };
      if (r < 0.85) return { k: "bin", op: chance(rng, 0.5) ? "&&" : "||", a: this.expr("bool", depth - 1, calls), b: this.expr("bool", depth - 1, calls) };
      if (r < 0.92) return { k: "bin", op: chance(rng, 0.5) ? "==" : "!=", a: this.expr("bool", depth - 1, calls), b: this.expr("bool", depth - 1, calls) };
      return { k: "cond", t: this.expr("bool", depth - 1, calls), a: this.expr("bool", depth - 1, calls), b: this.expr("bool", depth - 1, calls) };
    }
    const ints = this.vars("i32");
    const r = rng();
    if (depth <= 0 || r < 0.2) {
      if (ints.length > 0 && chance(rng, 0.7)) return { k: "var", name: pick(rng, ints).name };
      return { k: "lit", v: chance(rng, 0.6) ? pick(rng, EDGE) : below(rng, 200) - 100 };
    }
    if (r < 0.6) {
      const op = pick(rng, ARITH);
      const b = op === "/" || op === "%" ? this.divisor(calls) : this.expr("i32", depth - 1, calls);
      return { k: "bin", op, a: this.expr("i32", depth - 1, calls), b };
    }
    if (r < 0.68) return { k: "un", op: pick(rng, ["-", "~", "+", "-"] as const), a: this.expr("i32", depth - 1, calls) };
    if (r < 0.74) return { k: "bin", op: chance(rng, 0.5) ? "&&" : "||", a: this.expr("i32", depth - 1, calls), b: this.expr("i32", depth - 1, calls) };
    if (r < 0.8) return { k: "cond", t: this.expr(chance(rng, 0.7) ? "bool" : "i32", depth - 1, calls), a: this.expr("i32", depth - 1, calls), b: this.expr("i32", depth - 1, calls) };
    if (r < 0.88) {
      const fn = pick(rng, ["imul", "abs", "min", "max"] as const);
      const n = fn === "abs" ? 1 : fn === "imul" ? 2 : 1 + below(rng, 3);
      return { k: "math", fn, args: Array.from({ length: n }, () => this.expr("i32", depth - 1, calls)) };
    }
    if (r < 0.95 && calls && this.calls <= 3) {
      const callable = this.fns.filter((f) => f.result === "i32");
      if (callable.length > 0) {
        this.calls++;
        return this.callOf(pick(rng, callable));
      }
    }
    return { k: "cond", t: this.expr("bool", depth - 1, calls), a: { k: "lit", v: 1 }, b: { k: "lit", v: 0 } };
  }
}

/** A random module: 1-4 functions calling each other in any order (bounded by the budget). */
export function generateCase(rng: Rng, prefix = ""): FnCase {
  const n = 1 + below(rng, 4);
  const sigs = Array.from({ length: n }, (_, i) => ({
    name: `${prefix}f${i}`,
    params: 1 + below(rng, i === 0 ? 8 : 5), // the entry may take up to 8 (the budget included)
    result: (i === 0 || chance(rng, 0.75) ? "i32" : "void") as "i32" | "void",
  }));
  const gen = new Gen(rng, sigs, 2 + below(rng, 8));
  const fns = sigs.map((s, i) => {
    gen.current = s.name;
    return gen.fn(i);
  });
  const entry = sigs[0]!;
  const inputs = Array.from({ length: 3 }, () => [below(rng, 4), ...Array.from({ length: entry.params - 1 }, () => (chance(rng, 0.5) ? pick(rng, EDGE) : (rng() * 4294967296) | 0))]);
  return { fns, entry: entry.name, inputs };
}

/**
 * A module of at least `lines` lines (printed), made of random modules side by side (their functions
 * renamed apart): for compile-time benchmarks. The entry is the first module's entry.
 */
export function generateLines(rng: Rng, lines: number): FnCase {
  const parts: FnCase[] = [];
  let total = 0;
  while (total < lines) {
    const part = generateCase(rng, `m${parts.length}_`);
    total += printCase(part).split("\n").length - 2;
    parts.push(part);
  }
  return { fns: parts.flatMap((p) => p.fns), entry: parts[0]!.entry, inputs: parts[0]!.inputs };
}

// ---- printing ----

/** A non-negative literal, written as a user might: decimal, hex, octal, binary, with separators. */
function literal(v: number): string {
  switch (v % 7) {
    case 1: return `0x${v.toString(16)}`;
    case 2: return `0X${v.toString(16).toUpperCase()}`;
    case 3: return v < 4096 ? `0b${v.toString(2)}` : String(v);
    case 4: return `0o${v.toString(8)}`;
    case 5: return v >= 1000 ? String(v).replace(/\B(?=(\d{3})+$)/g, "_") : String(v);
    default: return String(v);
  }
}

/** Expression text, fully parenthesized; `ref` prints the chapter's meaning explicitly for JavaScript. */
export function printExpr(e: GExpr, ref: boolean): string {
  const p = (x: GExpr): string => printExpr(x, ref);
  switch (e.k) {
    case "lit": return e.v < 0 ? `(-${literal(-e.v)})` : literal(e.v);
    case "bool": return String(e.v);
    case "var": return e.name;
    case "un":
      if (ref && e.op === "-") return `(-${p(e.a)} | 0)`;
      return `(${e.op}${p(e.a)})`;
    case "bin": {
      if (ref) {
        switch (e.op) {
          case "+": case "-": case ">>>": return `((${p(e.a)} ${e.op} ${p(e.b)}) | 0)`;
          case "*": return `Math.imul(${p(e.a)}, ${p(e.b)})`;
          case "/": return `__div(${p(e.a)}, ${p(e.b)})`;
          case "%": return `__rem(${p(e.a)}, ${p(e.b)})`;
        }
      }
      return `(${p(e.a)} ${e.op} ${p(e.b)})`;
    }
    case "cond": return `(${p(e.t)} ? ${p(e.a)} : ${p(e.b)})`;
    case "call": return `${e.fn}(${e.args.map(p).join(", ")})`;
    case "math": {
      const text = `Math.${e.fn}(${e.args.map(p).join(", ")})`;
      return ref && e.fn === "abs" ? `(${text} | 0)` : text;
    }
  }
}

/** ";" or "" (a function printed without semicolons); set by printCase for each function. */
let SEMI = ";";

function printStmts(list: readonly GStmt[], ref: boolean, indent: string, out: string[]): void {
  for (const s of list) printStmt(s, ref, indent, out);
}

function printStmt(s: GStmt, ref: boolean, ind: string, out: string[]): void {
  const e = (x: GExpr): string => printExpr(x, ref);
  const inner = `${ind}  `;
  switch (s.k) {
    case "let":
      out.push(`${ind}${s.cst ? "const" : "let"} ${s.name}${s.type === null ? "" : `: ${s.type === "i32" ? "i32" : "boolean"}`} = ${e(s.init)}${SEMI}`);
      return;
    case "assign": {
      if (!ref || s.op === "=") {
        out.push(`${ind}${s.name} ${s.op} ${e(s.e)}${SEMI}`);
        return;
      }
      const op = s.op.slice(0, -1);
      out.push(`${ind}${s.name} = ${printExpr({ k: "bin", op, a: { k: "var", name: s.name }, b: s.e }, true)}${SEMI}`);
      return;
    }
    case "upd":
      if (ref) out.push(`${ind}${s.name} = (${s.name} ${s.op === "++" ? "+" : "-"} 1) | 0${SEMI}`);
      else out.push(`${ind}${s.prefix ? s.op + s.name : s.name + s.op}${SEMI}`);
      return;
    case "call":
      out.push(`${ind}${e(s.e)}${SEMI}`);
      return;
    case "if":
      s.clauses.forEach((c, i) => {
        out.push(`${ind}${i === 0 ? "if" : "} else if"} (${e(c.c)}) {`);
        printStmts(c.body, ref, inner, out);
      });
      if (s.els !== null) {
        out.push(`${ind}} else {`);
        printStmts(s.els, ref, inner, out);
      }
      out.push(`${ind}}`);
      return;
    case "for": {
      const step = ref ? `${s.v} = ${s.v} + 1` : `${s.v}++`;
      if (s.form === 1) {
        out.push(`${ind}for (let ${s.v} = 0; ; ${step}) {`, `${inner}if (${s.v} >= ${s.n}) break${SEMI}`);
        printStmts(s.body, ref, inner, out);
        out.push(`${ind}}`);
      } else if (s.form === 2) {
        out.push(`${ind}{`, `${inner}let ${s.v} = 0${SEMI}`, `${inner}for (; ${s.v} < ${s.n};) {`, `${inner}  ${step}${SEMI}`);
        printStmts(s.body, ref, `${inner}  `, out);
        out.push(`${inner}}`, `${ind}}`);
      } else {
        out.push(`${ind}for (let ${s.v} = 0; ${s.v} < ${s.n}; ${step}) {`);
        printStmts(s.body, ref, inner, out);
        out.push(`${ind}}`);
      }
      return;
    }
    case "while":
      out.push(`${ind}{`, `${inner}let ${s.v} = 0;`, `${inner}while (${s.v} < ${s.n}) {`, `${inner}  ${s.v} = ${s.v} + 1${SEMI}`);
      printStmts(s.body, ref, `${inner}  `, out);
      out.push(`${inner}}`, `${ind}}`);
      return;
    case "do":
      out.push(`${ind}{`, `${inner}let ${s.v} = 0;`, `${inner}do {`, `${inner}  ${s.v} += 1${SEMI}`);
      printStmts(s.body, ref, `${inner}  `, out);
      out.push(`${inner}} while (${s.v} < ${s.n})${SEMI}`, `${ind}}`);
      return;
    case "break":
    case "continue":
      out.push(`${ind}${s.k}${SEMI}`);
      return;
    case "ret":
      out.push(`${ind}return${s.e === null ? "" : ` ${e(s.e)}`}${SEMI}`);
      return;
    case "block":
      out.push(`${ind}{`);
      printStmts(s.body, ref, inner, out);
      out.push(`${ind}}`);
      return;
  }
}

/** The module as babyjit compiles it (`ref` false) or as the reference runs it (`ref` true). */
export function printCase(c: FnCase, ref = false): string {
  const out: string[] = ref ? [] : ['import type { i32 } from "babyjit";', ""];
  for (const f of c.fns) {
    SEMI = ref || f.semicolons ? ";" : "";
    const params = f.params.map((p) => `${p}: i32`).join(", ");
    out.push(`${f.exported && !ref ? "export " : ""}function ${f.name}(${params}): ${f.result} {`);
    printStmts(f.body, ref, "  ", out);
    out.push("}", "");
  }
  return out.join("\n");
}

const transpiler = new Bun.Transpiler({ loader: "ts" });

const HELPERS = `
function __div(a, b) { if (b === 0) throw new Error("E_DIV_ZERO"); return (a / b) | 0; }
function __rem(a, b) { if (b === 0) throw new Error("E_DIV_ZERO"); return (a % b) | 0; }
`;

/** An answer: the entry's result for each input, or "E_DIV_ZERO". */
export type Answers = (number | string)[];

/**
 * The reference answers: the reference text transpiled by Bun and run by JavaScriptCore, entry called
 * with each input; an answer is the result or "E_DIV_ZERO".
 */
export function referenceAnswers(c: FnCase): Answers {
  return referenceAnswersAll([c])[0]!;
}

/** referenceAnswers for many cases with one transpilation (each module in a scope of its own). */
export function referenceAnswersAll(cases: readonly FnCase[]): Answers[] {
  const scopes = cases.map((c, i) => `const m${i} = (() => {\n${printCase(c, true)}\nreturn { ${c.fns.map((f) => f.name).join(", ")} };\n})();`);
  const js = transpiler.transformSync(`${scopes.join("\n")}\nexport {};`).replace(/export\s*\{\s*\};?/, "");
  const mods = new Function(`${HELPERS}${js}\nreturn [${cases.map((_, i) => `m${i}`).join(", ")}];`)() as Record<string, (...a: number[]) => number>[];
  return cases.map((c, i) => answers(c, mods[i]!));
}

function answers(c: FnCase, mod: Record<string, (...a: number[]) => number>): Answers {
  return c.inputs.map((args) => {
    try {
      return mod[c.entry]!(...args);
    } catch (error) {
      if (error instanceof Error && error.message === "E_DIV_ZERO") return "E_DIV_ZERO";
      throw error;
    }
  });
}

// ---- shrinking ----

/** Smaller variants of a case: fewer inputs, functions, statements; simpler expressions. */
export function* smallerCases(c: FnCase): Iterable<FnCase> {
  if (c.inputs.length > 1) for (let i = 0; i < c.inputs.length; i++) yield { ...c, inputs: [c.inputs[i]!] };
  for (let i = c.fns.length - 1; i >= 1; i--) yield { ...c, fns: c.fns.filter((_, k) => k !== i) };
  for (let i = 0; i < c.fns.length; i++) {
    const f = c.fns[i]!;
    for (const body of smallerStmts(f.body)) yield { ...c, fns: c.fns.map((g, k) => (k === i ? { ...f, body } : g)) };
  }
}

function* smallerStmts(list: GStmt[]): Iterable<GStmt[]> {
  for (let i = 0; i < list.length; i++) yield [...list.slice(0, i), ...list.slice(i + 1)];
  for (let i = 0; i < list.length; i++) {
    for (const s of smallerStmt(list[i]!)) yield [...list.slice(0, i), ...s, ...list.slice(i + 1)];
  }
}

function* smallerStmt(s: GStmt): Iterable<GStmt[]> {
  const withBody = (body: GStmt[]): GStmt => ({ ...s, body }) as GStmt;
  switch (s.k) {
    case "if":
      for (const c of s.clauses) yield c.body;
      if (s.els !== null) {
        yield s.els;
        yield [{ ...s, els: null }];
      }
      if (s.clauses.length > 1) yield [{ ...s, clauses: s.clauses.slice(0, 1) }];
      for (let i = 0; i < s.clauses.length; i++) {
        const c = s.clauses[i]!;
        for (const body of smallerStmts(c.body)) yield [{ ...s, clauses: s.clauses.map((x, k) => (k === i ? { ...c, body } : x)) }];
        for (const cond of smallerExpr(c.c)) yield [{ ...s, clauses: s.clauses.map((x, k) => (k === i ? { ...c, c: cond } : x)) }];
      }
      if (s.els !== null) for (const els of smallerStmts(s.els)) yield [{ ...s, els }];
      return;
    case "for":
    case "while":
    case "do":
    case "block":
      for (const body of smallerStmts(s.body)) yield [withBody(body)];
      if (s.k !== "block" && s.n > 1) yield [{ ...s, n: 1 }];
      return;
    case "let":
      for (const init of smallerExpr(s.init)) yield [{ ...s, init }];
      return;
    case "assign":
      for (const e of smallerExpr(s.e)) yield [{ ...s, e }];
      return;
    case "ret":
      if (s.e !== null) for (const e of smallerExpr(s.e)) yield [{ ...s, e }];
      return;
    default:
      return;
  }
}

function* smallerExpr(e: GExpr): Iterable<GExpr> {
  if (e.k === "lit" && e.v !== 0) yield { k: "lit", v: 0 };
  if (e.k === "lit" || e.k === "bool" || e.k === "var") return;
  if (e.k !== "call") yield { k: "lit", v: 1 };
  switch (e.k) {
    case "un":
      yield e.a;
      for (const a of smallerExpr(e.a)) yield { ...e, a };
      return;
    case "bin":
      yield e.a;
      yield e.b;
      for (const a of smallerExpr(e.a)) yield { ...e, a };
      for (const b of smallerExpr(e.b)) yield { ...e, b };
      return;
    case "cond":
      yield e.a;
      yield e.b;
      for (const t of smallerExpr(e.t)) yield { ...e, t };
      for (const a of smallerExpr(e.a)) yield { ...e, a };
      for (const b of smallerExpr(e.b)) yield { ...e, b };
      return;
    case "call":
    case "math":
      if (e.k === "math") for (const a of e.args) yield a;
      for (let i = 0; i < e.args.length; i++) {
        for (const a of smallerExpr(e.args[i]!)) yield { ...e, args: e.args.map((x, k) => (k === i ? a : x)) };
      }
      return;
  }
}

// ---- C ----

/**
 * The module translated to C with the same meaning (for benchmarks against `cc -O2`): int32_t with
 * wrapping arithmetic done in uint32_t, shift counts masked, JavaScript's `&&`/`||` through GNU
 * statement expressions, a zero divisor calling div_zero() (which the harness defines).
 */
export function printC(c: FnCase): string {
  const out: string[] = ["#include <stdint.h>", "extern void div_zero(void);"];
  const sig = (f: GFn): string => `${f.result === "void" ? "void" : "int32_t"} ${f.name}(${f.params.map((p) => `int32_t ${p}`).join(", ")})`;
  for (const f of c.fns) out.push(`${sig(f)};`);
  for (const f of c.fns) {
    out.push(`${sig(f)} {`);
    cStmts(f.body, "  ", out);
    out.push("}");
  }
  return `${out.join("\n")}\n`;
}

const U = (x: string): string => `(uint32_t)(${x})`;
const I = (x: string): string => `(int32_t)(${x})`;

function cExpr(e: GExpr): string {
  switch (e.k) {
    case "lit": return e.v === -2147483648 ? "(-2147483647 - 1)" : `(${e.v})`;
    case "bool": return e.v ? "1" : "0";
    case "var": return e.name;
    case "un": {
      const a = cExpr(e.a);
      return e.op === "-" ? I(`0u - ${U(a)}`) : e.op === "~" ? `(~${a})` : e.op === "!" ? `(!${a})` : a;
    }
    case "bin": {
      const a = cExpr(e.a);
      const b = cExpr(e.b);
      switch (e.op) {
        case "+": return I(`${U(a)} + ${U(b)}`);
        case "-": return I(`${U(a)} - ${U(b)}`);
        case "*": return I(`${U(a)} * ${U(b)}`);
        case "/": case "%": {
          const op = e.op;
          return `({ int32_t l_ = ${a}, r_ = ${b}; if (r_ == 0) div_zero(); (r_ == -1) ? ${op === "/" ? I("0u - (uint32_t)l_") : "0"} : l_ ${op} r_; })`;
        }
        case "<<": return I(`${U(a)} << (${b} & 31)`);
        case ">>": return `(${a} >> (${b} & 31))`;
        case ">>>": return I(`${U(a)} >> (${b} & 31)`);
        case "&&": return `({ int32_t t_ = ${a}; t_ ? ${b} : t_; })`;
        case "||": return `({ int32_t t_ = ${a}; t_ ? t_ : ${b}; })`;
        case "===": return `(${a} == ${b})`;
        case "!==": return `(${a} != ${b})`;
        default: return `(${a} ${e.op} ${b})`;
      }
    }
    case "cond": return `(${cExpr(e.t)} ? ${cExpr(e.a)} : ${cExpr(e.b)})`;
    case "call": return `${e.fn}(${e.args.map(cExpr).join(", ")})`;
    case "math": {
      const args = e.args.map(cExpr);
      if (e.fn === "abs") return `({ int32_t a_ = ${args[0]}; a_ < 0 ? ${I("0u - (uint32_t)a_")} : a_; })`;
      if (e.fn === "imul") return I(`${U(args[0]!)} * ${U(args[1]!)}`);
      return args.reduce((acc, x) => `({ int32_t p_ = ${acc}, q_ = ${x}; p_ ${e.fn === "min" ? "<" : ">"} q_ ? p_ : q_; })`);
    }
  }
}

function cStmts(list: readonly GStmt[], ind: string, out: string[]): void {
  for (const s of list) cStmt(s, ind, out);
}

function cStmt(s: GStmt, ind: string, out: string[]): void {
  const inner = `${ind}  `;
  switch (s.k) {
    case "let": out.push(`${ind}int32_t ${s.name} = ${cExpr(s.init)};`); return;
    case "assign":
      if (s.op === "=") out.push(`${ind}${s.name} = ${cExpr(s.e)};`);
      else out.push(`${ind}${s.name} = ${cExpr({ k: "bin", op: s.op.slice(0, -1), a: { k: "var", name: s.name }, b: s.e })};`);
      return;
    case "upd": out.push(`${ind}${s.name} = ${I(`${U(s.name)} ${s.op === "++" ? "+" : "-"} 1u`)};`); return;
    case "call": out.push(`${ind}${cExpr(s.e)};`); return;
    case "if":
      s.clauses.forEach((c, i) => {
        out.push(`${ind}${i === 0 ? "if" : "} else if"} (${cExpr(c.c)}) {`);
        cStmts(c.body, inner, out);
      });
      if (s.els !== null) {
        out.push(`${ind}} else {`);
        cStmts(s.els, inner, out);
      }
      out.push(`${ind}}`);
      return;
    case "for":
      if (s.form === 1) out.push(`${ind}for (int32_t ${s.v} = 0; ; ${s.v}++) { if (${s.v} >= ${s.n}) break;`);
      else if (s.form === 2) out.push(`${ind}{ int32_t ${s.v} = 0; for (; ${s.v} < ${s.n};) { ${s.v}++;`);
      else out.push(`${ind}for (int32_t ${s.v} = 0; ${s.v} < ${s.n}; ${s.v}++) {`);
      cStmts(s.body, inner, out);
      out.push(s.form === 2 ? `${ind}} }` : `${ind}}`);
      return;
    case "while":
      out.push(`${ind}{ int32_t ${s.v} = 0; while (${s.v} < ${s.n}) { ${s.v}++;`);
      cStmts(s.body, inner, out);
      out.push(`${ind}} }`);
      return;
    case "do":
      out.push(`${ind}{ int32_t ${s.v} = 0; do { ${s.v}++;`);
      cStmts(s.body, inner, out);
      out.push(`${ind}} while (${s.v} < ${s.n}); }`);
      return;
    case "break": case "continue": out.push(`${ind}${s.k};`); return;
    case "ret": out.push(`${ind}return${s.e === null ? "" : ` ${cExpr(s.e)}`};`); return;
    case "block":
      out.push(`${ind}{`);
      cStmts(s.body, inner, out);
      out.push(`${ind}}`);
      return;
  }
}
