/**
 * `prepack` (npm pack, npm publish): the installed package's bin/babyjit.js is itself the program,
 * bundled into one minified CommonJS file with JavaScriptCore bytecode beside it (what
 * `bun build --target=bun --format=cjs --bytecode --minify` makes). `bunx babyjit` then loads one
 * precompiled file, instead of a loader that requires a bundle (two modules and a path to work out) or a
 * dozen TypeScript modules to transpile and parse:
 *
 * - bin/babyjit.js (+ .jsc): what `babyjit <integers...>`, the common case, runs: src/main.ts without
 *   the modules only other commands load (the citty CLI, expressions, Brainfuck, listings, --trace).
 *   Bytecode costs start-up in proportion to its size (measured: about 0.4 ms less for this part than
 *   for the whole program). Any other command makes it require the second bundle:
 * - dist/bundle/main.js (+ .jsc): the whole program.
 *
 * Bytecode suits only the JavaScriptCore that made it. Bun checks: a .jsc that its JavaScriptCore
 * cannot take (another bytecode-cache version, or a source that is not byte for byte the one it was made
 * from) is ignored, and the JavaScript beside it is parsed instead: slower, same program. So there is
 * nothing for the bin to choose; it stamps the Bun that made it, for BABYJIT_DEBUG_LOADER=1 to report.
 *
 * Under Node the bundle's CommonJS wrapper is an unused function expression, so the check that Bun is
 * needed goes after it (the build's `footer`), as a declaration: Bun takes the wrapper from the file's
 * completion value, which a declaration leaves alone, and `var {}` binds no name.
 *
 *   bun scripts/bundle-package.ts            # prepack: writes the packed bin over bin/babyjit.js
 *   bun scripts/bundle-package.ts --remove   # postpack: puts the source bin back, byte for byte
 *
 * The source bin waits in dist/bin-source.js (not packed) meanwhile. A checkout never keeps the bundle:
 * `bun bin/babyjit.js` there must run the sources it has.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const SRC = join(ROOT, "src");
const BIN = join(ROOT, "bin", "babyjit.js");
const BUNDLE = join(ROOT, "dist", "bundle");
/** The source bin while the packed one stands in its place. Outside package.json's `files`. */
const SAVED = join(ROOT, "dist", "bin-source.js");
/** The first line of the packed bin after its shebang: what a bundle with bytecode starts with. */
const PRAGMA = "// @bun @bytecode @bun-cjs";

const isPacked = () => existsSync(BIN) && readFileSync(BIN, "utf8").split("\n", 2)[1] === PRAGMA;

/**
 * Put the source bin back (if the packed one stands in its place) and remove what prepack made. A saved
 * copy beside a source bin is stale (an interrupted pack, then a checkout): it is dropped, never restored.
 */
function restore(): void {
  if (existsSync(SAVED) && isPacked()) renameSync(SAVED, BIN);
  rmSync(SAVED, { force: true });
  rmSync(`${BIN}.jsc`, { force: true });
  rmSync(BUNDLE, { recursive: true, force: true });
}

restore(); // also what an interrupted pack left behind
if (process.argv.includes("--remove")) process.exit(0);
if (isPacked()) {
  console.error("bundle-package: bin/babyjit.js is a packed bin, and no source bin is saved: git checkout bin/babyjit.js");
  process.exit(1);
}

/**
 * Modules that `babyjit <integers...>` never loads (each is require()d lazily, by another command): left
 * out of the packed bin. A module missing from this list is simply bundled; one wrongly on it would fail
 * to load, which test/package.test.ts would see (it runs the installed bin on integers).
 */
const NOT_ON_THE_COMMON_PATH = ["cli.ts", "expr/compile.ts", "listing.ts", "trace.ts", "maps.ts", "bf/command.ts", "calls.ts"].map((f) => join(SRC, f));
/** How the packed bin requires the whole program: relative to itself, resolved when it runs. */
const MAIN_FROM_BIN = "../dist/bundle/main.js";
/** How it names itself for BABYJIT_DEBUG_LOADER (the bundler would write in the path it was built at). */
const SELF = "./babyjit.js";

