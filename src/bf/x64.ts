/**
 * Brainfuck on x86-64 (System V and Win64 alike). Registers, all caller-saved in both conventions, so
 * nothing is saved or restored and no stack is used:
 *   r8  the state block        r9  cell 0 (the tape's base)   r10 the pointer, a cell index
 *   r11 the next output byte   eax, ecx scratch
 * A cell is [r9 + r10 + offset]. A bounds check is one unsigned compare: cells p+lo .. p+hi are on a
 * tape of n cells exactly when (p + lo) mod 2^32 < n - (hi - lo), a constant (n <= 2^30 and every
 * offset is far below 2^31, so the low 32 bits of p + lo decide).
 */
import { conventionOf } from "../abi.ts";
import { type Label, type X64Assembler, type X64Gp, type X64Mem, eax, ecx, rax, x64Gp, x64Mem } from "../emit.ts";
import type { Target } from "../platform.ts";
import { type BfBackend, type BfOptions, STATE } from "./codegen.ts";
import type { Term } from "./ir.ts";

const r8 = x64Gp(8, 64), r9 = x64Gp(9, 64), r10 = x64Gp(10, 64), r10d = x64Gp(10, 32), r11 = x64Gp(11, 64);
const al = x64Gp(0, 8), cl = x64Gp(1, 8);
/** Offsets within this distance of the pointer get operands made once and reused. */
const NEAR = 1024;

/**
 * Operands are plain values, the same for every program, so they are made once per process, when the
 * first program is compiled: the cells near the pointer (most ops address the same few hundred
 * offsets), the state block's fields, and the `lea` operands of checks. Dense arrays, filled up front:
 * an array written first at a high index is a slow sparse one.
 */
let operands: { near: (X64Mem | undefined)[]; fields: (X64Mem | undefined)[]; nearChecks: (X64Mem | undefined)[] } | undefined;

export function x64Backend(asm: X64Assembler, target: Target, options: BfOptions): BfBackend {
  const { near, fields, nearChecks } = (operands ??= {
    near: new Array(2 * NEAR).fill(undefined),
    fields: new Array(STATE.bytes >> 3).fill(undefined),
    nearChecks: new Array(2 * NEAR).fill(undefined),
  });
  const cell = (at: number): X64Mem => {
    if (at < -NEAR || at >= NEAR) return x64Mem(r9, at, r10);
    return (near[at + NEAR] ??= x64Mem(r9, at, r10));
  };
  const field = (offset: number): X64Mem => (fields[offset >> 3] ??= x64Mem(r8, offset));
  const size = options.tape;
  const stateArg = x64Gp(conventionOf(target).intArgs[0] as number, 64); // the state block's address arrives here
  const checkOperand = (first: number): X64Mem => {
    if (first < -NEAR || first >= NEAR) return x64Mem(r10, first);
    return (nearChecks[first + NEAR] ??= x64Mem(r10, first));
  };

  /** jae fail unless (r10 + first) mod 2^32 < limit. */
  const inRange = (first: number, limit: number, fail: Label, index: X64Gp = eax) => {
    if (limit <= 0) {
      asm.jmp(fail); // more cells than the tape has: fails whenever it runs
      return;
    }
    if (first === 0) asm.cmpRI(r10d, limit);
    else {
      asm.leaRM(index, checkOperand(first));
      asm.cmpRI(index, limit);
    }
    asm.jcc("ae", fail);
  };

  return {
    asm,
    entry() {
      asm.comment(`the state block (argument 1, ${stateArg.name})`).movRR(r8, stateArg);
      asm.comment("cell 0").movRM(r9, field(STATE.tape));
      asm.comment("the pointer (a cell index)").movRM(r10, field(STATE.pointer));
      asm.comment("the next output byte").movRM(r11, field(STATE.outNext));
      asm.comment("start, or continue where the last call stopped").movRM(rax, field(STATE.resume));
      asm.jmpR(rax);
    },
    exit() {
      asm.comment("save the pointer").movMR(field(STATE.pointer), r10);
      asm.comment("save the output position").movMR(field(STATE.outNext), r11);
      asm.comment("return the site number in eax").ret();
    },
    stub(site, exit) {
      asm.movRI(eax, site);
      asm.jmp(exit);
    },
    add(at, delta) {
      asm.addMI8(cell(at), delta);
    },
    set(at, value) {
      asm.movMI8(cell(at), value);
    },
    move(delta) {
      // 64-bit: with moves deferred, the register may stand left of cell 0 while p + offset is on the tape.
      asm.addRI(r10, delta);
    },
    output(at, full) {
      asm.comment("output buffer full?").cmpRM(r11, field(STATE.outEnd));
      asm.jcc("ae", full);
      asm.movzxRM8(eax, cell(at));
      asm.movMR(x64Mem(r11), al);
      asm.incR(r11);
    },
    outputConstant(value, full) {
      asm.comment("output buffer full?").cmpRM(r11, field(STATE.outEnd));
      asm.jcc("ae", full);
      asm.movMI8(x64Mem(r11), value);
      asm.incR(r11);
    },
    input(at, empty) {
      asm.comment("the next input byte").movRM(rax, field(STATE.inNext));
      asm.comment("input buffer empty?").cmpRM(rax, field(STATE.inEnd));
      asm.jcc("ae", empty);
      asm.movzxRM8(ecx, x64Mem(rax));
      asm.movMR(cell(at), cl);
      asm.incR(rax);
      asm.movMR(field(STATE.inNext), rax);
    },
    jumpIfZero(at, target) {
      asm.cmpMI8(cell(at), 0);
      asm.jcc("e", target);
    },
    jumpIfNonZero(at, target) {
      asm.cmpMI8(cell(at), 0);
      asm.jcc("ne", target);
    },
    jump(target) {
      asm.jmp(target);
    },
    check(at, lo, hi, fail) {
      inRange(at + lo, size - (hi - lo), fail);
    },
    scan(at, step, fail, stopCells) {
      const loop = asm.newLabel();
      const done = asm.newLabel();
      asm.cmpMI8(cell(at), 0);
      asm.jcc("e", done);
      asm.bind(loop);
      asm.addRI(r10, step);
      if (!stopCells) inRange(at, size, fail);
      asm.cmpMI8(cell(at), 0);
      asm.jcc("ne", loop);
      if (stopCells) inRange(at, size, fail); // stopped on a 0 of the tape, or on a stop cell beyond it
      asm.bind(done);
    },
    mul(at, terms: readonly Term[], check, lo, hi, keep) {
      asm.comment("the loop cell: how many times the loop would run").movzxRM8(eax, cell(at));
      if (check !== undefined) inRange(at + lo, size - (hi - lo), check, ecx);
      for (const term of terms) {
        if (term.factor === 1) asm.addMR(cell(at + term.at), al);
        else if (term.factor === 255) asm.subMR(cell(at + term.at), al);
        else {
          asm.imulRRI(ecx, eax, term.factor > 127 ? term.factor - 256 : term.factor);
          asm.addMR(cell(at + term.at), cl);
        }
      }
      if (keep !== true) asm.movMI8(cell(at), 0);
    },
  };
}
