/** The package as users get it: packed, installed into a fresh project, run with bunx. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./support/cli.ts";

let dir = "";
let packed: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "babyjit-pack-"));
  const pack = Bun.spawnSync(["npm", "pack", "--pack-destination", dir, "--json"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (pack.exitCode !== 0) throw new Error(`npm pack failed: ${pack.stderr.toString()}`);
  const [info] = JSON.parse(pack.stdout.toString()) as { filename: string; files: { path: string }[] }[];
  if (info === undefined) throw new Error("npm pack printed no package");
  const tarball = join(dir, info.filename);
  packed = info.files.map((f) => f.path).sort();
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "uses-babyjit", private: true }));
  const add = Bun.spawnSync([process.execPath, "add", tarball], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  if (add.exitCode !== 0) throw new Error(`bun add failed: ${add.stderr.toString()}`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The bundle `prepack` makes (scripts/bundle-package.ts), named after the Bun that made it. */
const BUNDLE = `dist/bundle/bun-${Bun.revision}`;

test("the tarball ships the bin, the sources, this Bun's bytecode bundle, the README and package.json only", () => {
  const shipped = (p: string) => p === "package.json" || p === "README.md" || p.startsWith("bin/") || p.startsWith("src/") || p.startsWith(`${BUNDLE}/`);
  expect(packed.filter((p) => !shipped(p))).toEqual([]);
  expect(packed).toContain("bin/babyjit.js");
  expect(packed).toContain("src/index.ts");
  for (const file of ["run.js", "run.js.jsc", "main.js", "main.js.jsc"]) expect(packed).toContain(`${BUNDLE}/${file}`);
  expect(packed.some((p) => p.startsWith("test/"))).toBe(false);
  // postpack removed it from the checkout again, so that `bun bin/babyjit.js` there runs the sources.
  expect(existsSync(join(ROOT, "dist", "bundle"))).toBe(false);
});

test.each([
  ["-4", "run.js", "-3 -2 -1\n"],
  ["7 1 -1", "run.js", "8 6\n"],
  ["--expr x*x-1 3", "main.js", "8\n"],
])("the installed bin runs its bundle, and says which when asked (BABYJIT_DEBUG_LOADER): babyjit %s", (args, bundle, stdout) => {
  const env = { ...process.env, BABYJIT_DEBUG_LOADER: "1" };
  const p = Bun.spawnSync([process.execPath, "x", "babyjit", ...args.split(" ")], { cwd: dir, env, stdout: "pipe", stderr: "pipe" });
  const bin = join(dir, "node_modules", "babyjit", "bin");
  expect({ stdout: p.stdout.toString(), stderr: p.stderr.toString(), exitCode: p.exitCode }).toEqual({
    stdout,
    stderr: `babyjit: loaded the bundle ${bin}/../${BUNDLE}/${bundle}\n`,
    exitCode: 0,
  });
});

test("an out-of-range integer is still decimal: the common path's bundle reports it, without what it leaves out", () => {
  const p = Bun.spawnSync([process.execPath, "x", "babyjit", "99999999999"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  expect([p.stderr.toString(), p.exitCode]).toEqual([
    "babyjit: term '99999999999' is out of range: expected -2147483648..2147483647\nTry 'babyjit --help' for more information.\n",
    64,
  ]);
});

test("a bundle made by another Bun is not used: the installed bin runs the sources", () => {
  const installed = join(dir, "node_modules", "babyjit");
  const other = join(installed, "dist", "bundle", "bun-0000000000000000000000000000000000000000");
  renameSync(join(installed, BUNDLE), other);
  try {
    const env = { ...process.env, BABYJIT_DEBUG_LOADER: "1" };
    const p = Bun.spawnSync([process.execPath, "x", "babyjit", "-4"], { cwd: dir, env, stdout: "pipe", stderr: "pipe" });
    expect([p.stdout.toString(), p.stderr.toString(), p.exitCode]).toEqual(["-3 -2 -1\n", "babyjit: loaded the sources (no bundle made by this Bun)\n", 0]);
  } finally {
    renameSync(other, join(installed, BUNDLE));
  }
});

test("bunx babyjit -4 prints -3 -2 -1 in a project that installed the tarball", () => {
  expect(readdirSync(join(dir, "node_modules", "babyjit"))).toContain("bin");
  // bunx resolves the bin from the current project's node_modules/.bin and honours its shebang.
  const inProject = Bun.spawnSync([process.execPath, "x", "babyjit", "-4"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  expect({ stdout: inProject.stdout.toString(), stderr: inProject.stderr.toString(), exitCode: inProject.exitCode }).toEqual({
    stdout: "-3 -2 -1\n",
    stderr: "",
    exitCode: 0,
  });
});

test("the library imports from the installed package", () => {
  writeFileSync(join(dir, "use.ts"), 'import { compileAdder } from "babyjit";\nusing add = compileAdder(40);\nconsole.log(add(2));\n');
  const p = Bun.spawnSync([process.execPath, "use.ts"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  expect([p.stdout.toString(), p.stderr.toString(), p.exitCode]).toEqual(["42\n", "", 0]);
});
