/**
 * The expression back end: differential tests against the reference evaluator (native on this
 * x86-64 host, for System V and, through a small calling-convention shim, Win64 code), listing round
 * trips through llvm-mc for all three targets, golden listings, and edge cases.
 *
 * The seed is fresh every run (in the tests' names; BABYJIT_SEED=<n> replays one, test/support/random.ts);
 * a failure prints it and a shrunk expression.
 */
import { describe, expect, test } from "bun:test";
import type { Code } from "../src/emit.ts";
import { JitError } from "../src/errors.ts";
import { generate } from "../src/expr/codegen.ts";
import { assembleExpression, compileExpression } from "../src/expr/compile.ts";
import { fold } from "../src/expr/fold.ts";
import { parse } from "../src/expr/parse.ts";
import { evaluate } from "../src/expr/reference.ts";
import { hexBytes } from "../src/listing.ts";
import type { Target } from "../src/platform.ts";
import { expectAgreement } from "./support/differential.ts";
import { type Compiler, customCompiler, exprDifferential } from "./support/expr-diff.ts";
import { randomExpr } from "./support/exprgen.ts";
import { listingSource, llvmAssemble } from "./support/llvm.ts";
import { SEED, makeRng } from "./support/random.ts";
import { ARM64, NATIVE_SYSV, SYSV, TARGETS, WIN64, targetName } from "./support/targets.ts";
import { win64OnSysv } from "./support/win64.ts";
const MIN = -2147483648;
const MAX = 2147483647;
const SLOW = { timeout: 60_000 };

const nativeX64 = NATIVE_SYSV;

/** The reference answer, or the error code. */
function reference(source: string, params: readonly string[], args: readonly number[]): number | string {
  try {
    return evaluate(parse(source, params), args);
  } catch (error) {
    if (error instanceof JitError) return error.code;
    throw error;
  }
}

function run(fn: (...args: number[]) => number, args: readonly number[]): number | string {
  try {
    return fn(...args);
  } catch (error) {
    if (error instanceof JitError) return error.code;
    throw error;
  }
}

/** Runs `source` natively on each input and checks it against the reference; disposes the function. */
function expectAgrees(source: string, params: readonly string[], inputs: readonly (readonly number[])[], compile?: Compiler): void {
  const fn = compile ? compile(source, params) : compileExpression(source, { params });
  try {
    for (const args of inputs) expect([args, run(fn, args)]).toEqual([args, reference(source, params, args)]);
  } finally {
    fn.dispose();
  }
}

function thrown(f: () => unknown): JitError {
  try {
    f();
  } catch (error) {
    if (error instanceof JitError) return error;
    throw error;
  }
  throw new Error("expected a JitError");
}

function expectDifferential(seed: number, count: number, compile?: Compiler): void {
  expectAgreement(exprDifferential(compile), seed, count);
}

// ---------------------------------------------------------------------------------------------------

describe.skipIf(!nativeX64)("differential, native x86-64 System V (compileExpression)", () => {
  // 20 × 5,000 = 100,000 random expressions, each run on 9 argument vectors.
  for (let i = 0; i < 20; i++) {
    test(`seed ${SEED + i}: 5,000 expressions`, () => expectDifferential(SEED + i, 5000), SLOW);
  }
});

