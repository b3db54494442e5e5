/**
 * The differential test of doubles (issue 21): random modules of f64 and i32 functions (arithmetic,
 * comparisons as values and as branches, ToInt32 through `| 0` and i32(), f64(i), Math.sqrt and
 * Math.abs, the ?: operator,
 * calls with mixed arguments, bounded loops accumulating doubles, literals at the edges) over argument
 * tuples full of NaN, the infinities, -0 and values past 2^63, compared with Bun running the same
 * source. Answers compare as Object.is does: -0 is not 0, NaN is NaN (JavaScriptCore makes every NaN
 * it shows the one canonical NaN, so its payload is not observable from Bun).
 *
 *   bun test/support/differential.ts fn-f64 SEED COUNT [win64]
 */
import { compileModuleForTests as compileModule } from "../../src/fn/compile.ts";
import type { Differential } from "./differential.ts";
import { type Rng, below, pick } from "./random.ts";

type T = "i32" | "f64";
export type GExpr =
  | { k: "lit"; t: T; text: string }
  | { k: "var"; t: T; name: string }
  | { k: "bin"; t: T; op: string; a: GExpr; b: GExpr }
  | { k: "neg"; a: GExpr }
  | { k: "math"; f: "sqrt" | "abs"; a: GExpr }
  | { k: "toI"; form: "or" | "call"; a: GExpr }
  | { k: "toF"; a: GExpr }
  | { k: "cmp"; op: string; a: GExpr; b: GExpr }
  | { k: "cond"; t: T; op: string; x: GExpr; y: GExpr; a: GExpr; b: GExpr }
  | { k: "call"; t: T; fn: number; args: GExpr[] };

export interface GFn {
  params: T[];
  result: T;
  locals: { name: string; t: T; init: GExpr }[];
  loop: { n: number; acc: string; body: GExpr } | null;
  ret: GExpr;
}

export interface F64Case {
  fns: GFn[];
  /** Argument tuples for the last function (the one exported and called). */
  args: number[][];
}

const F_LITS = ["0.0", "-0.0", "1.0", "1.5", "-2.5", "0.1", "1e308", "-1e308", "5e-324", "2.5e-3", "4294967296.5", "9.3e18", "1.8446744073709552e19", "3.0", "1e-7", "65536.0"];
const I_LITS = ["0", "1", "-1", "7", "2147483647", "-2147483648", "255", "65536"];
export const F_ARGS = [0, -0, 1, -1, 0.5, -2.5, NaN, Infinity, -Infinity, 5e-324, 1e308, 2 ** 31, -(2 ** 31) - 1, 2 ** 32 + 0.5, 2 ** 53 + 2, 2 ** 63, -(2 ** 64) - 4096, 2 ** 84 + 2 ** 33, 0.1, 3.7e19];
const I_ARGS = [0, 1, -1, 5, 2147483647, -2147483648, 1000];

