/**
 * The call trampoline: a two-to-ten-byte native stub that turns one bun:ffi CFunction into a way to call
 * any JIT'd function.
 *
 * Making a CFunction costs microseconds (it compiles a JavaScript-to-C stub), more than the system calls
 * that install a function. So babyjit makes one CFunction per arity, around this stub, and passes the
 * target address as an extra argument placed *after* the real ones. The real arguments are then already
 * in the registers the JIT'd function expects, and the stub only jumps to the address (a tail call: the
 * JIT'd function returns straight to bun:ffi).
 */
import { type Assembler, type Code, type X64Gp, a64Gp, newAssembler, r8, r9, rcx, rdi, rdx, rsi } from "./emit.ts";
import { JitError } from "./errors.ts";
import type { Target } from "./platform.ts";

/** Integer argument registers in order, per calling convention (x86-64 ones as 64-bit registers). */
const X64_ARGS: Record<"sysv" | "win64", readonly X64Gp[]> = {
  sysv: [rdi, rsi, rdx, rcx, r8, r9],
  win64: [rcx, rdx, r8, r9],
};

/** The most parameters a JIT'd function may take: every one, plus the trampoline's address, in registers or (Win64) the first stack slot. */
export const MAX_ARITY = 4;

export function emitTrampoline(target: Target, arity: number): Code {
  if (!Number.isInteger(arity) || arity < 0 || arity > MAX_ARITY) {
    throw new JitError("E_RANGE", `a JIT'd function takes 0..${MAX_ARITY} arguments, not ${arity}`);
  }
  const asm: Assembler = newAssembler(target.arch);
  if (asm.arch === "arm64") {
    asm.comment(`x${arity} holds the JIT'd function's address`).br(a64Gp(arity, 64));
  } else if (target.abi === "aapcs64") {
    throw new JitError("E_TARGET", "the aapcs64 calling convention is for arm64 code");
  } else {
    const register = X64_ARGS[target.abi][arity];
    if (register !== undefined) asm.comment(`${register.name} holds the JIT'd function's address`).jmpR(register);
    // Win64: the fifth argument lives above the return address and the 32-byte shadow space.
    else asm.comment("the fifth argument (the address) is on the stack").jmpMRsp(40);
  }
  return asm.finish();
}