describe.skipIf(!nativeX64)("differential under register pressure and other conventions, native", () => {
  test(`System V limited to 2 registers: nearly everything spills (seed ${SEED + 100})`, () => {
    expectDifferential(SEED + 100, 5000, customCompiler({ registers: 2 }));
  }, SLOW);
  test(`System V limited to 3 registers (seed ${SEED + 101})`, () => {
    expectDifferential(SEED + 101, 3000, customCompiler({ registers: 3 }));
  }, SLOW);
  test(`Win64 code through an argument shim (seed ${SEED + 102})`, () => {
    expectDifferential(SEED + 102, 10000, customCompiler({ target: WIN64, adapt: win64OnSysv }));
  }, SLOW);
  test(`Win64 code limited to 2 registers, through the shim (seed ${SEED + 103})`, () => {
    expectDifferential(SEED + 103, 5000, customCompiler({ target: WIN64, adapt: win64OnSysv, registers: 2 }));
  }, SLOW);
  test(`the emulator script runs as a process and prints ok <n> (seed ${SEED + 200})`, () => {
    for (const extra of [[], ["2"]]) {
      const p = Bun.spawnSync([process.execPath, "test/support/differential.ts", "expr", String(SEED + 200), "500", ...extra], {
        cwd: `${import.meta.dir}/..`,
        stderr: "pipe",
      });
      expect([p.exitCode, p.stdout.toString().trim(), p.stderr.toString()]).toEqual([0, "ok 500", ""]);
    }
  }, SLOW);
});

// ---------------------------------------------------------------------------------------------------
// Every listing the compiler writes reassembles (llvm-mc) to exactly the bytes it wrote.

/** A balanced tree of the given depth (leaves count 1) over x, with mixed operators. */
function balanced(depth: number, leaf = "x"): string {
  const ops = ["+", "*", "-", "^", "&", "|"];
  const build = (d: number, i: number): string =>
    d <= 1 ? leaf : `(${build(d - 1, 2 * i)} ${ops[(d + i) % ops.length]} ${build(d - 1, 2 * i + 1)})`;
  return build(depth, 0);
}

/** x*(x+(x*(x+ ... ))) with `levels` operators. */
function rightNested(levels: number): string {
  let s = "x";
  for (let i = 0; i < levels; i++) s = `x ${i % 2 === 0 ? "+" : "*"} (${s})`;
  return s;
}

const ROUND_TRIP_TABLE: readonly [string, readonly string[]][] = [
  ["x * x - 3 * x + 2", ["x"]],
  ["x / 0", ["x"]],
  ["a && b || c ? a : -b", ["a", "b", "c"]],
  ["x >>> 1", ["x"]],
  ["x % y", ["x", "y"]],
  ["x / y + x % y", ["x", "y"]],
  ["(x + 1) / (y - 1) % (x | 3)", ["x", "y"]],
  ["x / -1 + x % -1 + x / 7 + x % 7", ["x"]],
  ["a << b | a >> c | a >>> d", ["a", "b", "c", "d"]],
  ["(a / b) << (c % d)", ["a", "b", "c", "d"]],
  ["(a + b) / (c << d) + (a - d) % (b >> c)", ["a", "b", "c", "d"]],
  ["x << 0 | x << 1 | x >> 31 | x >>> 32 | x << -1 | x >> 33", ["x"]],
  ["x + 127 + 128 - 129 - -128 + 1000 + 2147483647 + 0x80000000", ["x"]],
  ["(x & 255) ^ (x | 65536) ^ (x & -1) ^ (x * 1000) ^ (x * -128) ^ (1000 * x)", ["x"]],
  ["(x + 1) & 1000 | (x + 2) ^ 100000", ["x"]],
  ["(x < 5) + (x <= -5) + (x > 1000) + (x >= -1000) + (x == 4095) + (x != -4096) + (5 < x) + (0 == x)", ["x"]],
  ["(x + 1 < 1000) + (x + 1 > -129) + (x + 1 == 127) + (x + 1 != 2147483647)", ["x"]],
  ["x < y == y > x != (x <= y) - (x >= y)", ["x", "y"]],
  ["!x + !!y + !(x < y) + !(x && y) + ~x + -y", ["x", "y"]],
  ["x ? y ? 1 : 2 : y ? 3 : x / y", ["x", "y"]],
  ["(x || y) + (x && y) + (x && y || x && !y)", ["x", "y"]],
  ["x && 1 / x || y % x", ["x", "y"]],
  ["1 / 0", []],
  ["7", []],
  ["a + b + c + d", ["a", "b", "c", "d"]],
  ["d / c + b % a << (a >>> d) ? a * b : c - d", ["a", "b", "c", "d"]],
  [rightNested(40), ["x"]],
  [balanced(10), ["x"]],
  [balanced(7, "(x / y)"), ["x", "y"]],
  [balanced(6, "(a % b << c + d)"), ["a", "b", "c", "d"]],
];

