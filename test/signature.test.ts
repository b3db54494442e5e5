/**
 * Calls by signature (src/abi.ts, jit.ts install): code written by hand from abi.ts's argument
 * locations, installed with i32, f64 and ptr parameters up to eight, stack-passed ones included, and
 * called through the trampolines; the status block; the argument rules every JitFunction shares.
 */
import { describe, expect, test } from "bun:test";
import { MAX_PARAMS, type Signature, TRAMPOLINES, addressLocation, argumentLocations, conventionOf, int32Signature, trampolineIndex } from "../src/abi.ts";
import { JitError } from "../src/errors.ts";
import { compileExpression } from "../src/expr/compile.ts";
import { compileAdder } from "../src/index.ts";
import type { Code } from "../src/emit.ts";
import { CodeMemory, STATUS_STACK_OVERFLOW, hostMemory, hostOs, install } from "../src/jit.ts";
import { installModule } from "../src/module.ts";
import { hostPlatform } from "../src/platform.ts";
import { SIGNATURES, argsFor, summer } from "./fixtures/signature-cases.ts";

const host = hostPlatform().target;

describe("calls by signature", () => {
  test.each(SIGNATURES.map((s) => [`${s.params.join(",") || "()"} -> ${s.result}`, s] as const))("%s", (_name, signature) => {
    const memory = new CodeMemory(hostOs(), host);
    const fn = install(memory, summer(signature), { signature });
    expect(fn.arity).toBe(signature.params.length);
    expect(fn.signature).toEqual(signature);
    for (let seed = 0; seed < 20; seed++) {
      const { args, sum } = argsFor(signature, seed);
      expect(fn(...args)).toBe(signature.result === "void" ? (undefined as unknown as number) : sum);
    }
    fn.dispose();
    memory.close();
  });

  test("each signature's address has its own place, and signatures that share one share a trampoline", () => {
    const memory = new CodeMemory(hostOs(), host);
    const fns = SIGNATURES.map((signature) => install(memory, summer(signature), { signature }));
    const places = new Set(SIGNATURES.map((s) => trampolineIndex(host, s)));
    expect(memory.mappings()[0]?.trampolines).toBe(places.size);
    for (const f of fns) f.dispose();
    memory.close();
  });

  test("the address never lands where a parameter lives, on any target", () => {
    for (const target of [{ arch: "x64", abi: "sysv" }, { arch: "x64", abi: "win64" }, { arch: "arm64", abi: "aapcs64" }] as const) {
      for (const s of [...SIGNATURES, { params: ["i32", "ptr"], result: "i32" } as Signature]) {
        const taken = argumentLocations(target, s.params).map((l) => JSON.stringify(l));
        const at = addressLocation(target, s);
        expect(taken).not.toContain(JSON.stringify(at));
        expect(at.kind === "stack" ? conventionOf(target).positional : true).toBe(true); // only Win64 reads it from the stack
        const i = trampolineIndex(target, s);
        expect(i >= 0 && i < TRAMPOLINES).toBe(true);
      }
    }
  });

  test("more than MAX_PARAMS parameters or an unknown kind is E_RANGE", () => {
    const memory = hostMemory();
    const code = summer(int32Signature(1));
    const bad: unknown[] = [
      { params: Array(MAX_PARAMS + 1).fill("i32"), result: "i32" },
      { params: ["i64"], result: "i32" },
      { params: [], result: "u8" },
      { params: "i32", result: "i32" },
    ];
    for (const signature of bad) {
      expect(() => install(memory, code, { signature: signature as Signature })).toThrow(expect.objectContaining({ code: "E_RANGE" }));
    }
  });
});

describe("modules: one piece of code, several entries", () => {
  test("each export is called at its offset with its own signature; the code goes with the last one", () => {
    const memory = new CodeMemory(hostOs(), host);
    const parts: [Signature, number | undefined][] = [[int32Signature(2), undefined], [{ params: ["f64", "i32"], result: "i32" }, undefined], [int32Signature(1), 1]];
    const codes = parts.map(([sig, status]) => summer(sig, status));
    const offsets: number[] = [];
    let size = 0;
    for (const c of codes) {
      offsets.push(size);
      size += Math.ceil(c.bytes.length / 16) * 16;
    }
    const bytes = new Uint8Array(size);
    codes.forEach((c, i) => bytes.set(c.bytes, offsets[i]));
    const module = { arch: host.arch, bytes, listing: [], labelOffset: () => 0 } as unknown as Code;
    const [add, mixed, failing] = installModule(memory, module, parts.map(([signature, status], i) => ({ offset: offsets[i] as number, signature, status: status !== undefined })));
    if (add === undefined || mixed === undefined || failing === undefined) throw new Error("three exports");
    expect([add(2, 3), mixed(1.5, 4), add.address + (offsets[1] as number)]).toEqual([5, 5, mixed.address]);
    expect(() => failing(1)).toThrow(new JitError("E_DIV_ZERO", "division by zero"));
    expect(memory.mappings().reduce((n, m) => n + m.functions, 0)).toBe(1);
    add.dispose();
    failing.dispose();
    expect(mixed(2, 2)).toBe(4); // the code stays while one export is alive
    expect(memory.mappings().reduce((n, m) => n + m.functions, 0)).toBe(1);
    mixed.dispose();
    expect(memory.mappings().reduce((n, m) => n + m.functions, 0)).toBe(0);
    memory.close();
  });

  test("a bad export is E_RANGE before anything is installed", () => {
    const memory = new CodeMemory(hostOs(), host);
    const code = summer(int32Signature(1));
    for (const exports of [[], [{ offset: code.bytes.length, signature: int32Signature(1) }], [{ offset: -1, signature: int32Signature(1) }], [{ offset: 0, signature: { params: ["x"], result: "i32" } as unknown as Signature }]]) {
      expect(() => installModule(memory, code, exports)).toThrow(expect.objectContaining({ code: "E_RANGE" }));
    }
    expect(memory.mappings().reduce((n, m) => n + m.functions, 0)).toBe(0);
    memory.close();
  });
});

