/**
 * Brainfuck on arm64 (AAPCS64: Linux, macOS and Windows alike). Registers, all caller-saved and taken
 * from the convention (abi.ts), so nothing is saved and no stack is used; the reserved x18 (Windows
 * keeps its TEB there) is never named:
 *   x0  the state block (the one argument); w0 the site number returned
 *   x1  cell 0           x2  the pointer, as an address   x5  one past the last cell
 *   x6  next output byte x7  output buffer end            w3, w4 cell values
 *     (x1-x7: argument registers the one parameter leaves free)
 *   w9  a multiply loop's factor (the first scratch register)
 *   x16 address scratch  w17 the site number on exit
 *     (IP0 and IP1, which a veneer may clobber across a call: this code makes none)
 * A cell is a byte load or store at [x2 + offset]. A bounds check compares addresses with x1 and x5.
 */
import { conventionOf } from "../abi.ts";
import { a64AddImmediate, a64AddSubImmediate } from "../legalize.ts";
import { type A64Assembler, type A64Gp, type Label, a64Gp, wzr } from "../emit.ts";
import type { Target } from "../platform.ts";
import { type BfBackend, type BfOptions, STATE } from "./codegen.ts";
import type { Term } from "./ir.ts";

const x = (n: number) => a64Gp(n, 64), w = (n: number) => a64Gp(n, 32);

