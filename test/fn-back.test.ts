/**
 * The functions chapter's back end, run for real on this host: programs against Bun running the same
 * file, the stack limit (main thread and Worker), division by zero, the ABI check stub over every
 * function, W^X, and assembling for every target.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { JitError } from "../src/errors.ts";
import { parallelMove, reg, slotLoc } from "../src/fn/codegen.ts";
import { assembleModule, compileModule, registersFor } from "../src/fn/compile.ts";
import { hostOs } from "../src/jit.ts";
import { protectionAt } from "../src/maps.ts";
import { hostPlatform } from "../src/platform.ts";
import * as programs from "./fixtures/fn/back-programs.ts";
import { generateCase, printCase, referenceAnswers } from "./support/fngen.ts";
import { SEED, makeRng, replayHint } from "./support/random.ts";

const FILE = join(import.meta.dir, "fixtures", "fn", "back-programs.ts");
const SOURCE = readFileSync(FILE, "utf8");
const ref = programs as unknown as Record<string, (...args: number[]) => number>;

function thrown(fn: () => unknown): JitError {
  try {
    fn();
  } catch (error) {
    if (error instanceof JitError) return error;
    throw error;
  }
  throw new Error("no JitError thrown");
}

describe.each(WAYS_EARLY())("programs give what Bun gives for the same file: %s", (_way, abi) => {
  const mod = compileModule(SOURCE, { file: "programs.ts", ...abi });
  const cases: [string, number[]][] = [
    ["fib", [0]], ["fib", [1]], ["fib", [2]], ["fib", [20]], ["fib", [25]],
    ["gcd", [84, 36]], ["gcd", [1071, 462]], ["gcd", [-48, 18]], ["gcd", [2147483647, 2147483646]], ["gcd", [7, 0]],
    ["ackermann", [0, 0]], ["ackermann", [1, 5]], ["ackermann", [2, 3]], ["ackermann", [3, 3]],
    ["isEven", [0]], ["isEven", [7]], ["isEven", [10000]], ["odd", [9999]], ["odd", [0]],
    ["loop", [100000]], ["loop", [0]], ["nested", [300]],
    ["deep", [1000]], ["eight", [1, 2, 3, 4, 5, 6, 7, 8]], ["eight", [-21474836, 2147483, -1, 0, 1, 77, -77, 2]],
    ["callsEight", [5]], ["callsEight", [-214748]],
    ["divide", [7, 2]], ["divide", [-7, 2]], ["divide", [-2147483648, -1]], ["divide", [2147483647, -1]],
    ["remainder", [7, -2]], ["remainder", [-7, 2]], ["remainder", [-2147483647, -1]],
    ["mathOps", [-2147483648, 7]], ["mathOps", [123456, -98765]], ["mathOps", [0, 0]],
    ["spills", [9]], ["spills", [-1]], ["spills", [65535]],
  ];
  test.each(cases)("%s(%p)", (name, args) => {
    const fn = mod[name];
    if (fn === undefined) throw new Error(`no ${name}`);
    // | 0: JavaScript's % can give -0, which is 0 as an i32.
    expect(fn(...args)).toBe((ref[name] as (...a: number[]) => number)(...args) | 0);
  });

  test("results that leave the int32 range wrap as `| 0` and Math.imul make them", () => {
    const w = (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number) =>
      (a - Math.imul(2, b) + Math.imul(3, c) - Math.imul(4, d) + Math.imul(5, e) - Math.imul(6, f) + Math.imul(7, g) - Math.imul(8, h)) | 0;
    expect(mod.eight?.(-2147483648, 2147483647, -1, 0, 1, 77, -77, 2)).toBe(w(-2147483648, 2147483647, -1, 0, 1, 77, -77, 2));
    expect(mod.remainder?.(-2147483648, -1)).toBe(0);
    expect(mod.divide?.(-2147483648, -1)).toBe(-2147483648);
  });

  test("a void function returns undefined", () => {
    expect(mod.counter?.(10) as unknown).toBeUndefined();
  });

  test("the 100,000-iteration loop and the million-step nested loop", () => {
    expect(mod.loop?.(100000)).toBe(216774731);
    expect(mod.nested?.(1000)).toBe(programs.nested(1000));
  });

  test("functions that are not exported are not on the module", () => {
    expect(mod.isOdd).toBeUndefined();
    expect(Object.keys(mod.functions)).toContain("fib");
    expect(Object.keys(mod.functions)).not.toContain("isOdd");
  });

  test("arguments are checked as compileExpression's are", () => {
    expect(thrown(() => mod.fib?.(1.5)).message).toBe("argument 1.5 is not a 32-bit integer (-2147483648..2147483647)");
    expect(thrown(() => mod.fib?.(2 ** 31)).code).toBe("E_RANGE");
    expect(thrown(() => mod.gcd?.(1)).message).toBe("gcd takes 2 arguments, got 1");
    expect(thrown(() => mod.fib?.()).message).toBe("fib takes 1 argument, got 0");
  });
});

function WAYS_EARLY(): [string, { abi?: "win64" }][] {
  const here = hostPlatform().target;
  return [["this host's convention", {}], ...(here.abi === "sysv" && here.arch === "x64" ? [["Win64 code on this System V host", { abi: "win64" as const }] as [string, { abi?: "win64" }]] : [])];
}

describe("run-time errors name their place, and the module stays usable", () => {
  test("division by zero: E_DIV_ZERO with the file, line and column of the operator", () => {
    using mod = compileModule(SOURCE, { file: "programs.ts" });
    const e = thrown(() => mod.divide?.(1, 0));
    expect(e.code).toBe("E_DIV_ZERO");
    const line = SOURCE.split("\n").findIndex((l) => l.includes("return (a / b) | 0;")) + 1;
    const col = (SOURCE.split("\n")[line - 1] as string).indexOf("/") + 1;
    expect(e.message).toBe(`programs.ts:${line}:${col}: division by zero in divide`);
    expect([e.line, e.column]).toEqual([line, col]);
    expect(thrown(() => mod.remainder?.(-2147483648, 0)).code).toBe("E_DIV_ZERO");
    expect(mod.divide?.(10, 3)).toBe(3);
    expect(mod.fib?.(15)).toBe(610);
  });

  test.each(WAYS_EARLY())("a million-deep recursion is E_STACK, every time, and the module still works: %s", (_way, abi) => {
    using mod = compileModule(SOURCE, { file: "programs.ts", ...abi });
    for (let i = 0; i < 3; i++) {
      const e = thrown(() => mod.deep?.(1_000_000));
      expect(e.code).toBe("E_STACK");
      expect(e.message).toMatch(/^programs\.ts:\d+:\d+: out of stack in deep: the calls went deeper than the stack limit$/);
      expect(mod.deep?.(10_000)).toBe(10_000);
    }
    expect(thrown(() => mod.isEven?.(10_000_000)).code).toBe("E_STACK");
    expect(mod.fib?.(20)).toBe(6765);
  });

  test("stackLimit sets a budget: the same recursion fits in a big one and not a small one", () => {
    using small = compileModule(SOURCE, { stackLimit: 64 * 1024 });
    using big = compileModule(SOURCE, { stackLimit: 4 * 1024 * 1024 });
    expect(thrown(() => small.deep?.(20_000)).code).toBe("E_STACK");
    expect(big.deep?.(20_000)).toBe(20_000);
    expect(small.deep?.(100)).toBe(100);
    expect(thrown(() => compileModule(SOURCE, { stackLimit: 100 })).message).toBe("stackLimit 100 is not a number of bytes from 4096 up");
  });

  test("the limit comes from the thread's real stack", () => {
    using mod = compileModule(SOURCE);
    const bounds = hostOs().stackBounds?.();
    expect(bounds).toBeDefined();
    const { low, high } = bounds as { low: number; high: number };
    expect(high - low).toBeGreaterThan(1024 * 1024);
    expect(mod.internals.floor).toBe(low + 64 * 1024);
    // This very function's frame is on that stack.
    const here = new Uint8Array(8);
    void here;
  });

  test("in a Worker (a smaller stack), a million-deep recursion is E_STACK too", async () => {
    const worker = new Worker(join(import.meta.dir, "fixtures", "fn", "stack-worker.ts"));
    const answer = await new Promise<unknown>((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => reject(new Error(event.message));
      worker.postMessage(FILE);
    });
    worker.terminate();
    const a = answer as { code: string; message: string; after: number; stackKiB: number };
    expect(a.code).toBe("E_STACK");
    expect(a.after).toBe(6765);
    expect(a.stackKiB).toBeLessThan(8000);
  });

  test("dispose: calls throw E_DISPOSED, twice is fine", () => {
    const mod = compileModule(SOURCE);
    const fib = mod.fib;
    mod.dispose();
    mod.dispose();
    expect(mod.disposed).toBe(true);
    expect(thrown(() => fib?.(3)).code).toBe("E_DISPOSED");
  });
});

/** This host's code, and on an x86-64 System V host also Win64 code (entry stubs taking rdi: see ModuleOptions.abi). */
const WIN64_HERE = hostPlatform().target.abi === "sysv" && hostPlatform().target.arch === "x64";
const WAYS: [string, { abi?: "win64" }][] = [["this host's convention", {}], ...(WIN64_HERE ? [["Win64 code on this System V host", { abi: "win64" }] as [string, { abi?: "win64" }]] : [])];

