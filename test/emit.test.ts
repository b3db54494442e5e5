import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { A64Assembler, type Arch, X64Assembler, a64D, a64Gp, eax, invertA64, invertX64, rax, sp, wzr, x64Gp, x64Mem, xmm } from "../src/emit.ts";
import { JitError } from "../src/errors.ts";
import { hexBytes } from "../src/listing.ts";
import { A64_ROWS, type Row, X64_ROWS } from "./emit-table.ts";
import { listingSource, llvmAssemble, llvmEncodings } from "./support/llvm.ts";

function emitRow<A extends X64Assembler | A64Assembler>(make: () => A, row: Row<A>) {
  const asm = make();
  row.emit(asm);
  return asm.finish();
}

const tables: { arch: Arch; rows: readonly Row<never>[]; make: () => X64Assembler | A64Assembler }[] = [
  { arch: "x64", rows: X64_ROWS as readonly Row<never>[], make: () => new X64Assembler() },
  { arch: "arm64", rows: A64_ROWS as readonly Row<never>[], make: () => new A64Assembler() },
];

for (const { arch, rows, make } of tables) {
  describe(`${arch} emitter`, () => {
    test.each(rows.map((r) => [r.asm.replaceAll("\n", "; "), r] as const))("%s", (_name, row) => {
      const code = emitRow(make, row as Row<X64Assembler | A64Assembler>);
      expect(hexBytes(code.bytes)).toBe(row.hex);
      // The listing text is exactly the row's assembly: what llvm-mc checks below is what users see.
      expect(listingSource(code.listing)).toBe(row.asm);
    });

    test("llvm-mc encodes every row's assembly to the row's bytes", () => {
      const plain = rows.filter((r) => !r.asm.includes("\n"));
      const encodings = llvmEncodings(arch, plain.map((r) => r.asm));
      expect(encodings).toEqual(plain.map((r) => r.hex));
      for (const row of rows.filter((r) => r.asm.includes("\n"))) {
        expect([row.asm, hexBytes(llvmAssemble(arch, row.asm))]).toEqual([row.asm, row.hex]);
      }
    });
  });
}

/**
 * The forms each assembler class exports: the methods on its prototype, less the buffer's own (labels,
 * notes, finish) and the helpers emit.ts declares private or protected. Derived from the module, so a
 * form added without rows fails below.
 */
function formsOf(cls: typeof X64Assembler | typeof A64Assembler): string[] {
  const source = readFileSync(join(import.meta.dir, "..", "src", "emit.ts"), "utf8");
  const hidden = new Set([...source.matchAll(/^\s*(?:private|protected)\s+(?:abstract\s+)?(?:get\s+)?(\w+)/gm)].map((m) => m[1]));
  const buffer = new Set(Object.getOwnPropertyNames(Object.getPrototypeOf(cls.prototype)));
  return Object.getOwnPropertyNames(cls.prototype).filter((name) => name !== "constructor" && !hidden.has(name) && !buffer.has(name)).sort();
}

/** The forms the rows call themselves (not those a form calls in turn, as movImm32 calls movzRI). */
function formsCalledByRows(cls: typeof X64Assembler | typeof A64Assembler, forms: readonly string[], rows: readonly Row<never>[], make: () => X64Assembler | A64Assembler): string[] {
  const proto = cls.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = new Map(forms.map((name) => [name, proto[name] as (...args: unknown[]) => unknown]));
  const called = new Set<string>();
  let depth = 0;
  try {
    for (const [name, original] of originals) {
      proto[name] = function (this: unknown, ...args: unknown[]) {
        if (depth === 0) called.add(name);
        depth++;
        try {
          return original.apply(this, args);
        } finally {
          depth--;
        }
      };
    }
    for (const row of rows) emitRow(make, row as Row<X64Assembler | A64Assembler>);
  } finally {
    for (const [name, original] of originals) proto[name] = original;
  }
  return [...called].sort();
}

describe("coverage: every instruction form has golden-hex rows, which llvm-mc reassembles", () => {
  const classes = [
    { arch: "x64", cls: X64Assembler, rows: X64_ROWS as readonly Row<never>[], make: () => new X64Assembler() },
    { arch: "arm64", cls: A64Assembler, rows: A64_ROWS as readonly Row<never>[], make: () => new A64Assembler() },
  ] as const;
  test.each(classes.map((c) => [c.arch, c] as const))("%s", (_arch, { cls, rows, make }) => {
    const forms = formsOf(cls);
    expect(forms.length).toBeGreaterThan(30);
    // Every row is checked against its hex and by llvm-mc (above): a form a row calls is in both tables.
    expect(forms.filter((f) => !formsCalledByRows(cls, forms, rows, make).includes(f))).toEqual([]);
  });
  test("the list is the module's: a public method added to a class is a form that needs rows", () => {
    const proto = X64Assembler.prototype as unknown as Record<string, unknown>;
    proto.fakeRR = function fakeRR() {};
    try {
      expect(formsOf(X64Assembler)).toContain("fakeRR");
      expect(formsCalledByRows(X64Assembler, formsOf(X64Assembler), X64_ROWS as readonly Row<never>[], () => new X64Assembler())).not.toContain("fakeRR");
    } finally {
      delete proto.fakeRR;
    }
    expect(formsOf(X64Assembler)).not.toContain("memInsn"); // helpers are not forms
    expect(formsOf(A64Assembler)).toContain("movImm32");
  });
});

