/** The article's function: add a constant to the first argument and return it. */
import { type Code, a64Gp, newAssembler, rax, rcx, rdi } from "./emit.ts";
import type { Target } from "./platform.ts";

/**
 * x86-64 (the article's 11 bytes; the argument register depends on the calling convention):
 *   mov rax, imm32   ; 48 c7 c0 <imm32>
 *   add rax, rdi     ; 48 01 f8 (Win64: add rax, rcx = 48 01 c8)
 *   ret              ; c3
 * arm64: the shortest movz/movn(+movk) into w9, then add w0, w0, w9 and ret.
 * The sum is computed in 64 (x86) or 32 (arm64) bits and read back as int32 in both cases.
 */
export function emitAdder(target: Target, term: number): Code {
  const asm = newAssembler(target.arch);
  if (asm.arch === "x64") {
    const arg = target.abi === "win64" ? rcx : rdi;
    asm.comment(`rax = ${term}, the term (rax holds the result)`).movRI64(rax, term);
    asm.comment(`${arg.name} holds the argument x (${target.abi === "win64" ? "Win64" : "System V"} ABI)`).addRR(rax, arg);
    asm.comment("return rax (read as int32 by the caller)").ret();
  } else {
    const scratch = a64Gp(9, 32);
    asm.comment(`w9 = ${term}, the term`).movImm32(scratch, term);
    asm.comment("w0 holds the argument x and, on return, the result").addRR(a64Gp(0, 32), a64Gp(0, 32), scratch);
    asm.comment("return to the address in x30").ret();
  }
  return asm.finish();
}
