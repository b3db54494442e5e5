/**
 * Chapter three, for real: Brainfuck programs compiled to native code, mapped, run and compared with
 * the reference interpreter (test/support/bfref.ts): random programs by the ten thousand, programs
 * written here, the optimizer's rewrites, every error, W^X, and the listings reassembled by llvm-mc.
 */
import { describe, expect, test } from "bun:test";
import {
  CodeMemory,
  JitError,
  PASSES,
  type PassName,
  assembleBrainfuck,
  brainfuckIr,
  compileBrainfuck,
  hostPlatform,
} from "../src/index.ts";
import { hostOs } from "../src/jit.ts";
import { readMaps } from "../src/maps.ts";
import type { OsMemory } from "../src/os.ts";
import { tableFor } from "../src/bf/parse.ts";
import { type Outcome, bfDifferential, runJit, runReference } from "./support/bf-diff.ts";
import { scanEdgeCases } from "./support/bfgen.ts";
import { interpret } from "./support/bfref.ts";
import { differential, expectAgreement } from "./support/differential.ts";
import { listingSource, llvmAssemble } from "./support/llvm.ts";
import { SEED } from "./support/random.ts";
import { ARM64, NAMED_TARGETS, NATIVE_SYSV, SYSV, WIN64 } from "./support/targets.ts";
import { wxCheckingOs } from "./support/wx.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const run = (source: string, input = "", options: { tape?: number; eof?: 0 | -1 | "unchanged" } = {}) => {
  using program = compileBrainfuck(source, options);
  return text(program.run(input));
};

describe("differential: random programs against the reference interpreter", () => {
  test(`20,000 programs, all passes (seed ${SEED})`, () => expectAgreement(bfDifferential(), SEED, 20_000));
  // Each compiles and runs its programs with that pass alone (and the bounds checks, always placed).
  test.each(PASSES.map((p) => [p] as const))(`2,000 programs with only %s (seed ${SEED + 1})`, (pass: PassName) => {
    expectAgreement(bfDifferential({ passes: [pass] }), SEED + 1, 2_000);
  });
  test(`2,000 programs with no optional pass (seed ${SEED + 1})`, () => expectAgreement(bfDifferential({ passes: [] }), SEED + 1, 2_000));
  test.if(NATIVE_SYSV)(`5,000 programs as Win64 code, through a calling-convention shim (seed ${SEED + 2})`, () => {
    expectAgreement(bfDifferential({ win64: true }), SEED + 2, 5_000);
  });
  test("the differential catches a wrong answer and shrinks it", () => {
    const wrong = { ...bfDifferential(), actual: (c: Parameters<typeof runJit>[0]) => ({ ...runJit(c), output: "00" }) };
    const result = differential(wrong, 3, 100);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.report).toContain("shrunk");
      expect(result.report).toContain("rerun with BABYJIT_SEED=3");
    }
  });
  test("a single-pass run is the program compiled with that pass: the pass's rewrite is in its code", () => {
    // The pass alone turns [-] into a set; without it the loop stays a loop (a branch back).
    const loops = (passes: readonly PassName[]) =>
      assembleBrainfuck("+[-].", { target: SYSV, passes }).code.listing.filter((l) => l.kind === "insn" && /^j(ne|e) /.test(l.text)).length;
    expect([loops(["clearLoops"]), loops([])]).toEqual([0, 2]);
    expect(runJit({ source: "+++[-]++.", input: new Uint8Array(), tape: 4, eof: 0 }, { passes: ["clearLoops"] })).toEqual({ output: "02" });
  });
});

// Programs written for these tests.
const HELLO = "++++++++[>++++[>++>+++>+++>+<<<<-]>+>+>->>+[<]<-]>>.>---.+++++++..+++.>>.<-.<.+++.------.--------.>>+.>++.";
/** cat: read a byte, write it, clear, until a read leaves 0 (the default EOF rule leaves the cleared cell). */
const CAT = ",[.[-],]";
/**
 * A 255-way dispatch on the cell under the pointer (1..255): for the value v it runs `print(v)` once.
 * It counts the cell down, and at each step copies it aside to test it for zero (cells +1..+3 are
 * used, and cleared again).
 */
