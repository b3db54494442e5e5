#!/usr/bin/env bun
// Plain JavaScript on purpose: under Node (or any runtime without bun:ffi) this check must run
// before anything that runtime cannot load. No top-level await: `bun build --bytecode` emits CommonJS.
if (typeof Bun === "undefined") {
  const runtime = typeof process === "object" && process.release ? `${process.release.name} ${process.version}` : "this runtime";
  console.error(`babyjit: needs Bun (https://bun.sh), which has bun:ffi; it was started by ${runtime}. Try: bunx babyjit -4`);
  process.exit(69);
} else {
  // require, not import(): Bun's ES module loader adds milliseconds to start-up; require does not.
  require("../src/main.ts")
    .main(process.argv.slice(2))
    .then((code) => {
      process.exitCode = code;
    });
}
