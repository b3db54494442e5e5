/** The platform table: what babyjit would do on each OS and architecture, including those not run here. */
import { describe, expect, test } from "bun:test";
import { dlopen } from "bun:ffi";
import { JitError, SUPPORTED_PLATFORMS, hostOs, platformFor, targetFor } from "../src/index.ts";
import { assembleAdder, emitAdder } from "../src/adder.ts";
import { assembleBrainfuck } from "../src/bf/compile.ts";
import type { Code } from "../src/emit.ts";
import { generate } from "../src/expr/codegen.ts";
import { fold } from "../src/expr/fold.ts";
import { parse } from "../src/expr/parse.ts";
import { hexBytes } from "../src/listing.ts";
import { MAX_ARITY, assembleTrampoline, emitTrampoline } from "../src/trampoline.ts";
import { BIN, run } from "./support/cli.ts";
import { randomExpr } from "./support/exprgen.ts";
import { SEED, makeRng } from "./support/random.ts";
import { ARM64, NAMED_TARGETS } from "./support/targets.ts";

const rows = [
  // os, arch, abi, memory kind, libc/kernel32 names, MAP_ANON, icache flush, adder bytes
  ["linux", "x64", "sysv", "posix", "libc.so.6", 0x20, "coherent", "48 c7 c0 fc ff ff ff 48 01 f8 c3"],
  ["linux", "arm64", "aapcs64", "posix", "libc.so.6", 0x20, "__clear_cache", "69 00 80 12 00 00 09 0b c0 03 5f d6"],
  ["darwin", "x64", "sysv", "posix", "libSystem.B.dylib", 0x1000, "coherent", "48 c7 c0 fc ff ff ff 48 01 f8 c3"],
  ["darwin", "arm64", "aapcs64", "posix", "libSystem.B.dylib", 0x1000, "sys_icache_invalidate", "69 00 80 12 00 00 09 0b c0 03 5f d6"],
  ["win32", "x64", "win64", "windows", "kernel32.dll", undefined, "FlushInstructionCache", "48 c7 c0 fc ff ff ff 48 01 c8 c3"],
  ["win32", "arm64", "aapcs64", "windows", "kernel32.dll", undefined, "FlushInstructionCache", "69 00 80 12 00 00 09 0b c0 03 5f d6"],
] as const;

test.each(rows)("%s-%s: %s ABI, %s memory", (os, arch, abi, kind, library, mapAnon, flush, adder) => {
  const p = platformFor(os, arch);
  expect(p.os).toBe(os);
  expect(p.target).toEqual({ arch, abi });
  expect(p.memory.kind).toBe(kind);
  if (p.memory.kind === "posix") {
    expect(p.memory.libc[0]).toBe(library);
    expect(p.memory.MAP_ANON).toBe(mapAnon ?? -1);
    expect([p.memory.PROT_READ, p.memory.PROT_WRITE, p.memory.PROT_EXEC, p.memory.MAP_PRIVATE]).toEqual([1, 2, 4, 2]);
    expect(p.memory.errnoSymbol).toBe(os === "darwin" ? "__error" : "__errno_location");
  } else {
    expect(p.memory).toEqual({ kind: "windows", MEM_COMMIT_RESERVE: 0x3000, MEM_RELEASE: 0x8000, PAGE_READWRITE: 0x04, PAGE_EXECUTE_READ: 0x20 });
  }
  expect(p.icache.kind === "coherent" ? "coherent" : p.icache.symbol).toBe(flush);
  expect(hexBytes(emitAdder(p.target, -4).bytes)).toBe(adder);
});

test.each([
  ["freebsd", "x64"],
  ["linux", "ia32"],
  ["linux", "riscv64"],
  ["win32", "ia32"],
  ["aix", "ppc64"],
])("%s-%s is refused with E_UNSUPPORTED, naming the platform", (os, arch) => {
  expect(() => platformFor(os, arch)).toThrow(
    new JitError(
      "E_UNSUPPORTED",
      `${os}-${arch} is not supported: babyjit generates code for linux-x64, linux-arm64, darwin-x64, darwin-arm64, win32-x64, win32-arm64`,
    ),
  );
});

// The adder (x86-64) and the trampolines are copied from templates (src/template.ts): the assembler
// must make the very same bytes, and the listing read from a template's code is the assembler's.
test.each(NAMED_TARGETS)(`%s: the adder's and trampolines' templates are the assembler's bytes and listing (seed ${SEED})`, (_name, target) => {
  const rng = makeRng(SEED);
  const terms = [0, 1, -1, -4, 2, 127, 128, -128, -129, 255, 256, 4095, 65535, 65536, -65536, 0x12345678, 2147483647, -2147483648];
  for (let i = 0; i < 200; i++) terms.push((rng() * 2 ** 32) | 0);
  for (const term of terms) {
    const [template, assembled] = [emitAdder(target, term), assembleAdder(target, term)];
    expect(hexBytes(template.bytes)).toBe(hexBytes(assembled.bytes));
    expect(template.listing).toEqual(assembled.listing);
  }
  for (let arity = 0; arity <= MAX_ARITY; arity++) {
    const [template, assembled] = [emitTrampoline(target, arity), assembleTrampoline(target, arity)];
    expect(hexBytes(template.bytes)).toBe(hexBytes(assembled.bytes));
    expect(template.listing).toEqual(assembled.listing);
  }
});

