/**
 * Doubles in the functions chapter (issue 21): every operator, ToInt32's edges, NaN, the infinities
 * and -0, compared bit for bit with Bun running the same file; System V natively and Win64 code through
 * the shim; the ABI check stub (Win64's xmm6-xmm15 included) over every function; the errors.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { JitError } from "../src/errors.ts";
import { assembleModule, compileModuleForTests as compileModule, registersFor } from "../src/fn/compile.ts";
import { allocate } from "../src/fn/regalloc.ts";
import { compileFront } from "../src/fn/lower.ts";
import { hostPlatform } from "../src/platform.ts";
import * as programs from "./fixtures/fn/f64-programs.ts";
import { runSource } from "./support/cli.ts";
import { differential, expectAgreement } from "./support/differential.ts";
import { printF64Case, suite as f64Suite } from "./support/fn-f64-diff.ts";
import { SEED, replayHint } from "./support/random.ts";

const FILE = join(import.meta.dir, "fixtures", "fn", "f64-programs.ts");
const SOURCE = readFileSync(FILE, "utf8");
const ref = programs as unknown as Record<string, (...args: number[]) => number>;

/** Doubles at every edge ToInt32, comparisons and the sign of zero have. */
export const EDGES = [
  0, -0, 1, -1, 0.5, -0.5, 1.5, -2.5, 0.1, -1e-300, 5e-324, -5e-324, NaN, Infinity, -Infinity,
  2147483647, 2147483648, -2147483648, -2147483649, 4294967295, 4294967296, 4294967296.5, -4294967297.75,
  2 ** 52, 2 ** 52 + 1, 2 ** 53, 2 ** 53 + 2, 2 ** 62, 2 ** 63, -(2 ** 63), 2 ** 63 + 2048 * 3, 2 ** 64,
  2 ** 64 + 4096 * 3, 2 ** 84 + 2 ** 32, 2 ** 84 + 2 ** 33 + 2 ** 32, -(2 ** 84 + 2 ** 33), 3.7e19, -5e20,
  1.7976931348623157e308, -1.7976931348623157e308, 1e300, 123456789.987, -987654321.123,
];

/** Object.is, so -0 and 0 differ and NaN equals NaN (every NaN Bun makes is the one canonical NaN). */
function same(a: unknown, b: unknown): boolean {
  return Object.is(a, b);
}

const WAYS: [string, { abi?: "win64" }][] = hostPlatform().target.arch === "x64" && hostPlatform().target.abi === "sysv"
  ? [["native", {}], ["win64 code through the shim", { abi: "win64" }]]
  : [["native", {}]];

