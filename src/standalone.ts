/**
 * The compiled executable's entry (`bun run build`, `bun run build:all`). bin/babyjit.js is the entry
 * of a checkout; this one skips what only that needs: the executable carries its own Bun, so there is
 * no runtime to check for, and it runs only what is built into it, so there is no loader to report.
 *
 * The build splits the program into chunks (`--format=esm --splitting`), and a module loaded with
 * `require()` only when needed (the citty CLI, expressions, Brainfuck, listings, --trace) becomes a
 * chunk that `babyjit <integers...>` never reads. This file imports main.ts statically, so everything
 * the common case runs starts with the entry, without one more chunk to resolve and load. Measured on
 * the compiled `babyjit 2` against bench/minimal-jit.js built the same way (300 paired runs, fresh
 * binaries): 1.25x as one CommonJS bundle, 1.19x split with bin/babyjit.js as the entry, 1.14x from
 * this entry.
 */
import { main } from "./main.ts";

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