test("a template refuses what the assembler refuses", () => {
  const x64 = { arch: "x64", abi: "sysv" } as const;
  for (const term of [2 ** 31, -(2 ** 31) - 1, 1.5, Number.NaN]) {
    expect(() => emitAdder(x64, term)).toThrow(expect.objectContaining({ code: "E_RANGE" }));
  }
  expect(() => emitTrampoline(x64, 9)).toThrow(expect.objectContaining({ code: "E_RANGE" }));
  expect(() => emitTrampoline(x64, -1)).toThrow(expect.objectContaining({ code: "E_RANGE" }));
  expect(() => emitTrampoline({ arch: "x64", abi: "aapcs64" }, 1)).toThrow(new JitError("E_TARGET", "the aapcs64 calling convention does not exist for x64"));
});

test("a page size fixed in the platform table is x86-64's 4 KiB, and this host's getpagesize() where it runs", () => {
  for (const name of SUPPORTED_PLATFORMS) {
    const [os, arch] = name.split("-") as [string, string];
    const p = platformFor(os, arch);
    expect(p.pageSize).toBe(arch === "x64" && os !== "win32" ? 4096 : undefined);
  }
  const host = SUPPORTED_PLATFORMS.includes(`${process.platform}-${process.arch}`) ? platformFor(process.platform, process.arch) : undefined;
  if (host?.pageSize !== undefined && host.memory.kind === "posix") {
    const { symbols } = dlopen(host.memory.libc[0] as string, { getpagesize: { args: [], returns: "i32" } });
    expect(host.pageSize).toBe(symbols.getpagesize());
    expect(hostOs().pageSize).toBe(symbols.getpagesize());
  }
});

test("targetFor rejects a calling convention that does not exist for the architecture", () => {
  expect(targetFor("arm64")).toEqual({ arch: "arm64", abi: "aapcs64" });
  expect(targetFor("x64", "win64")).toEqual({ arch: "x64", abi: "win64" });
  expect(() => targetFor("x64", "aapcs64")).toThrow("the aapcs64 calling convention does not exist for x64");
});

test("Windows on ARM64 is arm64 code with the Windows memory API, flushed with FlushInstructionCache", () => {
  const p = platformFor("win32", "arm64");
  expect(p).toEqual({
    os: "win32",
    target: { arch: "arm64", abi: "aapcs64" },
    memory: platformFor("win32", "x64").memory,
    icache: { kind: "symbol", library: ["kernel32.dll"], symbol: "FlushInstructionCache" },
    patch: "mprotect",
  });
});

/**
 * Windows on ARM64 keeps the thread's TEB in x18, and Apple reserves it too: babyjit's arm64 code must
 * never write it. Stronger and simpler to check: no instruction names x18/w18 at all. Every arm64 code
 * path is covered: the adder, the trampolines, the expression code generator with all registers and
 * with 2 to 5 (so that it spills) over many random expressions, and the Brainfuck code generator over
 * random programs (with and without the optimizer, every EOF mode, small and large tapes). Both the
 * emitter's own listing and llvm-mc's disassembly of the bytes are searched, and llvm-mc must decode
 * every instruction.
 */