describe.each(WAYS)("f64 programs give what Bun gives: %s", (_way, options) => {
  const mod = compileModule(SOURCE, { file: "f64.ts", ...options });
  const fn = mod as unknown as Record<string, (...args: number[]) => number>;

  test("binary operators and comparisons over every pair of edges", () => {
    const bad: string[] = [];
    for (const name of ["add", "sub", "mul", "div", "lt", "le", "gt", "ge", "eq", "ne", "cmpBits", "hypot"]) {
      for (const a of EDGES) {
        for (const b of EDGES) {
          const got = fn[name]!(a, b), want = ref[name]!(a, b);
          if (!same(got, want)) bad.push(`${name}(${a}, ${b}) = ${got}, Bun ${want}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  test("ToInt32 (x | 0 and i32(x)), -x, +x and the rest on one argument", () => {
    const bad: string[] = [];
    for (const name of ["neg", "plus", "toInt", "toInt2", "poly", "isNaN64", "loopF", "spill", "fact", "addZero", "subZero", "mulOne", "sqrt", "absF"]) {
      for (const a of EDGES) {
        const x = name === "fact" ? Math.trunc(Math.abs(a) % 200) : a;
        if (name === "fact" && !Number.isFinite(x)) continue;
        const got = fn[name]!(x), want = ref[name]!(x);
        if (!same(got, want)) bad.push(`${name}(${x}) = ${got}, Bun ${want}`);
      }
    }
    expect(bad).toEqual([]);
  });

  test("ToInt32 at random doubles of every exponent", () => {
    const view = new DataView(new ArrayBuffer(8));
    let s = 0x9e3779b9;
    const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
    const bad: string[] = [];
    for (let k = 0; k < 20000; k++) {
      view.setUint32(0, next());
      view.setUint32(4, next());
      const x = view.getFloat64(0);
      if (fn.toInt!(x) !== (x | 0)) bad.push(`${x}`);
    }
    expect(bad).toEqual([]);
  });

  test("i32 to f64, mixed arguments in registers and on the stack, calls, spills", () => {
    for (const i of [0, 1, -1, 2147483647, -2147483648, 12345]) expect(same(fn.toF64!(i), ref.toF64!(i))).toBe(true);
    const cases: [string, number[]][] = [
      ["mixed", [1, 2.5, 3, 4.5, 5, 6.5, 7, 8.5]], ["mixed", [-7, -0, 2147483647, NaN, 0, Infinity, -1, 1e-300]],
      ["eight", [1, 2, 3, 4, 5, 6, 7, 8]], ["eight", [0.1, -0.2, 0.3, -0, 1e300, -1e300, 5e-324, 2 ** 53]],
      ["sumHalves", [0]], ["sumHalves", [1000]], ["mandel", [0.1, 0.2, 50]], ["mandel", [1, 1, 50]], ["mandel", [-0.75, 0.1, 1000]],
      ["across", [1.25, 10]], ["across", [-3.5, 0]], ["wrapAdd", [2 ** 31 + 0.5, 5]], ["wrapAdd", [-1e10, -2147483648]],
      ["pick", [1, -0, 0]], ["pick", [0, -0, NaN]], ["literals", []],
    ];
    for (const [name, args] of cases) expect([name, args, fn[name]!(...args)]).toEqual([name, args, ref[name]!(...args)]);
    expect(fn.voidF!(2)).toBeUndefined();
  });

  test("an f64 parameter takes any number; an i32 one is checked as before (the library's one rule, calls.ts)", () => {
    expect(fn.toInt!(1.5)).toBe(1);
    expect(() => fn.toF64!(1.5)).toThrow("parameter 1 (i) must be a 32-bit integer (-2147483648..2147483647), got 1.5");
    expect(() => (fn.toF64 as unknown as (x: unknown) => number)(3n)).toThrow("parameter 1 (i) must be a 32-bit integer (-2147483648..2147483647), got 3n");
    expect(() => (fn.neg as unknown as (x: unknown) => number)("1")).toThrow('parameter 1 (x) must be a number, got "1"');
    expect(() => fn.neg!()).toThrow("this function takes 1 argument, got 0");
    expect((fn.neg as unknown as { signature: unknown }).signature).toEqual({ params: ["f64"], result: "f64" });
  });
});

describe.each(WAYS)("calls into the C library: %s", (_way, options) => {
  const mod = compileModule(SOURCE, { file: "f64.ts", ...options });
  const fn = mod.functions as unknown as Record<string, (...args: number[]) => number>;
  /** How far apart two doubles are, in units in the last place (0 for the same value, NaN for NaN). */
  const ulps = (a: number, b: number): number => {
    if (Object.is(a, b)) return 0;
    if (Number.isNaN(a) || Number.isNaN(b) || !Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
    const v = new DataView(new ArrayBuffer(16));
    v.setFloat64(0, a);
    v.setFloat64(8, b);
    return Number(v.getBigInt64(0) - v.getBigInt64(8));
  };
  test("% is fmod, exactly JavaScript's, at every pair of edges", () => {
    const bad: string[] = [];
    for (const a of EDGES) for (const b of EDGES) if (!Object.is(fn.fmodF!(a, b), a % b)) bad.push(`${a} % ${b}`);
    expect(bad).toEqual([]);
  });
  test("Math.pow: JavaScript's NaN cases exactly; elsewhere within a few ulps of JavaScriptCore's", () => {
    const far: string[] = [];
    for (const a of EDGES) {
      for (const b of EDGES) {
        const got = fn.powF!(a, b), want = Math.pow(a, b);
        if (Number.isNaN(want) || !Number.isFinite(want) || want === 0) {
          if (!Object.is(got, want)) far.push(`pow(${a}, ${b}) = ${got}, Bun ${want}`);
        } else if (Math.abs(ulps(got, want)) > 4) far.push(`pow(${a}, ${b}) = ${got}, Bun ${want}`);
      }
    }
    expect(far).toEqual([]);
  });
  test("sin, cos, tan, atan2, exp, log within one ulp of Bun's, values living across the calls", () => {
    const far: string[] = [];
    for (const a of EDGES) {
      for (const b of [0.5, 2, 3.7, 1e3]) {
        const got = fn.libm!(a, b), want = ref.libm!(a, b);
        if (!(Object.is(got, want) || Math.abs(ulps(got, want)) <= 8)) far.push(`libm(${a}, ${b}) = ${got}, Bun ${want}`);
      }
    }
    expect(far).toEqual([]);
    expect(Math.abs(ulps(fn.waves!(2000), ref.waves!(2000)))).toBeLessThanOrEqual(64);
  });
});

describe("the ABI check stub around every f64 function", () => {
  for (const [way, options] of WAYS) {
    test(way, () => {
      const mod = compileModule(SOURCE, { file: "f64.ts", checks: true, ...options });
      const names = mod.internals.assembled.ir.functions.map((f) => f.name);
      const changed: string[] = [];
      for (const name of names) {
        const f = mod.internals.assembled.ir.functions.find((g) => g.name === name)!;
        const args = f.params.map((_, i) => i + 1);
        const r = mod.internals.abiCheck(name, args);
        if (r.changed.length > 0) changed.push(`${name}: ${r.changed.join(", ")}`);
      }
      expect(changed).toEqual([]);
    });
  }
});

describe("errors", () => {
  const cases: [string, string][] = [
    ["export function f(x: i32): f64 {\n  return x + 1.5;\n}", "m.ts:2:12: operator '+' mixes an i32 and an f64: convert one with f64(i) or i32(x)"],
    ["export function f(x: f64): i32 {\n  return x;\n}", "m.ts:2:10: 'f' returns i32, not an f64 (write i32(x))"],
    ["export function f(x: i32): f64 {\n  return x;\n}", "m.ts:2:10: 'f' returns f64, not an i32 (write f64(i))"],
    ["export function f(x: f64): i32 {\n  if (x) return 1;\n  return 0;\n}", "m.ts:2:7: a condition must be an i32 or a boolean, not an f64 (compare it: x != 0.0)"],
    ["export function f(x: f64): i32 {\n  return x & 1;\n}", "m.ts:2:12: operator '&' mixes an f64 and an i32: convert one with f64(i) or i32(x)"],
    ["export function f(x: f64): i32 {\n  return x | 1;\n}", "m.ts:2:12: operator '|' mixes an f64 and an i32: convert one with f64(i) or i32(x)"],
    ["export function f(x: f64): f64 {\n  return ~x;\n}", "m.ts:2:11: operator '~' does not take an f64 operand"],
    ["export function f(x: f64): f64 {\n  x++;\n  return x;\n}", "m.ts:2:4: '++' needs an i32 variable; 'x' is f64"],
    ["export function f(x: f64): f64 {\n  x &= 2.0;\n  return x;\n}", "m.ts:2:5: operator '&=' needs two i32 or (for + - * / %) two f64 operands; 'x' is f64, the value an f64"],
    ["export function f(x: f64, y: i32): f64 {\n  return g(y);\n}\nfunction g(a: f64): f64 { return a; }", "m.ts:2:12: an argument of 'g' must be f64, not an i32"],
    ["export function f(x: f64): f64 {\n  return Math.min(x, x);\n}", "m.ts:2:19: Math.min needs i32 arguments, found an f64"],
    ["export function f(x: i32): f64 {\n  return Math.sqrt(x);\n}", "m.ts:2:20: Math.sqrt needs an f64 argument, found an i32 (write f64(i))"],
    ["export function f(x: f64): f64 {\n  return x && x;\n}", "m.ts:2:12: operator '&&' does not take f64 operands (compare them: x != 0.0)"],
    ["export function f(x: boolean): f64 {\n  return 1.0;\n}", "m.ts:1:19: parameter 'x' has type 'boolean': parameters are i32, f64 or a typed array"],
    ["export function f(x: f64): f64 {\n  return i32(x, x);\n}", "m.ts:2:10: i32(...) takes 1 argument, not 2"],
    ["export function f(x: f64): f64 {\n  return 1.5.2;\n}", "m.ts:2:10: malformed number '1.5.2'"],
    ['import { f64, sqrt } from "babyjit";', "m.ts:1:15: only the types and conversions i32 and f64 can be imported, not 'sqrt'"],
  ];
  test.each(cases)("%s", (source, message) => {
    let error: unknown;
    try {
      compileFront(source, "m.ts");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JitError);
    expect((error as Error).message).toBe(message);
  });

  test("an allocator given no f64 registers says so, not bad code", () => {
    const ir = compileFront("export function f(x: f64): f64 { return x; }", "m.ts");
    const { fp: _fp, ...gpOnly } = registersFor({ arch: "x64", abi: "sysv" });
    expect(() => allocate(ir.functions[0]!, gpOnly)).toThrow("f uses f64, which this target's code generator does not have yet");
  });
});

describe("listings", () => {
  test("arm64: d registers, fcmp conditions false on NaN, fcvtzs with its saturation check", () => {
    const listing = assembleModule("export function f(x: f64, i: i32): i32 {\n  if (x < f64(i)) return 1;\n  return (x * 2.5) | 0;\n}", { target: { arch: "arm64", abi: "aapcs64" } }).listing;
    for (const text of ["scvtf", "fcmp d", "b.pl", "fmul d", "fcvtzs x16", "b.vs", "cneg w16, w16, lt"]) expect(listing).toContain(text);
  });

  test("SSE2 scalar double code under its source lines", () => {
    const listing = assembleModule("export function f(x: f64, i: i32): i32 {\n  return (x * f64(i)) | 0;\n}", { target: { arch: "x64", abi: "sysv" } }).listing;
    for (const text of ["cvtsi2sd", "mulsd", "cvttsd2si rax", "jo ", "shr rdx, 52"]) expect(listing).toContain(text);
  });
});

describe("the command line", () => {
  const file = join(import.meta.dir, "fixtures", "fn", "f64-programs.ts");
  const cases: [string[], number, string, string][] = [
    [["mul", "1.5", "-2e3"], 0, "-3000\n", ""],
    [["div", "1", "0"], 0, "Infinity\n", ""],
    [["div", "-0", "1"], 0, "0\n", ""],
    [["add", "NaN", "1"], 0, "NaN\n", ""],
    [["add", "0x10", "0.25"], 0, "16.25\n", ""],
    [["add", "0.1", "0.2"], 0, "0.30000000000000004\n", ""],
    [["toInt", "4294967298.5"], 0, "2\n", ""],
    [["toF64", "7"], 0, "7\n", ""],
    [["add", "1", "x"], 64, "", `babyjit: ${file}: argument 2 of add 'x' is not a number\n`],
    [["add", "1", " 2"], 64, "", `babyjit: ${file}: argument 2 of add ' 2' is not a number\n`],
    [["toF64", "1.5"], 64, "", `babyjit: ${file}: invalid argument 1 of toF64 '1.5': expected a decimal 32-bit integer (-2147483648..2147483647)\n`],
  ];
  test.each(cases)("babyjit --fn f64-programs.ts %p", (args, code, stdout, stderr) => {
    const r = runSource(["--fn", file, ...args]);
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([code, stdout, stderr]);
  });
});

describe("the differential test of doubles (test/support/fn-f64-diff.ts)", () => {
  test(`random f64 modules agree with Bun, bit for bit as Object.is tells (seed ${SEED}; ${replayHint()})`, () => {
    expectAgreement(f64Suite(), SEED, 1500);
  }, 120_000);
  if (WAYS.length > 1) {
    test(`as Win64 code (seed ${SEED + 1})`, () => {
      expectAgreement(f64Suite(["win64"]), SEED + 1, 500);
    }, 120_000);
  }
  test("a wrong answer is caught and shrunk", () => {
    const d = f64Suite();
    // A babyjit that gets ToInt32 wrong the way a bare cvttsd2si would (0x80000000 for what does not fit).
    const broken = { ...d, actual: (c: Parameters<typeof d.actual>[0]) => (d.actual(c) as string[]).map((a, i) => (d.reference(c) as string[])[i] === a && printF64Case(c).includes("| 0") && a === "0" ? "-2147483648" : a) };
    const result = differential(broken, 7, 400);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.report).toContain("shrunk");
  });
});
