/**
 * Executable memory, for real: pages mapped by babyjit, their protection as /proc/self/maps reports it,
 * W^X at every step, and nothing left behind.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  CodeMemory,
  JitError,
  type JitFunction,
  OsError,
  assembleAdder,
  assembleExpression,
  compileAdder,
  compileExpression,
  formatListing,
  hostMemory,
  hostOs,
  hostPlatform,
} from "../src/index.ts";
import { bindOs } from "../src/libc.ts";
import { protectionAt } from "../src/maps.ts";
import { TRAMPOLINES, int32Signature, trampolineIndex } from "../src/abi.ts";
import { wxCheckingOs } from "./support/wx.ts";

const linux = process.platform === "linux";

describe.if(linux)("pages and protections (Linux, /proc/self/maps)", () => {
  test("the code page is r-xp after compiling and gone after dispose()", () => {
    const memory = new CodeMemory(hostOs(), hostPlatform().target);
    // The first page holds the call trampolines too, and stays while they are needed: fill it, so the
    // function under test lands on a page of its own.
    const filler = [compileAdder(0, { memory })];
    while (memory.mappings().length === 1) filler.push(compileAdder(filler.length, { memory }));
    const onPageTwo = filler.pop();
    onPageTwo?.dispose();
    const add = compileAdder(7, { memory });
    expect(memory.mappings().length).toBe(2);
    expect(add(1)).toBe(8);
    expect(protectionAt(add.address)).toBe("r-xp");
    const address = add.address;
    const pages = memory.mappings().length;
    add.dispose();
    expect(protectionAt(address)).toBe("unmapped");
    expect(memory.mappings().length).toBe(pages - 1);
    expect(filler.length).toBe(4096 / 16 - TRAMPOLINES); // 16-byte units, one kept per place a trampoline finds the address
    expect(add.address).toBe(0);
    expect(add.disposed).toBe(true);
    // The home page: r-xp while trampolines are on it, gone after close().
    const home = memory.mappings()[0]?.address ?? 0;
    for (const f of filler) f.dispose();
    expect(memory.mappings()).toEqual([{ address: home, size: 4096, functions: 0, trampolines: 1 }]);
    expect(protectionAt(home)).toBe("r-xp");
    memory.close();
    expect(protectionAt(home)).toBe("unmapped");
    expect(memory.mappings()).toEqual([]);
  });

  test.each([
    ["adding code through /proc/self/mem where the kernel allows it", true],
    ["adding code by flipping pages RW and back (mprotect)", false],
  ])("no mapping of ours is ever writable and executable at once: %s", (_name, patch) => {
    const { os, checks } = wxCheckingOs({ patch });
    const memory = new CodeMemory(os, hostPlatform().target);
    const fns = Array.from({ length: 300 }, (_, i) => compileAdder(i, { memory }));
    fns.forEach((f, i) => expect(f(1)).toBe(i + 1));
    // Slots are reused with different code: the new code must run, not the old.
    for (const f of fns.splice(0, 100)) f.dispose();
    const again = Array.from({ length: 100 }, (_, i) => compileAdder(-i, { memory }));
    again.forEach((f, i) => expect(f(1)).toBe(1 - i));
    for (const f of [...fns, ...again]) f.dispose();
    memory.close();
    expect(checks()).toBeGreaterThan(400);
  });

  test("20,000 compile/dispose cycles leave no code memory behind", () => {
    const memory = hostMemory();
    compileAdder(0).dispose(); // maps the home page and its trampoline
    const before = memory.mappings();
    for (let i = 0; i < 20_000; i++) {
      const f = compileAdder(i);
      if (f(i) !== ((2 * i) | 0)) throw new Error(`wrong sum at ${i}`);
      f.dispose();
    }
    // Nothing but the home page, with its trampolines and no function.
    expect(memory.mappings()).toEqual(before);
    expect(before.map((m) => m.functions)).toEqual([0]);
  });

  test("10,000 live adders share pages: at most 1 MiB of code", () => {
    const memory = new CodeMemory(hostOs(), hostPlatform().target);
    const fns = Array.from({ length: 10_000 }, (_, i) => compileAdder(i - 5000, { memory }));
    const bytes = memory.mappings().reduce((sum, m) => sum + m.size, 0);
    expect(bytes).toBeLessThanOrEqual(1 << 20);
    expect(fns[0]?.(5000)).toBe(0);
    expect(fns[9999]?.(1)).toBe(5000);
    for (const m of memory.mappings()) expect(protectionAt(m.address)).toBe("r-xp");
    // Freed slots are reused before new pages are mapped.
    fns[17]?.dispose();
    const again = compileAdder(1, { memory });
    expect(memory.mappings().reduce((sum, m) => sum + m.size, 0)).toBe(bytes);
    expect(again(1)).toBe(2);
    again.dispose();
    for (const f of fns) f.dispose();
    expect(memory.mappings().length).toBe(1); // the home page, until close()
    memory.close();
    expect(memory.mappings()).toEqual([]);
  });
});

describe("code allocator", () => {
  test("a full home page still leaves room for the trampoline of every arity", () => {
    const memory = new CodeMemory(hostOs(), hostPlatform().target);
    // Adders (one 16-byte unit each) fill the home page and spill onto more pages...
    const units = hostOs().pageSize / 16;
    const adders = Array.from({ length: units + 10 }, (_, i) => compileAdder(i, { memory }));
    // ...then functions of every other arity need their trampolines, which live on the home page.
    const constant = compileExpression("667", { memory, params: [] });
    const pair = compileExpression("x - y", { memory, params: ["x", "y"] });
    const three = compileExpression("a * b - c", { memory, params: ["a", "b", "c"] });
    const four = compileExpression("a + b + c + d", { memory, params: ["a", "b", "c", "d"] });
    expect([constant(), pair(10, 3), three(2, 3, 4), four(1, 2, 3, 4), adders[units]?.(1)]).toEqual([667, 7, 2, 10, units + 1]);
    // Signatures whose address lands in the same register share a trampoline (System V, AAPCS64: one).
    const places = new Set([0, 1, 2, 3, 4].map((n) => trampolineIndex(memory.target, int32Signature(n))));
    expect(memory.mappings()[0]?.trampolines).toBe(places.size);
    for (const f of [...adders, constant, pair, three, four]) f.dispose();
    memory.close();
  });
});

describe("a million live functions", () => {
  test("a freed slot on any full page is reused before a page is mapped, and its page rejoins the search", () => {
    const memory = new CodeMemory(hostOs(), hostPlatform().target);
    const units = hostOs().pageSize / 16;
    const fns = Array.from({ length: units * 8 }, (_, i) => compileAdder(i, { memory }));
    const pages = memory.mappings().length;
    const victim = fns[units + 3]; // on the second page, long since full
    const address = victim?.address;
    victim?.dispose();
    const again = compileAdder(99, { memory });
    expect(again.address).toBe(address ?? -1);
    expect(memory.mappings().length).toBe(pages);
    expect(again(1)).toBe(100);
    for (const f of [...fns, again]) f.dispose();
    memory.close();
  });

  test("a live adder keeps a handful of heap objects, not its code: listing and bytes are made again when read", () => {
    const { heapStats } = require("bun:jsc") as typeof import("bun:jsc");
    const memory = new CodeMemory(hostOs(), hostPlatform().target);
    const count = 20_000;
    Bun.gc(true);
    const before = heapStats().objectCount;
    const fns = Array.from({ length: count }, (_, i) => compileAdder(i, { memory }));
    Bun.gc(true);
    const perFunction = (heapStats().objectCount - before) / count;
    expect(perFunction).toBeLessThan(7); // the function, its state, its slot, and what JavaScriptCore keeps beside them
    const f = fns[1234] as JitFunction;
    const expected = assembleAdder(1234, memory.target);
    expect(f.bytes).toEqual(expected.bytes);
    expect(f.lines).toEqual(expected.listing);
    expect(f.listing).toBe(formatListing(expected));
    expect(Array.from(hostOs().read(f.address, f.bytes.length))).toEqual(Array.from(expected.bytes));
    const e = compileExpression("(x * 3 + 7) ^ (x >> 2)", { memory });
    expect(e.lines).toEqual(assembleExpression("(x * 3 + 7) ^ (x >> 2)", { target: memory.target }).code.listing);
    for (const g of [...fns, e]) g.dispose();
    expect(f.bytes).toEqual(expected.bytes); // still readable once disposed: it is rebuilt, not read back
    memory.close();
  });
});

describe("JitFunction contract", () => {
  test("a function dropped without dispose() gives its space back once collected", async () => {
    const memory = new CodeMemory(hostOs(), hostPlatform().target);
    const functions = () => memory.mappings().reduce((n, m) => n + m.functions, 0);
    (() => {
      for (let i = 0; i < 2000; i++) compileAdder(i, { memory });
    })();
    expect(functions()).toBe(2000);
    for (let round = 0; round < 20 && functions() > 0; round++) {
      Bun.gc(true);
      await Bun.sleep(10); // finalization callbacks run after the collection, on a later tick
    }
    expect(functions()).toBeLessThan(2000);
  });

  test("calling after dispose throws E_DISPOSED and never reaches unmapped memory", () => {
    const add = compileAdder(1);
    add.dispose();
    add.dispose(); // idempotent
    expect(() => add(1)).toThrow(new JitError("E_DISPOSED", "this JIT'd function was disposed; its code memory is gone"));
  });

  test.each([
    ["frozen", (f: JitFunction) => Object.freeze(f)],
    ["sealed", (f: JitFunction) => Object.seal(f)],
  ] as const)("a %s JitFunction refuses dispose() with E_FROZEN and keeps its code, so it still computes", (_kind, fix) => {
    const add = compileAdder(2);
    const address = add.address;
    fix(add);
    expect(() => add.dispose()).toThrow(
      new JitError("E_FROZEN", "this JIT'd function is frozen or sealed, so dispose() cannot take its address away; its code stays until the function is garbage-collected"),
    );
    expect({ address: add.address, disposed: add.disposed, result: add(40) }).toEqual({ address, disposed: false, result: 42 });
  });

  test("Object.preventExtensions does not stop dispose()", () => {
    const add = compileAdder(2);
    Object.preventExtensions(add);
    add.dispose();
    expect(() => add(1)).toThrow(new JitError("E_DISPOSED", "this JIT'd function was disposed; its code memory is gone"));
  });

  // Each of these once freed the code while the function could still call it (found in review).
  test.each([
    ["an object inheriting from it", (f: JitFunction) => (Object.create(f) as JitFunction).dispose()],
    ["a Proxy of it", (f: JitFunction) => new Proxy(f, { deleteProperty: () => true }).dispose()],
    ["a copy made by spreading it", (f: JitFunction) => f.dispose.call({ ...f })],
  ] as const)("dispose() called through %s disposes the function itself, or nothing", (_how, dispose) => {
    const add = compileAdder(1);
    let thrown: unknown;
    try {
      dispose(add);
    } catch (error) {
      thrown = error;
    }
    // Either the function is disposed for real, or dispose() refused and the code is still there.
    if (add.disposed) expect(() => add(1)).toThrow(new JitError("E_DISPOSED", "this JIT'd function was disposed; its code memory is gone"));
    else {
      expect(thrown).toEqual(new JitError("E_INTERNAL", "not a JitFunction"));
      expect(add(1)).toBe(2);
      add.dispose();
    }
    const other = compileAdder(1000); // would reuse the freed unit
    expect(() => add(1)).toThrow(new JitError("E_DISPOSED", "this JIT'd function was disposed; its code memory is gone"));
    other.dispose();
  });

  test("Object.assign cannot give one JitFunction another's address", () => {
    const add = compileAdder(1);
    const other = compileAdder(5000);
    expect(() => Object.assign(other, add)).toThrow(TypeError);
    add.dispose();
    const reuse = compileAdder(7000); // would reuse add's unit
    expect(other(1)).toBe(5001);
    other.dispose();
    reuse.dispose();
  });

  test("an object or function that copied a JitFunction's properties is no JitFunction: dispose() called on it reaches the function itself", () => {
    const add = compileAdder(1);
    const plain = Object.assign((x: number) => x + 100, add);
    const spread = { ...add };
    expect(plain(1)).toBe(101);
    // Their dispose() (the prototype's, called on them) reaches the function itself, as through a Proxy.
    const dispose = Object.getPrototypeOf(add).dispose as (this: unknown) => void;
    dispose.call(spread);
    expect(() => add(1)).toThrow(new JitError("E_DISPOSED", "this JIT'd function was disposed; its code memory is gone"));
    expect(plain(1)).toBe(101);
  });

  test("a disposed function whose prototype was swapped still throws E_DISPOSED", () => {
    const add = compileAdder(1);
    const dispose = add.dispose;
    Object.setPrototypeOf(add, Function.prototype);
    dispose.call(add);
    expect(() => add(1)).toThrow(new JitError("E_DISPOSED", "this JIT'd function was disposed; its code memory is gone"));
  });

  test("new on a JitFunction is a TypeError, as for an arrow function", () => {
    const add = compileAdder(1) as unknown as new (x: number) => unknown;
    expect(() => new add(1)).toThrow(new TypeError("a JIT'd function is not a constructor"));
    (add as unknown as JitFunction).dispose();
  });

  test("freezing the shared prototype (as SES harden does) leaves later installs working", () => {
    // In a process of its own: the prototype is shared by every JitFunction of the process.
    const script = `
      import { compileAdder } from ${JSON.stringify(join(import.meta.dir, "..", "src", "index.ts"))};
      const add = compileAdder(1);
      Object.freeze(Object.getPrototypeOf(add));
      const next = compileAdder(8);
      const result = next(1);
      next.dispose();
      add.dispose();
      console.log(result, add.disposed, next.disposed);`;
    const r = Bun.spawnSync([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
    expect({ stdout: r.stdout.toString(), stderr: r.stderr.toString(), exitCode: r.exitCode }).toEqual({ stdout: "9 true true\n", stderr: "", exitCode: 0 });
  });

  test("once disposed, address reads 0 and disposed reads true", () => {
    const add = compileAdder(3);
    expect(add.address).toBeGreaterThan(0);
    add[Symbol.dispose]();
    expect({ address: add.address, disposed: add.disposed }).toEqual({ address: 0, disposed: true });
  });

  test("`using` disposes at the end of the block", () => {
    let escaped: ((x: number) => number) | undefined;
    {
      using add = compileAdder(5);
      expect(add(10)).toBe(15);
      escaped = add;
    }
    expect(() => escaped?.(1)).toThrow("disposed");
  });

  test("bytes is a copy of the article's code; address points at it", () => {
    using add = compileAdder(-4);
    const expected = process.arch === "x64" ? "48c7c0fcffffff4801" : "";
    const hex = Buffer.from(add.bytes).toString("hex");
    if (expected) expect(hex.startsWith(expected)).toBe(true);
    add.bytes[0] = 0;
    expect(add.bytes[0]).not.toBe(0);
    expect(Buffer.from(hostOs().read(add.address, add.bytes.length)).toString("hex")).toBe(hex);
    expect(add.arity).toBe(1);
    expect(add.listing.split("\n").length).toBe(process.arch === "x64" ? 3 : add.listing.split("\n").length);
  });

  const badTerms: unknown[] = [1.5, NaN, Infinity, 2 ** 31, -(2 ** 31) - 1, "5", 5n, undefined];
  test.each(badTerms.map((t) => [String(t), t]))("compileAdder(%s) throws E_RANGE", (_n, term) => {
    expect(() => compileAdder(term as number)).toThrow(JitError);
    try {
      compileAdder(term as number);
    } catch (error) {
      expect((error as JitError).code).toBe("E_RANGE");
      expect((error as JitError).message).toStartWith("term must be a 32-bit integer (-2147483648..2147483647), got ");
    }
  });

  test.each([[1.5], [NaN], [2 ** 31], [-Infinity]])("calling with %p throws E_RANGE, not a silent ToInt32", (x) => {
    using add = compileAdder(1);
    expect(() => add(x)).toThrow(`parameter 1 (x) must be a 32-bit integer (-2147483648..2147483647), got ${x}`);
  });
});

describe.if(linux)("OS errors are typed", () => {
  test("an unaligned mprotect gives OsError errno 22, Invalid argument", () => {
    const os = hostOs();
    const page = os.map(os.pageSize);
    try {
      os.protect(page + 1, 16, "rx");
      throw new Error("mprotect accepted an unaligned address");
    } catch (error) {
      expect(error).toBeInstanceOf(OsError);
      const e = error as OsError;
      expect([e.code, e.syscall, e.errno, e.strerror, e.message]).toEqual(["E_OS", "mprotect", 22, "Invalid argument", "mprotect: Invalid argument"]);
    } finally {
      os.unmap(page, os.pageSize);
    }
  });

  test("munmap, bound on the first unmap, reports the errno of a failing first call: 22 for an unaligned address", () => {
    const os = bindOs(hostPlatform()); // a fresh OS layer: its munmap is not bound yet
    const page = os.map(os.pageSize);
    expect(() => os.unmap(page + 1, os.pageSize)).toThrow(new OsError("munmap", 22, "Invalid argument"));
    os.unmap(page, os.pageSize);
    expect(os.protection(page)?.perms).toBe("unmapped");
  });

  test("an impossible mmap gives OsError ENOMEM (12)", () => {
    expect(() => hostOs().map(2 ** 47)).toThrow(new OsError("mmap", 12, "Cannot allocate memory"));
  });
});