describe("the ABI check stub", () => {
  test.each(WAYS)("every function of the programs keeps every callee-saved register and the stack pointer: %s", (_way, abi) => {
    using mod = compileModule(SOURCE, { checks: true, ...abi });
    for (const f of mod.internals.assembled.ir.functions) {
      const args = f.params.map((_, i) => (f.name === "deep" ? 50 : 3 + i));
      const r = mod.internals.abiCheck(f.name, args);
      expect([f.name, r.site, r.changed]).toEqual([f.name, -1, []]);
    }
  });

  test("catches a function that clobbers a callee-saved register (a register description that lies)", () => {
    const real = registersFor(hostPlatform().target);
    const victim = real.calleeSaved[0] as number;
    const lying = { ...real, allocatable: [victim, ...real.allocatable.filter((r) => r !== victim)], callerSaved: [victim, ...real.callerSaved], calleeSaved: real.calleeSaved.filter((r) => r !== victim) };
    using mod = compileModule(SOURCE, { checks: true, registers: lying });
    const r = mod.internals.abiCheck("spills", [9]);
    expect(r.site).toBe(-1);
    expect(r.result).toBe(programs.spills(9));
    const name = hostPlatform().target.arch === "x64" ? ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"][victim] : `x${victim}`;
    expect(r.changed).toEqual([name as string]);
  });

  test.each(WAYS)(`over every function of 200 generated modules, %s (seed ${SEED + 20})`, (_way, abi) => {
    const seed = SEED + 20;
    const rng = makeRng(seed);
    for (let n = 0; n < 200; n++) {
      const c = generateCase(rng);
      const source = printCase(c);
      const expected = referenceAnswers(c);
      using mod = compileModule(source, { checks: true, ...abi });
      c.inputs.forEach((args, i) => {
        const r = mod.internals.abiCheck(c.entry, args);
        const want = expected[i];
        const context = `seed ${seed} (${replayHint(SEED)}), module ${n}, input ${i}:\n${source}`;
        if (want === "E_DIV_ZERO") {
          expect([context, r.site >= 0]).toEqual([context, true]);
        } else {
          expect([context, r.site, r.result, r.changed]).toEqual([context, -1, want as number, []]);
        }
      });
      // Every other function of the module too, called directly through its own check stub (no
      // reference for these: a call that returns must have kept every callee-saved register).
      for (const f of c.fns.slice(1)) {
        const args = f.params.map((_, k) => (k === 0 ? Math.floor(rng() * 4) : (rng() * 4294967296) | 0));
        const r = mod.internals.abiCheck(f.name, args);
        const context = `seed ${seed} (${replayHint(SEED)}), module ${n}, ${f.name}(${args.join(", ")}):\n${source}`;
        if (r.site === -1) expect([context, r.changed]).toEqual([context, []]);
      }
    }
  }, 60_000);
});

