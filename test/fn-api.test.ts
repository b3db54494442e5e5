/**
 * compileModule and assembleModule as a library caller sees them: every bad option is a JitError
 * with one clear message (never a TypeError or a signal), the tests' own knobs are not options, and
 * exported functions check their arguments as every other JitFunction does.
 */
import { describe, expect, test } from "bun:test";
import { JitError } from "../src/errors.ts";
import { assembleModule, compileModule } from "../src/index.ts";
import { hostOs } from "../src/jit.ts";

const SOURCE = "export function g(a: i32): i32 {\n  return a + 1;\n}\n";

function thrown(fn: () => unknown): JitError {
  try {
    fn();
  } catch (error) {
    if (error instanceof JitError) return error;
    throw error;
  }
  throw new Error("no JitError thrown");
}

function message(fn: () => unknown): string {
  const e = thrown(fn);
  return `${e.code}: ${e.message}`;
}

describe("compileModule's options", () => {
  test("memory must be a CodeMemory: any other object, or null, is E_RANGE", () => {
    const fake = { target: { arch: "x64", abi: "sysv" }, os: {}, installCode: () => 0 };
    expect(message(() => compileModule(SOURCE, { memory: fake as never }))).toBe("E_RANGE: compileModule: options.memory must be a CodeMemory, not an object");
    expect(message(() => compileModule(SOURCE, { memory: null as never }))).toBe("E_RANGE: compileModule: options.memory must be a CodeMemory, not null");
    expect(message(() => compileModule(SOURCE, { memory: {} as never }))).toBe("E_RANGE: compileModule: options.memory must be a CodeMemory, not an object");
  });

  test("the tests' knobs (registers, checks, abi) are not options: they are ignored, nothing crashes", () => {
    const rsp = { allocatable: [4, 5], callerSaved: [4], calleeSaved: [5], args: [4], result: 4, scratch: [] };
    for (const knobs of [{ registers: rsp }, { registers: {} }, { abi: "bogus" }, { checks: "yes" }]) {
      using mod = compileModule(SOURCE, knobs as never);
      expect(mod.g?.(41)).toBe(42);
      expect(() => mod.internals.abiCheck("g", [1])).toThrow("compiled without ABI check stubs");
    }
  });

  test("options, file and stackLimit: E_RANGE naming what is allowed", () => {
    expect(message(() => compileModule(SOURCE, null as never))).toBe("E_RANGE: compileModule(source, options): options must be an object, not null");
    expect(message(() => compileModule(SOURCE, 5 as never))).toBe("E_RANGE: compileModule(source, options): options must be an object, not 5");
    expect(message(() => compileModule(SOURCE, { file: {} as never }))).toBe("E_RANGE: compileModule: options.file must be a string, not an object");
    expect(message(() => assembleModule(SOURCE, { file: 7 as never }))).toBe("E_RANGE: assembleModule: options.file must be a string, not 7");
    expect(message(() => assembleModule(SOURCE, null as never))).toBe("E_RANGE: assembleModule(source, options): options must be an object, not null");
    const range = "must be a whole number of bytes from 4096 to 1099511627776 (2^40)";
    expect(message(() => compileModule(SOURCE, { stackLimit: 2 ** 40 + 1 }))).toBe(`E_RANGE: compileModule: options.stackLimit ${range}, not 1099511627777`);
    expect(message(() => compileModule(SOURCE, { stackLimit: 4095 }))).toBe(`E_RANGE: compileModule: options.stackLimit ${range}, not 4095`);
    expect(message(() => compileModule(SOURCE, { stackLimit: "8192" as never }))).toBe(`E_RANGE: compileModule: options.stackLimit ${range}, not "8192"`);
    using edge = compileModule(SOURCE, { stackLimit: 2 ** 40 });
    expect(edge.g?.(1)).toBe(2);
    using low = compileModule(SOURCE, { stackLimit: 4096 });
    expect(low.g?.(1)).toBe(2);
  });
});