const dispatch = (print: (v: number) => string) => {
  let program = ">+<"; // cell +1 = 1: not handled yet
  for (let v = 1; v < 256; v++) {
    program += `-[>>+>+<<<-]>>>[<<<+>>>-]+<[[-]>-<]>[<<[->${print(v)}<]>>-]<<<`;
  }
  return `${program}>[-]<`;
};
/** Writes `text` from a cleared cell and clears it again. */
const emit = (text: string) => [...text].map((ch) => `${"+".repeat(ch.charCodeAt(0))}.[-]`).join("");
const rot = (c: number) => (c >= 65 && c <= 90 ? ((c - 65 + 13) % 26) + 65 : c >= 97 && c <= 122 ? ((c - 97 + 13) % 26) + 97 : c);
/** rot13: letters rotated by 13, other bytes as they are, until end of input (with eof 0). */
const ROT13 = `,[${dispatch((v) => emit(String.fromCharCode(rot(v))))},]`;
/** A number printer: computes a product at run time with a multiply loop, then prints it in decimal. */
const PRINT_PRODUCT = (a: number, b: number) => `${"+".repeat(a)}[->${"+".repeat(b)}<]>${dispatch((v) => emit(`${v}\n`))}`;
/** 64 * 64 * 256 = 1 MiB of 'A'. */
const MEBIBYTE = `${"+".repeat(65)}>${"+".repeat(64)}[>${"+".repeat(64)}[><<<.>>>-[<<<.>>>-]<-]<-]`;

describe("programs written for these tests", () => {
  test("hello world", () => expect(run(HELLO)).toBe("Hello World!\n"));
  test("cat copies its input byte for byte", () => {
    const input = "line one\nline two\twith a tab\n";
    expect(run(CAT, input)).toBe(input);
    using program = compileBrainfuck(CAT);
    const bytes = Uint8Array.from({ length: 255 }, (_, i) => i + 1);
    expect(program.run(bytes)).toEqual(bytes);
  });
  test("input larger than the 64 KiB buffer, given whole or in odd-sized chunks, comes through in order", () => {
    const input = Uint8Array.from({ length: 200_001 }, (_, i) => 1 + (i % 251));
    using program = compileBrainfuck(CAT);
    expect(program.run(input)).toEqual(input);
    const out: number[] = [];
    let at = 0, reads = 0;
    program.stream({
      read: () => {
        if (at >= input.length) return null;
        const n = [1, 0, 70_000, 3, 65_536][reads++ % 5] ?? 1; // an empty chunk too: it is asked again
        const chunk = input.subarray(at, at + n);
        at += n;
        return chunk;
      },
      write: (chunk) => {
        for (const b of chunk) out.push(b);
      },
    });
    expect(Uint8Array.from(out)).toEqual(input);
  });
  test("rot13 (with --eof 0)", () => {
    const input = "Hello, World! abc XYZ\n";
    const want = input.replace(/[a-z]/gi, (ch) => String.fromCharCode(rot(ch.charCodeAt(0))));
    expect(run(ROT13, input, { eof: 0 })).toBe(want);
  });
  test.each([[1, 7], [6, 7], [10, 10], [15, 17]])("a number printer: %d * %d in decimal", (a, b) => {
    const want = `${a * b}\n`;
    expect(text(interpret(PRINT_PRODUCT(a, b), new Uint8Array(), { tape: 30_000, eof: "unchanged" }).output)).toBe(want);
    expect(run(PRINT_PRODUCT(a, b))).toBe(want);
  });
  test("every run starts on a zeroed tape", () => {
    using program = compileBrainfuck("++++++++[>++++++++<-]>+[>+<-]>.");
    expect(text(program.run())).toBe("A");
    expect(text(program.run())).toBe("A");
  });
  test("1 MiB of output comes out whole, in 64 KiB chunks", () => {
    // 4 * 256 * 256 * 4 = 1 MiB of 'A'.
    using program = compileBrainfuck(MEBIBYTE);
    const sizes: number[] = [];
    let total = 0;
    program.stream({
      write: (chunk) => {
        sizes.push(chunk.length);
        total += chunk.length;
        expect(chunk.every((b) => b === 65)).toBe(true);
      },
    });
    expect(total).toBe(1 << 20);
    expect(sizes.slice(0, -1).every((s) => s === 65_536)).toBe(true);
  });
  test("output is flushed before the program reads, so a prompt comes first", () => {
    using program = compileBrainfuck(`${"+".repeat(63)}.[-],.`); // "?" then echo one byte
    const events: string[] = [];
    program.stream({
      write: (chunk) => events.push(`write ${text(chunk)}`),
      read: () => {
        events.push("read");
        return new TextEncoder().encode("x");
      },
    });
    expect(events).toEqual(["write ?", "read", "write x"]);
  });
  test.each([
    ["unchanged", "+,.", "01"],
    [0, "+,.", "00"],
    [-1, "+,.", "ff"],
  ] as const)("at end of input, eof %p", (eof, source, hex) => {
    using program = compileBrainfuck(source, { eof });
    expect(Buffer.from(program.run()).toString("hex")).toBe(hex);
  });
});