export function arm64Backend(asm: A64Assembler, target: Target, _options: BfOptions): BfBackend {
  const c = conventionOf(target);
  const state = x(c.intArgs[0] as number); // the state block's address arrives here
  const free = (i: number) => c.intArgs[i] as number; // argument registers 1-7: the one parameter leaves them free
  const base = x(free(1)), ptr = x(free(2)), end = x(free(5)), outNext = x(free(6)), outLimit = x(free(7));
  const cell = w(free(3)), acc = w(free(4)), factor = w(c.scratch[0] as number); // multiply loops' operands
  const [ip0, ip1] = c.interProcedure as [number, number];
  const tmp = x(ip0), tmp32 = w(ip0); // addresses and constants
  const tmp2 = x(ip1), siteId = w(ip1); // the input buffer's end, briefly; the site number on exit
  const result = w(c.intResult);
  /** rd = rn + value for any 32-bit value (add/sub #imm12 when it fits, else through tmp32). */
  const addConst = (rd: A64Gp, rn: A64Gp, value: number) => {
    if (a64AddSubImmediate(value)) a64AddImmediate(asm, true, rd, rn, value);
    else {
      asm.movImm32(tmp32, value);
      asm.sxtwRR(tmp, tmp32);
      asm.addRRR(rd, rn, tmp);
    }
  };
  /** Byte load/store of cell[at]: the unsigned-offset form, the unscaled one for small negative offsets, else via tmp. */
  const cellAccess = (load: boolean, rt: A64Gp, at: number) => {
    if (at >= 0 && at <= 4095) (load ? asm.ldrbRM(rt, ptr, at) : asm.strbRM(rt, ptr, at));
    else if (at >= -256 && at < 0) (load ? asm.ldurbRM(rt, ptr, at) : asm.sturbRM(rt, ptr, at));
    else {
      addConst(tmp, ptr, at);
      load ? asm.ldrbRM(rt, tmp) : asm.strbRM(rt, tmp);
    }
  };
  const load = (rt: A64Gp, at: number) => cellAccess(true, rt, at);
  const store = (rt: A64Gp, at: number) => cellAccess(false, rt, at);
  /** b.lo/b.hs fail unless cells at+lo .. at+hi (relative to ptr) lie in [base, end). */
  const inRange = (lo: number, hi: number, fail: Label, lower: boolean, upper: boolean) => {
    if (lower) {
      if (lo === 0) asm.cmpRR(ptr, base);
      else {
        addConst(tmp, ptr, lo);
        asm.cmpRR(tmp, base);
      }
      asm.bcond("lo", fail);
    }
    if (upper) {
      if (hi === 0) asm.cmpRR(ptr, end);
      else {
        addConst(tmp, ptr, hi);
        asm.cmpRR(tmp, end);
      }
      asm.bcond("hs", fail);
    }
  };

  return {
    asm,
    entry() {
      asm.comment("cell 0").ldrRM(base, state, STATE.tape);
      asm.comment("the pointer, as a cell index").ldrRM(tmp, state, STATE.pointer);
      asm.comment("... as an address").addRRR(ptr, base, tmp);
      asm.ldrRM(tmp, state, STATE.tapeSize);
      asm.comment("one past the last cell").addRRR(end, base, tmp);
      asm.comment("the next output byte").ldrRM(outNext, state, STATE.outNext);
      asm.comment("the output buffer's end").ldrRM(outLimit, state, STATE.outEnd);
      asm.comment("start, or continue where the last call stopped").ldrRM(tmp, state, STATE.resume);
      asm.brR(tmp);
    },
    exit() {
      asm.subRRR(tmp, ptr, base);
      asm.comment("save the pointer as a cell index").strRM(tmp, state, STATE.pointer);
      asm.comment("save the output position").strRM(outNext, state, STATE.outNext);
      asm.movRR(result, siteId);
      asm.comment(`return the site number in ${result.name}`).ret();
    },
    stub(site, exit) {
      asm.movImm32(siteId, site);
      asm.b(exit);
    },
    add(at, delta) {
      load(cell, at);
      asm.addRRI(cell, cell, delta); // strb keeps the low 8 bits: the cell wraps modulo 256
      store(cell, at);
    },
    set(at, value) {
      if (value === 0) store(wzr, at);
      else {
        asm.movzRI(cell, value);
        store(cell, at);
      }
    },
    move(delta) {
      addConst(ptr, ptr, delta);
    },
    output(at, full) {
      asm.comment("output buffer full?").cmpRR(outNext, outLimit);
      asm.bcond("hs", full);
      load(cell, at);
      asm.strbRMpost(cell, outNext, 1);
    },
    outputConstant(value, full) {
      asm.comment("output buffer full?").cmpRR(outNext, outLimit);
      asm.bcond("hs", full);
      if (value === 0) asm.strbRMpost(wzr, outNext, 1);
      else {
        asm.movzRI(cell, value);
        asm.strbRMpost(cell, outNext, 1);
      }
    },
    input(at, empty) {
      asm.comment("the next input byte").ldrRM(tmp, state, STATE.inNext);
      asm.ldrRM(tmp2, state, STATE.inEnd);
      asm.comment("input buffer empty?").cmpRR(tmp, tmp2);
      asm.bcond("hs", empty);
      asm.ldrbRMpost(cell, tmp, 1);
      store(cell, at);
      asm.strRM(tmp, state, STATE.inNext);
    },
    jumpIfZero(at, target) {
      load(cell, at);
      asm.cbzR(cell, target);
    },
    jumpIfNonZero(at, target) {
      load(cell, at);
      asm.cbnzR(cell, target);
    },
    jump(target) {
      asm.b(target);
    },
    check(at, lo, hi, fail) {
      inRange(at + lo, at + hi, fail, lo < 0, hi > 0);
    },
    scan(at, step, fail, stopCells) {
      const loop = asm.newLabel();
      const done = asm.newLabel();
      load(cell, at);
      asm.cbzR(cell, done);
      asm.bind(loop);
      addConst(ptr, ptr, step);
      if (!stopCells) inRange(at, at, fail, step < 0, step > 0);
      load(cell, at);
      asm.cbnzR(cell, loop);
      if (stopCells) inRange(at, at, fail, step < 0, step > 0); // a 0 of the tape, or a stop cell beyond it
      asm.bind(done);
    },
    mul(at, terms: readonly Term[], check, lo, hi, keep) {
      asm.comment("the loop cell: how many times the loop would run");
      load(cell, at);
      if (check !== undefined) inRange(at + lo, at + hi, check, lo < 0, hi > 0);
      for (const term of terms) {
        load(acc, at + term.at);
        if (term.factor === 1) asm.addRRR(acc, acc, cell);
        else if (term.factor === 255) asm.subRRR(acc, acc, cell);
        else {
          asm.movzRI(factor, term.factor);
          asm.maddRRRR(acc, cell, factor, acc);
        }
        store(acc, at + term.at);
      }
      if (keep !== true) store(wzr, at);
    },
  };
}
