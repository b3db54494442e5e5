/**
 * The call trampoline: a tiny native stub that turns one bun:ffi CFunction into a way to call any
 * JIT'd function.
 *
 * Making a CFunction costs microseconds (it compiles a JavaScript-to-C stub), more than the system calls
 * that install a function. So babyjit makes one CFunction per arity, around this stub, and passes the
 * target address as an extra argument placed *after* the real ones. The real arguments are then already
 * in the registers the JIT'd function expects, and the stub only converts the address and jumps (a tail
 * call: the JIT'd function returns straight to bun:ffi).
 *
 * The address travels as a double (exact: user-space addresses are below 2^53). A double is the cheapest
 * value bun:ffi passes (measured: as cheap as a call without it; a pointer argument costs a quarter of a
 * nanosecond more), and it arrives in a floating-point register that no integer argument uses.
 */
import { type Assembler, type Code, a64D, a64Gp, newAssembler, rax, xmm } from "./emit.ts";
import { JitError } from "./errors.ts";
import type { Target } from "./platform.ts";

/** The most parameters a JIT'd function may take: every one, plus the address, in registers or (Win64) the first stack slot. */
export const MAX_ARITY = 4;

export function emitTrampoline(target: Target, arity: number): Code {
  if (!Number.isInteger(arity) || arity < 0 || arity > MAX_ARITY) {
    throw new JitError("E_RANGE", `a JIT'd function takes 0..${MAX_ARITY} arguments, not ${arity}`);
  }
  const asm: Assembler = newAssembler(target.arch);
  if (asm.arch === "arm64") {
    // AAPCS64 counts floating-point arguments apart from integer ones: the address is always in d0.
    // x16 is the intra-procedure-call scratch register, there for veneers like this one.
    const x16 = a64Gp(16, 64);
    asm.comment("d0 holds the JIT'd function's address, as a double").fcvtzuXD(x16, a64D(0));
    asm.br(x16);
  } else if (target.abi === "aapcs64") {
    throw new JitError("E_TARGET", "the aapcs64 calling convention is for arm64 code");
  } else {
    if (target.abi === "sysv") {
      // System V also counts floating-point arguments apart: the address is always in xmm0.
      asm.comment("xmm0 holds the JIT'd function's address, as a double").cvttsd2siRX(rax, xmm(0));
    } else if (arity < 4) {
      // Win64 numbers arguments by position: argument `arity` (0-based) is in xmm<arity>.
      asm.comment(`xmm${arity} holds the JIT'd function's address, as a double`).cvttsd2siRX(rax, xmm(arity));
    } else {
      // Win64's fifth argument lives above the return address and the 32-byte shadow space.
      asm.comment("the fifth argument (the address, a double) is on the stack").cvttsd2siRMRsp(rax, 40);
    }
    asm.jmpR(rax);
  }
  return asm.finish();
}