describe("the tape's edges", () => {
  const tapeError = (source: string, tape: number): JitError => {
    using program = compileBrainfuck(source, { tape });
    try {
      program.run();
    } catch (error) {
      if (error instanceof JitError) return error;
      throw error;
    }
    throw new Error("no error");
  };
  test("the last cell is fine", () => expect(run(">>>>+.", "", { tape: 5 })).toBe("\x01"));
  test.each([
    ["one past the last cell", ">>>>>", 5, "1:5: the pointer left the tape (cell 5, past the last cell 4)", 5],
    ["left of cell 0", "+\n  <", 5, "2:3: the pointer left the tape (cell -1)", -1],
    ["even when it comes back", ">>>><", 4, "1:4: the pointer left the tape (cell 4, past the last cell 3)", 4],
    ["a scan off the right end", "+[>+]", 10, "1:3: the pointer left the tape (cell 10, past the last cell 9)", 10],
    ["a scan off the left end", "+>+>+>+[<<]", 10, "1:10: the pointer left the tape (cell -1)", -1],
    ["a multiply loop reaching past the end", ">>+[->>>+<<<]", 5, "1:8: the pointer left the tape (cell 5, past the last cell 4)", 5],
    ["a multiply loop reaching past cell 0", "+[-<+>]", 5, "1:4: the pointer left the tape (cell -1)", -1],
  ] as const)("%s is an error", (_name, source, tape, message, cell) => {
    const error = tapeError(source, tape);
    expect([error.code, error.message, error.cell]).toEqual(["E_TAPE", message, cell]);
  });
  test("a multiply loop that does not run does not leave the tape", () => expect(run("[-<+>].", "", { tape: 1 })).toBe("\x00"));
  test.each([
    ["no scan", "+[>+<-]", 0],
    ["the longest step of its scans", "+[>]+[<<<]+[>>]", 3],
    ["a step of 4096 cells", `+[${">".repeat(4096)}]`, 4096],
    ["a longer step checks every step instead", `+[${"<".repeat(4097)}]+[>]`, 1],
  ] as const)("zero cells beyond the tape for scans to stop on: %s", (_name, source, margin) => {
    expect(assembleBrainfuck(source).margin).toBe(margin);
  });
  test("scans off either end, steps 1 to 4097 (the stop cells' limit and one more), agree with the reference", () => {
    for (const c of scanEdgeCases()) expect([c.source.length, c.tape, runJit(c)]).toEqual([c.source.length, c.tape, runReference(c) as Outcome]);
  });
  test("output written before the error is kept", () => {
    using program = compileBrainfuck("+.+.<", { tape: 3 });
    const out: number[] = [];
    expect(() => program.stream({ write: (c) => out.push(...c) })).toThrow("1:5: the pointer left the tape (cell -1)");
    expect(out).toEqual([1, 2]);
  });
  test("a 16,777,216-cell tape: its last cell", () => {
    using program = compileBrainfuck("+[>+]<.", { tape: 16_777_216 });
    expect(() => program.run()).toThrow("the pointer left the tape (cell 16777216, past the last cell 16777215)");
  });
});

describe("size and depth", () => {
  test("100,000 loops inside each other compile and run", () => {
    const deep = `+${"[".repeat(100_000)}-${"]".repeat(100_000)}+.`;
    expect(run(deep)).toBe("\x01");
  });
  test("100,000 unclosed loops are a syntax error, not a stack overflow", () => {
    expect(() => compileBrainfuck("[".repeat(100_000))).toThrow("1:100000: unmatched '['");
  });
  test("a file of comments makes no table: tables grow with the ops read, not with the source", () => {
    expect(tableFor("a comment, not code. ".repeat(1_000_000)).data.length).toBeLessThanOrEqual((1 << 16) * 7);
  });
  test("a multi-megabyte program compiles and runs", () => {
    const block = "++++++++[>++++++++<-]>+.[-]<>+<[->+<]>[-]<\n"; // writes "A"
    const source = block.repeat(Math.ceil((3 * 1024 * 1024) / block.length));
    expect(source.length).toBeGreaterThan(3 * 1024 * 1024);
    using program = compileBrainfuck(source);
    const out = program.run();
    expect(out.length).toBe(source.length / block.length);
    expect(out.every((b) => b === 65)).toBe(true);
  });
});

