#!/usr/bin/env bun
// The `babyjit` command. Plain JavaScript on purpose: under Node (or any runtime without bun:ffi) the
// check below must run before anything that runtime cannot load. No top-level await: `bun build
// --bytecode` emits CommonJS.
//
// This file is the bin of a git checkout, which runs the sources in src/. The compiled executable
// (`bun run build`) starts from src/standalone.ts instead. The packed package ships another
// bin/babyjit.js in its place, so that `bunx babyjit` starts one precompiled file: `prepack`
// (scripts/bundle-package.ts) writes the program there as a single bundle with its JavaScriptCore
// bytecode (bin/babyjit.js.jsc), with the same check for Bun; `postpack` puts this file back byte for
// byte. BABYJIT_DEBUG_LOADER=1 says on stderr which of them ran:
//
//   babyjit: loaded the sources                                        (a checkout: bun bin/babyjit.js)
//   babyjit: loaded the packed bin <path>; its bytecode made by ...    (an installed package)
if (typeof Bun === "undefined") {
  const runtime = typeof process === "object" && process.release ? `${process.release.name} ${process.version}` : "this runtime";
  console.error(`babyjit: needs Bun (https://bun.sh), which has bun:ffi; it was started by ${runtime}. Try: bunx babyjit -4`);
  process.exit(69);
} else {
  // `require`, not `import()`: Bun's ES module loader adds milliseconds to start-up. main.ts itself
  // loads the citty CLI only for a command that is not just integers.
  const { main, commandArgs } = require("../src/main.ts");
  if (process.env.BABYJIT_DEBUG_LOADER) console.error("babyjit: loaded the sources");
  main(commandArgs()).then((code) => {
    process.exitCode = code;
  });
}
