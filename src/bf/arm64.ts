/**
 * Brainfuck on arm64 (AAPCS64: Linux, macOS and Windows alike). Registers, all caller-saved, so nothing
 * is saved and no stack is used; x18 (the platform register: Windows keeps its TEB there) is never
 * touched:
 *   x0  the state block      x1  cell 0           x2  the pointer, as an address   x5  one past the last cell
 *   x6  next output byte     x7  output buffer end
 *   w3, w4, w9 cell values   x16 address scratch  w17 the site number on exit
 * A cell is a byte load or store at [x2 + offset]. A bounds check compares addresses with x1 and x5.
 */
import { a64AddImmediate, a64AddSubImmediate } from "../legalize.ts";
import { type A64Assembler, type A64Gp, type Label, a64Gp, wzr, x0, x1 } from "../emit.ts";
import type { Target } from "../platform.ts";
import { type BfBackend, type BfOptions, STATE } from "./codegen.ts";
import type { Term } from "./ir.ts";

const x = (n: number) => a64Gp(n, 64), w = (n: number) => a64Gp(n, 32);
const x2 = x(2), x5 = x(5), x6 = x(6), x7 = x(7), x16 = x(16), x17 = x(17);
const w0 = w(0), w3 = w(3), w4 = w(4), w9 = w(9), w16 = w(16), w17 = w(17);

export function arm64Backend(asm: A64Assembler, _target: Target, _options: BfOptions): BfBackend {
  /** rd = rn + value for any 32-bit value (add/sub #imm12 when it fits, else through w16). */
  const addConst = (rd: A64Gp, rn: A64Gp, value: number) => {
    if (a64AddSubImmediate(value)) a64AddImmediate(asm, true, rd, rn, value);
    else {
      asm.movImm32(w16, value);
      asm.sxtwRR(x16, w16);
      asm.addRRR(rd, rn, x16);
    }
  };
  /** Byte load/store of cell[at]: the unsigned-offset form, the unscaled one for small negative offsets, else via x16. */
  const cellAccess = (load: boolean, rt: A64Gp, at: number) => {
    if (at >= 0 && at <= 4095) (load ? asm.ldrbRM(rt, x2, at) : asm.strbRM(rt, x2, at));
    else if (at >= -256 && at < 0) (load ? asm.ldurbRM(rt, x2, at) : asm.sturbRM(rt, x2, at));
    else {
      addConst(x16, x2, at);
      load ? asm.ldrbRM(rt, x16) : asm.strbRM(rt, x16);
    }
  };
  const load = (rt: A64Gp, at: number) => cellAccess(true, rt, at);
  const store = (rt: A64Gp, at: number) => cellAccess(false, rt, at);
  /** b.lo/b.hs fail unless cells at+lo .. at+hi (relative to x2) lie in [x1, x5). */
  const inRange = (lo: number, hi: number, fail: Label, lower: boolean, upper: boolean) => {
    if (lower) {
      if (lo === 0) asm.cmpRR(x2, x1);
      else {
        addConst(x16, x2, lo);
        asm.cmpRR(x16, x1);
      }
      asm.bcond("lo", fail);
    }
    if (upper) {
      if (hi === 0) asm.cmpRR(x2, x5);
      else {
        addConst(x16, x2, hi);
        asm.cmpRR(x16, x5);
      }
      asm.bcond("hs", fail);
    }
  };

  return {
    asm,
    entry() {
      asm.comment("cell 0").ldrRM(x1, x0, STATE.tape);
      asm.comment("the pointer, as a cell index").ldrRM(x16, x0, STATE.pointer);
      asm.comment("... as an address").addRRR(x2, x1, x16);
      asm.ldrRM(x16, x0, STATE.tapeSize);
      asm.comment("one past the last cell").addRRR(x5, x1, x16);
      asm.comment("the next output byte").ldrRM(x6, x0, STATE.outNext);
      asm.comment("the output buffer's end").ldrRM(x7, x0, STATE.outEnd);
      asm.comment("start, or continue where the last call stopped").ldrRM(x16, x0, STATE.resume);
      asm.brR(x16);
    },
    exit() {
      asm.subRRR(x16, x2, x1);
      asm.comment("save the pointer as a cell index").strRM(x16, x0, STATE.pointer);
      asm.comment("save the output position").strRM(x6, x0, STATE.outNext);
      asm.movRR(w0, w17);
      asm.comment("return the site number in w0").ret();
    },
    stub(site, exit) {
      asm.movImm32(w17, site);
      asm.b(exit);
    },
    add(at, delta) {
      load(w3, at);
      asm.addRRI(w3, w3, delta); // strb keeps the low 8 bits: the cell wraps modulo 256
      store(w3, at);
    },
    set(at, value) {
      if (value === 0) store(wzr, at);
      else {
        asm.movzRI(w3, value);
        store(w3, at);
      }
    },
    move(delta) {
      addConst(x2, x2, delta);
    },
    output(at, full) {
      asm.comment("output buffer full?").cmpRR(x6, x7);
      asm.bcond("hs", full);
      load(w3, at);
      asm.strbRMpost(w3, x6, 1);
    },
    outputConstant(value, full) {
      asm.comment("output buffer full?").cmpRR(x6, x7);
      asm.bcond("hs", full);
      if (value === 0) asm.strbRMpost(wzr, x6, 1);
      else {
        asm.movzRI(w3, value);
        asm.strbRMpost(w3, x6, 1);
      }
    },
    input(at, empty) {
      asm.comment("the next input byte").ldrRM(x16, x0, STATE.inNext);
      asm.ldrRM(x17, x0, STATE.inEnd);
      asm.comment("input buffer empty?").cmpRR(x16, x17);
      asm.bcond("hs", empty);
      asm.ldrbRMpost(w3, x16, 1);
      store(w3, at);
      asm.strRM(x16, x0, STATE.inNext);
    },
    jumpIfZero(at, target) {
      load(w3, at);
      asm.cbzR(w3, target);
    },
    jumpIfNonZero(at, target) {
      load(w3, at);
      asm.cbnzR(w3, target);
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
      load(w3, at);
      asm.cbzR(w3, done);
      asm.bind(loop);
      addConst(x2, x2, step);
      if (!stopCells) inRange(at, at, fail, step < 0, step > 0);
      load(w3, at);
      asm.cbnzR(w3, loop);
      if (stopCells) inRange(at, at, fail, step < 0, step > 0); // a 0 of the tape, or a stop cell beyond it
      asm.bind(done);
    },
    mul(at, terms: readonly Term[], check, lo, hi, keep) {
      asm.comment("the loop cell: how many times the loop would run");
      load(w3, at);
      if (check !== undefined) inRange(at + lo, at + hi, check, lo < 0, hi > 0);
      for (const term of terms) {
        load(w4, at + term.at);
        if (term.factor === 1) asm.addRRR(w4, w4, w3);
        else if (term.factor === 255) asm.subRRR(w4, w4, w3);
        else {
          asm.movzRI(w9, term.factor);
          asm.maddRRRR(w4, w3, w9, w4);
        }
        store(w4, at + term.at);
      }
      if (keep !== true) store(wzr, at);
    },
  };
}