describe("a module function's arguments follow the library's one rule (typeof number, then int32)", () => {
  const EIGHT = "export function g(a: i32): i32 {\n  return a;\n}\nexport function h(p: i32, q: i32, r: i32, s: i32, t: i32, u: i32, v: i32, w: i32): i32 {\n  return p + w;\n}\n";

  test("BigInt, Symbol, strings, objects: E_RANGE naming the parameter; valueOf never runs", () => {
    using mod = compileModule(EIGHT);
    const int = "must be a 32-bit integer (-2147483648..2147483647)";
    expect(message(() => mod.g?.(3n as never))).toBe(`E_RANGE: parameter 1 (a) ${int}, got 3n`);
    expect(message(() => mod.g?.(Symbol() as never))).toBe(`E_RANGE: parameter 1 (a) ${int}, got a symbol`);
    expect(message(() => mod.g?.("5" as never))).toBe(`E_RANGE: parameter 1 (a) ${int}, got "5"`);
    expect(message(() => mod.g?.(2 ** 31))).toBe(`E_RANGE: parameter 1 (a) ${int}, got 2147483648`);
    let ran = 0;
    const sneaky = { valueOf: () => ++ran };
    expect(message(() => mod.g?.(sneaky as never))).toBe(`E_RANGE: parameter 1 (a) ${int}, got an object`);
    expect(message(() => mod.h?.(1, 2, 3, 4, 5, 6, 7, sneaky as never))).toBe(`E_RANGE: parameter 8 (w) ${int}, got an object`);
    expect(message(() => mod.h?.(1, 2, 3, 4, 5, 6n as never, 7, 8))).toBe(`E_RANGE: parameter 6 (u) ${int}, got 6n`);
    expect(ran).toBe(0);
    expect(message(() => mod.g?.())).toBe("E_RANGE: this function takes 1 argument, got 0");
    expect(message(() => mod.h?.(1, 2))).toBe("E_RANGE: this function takes 8 arguments, got 2");
    expect(mod.h?.(1, 2, 3, 4, 5, 6, 7, 8)).toBe(9);
  });
});

test("the thread's stack bounds are asked of the OS once per thread, not on every compile (glibc reads /proc/self/maps each time)", () => {
  const first = hostOs().stackBounds?.();
  using mod = compileModule(SOURCE);
  expect(hostOs().stackBounds?.()).toBe(first as never);
  expect(Object.isFrozen(first)).toBe(true);
  expect(mod.internals.floor).toBe((first?.low ?? 0) + 64 * 1024);
  // A Worker's own bounds (its 4 MiB stack, not the main thread's): fn-back.test.ts's Worker test.
});

test("U+2028 and control characters never reach a message raw: the file name escaped, a stray character by number", () => {
  expect(message(() => compileModule("export function f(): i32 {\n  return \u2028 1;\n}\n", { file: "a\u2028b\x1b.ts" }))).toBe(
    "E_SYNTAX: a\\u2028b\\e.ts:2:10: unexpected character U+2028",
  );
  expect(message(() => compileModule("export function f(a: i32): i32 {\n  return a / 0;\n}\n", { file: "\u2029.ts" }).f?.(1))).toBe(
    "E_DIV_ZERO: \\u2029.ts:2:12: division by zero in f",
  );
  expect(message(() => assembleModule("\u00a0", { file: "m.ts" }))).toBe("E_SYNTAX: m.ts:1:1: unexpected character U+00A0");
});

test("a module's source may hold 1 MiB (1048576 characters): one more is E_RANGE before anything is parsed", () => {
  const body = "export function f(): i32 {\n  return 7;\n}\n// ";
  const padded = (n: number) => body + "x".repeat(n - body.length);
  using mod = compileModule(padded(1024 * 1024));
  expect(mod.f?.()).toBe(7);
  expect(message(() => compileModule(padded(1024 * 1024 + 1)))).toBe("E_RANGE: a module's source may hold at most 1048576 characters (1 MiB), not 1048577");
  expect(message(() => assembleModule(padded(40_000_000)))).toBe("E_RANGE: a module's source may hold at most 1048576 characters (1 MiB), not 40000000");
});

test("an exported function is a JitFunction in what it offers; dispose() of any of them (frozen too) disposes the module", () => {
  const src = "export function g(a: i32): i32 {\n  return a + 1;\n}\nexport function t(a: i32, b: i32): void {\n  a = b;\n}\n";
  const mod = compileModule(src);
  const g = mod.g as NonNullable<typeof mod.g>;
  const t = mod.t as NonNullable<typeof mod.t>;
  expect(g.signature).toEqual({ params: ["i32"], result: "i32" });
  expect(t.signature).toEqual({ params: ["i32", "i32"], result: "void" });
  expect(Object.isFrozen(g.signature)).toBe(true);
  expect([g.arity, t.arity, g.disposed, Object.keys(g).length]).toEqual([1, 2, false, 0]);
  expect(t(1, 2)).toBeUndefined();
  Object.freeze(g);
  g.dispose();
  expect([mod.disposed, g.disposed, t.disposed, g.address]).toEqual([true, true, true, 0]);
  expect(message(() => t(1, 2))).toBe("E_DISPOSED: this module was disposed; its code memory is gone");
  g.dispose(); // twice is fine
});