describe("every pass is linear in its input", () => {
  // Compile time at n and 4n: about 4x when every pass is linear, 16x when one is quadratic (mulLoops
  // was: one multiply loop of 300 KB took 2.3 s, 1.2 MB 37 s). CPU time, not wall time (waiting for a
  // core on a shared machine is not work), the best of three each, and a bound of 10x, so that a loaded
  // machine does not fail it and a quadratic pass does.
  const best = (source: string) => {
    let us = Number.POSITIVE_INFINITY;
    for (let k = 0; k < 3; k++) {
      const t0 = process.cpuUsage();
      compileBrainfuck(source).dispose();
      const t = process.cpuUsage(t0);
      us = Math.min(us, t.user + t.system);
    }
    return us;
  };
  test.each([
    ["one multiply loop touching n cells (mulLoops)", (n: number) => `+[-${">+".repeat(n)}${"<".repeat(n)}]`],
    ["one counted loop setting n cells (ifLoops)", (n: number) => `+[-${">[-]+".repeat(n)}${"<".repeat(n)}]`],
    ["one counted loop setting and adding to n cells each (ifLoops)", (n: number) => `+[-${">[-]+>+".repeat(n)}${"<<".repeat(n)}]`],
    ["n loops inside each other", (n: number) => `+${"[>+".repeat(n >> 1)}-${"<]".repeat(n >> 1)}`],
    ["n small loops one after another", (n: number) => `+${"[->+<]>+[>>[-]<<-]>[>]<".repeat(n >> 3)}`],
  ] as const)("%s", (_name, make) => {
    const n = 60_000;
    best(make(n)); // warm
    const ratio = best(make(4 * n)) / best(make(n));
    expect(ratio).toBeLessThan(10);
  }, 60_000);
});

describe("errors", () => {
  test.each([
    ["+]", "1:2: unmatched ']'", 1, 2],
    ["[\n[]", "1:1: unmatched '['", 1, 1],
    ["a comment\n  [[+]", "2:3: unmatched '['", 2, 3],
  ])("%j", (source, message, line, column) => {
    try {
      compileBrainfuck(source);
      throw new Error("compiled");
    } catch (error) {
      expect(error).toBeInstanceOf(JitError);
      const e = error as JitError;
      expect([e.code, e.message, e.line, e.column]).toEqual(["E_SYNTAX", message, line, column]);
    }
  });
  test.each([
    [{ tape: 0 }, "the tape must have 1 to 1073741824 cells, not 0"],
    [{ tape: 1.5 }, "the tape must have 1 to 1073741824 cells, not 1.5"],
    [{ tape: 2 ** 30 + 1 }, "the tape must have 1 to 1073741824 cells, not 1073741825"],
    [{ eof: 255 as never }, 'eof must be "unchanged", 0 or -1, not 255'],
  ])("bad options %j are E_RANGE", (options, message) => {
    expect(() => compileBrainfuck("+", options)).toThrow(new JitError("E_RANGE", message));
  });
  test("a disposed program refuses to run", () => {
    const program = compileBrainfuck("+.");
    program.dispose();
    program.dispose();
    expect(program.disposed).toBe(true);
    expect(() => program.run()).toThrow(new JitError("E_DISPOSED", "this Brainfuck program was disposed; its memory is gone"));
  });
});