describe("unwinding from anywhere", () => {
  test(`generated modules under a tiny stack budget: every call gives the reference's answer (E_DIV_ZERO from whatever depth included) or E_STACK, and the next call keeps every callee-saved register (seed ${SEED + 60})`, () => {
    const rng = makeRng(SEED + 60);
    for (let n = 0; n < 150; n++) {
      const c = generateCase(rng);
      const source = printCase(c);
      const expected = referenceAnswers(c);
      using tight = compileModule(source, { stackLimit: 4096 + Math.floor(rng() * 8192), checks: true });
      c.inputs.forEach((args, i) => {
        const want = expected[i];
        const context = `module ${n}, input ${i} (${replayHint(SEED)}):\n${source}`;
        const r = tight.internals.abiCheck(c.entry, args);
        const site = r.site >= 0 ? tight.internals.assembled.sites[r.site] : undefined;
        if (site?.kind === "stack") {
          // the budget ran out first: allowed here
        } else if (want === "E_DIV_ZERO") expect([context, site?.kind]).toEqual([context, "div"]);
        else expect([context, r.site, r.result, r.changed]).toEqual([context, -1, want as number, []]);
        // After an unwind from any depth, the same module answers a call that fits.
        // (Budget 0: the entry returns at once, though its return expression may still divide by zero.)
        const again = tight.internals.abiCheck(c.entry, [0, ...args.slice(1)]);
        if (again.site === -1) expect([context, again.changed]).toEqual([context, []]);
        else expect([context, tight.internals.assembled.sites[again.site]?.kind]).toEqual([context, "div"]);
      });
    }
  }, 60_000);
});

