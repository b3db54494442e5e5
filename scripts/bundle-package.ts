/**
 * `prepack` (npm pack, npm publish): the bundles the installed package runs, each one minified CommonJS
 * with JavaScriptCore bytecode beside it (what `bun build --target=bun --format=cjs --bytecode --minify`
 * makes), so that starting `bunx babyjit` loads a precompiled file instead of transpiling and parsing a
 * dozen TypeScript modules:
 *
 * - run.js: what `babyjit <integers...>`, the common case, runs: src/main.ts without the modules only
 *   other commands load (the citty CLI, expressions, Brainfuck, listings, --trace). Bytecode costs start-up
 *   in proportion to its size (measured: about 0.4 ms less for this one than for the whole program).
 * - main.js: the whole program, for every other command.
 *
 * Bytecode is specific to the JavaScriptCore it was made by, so the directory is named after the Bun
 * that made it, and bin/babyjit.js uses it only under that same Bun (the sources otherwise).
 *
 *   bun scripts/bundle-package.ts            # writes dist/bundle/bun-<revision>/ (Bun's git revision)
 *   bun scripts/bundle-package.ts --remove   # `postpack`: removes it again
 *
 * It is removed after packing so that a git checkout never runs a bundle older than its sources.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const SRC = join(ROOT, "src");
/** Keep in step with bin/babyjit.js, which looks for exactly this directory. */
const dir = join(ROOT, "dist", "bundle", `bun-${Bun.revision}`);

/**
 * Modules that `babyjit <integers...>` never loads (each is require()d lazily, by another command): left
 * out of run.js. A module missing from this list is simply bundled; one wrongly on it would fail to load,
 * which test/package.test.ts would see (it runs the installed bin on integers).
 */
const NOT_ON_THE_COMMON_PATH = ["cli.ts", "expr/compile.ts", "listing.ts", "trace.ts", "maps.ts", "bf/command.ts"].map((f) => join(SRC, f));

rmSync(join(ROOT, "dist", "bundle"), { recursive: true, force: true }); // no stale bundle of another Bun
if (process.argv.includes("--remove")) process.exit(0);
mkdirSync(dir, { recursive: true });

// run.js's entry: main, and the test the bin makes before choosing run.js (main's own, so they agree).
const runEntry = join(dir, "run-entry.ts");
writeFileSync(runEntry, `export { main } from ${JSON.stringify(join(SRC, "main.ts"))};\nexport { isDecimal } from ${JSON.stringify(join(SRC, "int32.ts"))};\n`);

const options = { target: "bun", format: "cjs", bytecode: true, minify: true, outdir: dir } as const;
const builds = [
  await Bun.build({
    ...options,
    entrypoints: [runEntry],
    naming: "run.[ext]",
    plugins: [
      {
        name: "leave out what other commands load",
        setup(build) {
          build.onResolve({ filter: /^\.\.?\// }, (args) => {
            const path = resolve(dirname(args.importer), args.path);
            return NOT_ON_THE_COMMON_PATH.includes(path) ? { path: args.path, external: true } : undefined;
          });
        },
      },
    ],
  }),
  await Bun.build({ ...options, entrypoints: [join(SRC, "main.ts")], naming: "main.[ext]" }),
];
rmSync(runEntry);
for (const build of builds) {
  if (!build.success) {
    console.error(`bundle-package: bun build failed:\n${build.logs.join("\n")}`);
    process.exit(1);
  }
  // On stderr: `npm pack --json` prints its JSON on stdout, after this script.
  for (const out of build.outputs) console.error(`  ${out.path.slice(ROOT.length + 1)}  ${(out.size / 1024).toFixed(1)} KiB`);
}