function genExpr(rng: Rng, t: T, depth: number, vars: { name: string; t: T }[], fns: GFn[]): GExpr {
  const ofType = vars.filter((v) => v.t === t);
  if (depth <= 0 || below(rng, 5) === 0) {
    if (ofType.length > 0 && below(rng, 3) > 0) return { k: "var", t, name: pick(rng, ofType).name };
    return { k: "lit", t, text: pick(rng, t === "f64" ? F_LITS : I_LITS) };
  }
  const d = depth - 1;
  const callable = fns.map((f, i) => ({ f, i })).filter(({ f }) => f.result === t);
  const r = below(rng, 10);
  if (r === 0 && callable.length > 0) {
    const { f, i } = pick(rng, callable);
    return { k: "call", t, fn: i, args: f.params.map((p) => genExpr(rng, p, d - 1, vars, fns)) };
  }
  if (r === 1) {
    const u: T = below(rng, 2) === 0 ? "f64" : "i32";
    return { k: "cond", t, op: pick(rng, ["<", "<=", ">", ">=", "==", "!="]), x: genExpr(rng, u, d - 1, vars, fns), y: genExpr(rng, u, d - 1, vars, fns), a: genExpr(rng, t, d, vars, fns), b: genExpr(rng, t, d, vars, fns) };
  }
  if (t === "f64") {
    if (r === 2) return below(rng, 2) === 0 ? { k: "neg", a: genExpr(rng, "f64", d, vars, fns) } : { k: "math", f: below(rng, 2) === 0 ? "sqrt" : "abs", a: genExpr(rng, "f64", d, vars, fns) };
    if (r === 3) return { k: "toF", a: genExpr(rng, "i32", d, vars, fns) };
    return { k: "bin", t, op: pick(rng, ["+", "-", "*", "/"]), a: genExpr(rng, "f64", d, vars, fns), b: genExpr(rng, "f64", d, vars, fns) };
  }
  if (r <= 4) return { k: "toI", form: below(rng, 2) === 0 ? "or" : "call", a: genExpr(rng, "f64", d, vars, fns) };
  if (r === 5) return { k: "cmp", op: pick(rng, ["<", "<=", ">", ">=", "==", "!="]), a: genExpr(rng, "f64", d, vars, fns), b: genExpr(rng, "f64", d, vars, fns) };
  return { k: "bin", t, op: pick(rng, ["+", "-", "^", "&", "imul"]), a: genExpr(rng, "i32", d, vars, fns), b: genExpr(rng, "i32", d, vars, fns) };
}

export function generateF64Case(rng: Rng): F64Case {
  const fns: GFn[] = [];
  const count = 1 + below(rng, 3);
  for (let n = 0; n < count; n++) {
    const params: T[] = Array.from({ length: 1 + below(rng, 4) }, () => (below(rng, 3) === 0 ? "i32" : "f64"));
    const vars = params.map((t, i) => ({ name: `p${i}`, t }));
    const locals: GFn["locals"] = [];
    for (let k = below(rng, 4); k > 0; k--) {
      const t: T = below(rng, 3) === 0 ? "i32" : "f64";
      const init = genExpr(rng, t, 3, vars, fns);
      const name = `v${locals.length}`;
      locals.push({ name, t, init });
      vars.push({ name, t });
    }
    const fAcc = locals.filter((l) => l.t === "f64");
    const loop = fAcc.length > 0 && below(rng, 2) === 0 ? { n: below(rng, 20), acc: pick(rng, fAcc).name, body: genExpr(rng, "f64", 3, [...vars, { name: "i", t: "i32" }], fns) } : null;
    const result: T = below(rng, 3) === 0 ? "i32" : "f64";
    fns.push({ params, result, locals, loop, ret: genExpr(rng, result, 4, vars, fns) });
  }
  const last = fns[fns.length - 1]!;
  const args = Array.from({ length: 6 }, () => last.params.map((t) => (t === "f64" ? pick(rng, F_ARGS) : pick(rng, I_ARGS))));
  return { fns, args };
}

export function printExpr(e: GExpr): string {
  switch (e.k) {
    case "lit": return e.text.startsWith("-") ? `(${e.text})` : e.text;
    case "var": return e.name;
    case "bin":
      if (e.op === "imul") return `Math.imul(${printExpr(e.a)}, ${printExpr(e.b)})`;
      return e.t === "i32" ? `((${printExpr(e.a)} ${e.op} ${printExpr(e.b)}) | 0)` : `(${printExpr(e.a)} ${e.op} ${printExpr(e.b)})`;
    case "neg": return `(-${printExpr(e.a)})`;
    case "math": return `Math.${e.f}(${printExpr(e.a)})`;
    case "toI": return e.form === "or" ? `(${printExpr(e.a)} | 0)` : `i32(${printExpr(e.a)})`;
    case "toF": return `f64(${printExpr(e.a)})`;
    case "cmp": return `(${printExpr(e.a)} ${e.op} ${printExpr(e.b)} ? 1 : 0)`;
    case "cond": return `(${printExpr(e.x)} ${e.op} ${printExpr(e.y)} ? ${printExpr(e.a)} : ${printExpr(e.b)})`;
    case "call": return `f${e.fn}(${e.args.map(printExpr).join(", ")})`;
  }
}