describe("the status block", () => {
  test("a stored status throws its error once, and the next call succeeds", () => {
    const memory = new CodeMemory(hostOs(), host);
    const signature = int32Signature(2);
    const failing = install(memory, summer(signature, STATUS_STACK_OVERFLOW), { signature, status: true });
    const fine = install(memory, summer(signature, 0), { signature, status: true });
    let error: unknown;
    try {
      failing(1, 2);
    } catch (e) {
      error = e;
    }
    expect(error).toEqual(new JitError("E_STACK", "stack overflow: the compiled code recursed too deeply"));
    expect(fine(1, 2)).toBe(3);
    expect(memory.statusBlock().word[0]).toBe(0);
    failing.dispose();
    fine.dispose();
    memory.close();
  });
});

describe("argument rules: one for every arity", () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (error) {
      return error instanceof JitError ? `${error.code}: ${error.message}` : `not a JitError: ${String(error)}`;
    }
    return "no error";
  };
  test("extra or missing arguments are E_RANGE for one parameter as for others", () => {
    using add = compileAdder(5);
    using f = compileExpression("x - y", { params: ["x", "y"] });
    const call = add as unknown as (...a: unknown[]) => number;
    expect(code(() => call(1, 2))).toBe("E_RANGE: this function takes 1 argument, got 2");
    expect(code(() => call())).toBe("E_RANGE: this function takes 1 argument, got 0");
    expect(code(() => (f as unknown as (...a: unknown[]) => number)(1, 2, 3))).toBe("E_RANGE: this function takes 2 arguments, got 3");
    expect(add(1)).toBe(6);
  });

  test("wrong types are E_RANGE naming the parameter, never a TypeError or a conversion", () => {
    using add = compileAdder(5);
    using f = compileExpression("a * b", { params: ["a", "b"] });
    const call = add as unknown as (...a: unknown[]) => number;
    const range = "a 32-bit integer (-2147483648..2147483647)";
    expect(code(() => call(3n))).toBe(`E_RANGE: parameter 1 (x) must be ${range}, got 3n`);
    expect(code(() => call("5"))).toBe(`E_RANGE: parameter 1 (x) must be ${range}, got "5"`);
    expect(code(() => call({ valueOf: () => 5 }))).toBe(`E_RANGE: parameter 1 (x) must be ${range}, got an object`);
    expect(code(() => call(Symbol("s")))).toBe(`E_RANGE: parameter 1 (x) must be ${range}, got a symbol`);
    expect(code(() => call(null))).toBe(`E_RANGE: parameter 1 (x) must be ${range}, got null`);
    expect(code(() => (f as unknown as (...a: unknown[]) => number)(2, 3n))).toBe(`E_RANGE: parameter 2 (b) must be ${range}, got 3n`);
    expect(code(() => (f as unknown as (...a: unknown[]) => number)(2, new Int32Array([3])))).toBe(`E_RANGE: parameter 2 (b) must be ${range}, got an Int32Array`);
    expect(f(2, 3)).toBe(6);
  });

  test("f64 and ptr parameters take numbers and typed arrays only", () => {
    const signature: Signature = { params: ["f64", "ptr"], result: "i32" };
    const memory = new CodeMemory(hostOs(), host);
    const fn = install(memory, summer(signature), { signature, names: ["scale", "data"] });
    const call = fn as unknown as (...a: unknown[]) => number;
    expect(fn(2.5, new Uint8Array([7]))).toBe(9);
    expect(code(() => call("2", new Uint8Array(1)))).toBe('E_RANGE: parameter 1 (scale) must be a number, got "2"');
    expect(code(() => call(2, 12345))).toBe("E_RANGE: parameter 2 (data) must be a typed array or DataView, got 12345");
    expect(code(() => call(2, [1]))).toBe("E_RANGE: parameter 2 (data) must be a typed array or DataView, got an array");
    fn.dispose();
    memory.close();
  });
});
