/**
 * The one Win64-on-System-V shim: Win64 code run natively on an x86-64 System V host, so its
 * differential tests run here, not only under Wine.
 *
 *   const runnable = win64OnSysv(code);        // a Code whose bytes start with the shim
 *   runnable.labelOffset(l) === code.labelOffset(l) + WIN64_SHIM_BYTES
 *
 * The shim calls the code as a Win64 caller would: it reserves the 32-byte shadow space and a fifth
 * argument's slot (keeping the stack 16-byte aligned), stores r8 there (System V's fifth integer
 * argument: the status block's address of four-parameter expression code that may divide by zero,
 * which Win64 passes on the stack), moves the first four integer arguments from System V's rdi, rsi,
 * rdx, rcx to Win64's rcx, rdx, r8, r9 (the fourth first, so nothing is overwritten before it is
 * read), calls the code placed right after it, and returns its result. It clobbers only caller-saved
 * registers. Enough for code that makes no calls of its own (expressions, Brainfuck): Win64's
 * callee-saved rsi/rdi are then no concern of the caller's. The listing stays the code's own.
 */
import { type Code, X64Assembler, r8, r9, rcx, rdi, rdx, rsi, rsp, x64Mem } from "../../src/emit.ts";

function shimBytes(): Uint8Array {
  const shim = new X64Assembler(false);
  shim.movMR(x64Mem(rsp, 32), r8); // the callee's [rsp + 40] once the call has pushed its return address
  shim.movRR(r9, rcx);
  shim.movRR(r8, rdx);
  shim.movRR(rdx, rsi);
  shim.movRR(rcx, rdi);
  const moves = shim.finish().bytes;
  // sub rsp, 56; the moves; call rel32 over the epilogue to the code right after it; add rsp, 56; ret.
  return new Uint8Array([0x48, 0x83, 0xec, 56, ...moves, 0xe8, 5, 0, 0, 0, 0x48, 0x83, 0xc4, 56, 0xc3]);
}

const SHIM = shimBytes();

/** How far the shim moves every offset in the code. */
export const WIN64_SHIM_BYTES = SHIM.length;

export function win64OnSysv(code: Code): Code {
  if (code.arch !== "x64") throw new Error(`the Win64 shim runs x86-64 code, not ${code.arch}`);
  const bytes = new Uint8Array(SHIM.length + code.bytes.length);
  bytes.set(SHIM);
  bytes.set(code.bytes, SHIM.length);
  return {
    arch: "x64",
    bytes,
    get listing() {
      return code.listing;
    },
    labelOffset: (label) => SHIM.length + code.labelOffset(label),
  };
}
