#!/usr/bin/env bun
// Plain JavaScript on purpose: under Node (or any runtime without bun:ffi) this check must run
// before anything that runtime cannot load. No top-level await: `bun build --bytecode` emits CommonJS.
if (typeof Bun === "undefined") {
  const runtime = typeof process === "object" && process.release ? `${process.release.name} ${process.version}` : "this runtime";
  console.error(`babyjit: needs Bun (https://bun.sh), which has bun:ffi; it was started by ${runtime}. Try: bunx babyjit -4`);
  process.exit(69);
} else {
  // The installed package carries bundles of src/ with JavaScriptCore bytecode, made when it was
  // packed (scripts/bundle-package.ts): precompiled files instead of a dozen TypeScript modules to
  // transpile and parse. run.js holds what `babyjit <integers...>` runs, main.js the whole program.
  // Bytecode only suits the JavaScriptCore that made it, so the bundles sit in a directory named after
  // their Bun, and any other Bun (or a git checkout, which has no bundle) runs the sources. `require`,
  // not `import()`: Bun's ES module loader adds milliseconds to start-up; and no node:fs to look first
  // (loading it costs more than babyjit's whole start-up).
  // BABYJIT_DEBUG_LOADER=1 says on stderr which path ran, and why.
  const all = process.argv;
  const argv = all.slice(2);
  const stamp = `bun-${Bun.revision}`; // the build of Bun, by its git revision
  const bundles = `${__dirname}/../dist/bundle/${stamp}`;
  let program;
  let loaded;
  // In a standalone executable (bun build --compile) the sources are built in, and the entry lives in
  // Bun's embedded file system (__dirname there is the directory the executable was built from).
  // process.argv[1] says so as well as Bun.main does, and costs nothing more: Bun.main measured 50 µs.
  const entry = all[1] ?? "";
  if (entry.startsWith("/$bunfs/") || entry.startsWith("B:\\~BUN\\")) {
    loaded = "the sources built into this executable";
  } else {
    try {
      program = require(`${bundles}/run.js`);
      let common = argv.length > 0;
      for (let i = 0; i < argv.length; i++) common &&= program.isDecimal(argv[i]); // main's own test
      if (!common) program = require(`${bundles}/main.js`);
      loaded = `the bundle ${bundles}/${common ? "run.js" : "main.js"}`;
    } catch (error) {
      // Only the bundle's own absence sends us to the sources; an error inside it is a real error.
      if (error?.code !== "MODULE_NOT_FOUND" || !String(error.message).includes(stamp)) throw error;
      loaded = "the sources (no bundle made by this Bun)";
    }
  }
  program ??= require("../src/main.ts");
  if (process.env.BABYJIT_DEBUG_LOADER) console.error(`babyjit: loaded ${loaded}`);
  program.main(argv).then((code) => {
    process.exitCode = code;
  });
}
