/**
 * Typed arrays as parameters (issue 21): reads and writes with the element type's meaning, .length,
 * E_BOUNDS naming the place, the index and the length with nothing outside touched, arguments checked
 * and passed by pointer (the caller sees the writes), natively and as Win64 code; against Bun running
 * the same file.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { JitError } from "../src/errors.ts";
import { assembleModule, compileModuleForTests as compileModule } from "../src/fn/compile.ts";
import { compileFront } from "../src/fn/lower.ts";
import { hostPlatform } from "../src/platform.ts";
import * as programs from "./fixtures/fn/array-programs.ts";
import { runSource } from "./support/cli.ts";
import { makeRng } from "./support/random.ts";

const FILE = join(import.meta.dir, "fixtures", "fn", "array-programs.ts");
const SOURCE = readFileSync(FILE, "utf8");
const ref = programs as unknown as Record<string, (...args: unknown[]) => unknown>;
const host = hostPlatform().target;
const WAYS: [string, { abi?: "win64" }][] = host.arch === "x64" && host.abi === "sysv" ? [["native", {}], ["win64", { abi: "win64" }]] : [["native", {}]];
const EDGE = [0, -0, 1, -1.5, NaN, Infinity, -Infinity, 2 ** 31 + 0.5, 2 ** 63, -5e-324, 1e300];

function thrown(fn: () => unknown): JitError {
  try {
    fn();
  } catch (error) {
    if (error instanceof JitError) return error;
    throw error;
  }
  throw new Error("no JitError thrown");
}

describe.each(WAYS)("typed arrays: %s", (_way, options) => {
  const mod = compileModule(SOURCE, { file: "arrays.ts", ...options });
  const fn = mod.functions as unknown as Record<string, (...args: unknown[]) => unknown>;
  const rng = makeRng(21);
  const randomF = (n: number) => Float64Array.from({ length: n }, () => (rng() < 0.2 ? EDGE[Math.floor(rng() * EDGE.length)]! : (rng() - 0.5) * 1e6));
  const randomI = (n: number) => Int32Array.from({ length: n }, () => (rng() * 2 ** 32) | 0);
  const randomB = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));

  test("reductions over arrays of every length 0..1,000 give what Bun gives", () => {
    for (const n of [0, 1, 2, 3, 7, 64, 999, 1000]) {
      const f = randomF(n), i = randomI(n), b = randomB(n);
      expect(Object.is(fn.sum!(f), ref.sum!(f))).toBe(true);
      expect(fn.isum!(i)).toBe(ref.isum!(i));
      expect(fn.bytes!(b)).toBe(ref.bytes!(b));
      expect(Object.is(fn.norm2!(f), ref.norm2!(f))).toBe(true);
    }
  });

  test("writes: by pointer, never copied; Uint8Array stores wrap, Float64Array stores keep -0 and NaN", () => {
    for (const n of [0, 1, 300]) {
      const mine = new Uint8Array(n), theirs = new Uint8Array(n);
      fn.fill!(mine, 250);
      ref.fill!(theirs, 250);
      expect(mine).toEqual(theirs);
    }
    const f = randomF(100), g = f.slice();
    fn.scale!(f, -0.5);
    ref.scale!(g, -0.5);
    expect([...f].map(String)).toEqual([...g].map(String));
    expect([...f].map((x) => Object.is(x, -0))).toEqual([...g].map((x) => Object.is(x, -0)));
    const i = randomI(50), j = i.slice();
    fn.ops!(i);
    ref.ops!(j);
    expect(i).toEqual(j);
    const src = randomF(40), d1 = new Uint8Array(30), d2 = new Uint8Array(30);
    expect(fn.toBytes!(src, d1)).toBe(ref.toBytes!(src, d2));
    expect(d1).toEqual(d2);
    for (const v of [-1, 256, 511, -2147483648, 2147483647]) {
      const a = new Uint8Array(1), b = new Uint8Array(1);
      fn.putB!(a, 0, v);
      ref.putB!(b, 0, v);
      expect(a[0]).toBe(b[0]!);
    }
    const z = new Float64Array(1);
    fn.putF!(z, 0, -0);
    expect(Object.is(z[0], -0)).toBe(true);
    // A view into the middle of a buffer: its own offset and length, nothing around it touched.
    const buffer = new ArrayBuffer(64);
    const whole = new Uint8Array(buffer);
    fn.fill!(new Uint8Array(buffer, 8, 16), 1);
    expect([...whole.slice(0, 8), ...whole.slice(24)].every((x) => x === 0)).toBe(true);
    expect(whole[8]).toBe(1);
    expect(whole[23]).toBe(1 + 15 * 7);
  });

  test("a 24x24 matrix product and a sieve give what Bun gives", () => {
    const n = 24, a = randomF(n * n), b = randomF(n * n), c1 = new Float64Array(n * n), c2 = new Float64Array(n * n);
    fn.matmul!(a, b, c1, n);
    ref.matmul!(a, b, c2, n);
    expect([...c1].map(String)).toEqual([...c2].map(String));
    const s1 = new Uint8Array(10000), s2 = new Uint8Array(10000);
    expect(fn.sieve!(s1)).toBe(ref.sieve!(s2));
    expect(fn.sieve!(new Uint8Array(10000))).toBe(1229);
    expect(s1).toEqual(s2);
  });

  test("an index outside the array is E_BOUNDS naming the place, the index and the length; nothing is read or written", () => {
    const buffer = new ArrayBuffer(32);
    const whole = new Int32Array(buffer).fill(77);
    const view = new Int32Array(buffer, 8, 4); // elements 2..5 of whole
    for (const i of [4, 5, -1, -2147483648, 2147483647]) {
      const e = thrown(() => fn.put!(view, i, 1));
      expect(e.code).toBe("E_BOUNDS");
      expect(e.message).toBe(`arrays.ts:38:61: index ${i} is out of bounds in put (length 4)`);
      expect(thrown(() => fn.get!(view, i)).message).toBe(`arrays.ts:35:59: index ${i} is out of bounds in get (length 4)`);
    }
    expect([...whole]).toEqual([77, 77, 77, 77, 77, 77, 77, 77]);
    expect(thrown(() => fn.getF!(new Float64Array(0), 0)).message).toBe("arrays.ts:36:62: index 0 is out of bounds in getF (length 0)");
    expect(thrown(() => fn.getB!(new Uint8Array(3), 3)).message).toBe("arrays.ts:37:60: index 3 is out of bounds in getB (length 3)");
    // The module stays usable.
    expect(fn.get!(view, 3)).toBe(77);
  });

  test("arguments are checked: the array type, with the parameter's name", () => {
    expect(thrown(() => fn.sum!(new Int32Array(2))).message).toBe("argument 1 of sum ('a') must be a Float64Array, got a Int32Array");
    expect(thrown(() => fn.isum!(new Float64Array(2))).message).toBe("argument 1 of isum ('a') must be an Int32Array, got a Float64Array");
    expect(thrown(() => fn.bytes!(new Uint8ClampedArray(2))).message).toBe("argument 1 of bytes ('b') must be a Uint8Array, got a Uint8ClampedArray");
    expect(thrown(() => fn.bytes!([1, 2])).message).toBe("argument 1 of bytes ('b') must be a Uint8Array, got a Array");
    expect(thrown(() => fn.bytes!(null)).message).toBe("argument 1 of bytes ('b') must be a Uint8Array, got null");
    expect(thrown(() => fn.toBytes!(new Float64Array(1), new Int32Array(1))).message).toBe("argument 2 of toBytes ('dst') must be a Uint8Array, got a Int32Array");
  });
});

describe("errors and the command line", () => {
  const cases: [string, string][] = [
    ["export function f(a: Int32Array): i32 {\n  return a;\n}", "m.ts:2:10: 'a' is an Int32Array: index it, take its .length, or pass it to a function"],
    ["export function f(a: Int32Array): f64 {\n  return a[0];\n}", "m.ts:2:11: 'f' returns f64, not an i32 (write f64(i))"],
    ["export function f(a: Float64Array): void {\n  a[0] = 1;\n}", "m.ts:2:10: an element of 'a' is f64: cannot store an i32 (write f64(i))"],
    ["export function f(a: Float64Array): void {\n  a[1.5] = 1.0;\n}", "m.ts:2:5: an index must be an i32, not an f64 (write i32(x))"],
    ["export function f(a: Int32Array, b: Int32Array): void {\n  a = b;\n}", "m.ts:2:3: cannot assign to 'a': a typed-array parameter stays the array it was given"],
    ["export function f(n: i32): i32 {\n  return n[0];\n}", "m.ts:2:10: 'n' is an i32, not a typed array: it has no elements"],
    ["export function f(a: Int32Array): Int32Array {\n  return a;\n}", "m.ts:1:35: a typed array (Int32Array) can only be a parameter"],
    ["export function f(a: Float64Array): void {\n  a[0] &= 2.0;\n}", "m.ts:2:8: operator '&=' on an f64 element is not supported (only + - * / %)"],
  ];
  test.each(cases)("%s", (source, message) => {
    const e = thrown(() => compileFront(source, "m.ts"));
    expect(e.message).toBe(message);
  });

  test("--fn refuses a function that takes an array", () => {
    const r = runSource(["--fn", FILE, "sum"]);
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([64, "", `babyjit: ${FILE}: sum takes a typed array ('a'): typed-array parameters are for the library (compileModule), not the command line\n`]);
  });

  test("a loop over i < a.length pays no check per element; one that changes i, or counts from a variable, keeps it", () => {
    const x64 = { target: { arch: "x64", abi: "sysv" } } as const;
    const checks = (body: string) => (assembleModule(`export function f(a: Float64Array, k: i32): f64 {\n  let s = 0.0;\n${body}\n  return s;\n}`, x64).listing.match(/E_BOUNDS/g) ?? []).length;
    expect(checks("  for (let i = 0; i < a.length; i++) s += a[i];")).toBe(0);
    expect(checks("  for (let i = 0; i < a.length; i += 1) { a[i] = s; s += a[i]; }")).toBe(0);
    expect(checks("  for (let i = 0; i < a.length; i++) { s += a[i]; i = i + k; }")).toBe(1);
    expect(checks("  for (let i = k; i < a.length; i++) s += a[i];")).toBe(1);
    expect(checks("  for (let i = 0; i < a.length; i += 2) s += a[i];")).toBe(1);
    expect(checks("  for (let i = 0; i < a.length; i++) s += a[i + 1];")).toBe(1);
    expect(checks("  for (let i = 0; i <= a.length; i++) s += a[i];")).toBe(1);
    // And it is right: the unchecked loops give what Bun gives (the reductions above), and i + 1 past the end is still caught.
    const mod = compileModule("export function f(a: Float64Array): f64 {\n  let s = 0.0;\n  for (let i = 0; i < a.length; i++) s += a[i + 1];\n  return s;\n}", { file: "m.ts" });
    expect(thrown(() => mod.functions.f!(new Float64Array(3) as never)).message).toBe("m.ts:3:44: index 3 is out of bounds in f (length 3)");
  });

  test("the bounds check in the listing: an unsigned compare with the length, out of line", () => {
    const listing = assembleModule("export function get(a: Int32Array, i: i32): i32 {\n  return a[i];\n}", { target: { arch: "x64", abi: "sysv" } }).listing;
    for (const text of ["cmp ecx, dword ptr [r15 + rdx + 168]", "jae ", "mov rdx, qword ptr [r15 + rdx + 160]", "mov eax, dword ptr [rdx + rcx]"]) expect(listing).toContain(text);
  });
});