describe("the optimizer's rewrites", () => {
  const ALL_BUT_KNOWN = PASSES.filter((p) => p !== "knownValues");
  const shape = (source: string, passes?: readonly PassName[]) =>
    brainfuckIr(source, passes).map((op) => {
      switch (op.kind) {
        case "add":
          return `add[${op.at}] ${op.delta}`;
        case "set":
          return `set[${op.at}] ${op.value}`;
        case "move":
          return `move ${op.delta}`;
        case "mul":
          return `mul[${op.at}] ${op.terms.map((t) => `${t.at}*${t.factor}`).join(" ")}${op.check ? " checked" : ""}${op.keep ? " keep" : ""}`;
        case "scan":
          return `scan[${op.at}] ${op.step}`;
        case "out":
          return op.value === undefined ? `out[${op.at}]` : `out ${op.value}`;
        case "check":
          return `check[${op.at}] ${op.range.lo}..${op.range.hi}`;
        case "open":
          return `open[${op.at}]${op.entryCheck ? ` entry ${op.entryCheck.range.lo}..${op.entryCheck.range.hi}` : ""}`;
        default:
          return `${op.kind}[${op.at}]`;
      }
    });
  test.each([
    ["runs fold", ",+++--.", undefined, ["in[0]", "add[0] 1", "out[0]"]],
    ["clear loops", "+[-].", ["clearLoops"], ["add[0] 1", "set[0] 0", "out[0]"]],
    ["odd steps clear too; even ones may not end", "+[---]+[--]", ["clearLoops"], ["add[0] 1", "set[0] 0", "add[0] 1", "open[0]", "add[0] 254", "close[0]"]],
    ["scans", ",[>>]", undefined, ["in[0]", "scan[0] 2"]],
    ["multiply loops: the cells beyond the loop cell are checked only when it runs", ",[->+>+++<<]", undefined, ["in[0]", "mul[0] 1*1 2*3 checked"]],
    ["a multiply loop whose cell steps by 3: factors times -1/(-3) = 171 mod 256", ",[--->+<]", undefined, ["in[0]", "mul[0] 1*171 checked"]],
    ["a multiply loop inside a checked stretch needs no check of its own", ">>,<<,[->>+<<]", undefined, ["check[0] 0..2", "in[2]", "in[0]", "mul[0] 2*1"]],
    ["a counted loop that only sets other cells is an if (ifLoops)", ">>+<<,[>>[-]<<-]", undefined, ["check[0] 0..2", "set[2] 1", "in[0]", "open[0]", "set[2] 0", "set[0] 0", "close[0]"]],
    ["an if's add-only cells become a multiply, its set cells are set once", ",[>>[-]+<+<-]", undefined, ["in[0]", "open[0] entry 0..2", "set[2] 1", "mul[0] 1*1", "close[0]"]],
    ["an even step may never reach 0: the loop stays", ",[>>[-]<<--]", undefined, ["in[0]", "open[0] entry 0..2", "add[0] 254", "close[0]"]],
    ["known values: the tape starts zeroed, so a program's set-up is constants", "++++++++[->++++++++<]>+.", undefined, ["check[0] 0..1", "out 65"]],
    ["known values: a multiply loop on a known cell is adds; an if on one runs or goes", ",>++[->+++<]>[-<<+>>]<<[>[-]<[-]]>.", undefined, ["in[0]", "check[0] 0..2", "add[0] 6", "open[0]", "set[0] 0", "close[0]", "out 0"]],
    ["known values: a copy through a temporary known to be 0 is one mul that keeps its cell", ",[->+>+<<]>>[-<<+>>]<.", undefined, ["in[0]", "check[0] 0..2", "mul[0] 1*1 keep", "out[1]"]],
    ["known values: cells a loop leaves at 0 are 0 at every pass's start", ",[>[-]<,]", undefined, ["in[0]", "open[0] entry 0..1", "in[0]", "close[0]"]],
    ["dead loops: at the start, and right after a ]", "[.]+[.-][.]", ["deadLoops"], ["add[0] 1", "open[0]", "out[0]", "add[0] 255", "close[0]"]],
    ["sets combine", "+[-]+++.", ALL_BUT_KNOWN, ["set[0] 3", "out[0]"]],
    ["moves become offsets", ",>+>+<<.", ALL_BUT_KNOWN, ["in[0]", "check[0] 0..2", "add[1] 1", "add[2] 1", "out[0]"]],
    ["a balanced loop with output checks once, on entry", ",[>,.<-]", undefined, ["in[0]", "open[0] entry 0..1", "in[1]", "out[1]", "add[0] 255", "close[0]"]],
    ["an unbalanced loop moves its pointer before the ]", ",[>+]", undefined, ["in[0]", "open[0]", "check[0] 0..1", "add[1] 1", "move 1", "close[0]"]],
  ] as const)("%s", (_name, source, passes, want) => expect(shape(source, passes)).toEqual([...want]));
  test("with no passes, only runs are folded and checks placed (a balanced loop still checks on entry)", () => {
    expect(shape("+[->+<]", [])).toEqual(["add[0] 1", "open[0] entry 0..1", "add[0] 255", "move 1", "add[0] 1", "move -1", "close[0]"]);
  });
});