describe("the parallel move", () => {
  test(`any permutation of registers, with memory on either side, equals moving everything at once (seed ${SEED + 40})`, () => {
    const rng = makeRng(SEED + 40);
    for (let n = 0; n < 2000; n++) {
      // Locations: registers 0..7 and memory 0..5 (parallelMove's packed numbers), one scratch register 9.
      const regs = 2 + Math.floor(rng() * 7);
      const dsts: number[] = [];
      const srcs: number[] = [];
      const taken = new Set<number>();
      const moves = 1 + Math.floor(rng() * regs);
      for (let k = 0; k < moves; k++) {
        let d: number;
        do d = rng() < 0.8 ? reg(Math.floor(rng() * regs)) : slotLoc(Math.floor(rng() * 6));
        while (taken.has(d));
        taken.add(d);
        // A memory destination is never a source; sources are registers or memory no move writes.
        const s = rng() < 0.75 ? reg(Math.floor(rng() * regs)) : slotLoc(10 + Math.floor(rng() * 4));
        dsts.push(d);
        srcs.push(s);
      }
      const state = new Map<number, number>();
      const value = (l: number) => state.get(l) ?? l * 1000 + 7;
      const want = new Map<number, number>(dsts.map((d, k) => [d, value(srcs[k] as number)]));
      const before = dsts.map((d) => d);
      parallelMove(dsts.slice(), srcs.slice(), reg(9), (d, s2) => state.set(d, value(s2)));
      for (const d of before) expect([n, d, value(d)]).toEqual([n, d, want.get(d) as number]);
    }
  });
});