function randomSources(seed: number, count: number): [string, readonly string[]][] {
  const rng = makeRng(seed);
  const sets: readonly (readonly string[])[] = [["x"], ["x", "y"], ["a", "b", "c"], ["a", "b", "c", "d"]];
  return Array.from({ length: count }, () => {
    const params = sets[Math.floor(rng() * sets.length)] ?? ["x"];
    return [randomExpr(rng, { maxDepth: 1 + Math.floor(rng() * 7), params }), params];
  });
}

/**
 * Reassembles many listings in one llvm-mc run (labels renamed apart; branches are all local, so
 * one function's layout does not change another's) and compares byte for byte; on a mismatch, finds
 * the first function that differs and shows its listing.
 */
function expectRoundTrip(target: Target, codes: readonly Code[]): void {
  const source = codes.map((c, i) => listingSource(c.listing).replace(/\.L(\d+)/g, `.Lf${i}_$1`)).join("\n");
  const ours = Buffer.concat(codes.map((c) => c.bytes));
  if (Buffer.from(llvmAssemble(target.arch, source)).equals(ours)) return;
  for (const code of codes) {
    const theirs = llvmAssemble(target.arch, listingSource(code.listing));
    expect([listingSource(code.listing), hexBytes(theirs)]).toEqual([listingSource(code.listing), hexBytes(code.bytes)]);
  }
  throw new Error("listings differ only when assembled together");
}

describe("listing round trip: llvm-mc assembles every listing to the same bytes", () => {
  for (const target of TARGETS) {
    test(`${targetName(target)}: table`, () => {
      expectRoundTrip(target, ROUND_TRIP_TABLE.map(([src, params]) => assembleExpression(src, { params, target }).code));
    }, SLOW);
    test(`${targetName(target)}: 300 random expressions (seed ${SEED + 300})`, () => {
      expectRoundTrip(target, randomSources(SEED + 300, 300).map(([src, params]) => assembleExpression(src, { params, target }).code));
    }, SLOW);
    test(`${targetName(target)}: 100 random expressions with 2 registers (spills) (seed ${SEED + 301})`, () => {
      const codes = randomSources(SEED + 301, 100).map(
        ([src, params]) => generate(fold(parse(src, params)), { target, params, registers: 2 }).code,
      );
      expectRoundTrip(target, codes);
    }, SLOW);
  }
});

// ---------------------------------------------------------------------------------------------------

