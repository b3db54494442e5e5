/**
 * Code copied from a fixed template, with its operands patched in: how the article writes its adder
 * (the term into bytes 3..6 of an 11-byte template), and how copy-and-patch JITs work. The x86-64
 * adder and every call trampoline are made this way; the assembler (emit.ts) makes the same bytes,
 * which test/platform.test.ts checks for every target, arity and a spread of terms.
 *
 * Why: the assembler (emit.ts) is babyjit's largest module, and JavaScriptCore would decode and run it
 * for the first time on every start-up. Evaluating emit.ts and encoding the adder and one trampoline measured about 0.35 ms
 * of the compiled `babyjit 2` (5.5 ms); without them it went from 1.28-1.29x the compiled
 * bench/minimal-jit.js to 1.19x (fresh builds of both, 300 paired runs three times; page faults 1,031
 * -> 972, minimal-jit 820). So the assembler is loaded only when someone reads a listing.
 */
import type { Arch, Code, Label } from "./emit.ts";

/** Code of fixed bytes; its listing (and label offsets) come from `assemble`, run when first read. */
export function templateCode(arch: Arch, bytes: Uint8Array, assemble: () => Code): Code {
  let assembled: Code | undefined;
  const full = (): Code => (assembled ??= assemble());
  return {
    arch,
    bytes,
    get listing() {
      return full().listing;
    },
    labelOffset: (label: Label) => full().labelOffset(label),
  };
}

/** The emitter, loaded on first use (a chunk of its own in the compiled executable). */
export function emitter(): typeof import("./emit.ts") {
  return require("./emit.ts") as typeof import("./emit.ts");
}
