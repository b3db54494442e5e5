/**
 * Profiling JIT'd code (perf.ts): the perf map and the jitdump file read back field by field for every
 * chapter, the command's --perf and BABYJIT_PERF, and Linux perf itself recording a hot Brainfuck
 * program and naming its loops (perf report) and source lines (perf inject --jit, perf annotate).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CodeMemory, compileAdder, compileBrainfuck, compileExpression, hostOs, hostPlatform } from "../src/index.ts";
import { readMaps } from "../src/maps.ts";
import { startPerf } from "../src/perf.ts";
import { emitTrampoline } from "../src/trampoline.ts";
import { BIN, ROOT } from "./support/cli.ts";
import { type DumpRecord, parseJitdump, parseMap } from "./support/perf.ts";

const linux = process.platform === "linux";
const HOT = join(ROOT, "test", "fixtures", "perf-hot.b");
const HINT = "Try 'babyjit --help' for more information.\n";
/** The trampoline that calls functions of int32s, named by the register its address arrives in. */
const TRAMPOLINE = `trampoline(address in ${process.arch === "arm64" ? "d0" : "xmm0"})`;

/** A small program with a loop at 1:3 and one inside it at 2:2 (a `[-]` inside keeps it a loop), then a stretch. */
const PROGRAM = "++[>+++\n [>+>,<<-]\n>+<<-]\n>>."; // the inner loop reads, so no pass can turn it into arithmetic

function inside(address: number, size: number, memory: CodeMemory): boolean {
  return memory.mappings().some((m) => address >= m.address && address + size <= m.address + m.size);
}