const GOLDEN: readonly { source: string; params: readonly string[]; sysv: string; arm64: string }[] = [
  {
    source: "x * x - 3 * x + 2",
    params: ["x"],
    sysv: `
mov eax, edi
imul eax, edi
imul r8d, edi, 3
sub eax, r8d
add eax, 2
ret`,
    arm64: `
mul w9, w0, w0
movz w10, #0x3
mul w10, w0, w10
sub w9, w9, w10
add w0, w9, #2
ret`,
  },
  {
    source: "x / 0",
    params: ["x"],
    sysv: `
push rsi
jmp .L0
pop rcx
ret
.L0:
pop rcx
mov eax, 1
mov qword ptr [rcx], rax
ret`,
    arm64: `
str x1, [sp, #-16]!
b .L0
ldr x16, [sp], #16
ret
.L0:
ldr x16, [sp], #16
movz w17, #0x1
str x17, [x16]
ret`,
  },
  {
    source: "a && b || c ? a : -b",
    params: ["a", "b", "c"],
    sysv: `
cmp edi, 0
je .L3
cmp esi, 0
.L3:
jne .L2
cmp edx, 0
.L2:
je .L0
mov eax, edi
jmp .L1
.L0:
mov eax, esi
neg eax
.L1:
ret`,
    arm64: `
cmp w0, #0
b.eq .L3
cmp w1, #0
.L3:
b.ne .L2
cmp w2, #0
.L2:
b.eq .L0
b .L1
.L0:
neg w0, w1
.L1:
ret`,
  },
  {
    source: "x >>> 1",
    params: ["x"],
    sysv: `
mov eax, edi
shr eax, 1
ret`,
    arm64: `
lsr w0, w0, #1
ret`,
  },
  {
    source: "x % y",
    params: ["x", "y"],
    sysv: `
push rdx
mov eax, edi
cmp esi, 0
je .L0
cmp esi, -1
jne .L1
xor edx, edx
jmp .L2
.L1:
cdq
idiv esi
.L2:
mov eax, edx
pop rcx
ret
.L0:
pop rcx
mov eax, 1
mov qword ptr [rcx], rax
ret`,
    arm64: `
str x2, [sp, #-16]!
cbz w1, .L0
sdiv w16, w0, w1
msub w0, w16, w1, w0
ldr x16, [sp], #16
ret
.L0:
ldr x16, [sp], #16
movz w17, #0x1
str x17, [x16]
ret`,
  },
];

describe("golden listings", () => {
  for (const g of GOLDEN) {
    test(`x64 System V: ${g.source}`, () => {
      expect(listingSource(assembleExpression(g.source, { params: g.params, target: SYSV }).code.listing)).toBe(g.sysv.trim());
    });
    test(`arm64: ${g.source}`, () => {
      expect(listingSource(assembleExpression(g.source, { params: g.params, target: ARM64 }).code.listing)).toBe(g.arm64.trim());
    });
  }

  test("the listing explains itself: comments name parameters and the division guard", () => {
    const { code } = assembleExpression("x % y", { params: ["x", "y"], target: SYSV });
    const comments = code.listing.flatMap((l) => (l.kind === "insn" && l.comment !== undefined ? [l.comment] : []));
    expect(comments).toContain("x");
    expect(comments).toContain("divisor y 0?");
    expect(comments).toContain("status 1: division by zero");
  });
});

// ---------------------------------------------------------------------------------------------------

const EDGE_INPUTS = [0, 1, -1, 2, -2, 31, 32, 33, MAX, MIN];

