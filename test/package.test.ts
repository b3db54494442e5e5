/**
 * The package as users get it: packed, installed into a fresh project, run with bunx. The packed bin is
 * the program's bundle with bytecode (scripts/bundle-package.ts), the checkout's bin the sources.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./support/cli.ts";

let dir = "";
let packed: string[] = [];
/** The checkout's bin before packing: postpack must put it back exactly. */
let sourceBin = "";
let sourceMode = 0;

beforeAll(() => {
  sourceBin = readFileSync(join(ROOT, "bin", "babyjit.js"), "utf8");
  sourceMode = statSync(join(ROOT, "bin", "babyjit.js")).mode & 0o777;
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

const installed = () => realpathSync(join(dir, "node_modules", "babyjit"));
const THIS_BUN = `bun-${Bun.revision}`;
const bunx = (args: string[], env: Record<string, string | undefined> = process.env) => {
  const p = Bun.spawnSync([process.execPath, "x", "babyjit", ...args], { cwd: dir, env, stdout: "pipe", stderr: "pipe" });
  return { stdout: p.stdout.toString(), stderr: p.stderr.toString(), exitCode: p.exitCode };
};

test("the tarball ships the packed bin and its bytecode, the whole program's bundle, the sources, the README and package.json only", () => {
  const shipped = (p: string) => p === "package.json" || p === "README.md" || p.startsWith("src/") || ["bin/babyjit.js", "bin/babyjit.js.jsc", "dist/bundle/main.js", "dist/bundle/main.js.jsc"].includes(p);
  expect(packed.filter((p) => !shipped(p))).toEqual([]);
  for (const file of ["bin/babyjit.js", "bin/babyjit.js.jsc", "dist/bundle/main.js", "dist/bundle/main.js.jsc", "src/index.ts", "src/main.ts"]) expect(packed).toContain(file);
});

test("postpack put the checkout's source bin back byte for byte, executable, and left nothing of the pack behind", () => {
  expect(readFileSync(join(ROOT, "bin", "babyjit.js"), "utf8")).toBe(sourceBin);
  expect(statSync(join(ROOT, "bin", "babyjit.js")).mode & 0o777).toBe(sourceMode);
  expect(readdirSync(join(ROOT, "bin"))).toEqual(["babyjit.js"]);
  expect(["dist/bundle", "dist/bin-source.js", "dist/packed-bin"].filter((p) => existsSync(join(ROOT, p)))).toEqual([]);
});

test("a pack interrupted after prepack is recovered: prepack again, then postpack, leaves the source bin exactly", () => {
  const script = (...args: string[]) => Bun.spawnSync([process.execPath, "scripts/bundle-package.ts", ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" }).exitCode;
  try {
    expect([script(), readFileSync(join(ROOT, "bin", "babyjit.js"), "utf8").split("\n", 2)[1]]).toEqual([0, "// @bun @bytecode @bun-cjs"]);
    expect(script()).toBe(0); // no postpack in between
  } finally {
    expect(script("--remove")).toBe(0);
  }
  expect(readFileSync(join(ROOT, "bin", "babyjit.js"), "utf8")).toBe(sourceBin);
  expect(readdirSync(join(ROOT, "bin"))).toEqual(["babyjit.js"]);
  expect(["dist/bundle", "dist/bin-source.js", "dist/packed-bin"].filter((p) => existsSync(join(ROOT, p)))).toEqual([]);
});

test("the installed bin/babyjit.js is itself the bundle: a shebang, Bun's bytecode pragma, the CommonJS wrapper", () => {
  const lines = readFileSync(join(installed(), "bin", "babyjit.js"), "utf8").split("\n", 3);
  expect([lines[0], lines[1], lines[2]?.slice(0, 60)]).toEqual(["#!/usr/bin/env bun", "// @bun @bytecode @bun-cjs", "(function(exports, require, module, __filename, __dirname) {"]);
  expect(statSync(join(installed(), "bin", "babyjit.js.jsc")).size).toBeGreaterThan(10_000);
});

test.each([
  ["-4", "-3 -2 -1\n", false],
  ["7 1 -1", "8 6\n", false],
  ["--expr x*x-1 3", "8\n", true],
])("the installed bin runs as the bundle, and says so when asked (BABYJIT_DEBUG_LOADER): babyjit %s", (args, stdout, whole) => {
  const pkg = installed();
  const required = whole ? `, which required the whole program, ${pkg}/dist/bundle/main.js` : "";
  expect(bunx(args.split(" "), { ...process.env, BABYJIT_DEBUG_LOADER: "1" })).toEqual({
    stdout,
    stderr: `babyjit: loaded the packed bin ${pkg}/bin/babyjit.js${required}; its bytecode made by this Bun (${THIS_BUN})\n`,
    exitCode: 0,
  });
});

test("an out-of-range integer is still decimal: the packed bin reports it, without what it leaves out", () => {
  expect(bunx(["99999999999"])).toEqual({
    stdout: "",
    stderr: "babyjit: term '99999999999' is out of range: expected -2147483648..2147483647\nTry 'babyjit --help' for more information.\n",
    exitCode: 64,
  });
});

test("under Node, the installed bin says that Bun is needed, exit 69, as the source bin does", () => {
  const version = Bun.spawnSync(["node", "--version"]).stdout.toString().trim();
  const p = Bun.spawnSync(["node", join(installed(), "bin", "babyjit.js"), "-4"], { stdout: "pipe", stderr: "pipe" });
  expect([p.stdout.toString(), p.stderr.toString(), p.exitCode]).toEqual([
    "",
    `babyjit: needs Bun (https://bun.sh), which has bun:ffi; it was started by node ${version}. Try: bunx babyjit -4\n`,
    69,
  ]);
});

test.each(["bin/babyjit.js.jsc", "dist/bundle/main.js.jsc"])(
  "bytecode this Bun cannot read (%s with another bytecode-cache version) is ignored: the same output from the JavaScript",
  (jsc) => {
    // A .jsc begins with the version of JavaScriptCore's bytecode cache that wrote it: what differs in
    // one made by a Bun with another JavaScriptCore. Bun then parses the JavaScript beside it.
    const file = join(installed(), jsc);
    const original = readFileSync(file);
    const other = Buffer.from(original);
    other.writeUInt32LE((other.readUInt32LE(0) ^ 0xffffffff) >>> 0, 0);
    writeFileSync(file, other);
    try {
      expect(bunx(["-4"])).toEqual({ stdout: "-3 -2 -1\n", stderr: "", exitCode: 0 });
      expect(bunx(["--expr", "x*x-1", "3"])).toEqual({ stdout: "8\n", stderr: "", exitCode: 0 });
    } finally {
      writeFileSync(file, original);
    }
  },
);

test("a checkout's bin runs the sources, and says so when asked", () => {
  const p = Bun.spawnSync([process.execPath, join(ROOT, "bin", "babyjit.js"), "-4"], { env: { ...process.env, BABYJIT_DEBUG_LOADER: "1" }, stdout: "pipe", stderr: "pipe" });
  expect([p.stdout.toString(), p.stderr.toString(), p.exitCode]).toEqual(["-3 -2 -1\n", "babyjit: loaded the sources\n", 0]);
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

test.if(process.platform === "linux")("the installed bin reads the first `--` as the source bin and the executable do (issue 19)", () => {
  const hint = "Try 'babyjit --help' for more information.\n";
  expect(bunx(["--", "5", "--", "6"])).toEqual({ stdout: "", stderr: `babyjit: invalid input '--': expected a decimal 32-bit integer (-2147483648..2147483647)\n${hint}`, exitCode: 64 });
  expect(bunx(["--", "-4", "1"])).toEqual({ stdout: "-3\n", stderr: "", exitCode: 0 });
  expect(bunx(["5", "--", "6"])).toEqual({ stdout: "11\n", stderr: "", exitCode: 0 });
});