describe("big frames", () => {
  const wide = (n: number) => {
    const lines = ["export function wide(x: i32): i32 {"];
    for (let i = 0; i < n; i++) lines.push(`  const v${i} = x * ${i + 3} + ${i};`);
    lines.push(`  return (${Array.from({ length: n }, (_, i) => `v${i}`).join(" + ")}) | 0;`, "}");
    return lines.join("\n");
  };
  test("a frame over a page (1,500 values live at once) is touched a page at a time, and works", () => {
    using mod = compileModule(wide(1500), { checks: true });
    let want = 0;
    for (let i = 0; i < 1500; i++) want = (want + Math.imul(7, i + 3) + i) | 0;
    expect(mod.wide?.(7)).toBe(want);
    expect(mod.internals.abiCheck("wide", [7])).toEqual({ site: -1, result: want, changed: [] });
    for (const target of [{ arch: "x64", abi: "sysv" }, { arch: "arm64", abi: "aapcs64" }] as const) {
      const text = assembleModule(wide(1500), { target }).lines.filter((l) => l.kind === "insn").map((l) => (l.kind === "insn" ? l.text : ""));
      expect(text.some((t) => (target.arch === "x64" ? /^mov dword ptr \[rsp \+ \d+\], 0$/ : /^str wzr, \[sp, #\d+\]$/).test(t))).toBe(true);
    }
  });
  test("a frame over 16 KiB is a clear error, not a crash", () => {
    const e = thrown(() => compileModule(wide(5000)));
    expect(e.code).toBe("E_RANGE");
    expect(e.message).toMatch(/^function wide needs a \d+-byte frame; babyjit allows 16384 \(too many values live at once\)$/);
  });
});

describe("memory", () => {
  test("W^X: the code is read+execute, the state block read+write, never both", () => {
    if (process.platform !== "linux") return;
    using mod = compileModule(SOURCE);
    expect(protectionAt(mod.internals.codeAddress)).toBe("r-xp");
    expect(protectionAt(mod.internals.stateAddress)).toBe("rw-p");
  });

  test("a module's code starts on a 64-byte boundary and each function on a 16-byte one", () => {
    const mods = [compileModule(SOURCE), compileModule("export function f(x: i32): i32 { return x; }"), compileModule(SOURCE)];
    for (const m of mods) {
      expect(m.internals.codeAddress % 64).toBe(0);
      for (const offset of Object.values(m.internals.assembled.offsets)) expect(offset % 16).toBe(0);
      m.dispose();
    }
  });

  test("dispose unmaps the state block", () => {
    if (process.platform !== "linux") return;
    const mod = compileModule(SOURCE);
    const state = mod.internals.stateAddress;
    mod.dispose();
    expect(protectionAt(state)).toBe("unmapped");
  });
});

describe("assembleModule, every target", () => {
  const targets = [
    { arch: "x64", abi: "sysv" },
    { arch: "x64", abi: "win64" },
    { arch: "arm64", abi: "aapcs64" },
  ] as const;
  test.each(targets)("$arch $abi: a listing labelled by function and source line", (target) => {
    const m = assembleModule(SOURCE, { target, file: "programs.ts" });
    expect(m.bytes.length).toBeGreaterThan(500);
    const text = m.listing;
    expect(text).toContain("export function fib (programs.ts:4)");
    expect(text).toContain("function isOdd (programs.ts:");
    expect(text).toContain("programs.ts:5: if (n < 2) return n;");
    expect(text).toContain("entry stub for fib");
    expect(Object.keys(m.entries)).not.toContain("isOdd");
  });

  test("arm64 code never names x18 (the platform register)", () => {
    const m = assembleModule(SOURCE, { target: { arch: "arm64", abi: "aapcs64" } });
    for (const line of m.lines) if (line.kind === "insn") expect(line.text).not.toMatch(/\b[wx]18\b/);
    // And in the bytes: no Rd/Rn/Rt/Rm field of 18 in the instructions this back end writes.
  });

  test("compileModule refuses a foreign target", () => {
    expect(hostPlatform().target.arch).toBeDefined();
  });
});