describe.skipIf(!nativeX64)("edge cases, run natively", () => {
  test("x / 0 reports E_DIV_ZERO for every x; x / y keeps working after a zero divisor", () => {
    using f = compileExpression("x / 0");
    for (const v of EDGE_INPUTS) expect(thrown(() => f(v)).code).toBe("E_DIV_ZERO");
    using g = compileExpression("x / y", { params: ["x", "y"] });
    expect(thrown(() => g(1, 0)).code).toBe("E_DIV_ZERO");
    expect(g(7, 2)).toBe(3);
    expect(g(-7, 2)).toBe(-3);
    expect(thrown(() => g(MIN, 0)).code).toBe("E_DIV_ZERO");
    expect(g(MIN, 2)).toBe(-1073741824);
  });

  test("a division by zero on a path not taken is no error", () => {
    using a = compileExpression("0 && 1 / 0", { params: [] });
    expect(a()).toBe(0);
    using b = compileExpression("x && 1 / 0");
    expect(b(0)).toBe(0);
    expect(thrown(() => b(1)).code).toBe("E_DIV_ZERO");
    using c = compileExpression("x ? 10 / x : 5");
    expect([c(0), c(3)]).toEqual([5, 3]);
    using d = compileExpression("x || 1 % x");
    expect([d(4), thrown(() => d(0)).code]).toEqual([1, "E_DIV_ZERO"]);
  });

  test("-2147483648 / -1 and % -1 wrap without trapping", () => {
    expect(compileExpression("-2147483648 / -1", { params: [] })()).toBe(MIN); // folded
    using div = compileExpression("x / y", { params: ["x", "y"] });
    using mod = compileExpression("x % y", { params: ["x", "y"] });
    expect([div(MIN, -1), mod(MIN, -1), div(5, -1), mod(-5, -1)]).toEqual([MIN, 0, -5, 0]);
    using divConst = compileExpression("x / -1");
    using modConst = compileExpression("x % -1");
    expect([divConst(MIN), modConst(MIN), divConst(MAX), modConst(7)]).toEqual([MIN, 0, -MAX, 0]);
    expectAgrees("(x + 0) / (y | 0) + (x - 0) % (y ^ 0)", ["x", "y"], [[MIN, -1], [MIN, 1], [MAX, -1], [-7, 2], [7, -2]]);
  });

  test("shift counts use their low 5 bits", () => {
    for (const src of ["x << 32", "x << 33", "x >> 33", "x >>> 32", "x >>> -1", "x << -1", "x >> -1", "x >>> 0"]) {
      expectAgrees(src, ["x"], EDGE_INPUTS.map((v) => [v]));
    }
    expectAgrees("(x << y) ^ (x >> y) ^ (x >>> y)", ["x", "y"], [32, 33, -1, 0, 31, MIN].map((y) => [-123456789, y]));
  });

  test("a depth-900 expression compiles and runs", () => {
    let right = "x";
    for (let i = 0; i < 899; i++) right = `(x ${["+", "*", "-", "^", "/ (x | 1) +"][i % 5]} ${right})`;
    let left = "x";
    for (let i = 0; i < 899; i++) left += ` ${["-", "+", "^"][i % 3]} ${i}`;
    const unary = `${"-~".repeat(450)}x`;
    for (const src of [right, left, unary]) expectAgrees(src, ["x"], [[0], [1], [-1], [7], [MIN], [MAX]]);
  });

  test("flat chains of 100,000 terms compile and compute the reference: a chain is no nesting", () => {
    const N = 100_000;
    const sum = Array.from({ length: N }, (_, i) => (i % 3 === 0 ? "x" : i % 3 === 1 ? String(i) : "x * 3")).join(" + ");
    expectAgrees(sum, ["x"], [[0], [1], [-1], [7], [MIN], [MAX]]);
    for (const op of [" - ", " && ", " || ", " < ", " / ", " << ", " ^ ", " == "]) {
      const chain = Array.from({ length: N }, (_, i) => (i % 2 === 0 ? "x" : "(x | 1)")).join(op);
      expectAgrees(chain, ["x"], [[0], [5], [-3]]);
    }
  }, SLOW);

  test("left spines alternating between values and truth values, 999 parentheses deep", () => {
    // ((((x && y) + x && y) + x && y) ...: each ( opens a + whose left operand is an && chain.
    let src = "x";
    for (let i = 0; i < 999; i++) src = `(${src} && y) + x`;
    expectAgrees(src, ["x", "y"], [[0, 0], [1, 2], [-1, 0], [3, 1]]);
    for (const target of TARGETS) expect(assembleExpression(src, { params: ["x", "y"], target }).code.bytes.length).toBeGreaterThan(999);
  });

  test("Sethi–Ullman order: x*(x+(x*(x+ ...))) with 40 levels needs no spill", () => {
    const src = rightNested(40);
    for (const target of TARGETS) {
      const text = listingSource(assembleExpression(src, { target }).code.listing);
      expect(text).not.toMatch(/push|\[sp, #-16\]!/);
    }
    expectAgrees(src, ["x"], [[0], [1], [-1], [3], [MIN], [MAX]]);
  });

  test("trees needing more registers than there are spill, and stay correct", () => {
    const cases: [string, readonly string[]][] = [
      [balanced(10), ["x"]],
      [balanced(6, "(a / b + c % d)"), ["a", "b", "c", "d"]],
      [balanced(5, "(a << b >> c >>> d)"), ["a", "b", "c", "d"]],
    ];
    const inputs = [[0, 1, 2, 3], [7, -3, 5, 2], [MIN, -1, 31, 33], [MAX, 2, -1, 0]];
    for (const [src, params] of cases) {
      const args = inputs.map((v) => v.slice(0, params.length));
      expect(listingSource(assembleExpression(src, { params, target: SYSV }).code.listing)).toMatch(/push/);
      expectAgrees(src, params, args);
      expectAgrees(src, params, args, customCompiler({ target: WIN64, adapt: win64OnSysv }));
      expectAgrees(src, params, args, customCompiler({ registers: 2 }));
    }
  });
});

describe("spills on every target", () => {
  test("a balanced depth-10 tree spills on x64 (System V and Win64)", () => {
    for (const target of [SYSV, WIN64]) {
      expect(listingSource(assembleExpression(balanced(10), { target }).code.listing)).toMatch(/push r/);
    }
  });
  test("arm64 has 15 registers for values: a balanced depth-17 tree spills, and reassembles", () => {
    const { code } = assembleExpression(balanced(17), { target: ARM64 });
    const text = listingSource(code.listing);
    expect(text).toMatch(/str x\d+, \[sp, #-16\]!/);
    expect(text).toMatch(/ldr x\d+, \[sp\], #16/);
    expectRoundTrip(ARM64, [code]);
  }, SLOW);
  test("Win64 with four parameters that divide and shift saves rsi and rdi", () => {
    const { code } = assembleExpression("(a / b) << (c % d)", { params: ["a", "b", "c", "d"], target: WIN64 });
    const text = listingSource(code.listing);
    expect(text.startsWith("push rsi\npush rdi\nmov r11d, ecx\nmov r10d, edx\n")).toBe(true);
    expect(text.match(/pop rdi\npop rsi\n/g)?.length).toBe(2); // normal exit and division-by-zero exit
  });
});

describe("the library surface", () => {
  test("assembleExpression reports checked and arity", () => {
    expect(assembleExpression("x + 1", { target: SYSV })).toMatchObject({ checked: false, arity: 1 });
    expect(assembleExpression("a % b", { params: ["a", "b"], target: ARM64 })).toMatchObject({ checked: true, arity: 2 });
    expect(assembleExpression("a % 3", { params: ["a", "b"], target: ARM64 })).toMatchObject({ checked: false, arity: 2 });
    expect(assembleExpression("0 && 1 / 0", { params: [], target: WIN64 })).toMatchObject({ checked: false, arity: 0 });
  });

  test("E_SYNTAX passes through, with its column", () => {
    const error = thrown(() => compileExpression("x + * 2"));
    expect([error.code, error.column]).toEqual(["E_SYNTAX", 5]);
    expect(thrown(() => assembleExpression("y", { target: ARM64 })).code).toBe("E_SYNTAX");
  });

  test("more than four parameters are rejected", () => {
    const error = thrown(() => compileExpression("a", { params: ["a", "b", "c", "d", "e"] }));
    expect(error.code).toBe("E_SYNTAX");
    expect(error.message).toContain("too many parameters");
  });

  test.skipIf(!nativeX64)("code for another target cannot run here: E_TARGET", () => {
    for (const target of [WIN64, ARM64]) {
      const error = thrown(() => compileExpression("x", { target }));
      expect(error.code).toBe("E_TARGET");
      expect(error.message).toContain(`${target.arch}/${target.abi}`);
    }
    using f = compileExpression("x + 1", { target: SYSV });
    expect(f(41)).toBe(42);
  });

  test.skipIf(!nativeX64)("a compiled function takes params.length arguments and is disposable", () => {
    const f = compileExpression("a - b * c + d", { params: ["a", "b", "c", "d"] });
    expect([f.arity, f(10, 2, 3, 1)]).toEqual([4, 5]);
    f.dispose();
    expect(thrown(() => f(1, 2, 3, 4)).code).toBe("E_DISPOSED");
  });
});