describe("memory", () => {
  test.if(process.platform === "linux")("/proc/self/maps: code r-x, tape and buffers rw-, never rwx, all unmapped after dispose", () => {
    const { os, checks } = wxCheckingOs({ patch: true });
    const memory = new CodeMemory(os, hostPlatform().target);
    const program = compileBrainfuck(HELLO, { memory });
    const maps = readMaps() ?? [];
    const mine = memory.mappings().map((m) => maps.find((x) => x.start === m.address)?.perms);
    expect(mine).toEqual(["r-xp"]);
    expect(text(program.run())).toBe("Hello World!\n");
    program.dispose();
    memory.close();
    expect(memory.mappings()).toEqual([]);
    expect(checks()).toBeGreaterThanOrEqual(8);
  });
  test("a load that fails after installing the code gives everything back: code, tape and buffers", () => {
    const real = hostOs();
    const live = new Set<number>();
    const os: OsMemory = {
      ...real,
      map(size, purpose) {
        const address = real.map(size, purpose);
        live.add(address);
        return address;
      },
      unmap(address, size) {
        live.delete(address);
        real.unmap(address, size);
      },
      entry() {
        throw new JitError("E_UNSUPPORTED", "no entry for this test");
      },
    };
    const memory = new CodeMemory(os, hostPlatform().target);
    expect(() => compileBrainfuck(HELLO, { memory })).toThrow("no entry for this test");
    expect(memory.mappings()).toEqual([]);
    memory.close();
    expect([...live]).toEqual([]);
  });
});

describe("listings", () => {
  // Known outputs (0 and not), a copy that keeps its cell, an if: the code knownValues and ifLoops make.
  const programs = [HELLO, CAT, "+[->+>+++<<]>>.", "+[>>]<<[<]", "+>+<[>[-<+>]<-]", `${">".repeat(5000)}+.${"<".repeat(5000)}`, ".>+.,[->+>+<<]>>[-<<+>>]<.", ",[>>[-]<<-]>>."];
  test.each(NAMED_TARGETS)("llvm-mc reassembles the %s listing to the same bytes", (_name, target) => {
    for (const source of programs) {
      const { code } = assembleBrainfuck(source, { target, eof: 0 });
      expect(Buffer.from(llvmAssemble(target.arch, listingSource(code.listing))).toString("hex")).toBe(Buffer.from(code.bytes).toString("hex"));
    }
  });
  test("arm64: a loop and its exits more than 1 MiB away use the long forms (b.cond/cbz over a b), and llvm-mc agrees", () => {
    const source = `+[${">+".repeat(100_000)}${"<".repeat(100_000)}.-]<`;
    const { code } = assembleBrainfuck(source, { target: ARM64 });
    expect(code.bytes.length).toBeGreaterThan(1 << 20);
    const texts = code.listing.flatMap((l) => (l.kind === "insn" ? [l.text] : []));
    expect(texts.some((t) => /^cbnz w3, #8; b \.L\d+$/.test(t))).toBe(true); // the loop's ] jumping back over 1 MiB
    expect(texts.some((t) => /^b\.(lo|hs) #8; b \.L\d+$/.test(t))).toBe(true); // a check's branch to its far exit
    expect(Buffer.from(llvmAssemble("arm64", listingSource(code.listing))).equals(Buffer.from(code.bytes))).toBe(true);
  });
  test("arm64 code never names x18 (the platform register) and x86-64 code touches no callee-saved register or the stack", () => {
    for (const source of programs) {
      const arm = assembleBrainfuck(source, { target: ARM64 }).code.listing;
      expect(arm.filter((l) => l.kind === "insn" && /\b[wx]18\b/.test(l.text))).toEqual([]);
      for (const target of [SYSV, WIN64]) {
        const x86 = assembleBrainfuck(source, { target }).code.listing;
        const forbidden = target.abi === "win64" ? /\b(rbx|rbp|rsp|rsi|rdi|r12|r13|r14|r15|push|pop|call)\b/ : /\b(rbx|rbp|rsp|r12|r13|r14|r15|push|pop|call)\b/;
        expect(x86.filter((l) => l.kind === "insn" && forbidden.test(l.text))).toEqual([]);
      }
    }
  });
  test("each group of instructions stands under the Brainfuck it came from", () => {
    using program = compileBrainfuck(",+[->+<]\n>.");
    expect(program.listing).toContain("# 1:2 +\n");
    expect(program.listing).toContain("# 1:3 [->+<]  (multiply: [1] += [0]*1)");
    expect(program.listing).toContain("# 2:2 .\n");
  });
});