// The packed bin's entry. It lives in bin/ while it is built, so that MAIN_FROM_BIN means the same there.
// main.ts's own test picks the common path, so the bin uses it too (a loop: see program.ts execute).
const entry = join(ROOT, "bin", "packed-entry.js");
const stamp = `bun-${Bun.revision}`;
writeFileSync(
  entry,
  `#!/usr/bin/env bun
import { main } from ${JSON.stringify(join(SRC, "main.ts"))};
import { isDecimal } from ${JSON.stringify(join(SRC, "int32.ts"))};
const argv = process.argv.slice(2);
let common = argv.length > 0;
for (let i = 0; i < argv.length; i++) common &&= isDecimal(argv[i]);
const program = common ? { main } : require(${JSON.stringify(MAIN_FROM_BIN)});
if (process.env.BABYJIT_DEBUG_LOADER) {
  const made = ${JSON.stringify(stamp)}, running = "bun-" + Bun.revision;
  const bytecode = made === running ? "its bytecode made by this Bun (" + made + ")" : "its bytecode made by " + made + ", not this Bun (" + running + "), which uses it only if its JavaScriptCore can read it, and parses the JavaScript otherwise";
  console.error("babyjit: loaded the packed bin " + require.resolve(${JSON.stringify(SELF)}) + (common ? "" : ", which required the whole program, " + require.resolve(${JSON.stringify(MAIN_FROM_BIN)})) + "; " + bytecode);
}
program.main(common ? argv : program.commandArgs()).then((code) => {
  process.exitCode = code;
});
`,
);

// Under Node: the same message as bin/babyjit.js's (test/package.test.ts and test/cli.test.ts hold both to it).
const needsBun = `var{}=typeof Bun>"u"?(console.error("babyjit: needs Bun (https://bun.sh), which has bun:ffi; it was started by "+(typeof process=="object"&&process.release?process.release.name+" "+process.version:"this runtime")+". Try: bunx babyjit -4"),process.exit(69)):0;\n`;

const options = { target: "bun", format: "cjs", bytecode: true, minify: true } as const;
const leaveOut = {
  name: "leave out what other commands load",
  setup(build: import("bun").PluginBuilder) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.path === MAIN_FROM_BIN || args.path === SELF) return { path: args.path, external: true };
      const path = resolve(dirname(args.importer), args.path);
      return NOT_ON_THE_COMMON_PATH.includes(path) ? { path: args.path, external: true } : undefined;
    });
  },
};
mkdirSync(BUNDLE, { recursive: true });
const packedBin = join(ROOT, "dist", "packed-bin");
let builds: Awaited<ReturnType<typeof Bun.build>>[];
try {
  builds = [
    await Bun.build({ ...options, entrypoints: [entry], outdir: packedBin, naming: "babyjit.[ext]", footer: needsBun, plugins: [leaveOut] }),
    await Bun.build({ ...options, entrypoints: [join(SRC, "main.ts")], outdir: BUNDLE, naming: "main.[ext]" }),
  ];
} finally {
  rmSync(entry, { force: true });
}
for (const build of builds) {
  if (!build.success) {
    console.error(`bundle-package: bun build failed:\n${build.logs.join("\n")}`);
    rmSync(packedBin, { recursive: true, force: true });
    restore();
    process.exit(1);
  }
}
const packed = readFileSync(join(packedBin, "babyjit.js"), "utf8");
if (packed.split("\n", 2)[1] !== PRAGMA) {
  console.error(`bundle-package: the packed bin does not start with ${PRAGMA}`);
  rmSync(packedBin, { recursive: true, force: true });
  restore();
  process.exit(1);
}
// The swap, last: save the source bin, then move the packed one (and its bytecode) into its place.
renameSync(BIN, SAVED);
renameSync(join(packedBin, "babyjit.js.jsc"), `${BIN}.jsc`);
renameSync(join(packedBin, "babyjit.js"), BIN);
rmSync(packedBin, { recursive: true, force: true });
// On stderr: `npm pack --json` prints its JSON on stdout, after this script.
for (const out of [BIN, `${BIN}.jsc`, join(BUNDLE, "main.js"), join(BUNDLE, "main.js.jsc")]) {
  console.error(`  ${out.slice(ROOT.length + 1)}  ${(Bun.file(out).size / 1024).toFixed(1)} KiB`);
}
