/**
 * Register descriptions for testing the allocator without a back end: shaped like x86-64 System V
 * and AAPCS64 (the back ends give their own), and tiny ones that force spills and caller-saved saves.
 */
import type { RegisterDescription } from "../../src/fn/ir.ts";

const X64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
const A64 = Array.from({ length: 31 }, (_, i) => `x${i}`);
const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

export const TEST_REGISTERS: Readonly<Record<string, RegisterDescription>> = {
  sysv: {
    allocatable: [7, 6, 2, 1, 8, 9, 3, 12, 13, 14, 15],
    callerSaved: [7, 6, 2, 1, 8, 9],
    calleeSaved: [3, 12, 13, 14, 15],
    args: [7, 6, 2, 1, 8, 9],
    result: 0,
    scratch: [0, 10, 11],
    names: X64,
  },
  aapcs64: {
    allocatable: [...range(0, 15), ...range(19, 28)],
    callerSaved: range(0, 15),
    calleeSaved: range(19, 28),
    args: range(0, 7),
    result: 0,
    scratch: [16, 17],
    names: A64,
  },
  /** Three registers, one callee-saved: most values spill. */
  tiny: { allocatable: [1, 2, 3], callerSaved: [1, 2], calleeSaved: [3], args: [1, 2], result: 1, scratch: [0], names: ["t0", "r1", "r2", "r3"] },
  /** No callee-saved registers: every value that lives across a call is saved around it. */
  volatile: { allocatable: [1, 2, 3, 4], callerSaved: [1, 2, 3, 4], calleeSaved: [], args: [1, 2, 3], result: 1, scratch: [0], names: ["t0", "r1", "r2", "r3", "r4"] },
};