export function printF64Case(c: F64Case): string {
  const lines = ['import { f64, i32 } from "babyjit";'];
  c.fns.forEach((f, i) => {
    const exported = i === c.fns.length - 1 ? "export " : "";
    lines.push(`${exported}function f${i}(${f.params.map((t, k) => `p${k}: ${t}`).join(", ")}): ${f.result} {`);
    for (const l of f.locals) lines.push(`  let ${l.name}: ${l.t} = ${printExpr(l.init)};`);
    if (f.loop !== null) lines.push(`  for (let i = 0; i < ${f.loop.n}; i++) ${f.loop.acc} = ${printExpr(f.loop.body)};`);
    lines.push(`  return ${printExpr(f.ret)};`);
    lines.push("}");
  });
  return lines.join("\n");
}

/** A number as Object.is tells numbers apart. */
export const show = (x: unknown): string => (Object.is(x, -0) ? "-0" : String(x));

const transpiler = new Bun.Transpiler({ loader: "ts" });

/** The same source run by Bun: its answers for every argument tuple. */
export function referenceF64(c: F64Case): string[] {
  const js = transpiler.transformSync(printF64Case(c)).replace(/^import .*$/m, "").replace(/^export /gm, "");
  const last = `f${c.fns.length - 1}`;
  const fn = new Function("f64", "i32", `${js}\nreturn ${last};`)((i: number) => +i, (x: number) => x | 0) as (...a: number[]) => number;
  return c.args.map((a) => show(fn(...a)));
}

export function actualF64(c: F64Case, win64: boolean): string[] {
  using mod = compileModule(printF64Case(c), win64 ? { abi: "win64" } : {});
  const fn = mod.functions[`f${c.fns.length - 1}`]!;
  return c.args.map((a) => show((fn as unknown as (...x: number[]) => number)(...a)));
}

function* smallerExprs(e: GExpr): Iterable<GExpr> {
  const t: T = e.k === "lit" || e.k === "var" || e.k === "bin" || e.k === "cond" || e.k === "call" ? e.t : e.k === "neg" || e.k === "toF" || e.k === "math" ? "f64" : "i32";
  if (e.k !== "lit") yield { k: "lit", t, text: t === "f64" ? "1.5" : "1" };
  const kids: GExpr[] = e.k === "bin" || e.k === "cmp" ? [e.a, e.b] : e.k === "cond" ? [e.a, e.b] : e.k === "neg" ? [e.a] : [];
  for (const k of kids) yield k;
  if (e.k === "bin") {
    for (const a of smallerExprs(e.a)) yield { ...e, a };
    for (const b of smallerExprs(e.b)) yield { ...e, b };
  }
}

export function* smallerF64(c: F64Case): Iterable<F64Case> {
  if (c.args.length > 1) for (let i = 0; i < c.args.length; i++) yield { ...c, args: [c.args[i]!] };
  for (let i = 0; i < c.fns.length; i++) {
    const f = c.fns[i]!;
    const put = (g: GFn): F64Case => ({ ...c, fns: c.fns.map((h, j) => (j === i ? g : h)) });
    if (f.loop !== null) yield put({ ...f, loop: null });
    for (const ret of smallerExprs(f.ret)) yield put({ ...f, ret });
    for (let k = 0; k < f.locals.length; k++) {
      for (const init of smallerExprs(f.locals[k]!.init)) yield put({ ...f, locals: f.locals.map((l, j) => (j === k ? { ...l, init } : l)) });
    }
  }
}

export function suite(args: readonly string[] = []): Differential<F64Case> {
  const win64 = args.includes("win64");
  return {
    generate: generateF64Case,
    reference: referenceF64,
    actual: (c) => actualF64(c, win64),
    smaller: smallerF64,
    show: (c) => `${printF64Case(c).replaceAll("\n", "\n            ")}\n  arguments ${c.args.map((a) => `(${a.map(show).join(", ")})`).join(" ")}`,
  };
}