test("every condition has its opposite, pairwise (flipping the code's lowest bit)", () => {
  expect(["e", "ne", "l", "ge", "le", "g", "b", "ae"].map((c) => invertX64(c as never))).toEqual(["ne", "e", "ge", "l", "g", "le", "ae", "b"]);
  expect(["eq", "ne", "lt", "ge", "le", "gt", "hs", "lo"].map((c) => invertA64(c as never))).toEqual(["ne", "eq", "ge", "lt", "gt", "le", "lo", "hs"]);
});

describe("field helpers refuse what does not fit", () => {
  const cases: [string, () => void, string][] = [
    ["imm32 too large", () => new X64Assembler().movRI(rax, 2 ** 31), "imm32 2147483648 does not fit in 32 signed bits"],
    ["imm32 fraction", () => new X64Assembler().movRI(eax, 1.5), "imm32 1.5 does not fit in 32 signed bits"],
    ["mixed widths", () => new X64Assembler().addRR(rax, eax), "operand widths differ: rax, eax"],
    ["wrong width", () => new X64Assembler().movRI(x64Gp(0, 8), 1), "mov destination must be a 32/64-bit x86-64 register, got al"],
    ["wrong width, memory destination", () => new X64Assembler().cmpRM(x64Gp(0, 8), x64Mem(rax)), "cmp operand must be a 32/64-bit x86-64 register, got al"],
    ["an arm64 register in x86 code", () => new X64Assembler().movMR(x64Mem(rax), a64Gp(0, 64) as never), "mov source must be a 8/32/64-bit x86-64 register, got x0"],
    ["a general register for an xmm one", () => new X64Assembler().cvttsd2siRF(rax, rax), "cvttsd2si source must be an xmm register, got rax"],
    ["a general register for a d one", () => new A64Assembler().fcvtzuRF(a64Gp(0, 64), a64Gp(1, 64)), "fcvtzu source must be a d register, got x1"],
    ["x86 register 16", () => x64Gp(16, 64), "x86-64 register number 16 is not 0..15"],
    ["x86 register -1", () => x64Gp(-1, 32), "x86-64 register number -1 is not 0..15"],
    ["x86 register 1.5", () => x64Gp(1.5, 8), "x86-64 register number 1.5 is not 0..15"],
    ["xmm register 16", () => xmm(16), "xmm register number 16 is not 0..15"],
    ["arm64 register 31", () => a64Gp(31, 32), "arm64 register number 31 is not 0..30"],
    ["arm64 register 2.5", () => a64Gp(2.5, 64), "arm64 register number 2.5 is not 0..30"],
    ["arm64 d register 32", () => a64D(32), "arm64 register number 32 is not 0..31"],
    ["imm16 too large", () => new A64Assembler().movzRI(a64Gp(9, 32), 0x10000), "movz imm16 65536 does not fit in 16 unsigned bits"],
    ["bad shift", () => new A64Assembler().movzRI(a64Gp(9, 32), 1, 32), "movz shift 32 is not a multiple of 16 below 32"],
    ["sp as data operand", () => new A64Assembler().addRRR(a64Gp(0, 64), sp, a64Gp(1, 64)), "add first operand cannot be sp"],
    ["zr as destination", () => new A64Assembler().addRRR(wzr, a64Gp(0, 32), a64Gp(1, 32)), "add destination cannot be wzr"],
    ["disp32", () => x64Mem(rax, 2 ** 31), "displacement 2147483648 does not fit in 32 signed bits"],
  ];
  test.each(cases)("%s", (_name, fn, message) => {
    expect(fn).toThrow(new JitError("E_RANGE", message));
    try {
      fn();
    } catch (error) {
      expect((error as JitError).code).toBe("E_RANGE");
    }
  });

  test("an unbound label is an internal error, not garbage bytes", () => {
    const a = new X64Assembler();
    a.jmp(a.newLabel());
    expect(() => a.finish()).toThrow("branch to .L0, which is never bound");
  });

  test("a label another assembler made is refused, not taken for offset 0", () => {
    const a = new X64Assembler();
    a.bind(a.newLabel());
    const b = new X64Assembler();
    let foreign = b.newLabel();
    for (let i = 0; i < 5; i++) foreign = b.newLabel();
    expect(() => a.jmp(foreign)).toThrow("label .L5 belongs to another assembler");
    expect(() => a.bind(foreign)).toThrow("label .L5 belongs to another assembler");
  });

  test("after an unbound-label error, binding the label lets finish() succeed", () => {
    const a = new X64Assembler();
    const l = a.newLabel();
    a.jmp(l);
    expect(() => a.finish()).toThrow("never bound");
    a.bind(l);
    a.ret();
    expect(Buffer.from(a.finish().bytes).toString("hex")).toBe("eb00c3");
    expect(() => a.finish()).toThrow("finish() called twice");
  });

  test("arm64 width errors name every operand given", () => {
    expect(() => new A64Assembler().addRRI(a64Gp(17, 32), sp, 1)).toThrow("operand widths differ: w17, sp");
    expect(() => new A64Assembler().maddRRRR(a64Gp(1, 64), a64Gp(2, 64), a64Gp(3, 64), a64Gp(4, 32))).toThrow("operand widths differ: x1, x2, x3, w4");
  });
});
