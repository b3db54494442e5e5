/**
 * `prepack` (npm pack, npm publish): the bundle the installed package runs. src/main.ts and everything
 * it can load, in one minified CommonJS file with JavaScriptCore bytecode beside it, so that starting
 * `bunx babyjit` loads one precompiled file instead of transpiling and parsing a dozen TypeScript
 * modules. Bytecode is specific to the JavaScriptCore it was made by, so the directory is named after
 * the Bun that made it, and bin/babyjit.js uses it only under that same Bun (the sources otherwise).
 *
 *   bun scripts/bundle-package.ts            # writes dist/bundle/bun-<version>-<revision>/main.js (+ .jsc)
 *   bun scripts/bundle-package.ts --remove   # `postpack`: removes it again
 *
 * It is removed after packing so that a git checkout never runs a bundle older than its sources.
 */
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
/** Keep in step with bin/babyjit.js, which looks for exactly this directory. */
const dir = join(ROOT, "dist", "bundle", `bun-${Bun.version}-${Bun.revision}`);

rmSync(join(ROOT, "dist", "bundle"), { recursive: true, force: true }); // no stale bundle of another Bun
if (process.argv.includes("--remove")) process.exit(0);
const flags = ["--target=bun", "--format=cjs", "--bytecode", "--minify"];
// bun build's report goes to stderr: `npm pack --json` prints its JSON on stdout, after this script.
const build = Bun.spawnSync([process.execPath, "build", ...flags, "src/main.ts", "--outdir", dir], { cwd: ROOT, stdout: "pipe", stderr: "inherit" });
process.stderr.write(build.stdout);
if (build.exitCode !== 0) {
  console.error(`bundle-package: bun build failed (exit ${build.exitCode})`);
  process.exit(1);
}