function run(args: string[], env: Record<string, string | undefined> = {}, cwd = ROOT) {
  const p = Bun.spawnSync([process.execPath, BIN, ...args], {
    cwd,
    env: { ...process.env, BABYJIT_PERF: undefined, NO_COLOR: "1", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  return { pid: p.pid, stdout: p.stdout.toString(), stderr: p.stderr.toString(), exitCode: p.exitCode ?? -1 };
}

/** Seconds since boot: CLOCK_MONOTONIC, as the kernel reports it apart from babyjit's clock_gettime. */
const uptime = () => Number((readFileSync("/proc/uptime", "utf8").split(" ")[0] as string));

describe.skipIf(!linux)("the perf map, in this process", () => {
  const path = `/tmp/perf-${process.pid}.map`;
  let memory: CodeMemory;
  beforeAll(() => {
    rmSync(path, { force: true });
    memory = new CodeMemory(hostOs(), hostPlatform().target);
    startPerf("map");
  });
  afterAll(() => {
    startPerf(undefined);
    rmSync(path, { force: true });
  });

  test("adders, expressions and their trampolines: one line each, START SIZE name, inside our mappings", () => {
    using add = compileAdder(5, { memory });
    using sub = compileAdder(-4, { memory });
    using poly = compileExpression("x * x - 3 * x + 2", { memory });
    using two = compileExpression("a * b", { memory, params: ["a", "b"] });
    const lines = parseMap(readFileSync(path, "utf8"));
    const home = memory.mappings()[0]!.address;
    const t1 = emitTrampoline(memory.target, 1).bytes.length;
    expect(lines).toEqual([
      // Every signature of int32s finds the address in the first floating-point register: one trampoline, in unit 0.
      { start: home, size: t1, name: TRAMPOLINE },
      { start: add.address, size: add.bytes.length, name: "adder(+5)" },
      { start: sub.address, size: sub.bytes.length, name: "adder(-4)" },
      { start: poly.address, size: poly.bytes.length, name: "expr:x*x-3*x+2" },
      { start: two.address, size: two.bytes.length, name: "expr(a,b):a*b" },
    ]);
    for (const l of lines) expect(inside(l.start, l.size, memory)).toBe(true);
  });

  /** The lines written since `from` bytes (the writer keeps the file open: it is not removed between tests). */
  const linesSince = (from: number) => parseMap(readFileSync(path, "utf8").slice(from));
  const size = () => (existsSync(path) ? readFileSync(path, "utf8").length : 0);

  test("a Brainfuck program: entry, one piece per loop and stretch, exits; together exactly its code", () => {
    const from = size();
    using program = compileBrainfuck(PROGRAM, { memory, file: "small.b" });
    const lines = linesSince(from);
    const names = lines.map((l) => l.name);
    expect(names[0]).toBe("bf:small.b entry");
    expect(names.at(-1)).toBe("bf:small.b exits");
    // The outer loop is cut by its inner loop: its instructions after the inner loop carry its name again.
    // The stretch after it is named by its first command (the `>>` whose move folds into the `.`).
    expect(names.slice(1, -1)).toEqual(["bf:small.b:1:1", "bf:small.b:1:3 loop", "bf:small.b:2:2 loop", "bf:small.b:1:3 loop", "bf:small.b:4:1"]);
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.start).toBe(lines[i - 1]!.start + lines[i - 1]!.size);
    const total = lines.reduce((n, l) => n + l.size, 0);
    expect(total).toBe(program.bytes.length);
    for (const l of lines) expect(inside(l.start, l.size, memory)).toBe(true);
    expect(program.run()).toEqual(new Uint8Array([8]));
  });

  test("reuse: while a map is written, disposed code's space is not handed out again, so every line stays true", () => {
    const from = size();
    const first = compileAdder(1, { memory });
    const at = first.address;
    first.dispose();
    using second = compileAdder(2, { memory });
    expect(second.address).not.toBe(at);
    const lines = linesSince(from);
    expect(lines.map((l) => l.name)).toEqual(["adder(+1)", "adder(+2)"]);
    expect(new Set(lines.map((l) => l.start)).size).toBe(2);
    for (const l of lines) expect(inside(l.start, l.size, memory)).toBe(true); // the disposed one's page stays mapped
  });
});

describe.skipIf(!linux)("the jitdump file, in this process", () => {
  const dir = mkdtempSync(join(tmpdir(), "babyjit-jitdump-"));
  const path = join(dir, `jit-${process.pid}.dump`);
  const source = join(dir, "small.b");
  let memory: CodeMemory;
  let records: DumpRecord[] = [];
  let header: ReturnType<typeof parseJitdump>["header"];
  const expected: { name: string; address: number; bytes: Uint8Array }[] = [];
  let before = 0;
  let program: Uint8Array = new Uint8Array(0);
  let expressionLines: { offset: number; line: number; column: number; file: string }[] = [];

  beforeAll(() => {
    writeFileSync(source, PROGRAM);
    memory = new CodeMemory(hostOs(), hostPlatform().target);
    before = uptime();
    startPerf("jitdump", dir);
    const add = compileAdder(7, { memory });
    expected.push({ name: TRAMPOLINE, address: memory.mappings()[0]!.address, bytes: emitTrampoline(memory.target, 1).bytes });
    expected.push({ name: "adder(+7)", address: add.address, bytes: add.bytes });
    add.dispose();
    const again = compileExpression("x + 1", { memory });
    // Where each node's code starts, from the listing: `x` is read by the first instruction, `+` adds.
    const listing = again.lines.filter((l) => l.kind === "insn");
    expressionLines = [
      { offset: 0, line: 1, column: 1, file: "expr:x+1" },
      { offset: (listing.find((l) => /^(add|lea)/.test(l.text)) as { offset: number }).offset, line: 1, column: 3, file: "expr:x+1" },
    ];
    expected.push({ name: "expr:x+1", address: again.address, bytes: again.bytes });
    again.dispose();
    const bf = compileBrainfuck(PROGRAM, { memory, file: source });
    program = bf.bytes;
    bf.dispose();
    ({ header, records } = parseJitdump(new Uint8Array(readFileSync(path))));
  });
  afterAll(() => {
    startPerf(undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  test("the header: JiTD, version 1, 40 bytes, this machine's ELF e_machine, our pid, CLOCK_MONOTONIC", () => {
    expect(header).toMatchObject({ magic: 0x4a695444, version: 1, totalSize: 40, elfMach: process.arch === "arm64" ? 183 : 62, pad1: 0, pid: process.pid, flags: 0n });
    const seconds = Number(header.timestamp) / 1e9;
    expect(seconds).toBeGreaterThanOrEqual(before - 1);
    expect(seconds).toBeLessThanOrEqual(uptime() + 1);
  });

  test("the marker: jit-PID.dump is mapped read+execute, which is how perf record sees it", () => {
    const marker = readMaps()!.length > 0 && readFileSync("/proc/self/maps", "utf8").split("\n").find((l) => l.endsWith(path));
    expect(marker).toBeTruthy();
    expect((marker as string).split(" ")[1]).toBe("r-xp");
  });

  test("a JIT_CODE_LOAD per piece: pid, tid, vma = code_addr, size, increasing index, name and the exact bytes", () => {
    const loads = records.filter((r) => r.id === 0);
    expect(loads.slice(0, 3).map((r) => ({ name: r.name, address: r.codeAddress, code: r.code }))).toEqual(expected.map((e) => ({ name: e.name, address: e.address, code: e.bytes })));
    loads.forEach((r, i) => {
      expect(r).toMatchObject({ pid: process.pid, tid: process.pid, vma: r.codeAddress, codeSize: r.code.length, codeIndex: BigInt(i) });
    });
    // The adder's space was reused by the expression: the later load at that address is the later record.
    expect(loads[2]!.codeAddress).toBe(loads[1]!.codeAddress);
    expect(loads[2]!.timestamp).toBeGreaterThanOrEqual(loads[1]!.timestamp);
    for (let i = 1; i < records.length; i++) expect(records[i]!.timestamp).toBeGreaterThanOrEqual(records[i - 1]!.timestamp);
    // The Brainfuck pieces: together its code, in order.
    const pieces = loads.slice(3);
    expect(pieces[0]!.name).toBe(`bf:${source} entry`);
    expect(pieces.at(-1)!.name).toBe(`bf:${source} exits`);
    expect(Array.from(Buffer.concat(pieces.map((p) => p.code)))).toEqual(Array.from(program));
    for (let i = 1; i < pieces.length; i++) expect(pieces[i]!.codeAddress).toBe(pieces[i - 1]!.codeAddress + pieces[i - 1]!.codeSize);
  });

  test("JIT_CODE_DEBUG_INFO before each load that has source: Brainfuck ops' and expression nodes' lines and columns", () => {
    const lines = PROGRAM.split("\n");
    let debugged = 0;
    const seen = new Set<string>();
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      if (r.id !== 2) continue;
      debugged++;
      const load = records[i + 1]!;
      if (load.id !== 0) throw new Error("a debug record not followed by its load");
      expect(load.codeAddress).toBe(r.codeAddress);
      expect(r.entries.length).toBeGreaterThan(0);
      // The last entry marks the end of the code and repeats the line before it (perf inject ends the
      // line table's sequence there: without it, the last op's instructions would have no line).
      const end = r.entries.at(-1)!, beforeEnd = r.entries.at(-2)!;
      expect(end).toEqual({ ...beforeEnd, address: load.codeAddress + load.codeSize });
      if (load.name === "expr:x+1") {
        // An expression: each node's code under its position in the text (x at column 1, + at 3), in a "file" named like the symbol.
        expect(r.entries.slice(0, -1).map((e) => ({ offset: e.address - load.codeAddress, line: e.line, column: e.discrim, file: e.file }))).toEqual(expressionLines);
        continue;
      }
      for (const e of r.entries.slice(0, -1)) {
        expect(e.file).toBe(source);
        expect(e.address).toBeGreaterThanOrEqual(load.codeAddress);
        expect(e.address).toBeLessThan(load.codeAddress + load.codeSize);
        // The discriminator carries the column: a command of the program stands there.
        expect("+-<>[].,").toContain(lines[e.line - 1]![e.discrim - 1]!);
      }
      // A loop's first piece starts with its `[` (a later one continues the loop after an inner loop).
      if (load.name.endsWith(" loop") && !seen.has(load.name)) {
        seen.add(load.name);
        const [line, column] = load.name.split(":").slice(-2).map((x) => parseInt(x, 10)) as [number, number];
        expect(r.entries[0]).toMatchObject({ address: load.codeAddress, line, discrim: column });
        expect(lines[line - 1]![column - 1]).toBe("[");
      }
    }
    expect(debugged).toBe(1 + records.filter((r) => r.id === 0 && r.name.startsWith("bf:") && !r.name.endsWith(" exits") && !r.name.endsWith(" entry")).length);
  });
});

describe.skipIf(!linux)("babyjit --perf and BABYJIT_PERF", () => {
  test("--perf=map: the run's map names the trampoline and the adder; off by default: no map at all", () => {
    const on = run(["--perf=map", "5", "1", "2"]);
    expect(on).toMatchObject({ stdout: "6 7\n", stderr: "", exitCode: 0 });
    const names = parseMap(readFileSync(`/tmp/perf-${on.pid}.map`, "utf8")).map((l) => l.name);
    rmSync(`/tmp/perf-${on.pid}.map`);
    expect(names).toEqual([TRAMPOLINE, "adder(+5)"]);
    const off = run(["5", "1"]);
    expect(off.stdout).toBe("6\n");
    expect(existsSync(`/tmp/perf-${off.pid}.map`)).toBe(false);
  });

  test("BABYJIT_PERF=map names an expression; =jitdump writes jit-PID.dump in BABYJIT_PERF_DIR", () => {
    const r = run(["--expr", "x * x - 3 * x + 2", "4"], { BABYJIT_PERF: "map" });
    expect(r).toMatchObject({ stdout: "6\n", exitCode: 0 });
    const names = parseMap(readFileSync(`/tmp/perf-${r.pid}.map`, "utf8")).map((l) => l.name);
    rmSync(`/tmp/perf-${r.pid}.map`);
    expect(names).toEqual([TRAMPOLINE, "expr:x*x-3*x+2"]);
    const dir = mkdtempSync(join(tmpdir(), "babyjit-jitdump-"));
    try {
      const d = run(["--bf", HOT.replace("perf-hot", "bf/hello")], { BABYJIT_PERF: "jitdump", BABYJIT_PERF_DIR: dir });
      expect(d).toMatchObject({ stdout: "Hello World!\n", exitCode: 0 });
      const { header, records } = parseJitdump(new Uint8Array(readFileSync(join(dir, `jit-${d.pid}.dump`))));
      expect(header.pid).toBe(d.pid);
      expect(records.filter((x) => x.id === 0).map((x) => (x as { name: string }).name)[0]).toMatch(/^bf:.*hello\.b entry$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("on macOS (Bun made to report darwin by a test-only preload) --perf is a Linux-only usage error (64)", () => {
    const preload = join(ROOT, "test", "fixtures", "fake-platform.ts");
    const p = Bun.spawnSync([process.execPath, "--preload", preload, BIN, "--perf=jitdump", "5"], {
      env: { ...process.env, BABYJIT_PERF: undefined, FAKE_PLATFORM: "darwin", FAKE_ARCH: "arm64" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect({ stdout: p.stdout.toString(), stderr: p.stderr.toString(), exitCode: p.exitCode }).toEqual({
      stdout: "",
      stderr: `babyjit: --perf=jitdump: perf maps and jitdump are Linux-only (this is darwin)\n${HINT}`,
      exitCode: 64,
    });
  });

  test("a dump file that cannot be written: exit 71 naming the file, the system call and the reason", () => {
    const r = run(["--perf=jitdump", "5"], { BABYJIT_PERF_DIR: "/nonexistent" });
    expect(r).toMatchObject({ stdout: "", stderr: `babyjit: open /nonexistent/jit-${r.pid}.dump: No such file or directory\n`, exitCode: 71 });
  });

  test("bad values and combinations are usage errors (64)", () => {
    expect(run(["--perf=yes", "5"])).toMatchObject({ stdout: "", stderr: `babyjit: invalid --perf 'yes': expected map, jitdump or off\n${HINT}`, exitCode: 64 });
    expect(run(["5"], { BABYJIT_PERF: "1" })).toMatchObject({ stdout: "", stderr: `babyjit: invalid BABYJIT_PERF '1': expected map, jitdump or off\n${HINT}`, exitCode: 64 });
    expect(run(["--perf=map", "--dump", "5"])).toMatchObject({ stdout: "", stderr: `babyjit: --perf names the code of a run; it cannot be combined with --dump\n${HINT}`, exitCode: 64 });
    expect(run(["5"], { BABYJIT_PERF: "off" })).toMatchObject({ stdout: "6 7 8\n", exitCode: 0 });
  });
});

// ---------------------------------------------------------------------------------------------------
// Linux perf itself. The cpu-clock software event needs no hardware counters; a kernel that refuses
// perf events (perf_event_paranoid, a container without them) makes these tests say so and skip,
// except in CI (CI=true), where they must run.

function perfProblem(): string | undefined {
  if (!linux) return "not Linux";
  if (Bun.which("perf") === null) return "no perf tool (apt: linux-perf)";
  const p = Bun.spawnSync(["perf", "stat", "-e", "cpu-clock", "--", "true"], { stdout: "pipe", stderr: "pipe" });
  return p.exitCode === 0 ? undefined : `the kernel refuses perf events: ${p.stderr.toString().trim().split("\n")[0]}`;
}

const problem = perfProblem();
if (problem !== undefined) console.error(`perf.test.ts: perf cannot record here (${problem})${process.env.CI === "true" ? "" : ": skipping the perf tool tests"}`);

function sh(cmd: string[], cwd: string, env: Record<string, string | undefined> = {}) {
  const p = Bun.spawnSync(cmd, { cwd, env: { ...process.env, BABYJIT_PERF: undefined, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const out = { stdout: p.stdout.toString(), stderr: p.stderr.toString(), exitCode: p.exitCode ?? -1 };
  if (out.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${out.exitCode}: ${out.stderr}`);
  return out;
}

/** perf report's rows: overhead percent and symbol. */
function report(data: string, cwd: string): { percent: number; symbol: string }[] {
  const text = sh(["perf", "report", "-i", data, "--stdio", "--sort", "sym"], cwd).stdout;
  return text
    .split("\n")
    .map((l) => /^\s+([0-9.]+)%\s+\[[.k]\]\s+(.+?)\s*$/.exec(l))
    .filter((m) => m !== null)
    .map((m) => ({ percent: Number(m[1]), symbol: m[2] as string }));
}

/** The perf maps in /tmp now: the runs under perf write theirs there, and this file removes the new ones. */
const maps = () => new Set(readdirSync("/tmp").filter((f) => /^perf-\d+\.map$/.test(f)));

describe.skipIf(problem !== undefined && process.env.CI !== "true")("Linux perf on a hot Brainfuck loop", () => {
  const dir = mkdtempSync(join(tmpdir(), "babyjit-perf-"));
  const before = linux ? maps() : new Set<string>();
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    for (const f of maps()) if (!before.has(f) && readFileSync(join("/tmp", f), "utf8").includes("bf:")) rmSync(join("/tmp", f), { force: true });
  });
  const hotLoop = `bf:${HOT}:13:4 loop`; // the innermost `[` of test/fixtures/perf-hot.b

  test("--perf=map: perf report puts most samples on the innermost loop, by name", () => {
    if (problem !== undefined) throw new Error(problem);
    const out = sh(["perf", "record", "-q", "-e", "cpu-clock", "-o", "map.data", "--", process.execPath, BIN, "--perf=map", "--bf", HOT], dir);
    expect(out.stdout).toBe("ok\n");
    const rows = report("map.data", dir);
    const named = rows.filter((r) => r.symbol.startsWith("bf:")).reduce((n, r) => n + r.percent, 0);
    expect(named).toBeGreaterThan(60);
    expect(rows[0]!.symbol).toBe(hotLoop);
  }, 60_000);

  test("--perf=jitdump: after perf inject --jit, perf report names the loop and perf annotate shows its source line", () => {
    if (problem !== undefined) throw new Error(problem);
    const out = sh(["perf", "record", "-q", "-k", "mono", "-e", "cpu-clock", "-o", "jd.data", "--", process.execPath, BIN, "--perf=jitdump", "--bf", HOT], dir, { BABYJIT_PERF_DIR: dir });
    expect(out.stdout).toBe("ok\n");
    sh(["perf", "inject", "--jit", "-i", "jd.data", "-o", "jd.jit.data"], dir);
    const rows = report("jd.jit.data", dir);
    const named = rows.filter((r) => r.symbol.startsWith("bf:")).reduce((n, r) => n + r.percent, 0);
    expect(named).toBeGreaterThan(60);
    expect(rows[0]!.symbol).toBe(hotLoop);
    const annotate = sh(["perf", "annotate", "-i", "jd.jit.data", "--stdio", "-s", hotLoop], dir).stdout;
    // The loop's body, line 14 of the program, above its instructions (objdump -S reads the source file).
    expect(annotate).toContain(`<${hotLoop}>:`);
    expect(annotate).toMatch(/:\s+14\s+->\+\[->\+>\+<<\]>>\[-<<\+>>\]<<<\n/);
  }, 90_000);

  for (const mode of ["map", "jitdump"] as const) {
    test(`--perf=${mode}, code disposed and another program compiled after it: each gets its own samples`, () => {
      if (problem !== undefined) throw new Error(problem);
      const script = join(ROOT, "test", "fixtures", "perf-reuse.ts");
      const data = `reuse-${mode}.data`;
      const record = mode === "map" ? ["perf", "record", "-q", "-e", "cpu-clock", "-o", data] : ["perf", "record", "-q", "-k", "mono", "-e", "cpu-clock", "-o", data];
      const out = sh([...record, "--", process.execPath, script], dir, { BABYJIT_PERF: mode, BABYJIT_PERF_DIR: dir });
      expect(out.stdout).toBe("ok ok 2\n");
      if (mode === "jitdump") {
        // The second program did land where the first was: the case a profile could get wrong.
        const dump = readdirSync(dir).map((f) => join(dir, f)).filter((f) => /jit-\d+\.dump$/.test(f)).map((f) => parseJitdump(new Uint8Array(readFileSync(f))));
        const loads = dump.flatMap((d) => d.records).filter((r) => r.id === 0);
        const entry = (file: string) => loads.find((r) => r.name === `bf:${file} entry`)?.codeAddress;
        expect(entry("first.b")).toBeDefined();
        expect(entry("second.b")).toBe(entry("first.b") as number);
        sh(["perf", "inject", "--jit", "-i", data, "-o", `${data}.jit`], dir);
      }
      const rows = report(mode === "jitdump" ? `${data}.jit` : data, dir);
      const share = (file: string) => rows.filter((r) => r.symbol.startsWith(`bf:${file}:`)).reduce((n, r) => n + r.percent, 0);
      // The two runs take about as long as each other: each program's loops have 30-70% of the samples.
      expect(share("first.b")).toBeGreaterThan(30);
      expect(share("second.b")).toBeGreaterThan(30);
    }, 90_000);
  }
});