test(`no arm64 code babyjit generates reads or writes x18 (the OS's platform register) (seed ${SEED + 1})`, () => {
  const arm64 = ARM64;
  const codes: Code[] = [];
  for (const term of [0, 1, -1, -4, 4095, 65535, 65536, -65536, 0x12345678, 2147483647, -2147483648]) codes.push(emitAdder(arm64, term));
  for (let arity = 0; arity <= MAX_ARITY; arity++) codes.push(emitTrampoline(arm64, arity));
  const rng = makeRng(SEED + 1);
  const paramSets = [[], ["x"], ["x", "y"], ["a", "b", "c"], ["p", "q", "r", "s"]];
  for (let i = 0; i < 400; i++) {
    const params = paramSets[i % paramSets.length] ?? ["x"];
    const tree = fold(parse(randomExpr(rng, { maxDepth: 1 + (i % 7), params }), params));
    for (const registers of [undefined, 2, 3, 5]) {
      codes.push(generate(tree, { target: arm64, params, ...(registers === undefined ? {} : { registers }) }).code);
    }
  }
  // Random Brainfuck: every command, nested loops, and the shapes the optimizer rewrites.
  const pieces = ["+", "-", ">", "<", ".", ",", "[-]", "[>]", "[<]", "[->+<]", "[->>+++<<]", ">>>>>>>>>>", "<<<<<<<<<<", "++++++++++"];
  const program = (depth: number): string => {
    let text = "";
    for (let k = Math.floor(rng() * 8); k >= 0; k--) {
      text += depth > 0 && rng() < 0.3 ? `[${program(depth - 1)}]` : (pieces[Math.floor(rng() * pieces.length)] ?? "+");
    }
    return text;
  };
  for (let i = 0; i < 200; i++) {
    const source = program(1 + (i % 4));
    const eof = (["unchanged", 0, -1] as const)[i % 3] ?? "unchanged";
    codes.push(assembleBrainfuck(source, { target: arm64, eof, tape: i % 2 === 0 ? 30_000 : 1 << 30 }).code);
    codes.push(assembleBrainfuck(source, { target: arm64, eof, passes: [] }).code);
  }
  const X18 = /\b[xw]18\b/;
  const listed = codes.flatMap((c) => c.listing.flatMap((l) => (l.kind === "insn" ? [l.text] : [])));
  expect(listed.filter((text) => X18.test(text))).toEqual([]);

  const bytes = codes.flatMap((c) => Array.from(c.bytes));
  expect(bytes.length % 4).toBe(0);
  const p = Bun.spawnSync(["llvm-mc", "-triple=aarch64", "--disassemble"], {
    stdin: Buffer.from(bytes.map((b) => `0x${b.toString(16)}`).join(" ")),
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(p.stderr.toString()).toBe(""); // llvm-mc reports any word it cannot decode here
  const instructions = p.stdout
    .toString()
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith("."));
  expect(instructions.length).toBe(bytes.length / 4);
  expect(instructions.filter((text) => X18.test(text))).toEqual([]);
});

describe("--dump and --listing on a platform babyjit cannot run code on", () => {
  // A test-only preload makes Bun report another OS/architecture; the shipped CLI has no switch for this.
  const preload = `${import.meta.dir}/fixtures/fake-platform.ts`;
  const on = (platform: string, arch: string, args: string[]) =>
    run([process.execPath, "--preload", preload, BIN, ...args], { ...process.env, NO_COLOR: "1", FAKE_PLATFORM: platform, FAKE_ARCH: arch });
  const HINT = "Try 'babyjit --help' for more information.\n";

  test.each([
    ["freebsd", "x64"],
    ["linux", "riscv64"],
    ["openbsd", "arm64"],
  ])("%s-%s: every target it names, with --arch and --abi", (platform, arch) => {
    const cases: [string[], string][] = [
      [["-4", "--dump", "--arch", "arm64"], "69 00 80 12 00 00 09 0b c0 03 5f d6\n"],
      [["-4", "--dump", "--abi", "aapcs64"], "69 00 80 12 00 00 09 0b c0 03 5f d6\n"],
      [["-4", "--dump", "--arch", "x64", "--abi", "sysv"], "48 c7 c0 fc ff ff ff 48 01 f8 c3\n"],
      [["-4", "--dump", "--abi", "win64"], "48 c7 c0 fc ff ff ff 48 01 c8 c3\n"],
      [["-4", "--dump", "--arch", "x64"], "48 c7 c0 fc ff ff ff 48 01 f8 c3\n"], // System V outside Windows
      [["-e", "x / 2", "--dump", "--arch", "arm64"], `${hexBytes(generate(fold(parse("x / 2", ["x"])), { target: { arch: "arm64", abi: "aapcs64" }, params: ["x"] }).code.bytes)}\n`],
    ];
    for (const [args, stdout] of cases) expect({ args, ...on(platform, arch, args) }).toEqual({ args, stdout, stderr: "", exitCode: 0 });
    const listing = on(platform, arch, ["-4", "--listing", "--arch", "arm64"]);
    expect(listing).toEqual({
      stdout: [
        "0000  69 00 80 12  movn w9, #0x3   // w9 = -4, the term",
        "0004  00 00 09 0b  add w0, w0, w9  // w0 holds the argument x and, on return, the result",
        "0008  c0 03 5f d6  ret             // return to the address in x30",
        "",
      ].join("\n"),
      stderr: "",
      exitCode: 0,
    });
  });

  test.each([
    ["--dump", ["-4", "--dump"]],
    ["--listing", ["-e", "x + 1", "--listing"]],
  ])("without a target, %s says which to pass (exit 64)", (mode, args) => {
    expect(on("freebsd", "x64", args)).toEqual({
      stdout: "",
      stderr: `babyjit: freebsd-x64 runs no babyjit code, so ${mode} needs a target: pass --arch x64 (with --abi sysv or win64) or --arch arm64\n${HINT}`,
      exitCode: 64,
    });
  });

  test.each([
    [["-4"]],
    [["-4", "--arch", "x64"]],
    [["-e", "x * 2", "--trace", "3"]],
  ])("running %p is refused with exit 69", (args) => {
    expect(on("freebsd", "x64", args)).toEqual({
      stdout: "",
      stderr:
        "babyjit: freebsd-x64 is not supported: babyjit generates code for linux-x64, linux-arm64, darwin-x64, darwin-arm64, win32-x64, win32-arm64\n",
      exitCode: 69,
    });
  });
});
