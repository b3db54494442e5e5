/**
 * Print the IR babyjit makes of a module (chapter 4), before register allocation and after it.
 *
 *   bun docs/examples/fn-ir.ts docs/examples/fib.ts             every function, before allocation
 *   bun docs/examples/fn-ir.ts docs/examples/fib.ts fib sysv    one function, allocated for x86-64 System V
 *                                                               (targets: sysv, win64, aapcs64)
 */
import { readFileSync } from "node:fs";
import { registersFor } from "../../src/fn/compile.ts";
import { compileFront } from "../../src/fn/lower.ts";
import { printFunction } from "../../src/fn/print.ts";
import { allocate } from "../../src/fn/regalloc.ts";
import type { Target } from "../../src/platform.ts";

const [file = "", name, abi] = process.argv.slice(2);
const mod = compileFront(readFileSync(file, "utf8"), file.split("/").pop());
const targets: Record<string, Target> = {
  sysv: { arch: "x64", abi: "sysv" },
  win64: { arch: "x64", abi: "win64" },
  aapcs64: { arch: "arm64", abi: "aapcs64" },
};
for (const f of mod.functions) {
  if (name !== undefined && f.name !== name) continue;
  if (abi === undefined) {
    console.log(printFunction(f, mod));
    continue;
  }
  const target = targets[abi];
  if (target === undefined) throw new Error(`unknown target '${abi}' (sysv, win64, aapcs64)`);
  const regs = registersFor(target);
  console.log(printFunction(f, mod, allocate(f, regs), regs));
}
