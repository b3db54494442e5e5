/**
 * Showing the work: dumps and listings, for every target, checked against llvm-mc. The listing's text
 * must reassemble to exactly the bytes that --dump prints.
 */
import { describe, expect, test } from "bun:test";
import { assembleAdder, formatListing, hexBytes } from "../src/index.ts";
import { emitTrampoline } from "../src/trampoline.ts";
import { listingSource, llvmAssemble } from "./support/llvm.ts";
import { run, runSource } from "./support/cli.ts";
import { TARGETS } from "./support/targets.ts";

// The boundaries of each encoding choice: one movz, one movn, movz/movn with lsl 16, movz+movk.
const TERMS: [number, string][] = [
  [0, "movz w9, #0x0"],
  [1, "movz w9, #0x1"],
  [-1, "movn w9, #0x0"],
  [-4, "movn w9, #0x3"],
  [0xffff, "movz w9, #0xffff"],
  [0x10000, "movz w9, #0x1, lsl #16"],
  [-0x10000, "movn w9, #0xffff"],
  [-0x10001, "movn w9, #0x1, lsl #16"],
  [0x7fff0000, "movz w9, #0x7fff, lsl #16"],
  [0x1234ffff, "movn w9, #0xedcb, lsl #16"],
  [0x12345678, "movz w9, #0x5678\nmovk w9, #0x1234, lsl #16"],
  [-0x12345678, "movz w9, #0xa988\nmovk w9, #0xedcb, lsl #16"],
  [2147483647, "movn w9, #0x8000, lsl #16"],
  [-2147483648, "movz w9, #0x8000, lsl #16"],
  [65535 << 16, "movn w9, #0xffff"],
];

describe("the adder's listing reassembles to its bytes", () => {
  for (const target of TARGETS) {
    test(`${target.arch} ${target.abi}: ${TERMS.length} terms through llvm-mc`, () => {
      const codes = TERMS.map(([term]) => assembleAdder(term, target));
      // One llvm-mc run for the whole table: the functions one after another.
      const source = codes.map((c) => listingSource(c.listing)).join("\n");
      const joined = codes.map((c) => hexBytes(c.bytes)).join(" ");
      expect(hexBytes(llvmAssemble(target.arch, source))).toBe(joined);
    });
  }

  test.each(TERMS)("arm64 loads %p with the shortest sequence", (term, movs) => {
    const code = assembleAdder(term, TARGETS[2]);
    expect(listingSource(code.listing)).toBe(`${movs}\nadd w0, w0, w9\nret`);
    // The article's 11 bytes on x86-64, the term little-endian at offset 3.
    const le = Buffer.alloc(4);
    le.writeInt32LE(term);
    expect(hexBytes(assembleAdder(term, TARGETS[0]).bytes)).toBe(`48 c7 c0 ${hexBytes(le)} 48 01 f8 c3`);
  });
});

describe("the call trampolines reassemble to their bytes", () => {
  test.each(TARGETS)("$arch $abi, arities 0..4", (target) => {
    const codes = [0, 1, 2, 3, 4].map((arity) => emitTrampoline(target, arity));
    const source = codes.map((c) => listingSource(c.listing)).join("\n");
    expect(hexBytes(llvmAssemble(target.arch, source))).toBe(codes.map((c) => hexBytes(c.bytes)).join(" "));
    const texts = codes.map((c) => listingSource(c.listing).split("\n")[0]);
    expect(texts).toEqual(
      target.arch === "arm64"
        ? Array(5).fill("fcvtzu x16, d0")
        : target.abi === "sysv"
          ? Array(5).fill("cvttsd2si rax, xmm0")
          : ["cvttsd2si rax, xmm0", "cvttsd2si rax, xmm1", "cvttsd2si rax, xmm2", "cvttsd2si rax, xmm3", "cvttsd2si rax, qword ptr [rsp + 40]"],
    );
  });
});

describe("CLI --listing and --dump agree, through llvm-mc", () => {
  const cases: [string[], "x64" | "arm64"][] = [
    [["-4", "--arch", "x64"], "x64"],
    [["-4", "--abi", "win64"], "x64"],
    [["2147483647", "--arch", "arm64"], "arm64"],
    [["305419896", "--arch", "arm64"], "arm64"],
  ];
  test.each(cases)("babyjit %p", (args, arch) => {
    const listing = runSource([...args, "--listing"]).stdout;
    const dump = runSource([...args, "--dump"]).stdout.trim();
    // Strip the offset and bytes columns: what remains (with its comments) is assembler input.
    const text = listing
      .trimEnd()
      .split("\n")
      .map((line) => line.replace(/^[0-9a-f]{4} {2}(?:[0-9a-f]{2} )*[0-9a-f]{2} {2,}/, "").replace(/^ {6}/, ""))
      .join("\n");
    expect(hexBytes(llvmAssemble(arch, text))).toBe(dump);
  });
});

describe("golden listings (a format change must be deliberate)", () => {
  test("x86-64 System V and Win64, arm64", () => {
    expect(formatListing(assembleAdder(-4, TARGETS[0]))).toBe(
      [
        "0000  48 c7 c0 fc ff ff ff  mov rax, -4   # rax = -4, the term (rax holds the result)",
        "0007  48 01 f8              add rax, rdi  # rdi holds the argument x (System V ABI)",
        "000a  c3                    ret           # return rax (read as int32 by the caller)",
      ].join("\n"),
    );
    expect(formatListing(assembleAdder(305419896, TARGETS[2]))).toBe(
      [
        "0000  09 cf 8a 52  movz w9, #0x5678           // w9 = 305419896, the term",
        "0004  89 46 a2 72  movk w9, #0x1234, lsl #16",
        "0008  00 00 09 0b  add w0, w0, w9             // w0 holds the argument x and, on return, the result",
        "000c  c0 03 5f d6  ret                        // return to the address in x30",
      ].join("\n"),
    );
  });

  test("colour on a terminal (NO_COLOR= empty too); none when piped, with NO_COLOR set, or with --no-color", () => {
    // `script` gives the CLI a real terminal as stdout.
    const tty = (env: Record<string, string>, ...extra: string[]) =>
      run(["script", "-qec", [process.execPath, "bin/babyjit.js", "-4", "--listing", ...extra].join(" "), "/dev/null"], {
        ...process.env,
        ...env,
        NO_COLOR: env.NO_COLOR,
      }).stdout;
    expect(tty({})).toContain("\x1b[1mmov\x1b[0m");
    expect(tty({ NO_COLOR: "1" })).not.toContain("\x1b[");
    // The convention (no-color.org): NO_COLOR counts when set and non-empty, so NO_COLOR= leaves colour on.
    expect(tty({ NO_COLOR: "" })).toContain("\x1b[1mmov\x1b[0m");
    expect(tty({}, "--no-color")).not.toContain("\x1b[");
    expect(runSource(["-4", "--listing"]).stdout).not.toContain("\x1b[");
    expect(runSource(["-4", "--dump", "--color"]).stdout).toBe("48 c7 c0 fc ff ff ff 48 01 f8 c3\n");
  });
});
