/**
 * Section 4 (and peak RSS for section 5): whole-process start-up, spawn to exit.
 *
 * bench/minimal-jit.js, the least any bun:ffi JIT can do (x86-64 System V hosts), is the reference both
 * ways: the compiled babyjit against minimal-jit compiled with the very flags of package.json's "build"
 * script, and the installed package (packed with npm pack, whose prepack makes the packed bin the bytecode
 * bundle itself, and installed with bun add into a fresh project: what `bunx babyjit` runs) against
 * `bun minimal-jit.js`. Each row's detail has its page faults: start-up here is mostly first touches. The floors below them (a compiled hello world, `bun <empty file>`) and
 * `bun bin/babyjit.js` from the sources stay as rows for comparison. All commands run interleaved, in an
 * order rotated every round, so drift hits each alike; warm-up runs come first.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildFlags } from "../scripts/build-flags.ts";
import { SCALE } from "./measure.ts";
import { type Row, median, medianRatio, quantile } from "./report.ts";

const ROOT = resolve(import.meta.dir, "..");
const MINIMAL_JIT = join(import.meta.dir, "minimal-jit.js");
const EXPECTED = "3 4 5";

interface Command {
  readonly name: string;
  readonly cmd: string[];
  readonly expect: string;
  /** Why it cannot run here (its build failed, or it is not for this host). */
  readonly unavailable?: string | undefined;
}

interface Sample {
  readonly ms: number[];
  readonly rss: number[];
  /** Minor page faults (GNU time %R), from the same runs as rss: start-up here is mostly first touches. */
  readonly faults?: number[];
  problem?: string;
}


/**
 * npm pack the checkout into `dir` and install the tarball into a fresh project there; returns the
 * installed bin, or why it could not be made.
 */
async function installPackage(dir: string): Promise<{ bin: string } | { problem: string }> {
  const run = async (cmd: string[], cwd: string) => {
    const proc = Bun.spawn(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
    const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    return { code, out, err };
  };
  const project = join(dir, "project");
  mkdirSync(project);
  const pack = await run(["npm", "pack", "--pack-destination", dir, "--json"], ROOT);
  if (pack.code !== 0) return { problem: `npm pack failed (${pack.code}): ${pack.err.trim().split("\n").slice(-2).join(" ")}` };
  const [info] = JSON.parse(pack.out) as { filename: string }[];
  if (info === undefined) return { problem: "npm pack printed no package" };
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "bench-babyjit", private: true }));
  const add = await run([process.execPath, "add", join(dir, info.filename)], project);
  if (add.code !== 0) return { problem: `bun add failed (${add.code}): ${add.err.trim().split("\n").slice(-2).join(" ")}` };
  const bin = join(project, "node_modules", "babyjit", "bin", "babyjit.js");
  // The row is only meaningful if the installed bin really is the bundle, with bytecode for this Bun.
  const probe = Bun.spawnSync([process.execPath, bin, "2"], { env: { ...process.env, BABYJIT_DEBUG_LOADER: "1" }, stdout: "pipe", stderr: "pipe" });
  const said = probe.stderr.toString().trim();
  if (said !== `babyjit: loaded the packed bin ${bin}; its bytecode made by this Bun (bun-${Bun.revision})`) return { problem: `the installed bin is not the packed bundle: ${said}` };
  return { bin };
}

async function compile(flags: readonly string[], entry: string, outfile: string): Promise<string | undefined> {
  const proc = Bun.spawn([process.execPath, "build", ...flags, entry, "--outfile", outfile], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  return code === 0 ? undefined : `bun build ${entry} failed (${code}): ${err.trim().split("\n").slice(-3).join(" ")}`;
}

function runOnce(c: Command, sample: Sample): void {
  const t0 = performance.now();
  const r = Bun.spawnSync({ cmd: c.cmd, cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const ms = performance.now() - t0;
  const out = r.stdout.toString().trim();
  if (r.exitCode !== 0 || out !== c.expect) {
    sample.problem ??= `${c.cmd.join(" ")}: exit ${r.exitCode}, stdout ${JSON.stringify(out)} (expected ${JSON.stringify(c.expect)}) ${r.stderr.toString().trim().slice(0, 200)}`;
    sample.ms.push(Number.NaN); // keeps the runs in round order, for the paired ratios
    return;
  }
  sample.ms.push(ms);
}

const GNU_TIME = "/usr/bin/time";

/**
 * Peak RSS and minor page faults of each command, a few runs each. wait4's maxRSS of a child that Bun spawned includes the
 * spawning process's own peak (posix_spawn shares its memory until exec, and Linux keeps the larger
 * high-water mark), so the bench's own size would leak into it: GNU time, itself tiny, is asked
 * instead. Without it, the rusage figure is reported as an upper bound.
 */
function peakRss(commands: readonly Command[], samples: Map<string, Sample>): string {
  const gnuTime = existsSync(GNU_TIME) && Bun.spawnSync([GNU_TIME, "-f", "%M", "true"]).exitCode === 0;
  for (let i = 0; i < 5; i++) {
    for (const c of commands) {
      const s = samples.get(c.name) as Sample;
      const cmd = gnuTime ? [GNU_TIME, "-f", "maxrss %M faults %R", ...c.cmd] : c.cmd;
      const r = Bun.spawnSync({ cmd, cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
      if (r.exitCode !== 0) continue;
      if (gnuTime) {
        const [, kb, faults] = r.stderr.toString().match(/maxrss (\d+) faults (\d+)\s*$/) ?? [];
        if (kb !== undefined) s.rss.push(Number(kb) * 1024);
        if (faults !== undefined) s.faults?.push(Number(faults));
      } else if (r.resourceUsage !== undefined) s.rss.push(r.resourceUsage.maxRSS);
    }
  }
  return gnuTime ? "median of 5, GNU time %M" : "median of 5, rusage maxRSS (upper bound: includes the bench's own peak)";
}

export async function startupSection(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), "babyjit-bench-"));
  try {
    const pkg = (await Bun.file(join(ROOT, "package.json")).json()) as { scripts?: { build?: string } };
    const script = pkg.scripts?.build ?? "";
    const { flags, entry } = buildFlags(script);
    const hello = join(dir, "hello.js");
    const empty = join(dir, "empty.js");
    writeFileSync(hello, 'console.log("hello world");\n');
    writeFileSync(empty, "");
    const babyjitExe = join(dir, "babyjit");
    const helloExe = join(dir, "hello");
    const minimalExe = join(dir, "minimal-jit");
    const minimalOk = process.arch === "x64" && process.platform !== "win32";
    const built = await Promise.all([
      compile(flags, entry, babyjitExe),
      compile(flags, hello, helloExe),
      minimalOk ? compile(flags, MINIMAL_JIT, minimalExe) : undefined,
    ]);
    const installed = await installPackage(dir);

    const bun = process.execPath;
    const notHere = minimalOk ? undefined : "bench/minimal-jit.js is for x86-64 System V hosts";
    const commands: Command[] = [
      { name: "compiledHello", cmd: [helloExe], expect: "hello world", unavailable: built[1] },
      { name: "compiled", cmd: [babyjitExe, "2"], expect: EXPECTED, unavailable: built[0] },
      { name: "compiledMinimal", cmd: [minimalExe, "2"], expect: EXPECTED, unavailable: notHere ?? built[2] },
      { name: "empty", cmd: [bun, empty], expect: "" },
      { name: "source", cmd: [bun, join(ROOT, entry), "2"], expect: EXPECTED },
      { name: "sourceMinimal", cmd: [bun, MINIMAL_JIT, "2"], expect: EXPECTED, unavailable: notHere },
      {
        name: "installed",
        cmd: [bun, "bin" in installed ? installed.bin : "", "2"],
        expect: EXPECTED,
        unavailable: "problem" in installed ? installed.problem : undefined,
      },
    ];
    const samples = new Map<string, Sample>(commands.map((c) => [c.name, { ms: [], rss: [], faults: [], ...(c.unavailable ? { problem: c.unavailable } : {}) }]));
    const runnable = commands.filter((c) => c.unavailable === undefined);
    Bun.gc(true);

    const warmup = 5;
    const runs = Math.max(10, Math.round(60 * SCALE));
    for (let round = 0; round < warmup + runs; round++) {
      for (let i = 0; i < runnable.length; i++) {
        const c = runnable[(i + round) % runnable.length] as Command;
        const s = samples.get(c.name) as Sample;
        if (round < warmup) runOnce(c, { ms: [], rss: [], problem: "" });
        else runOnce(c, s);
      }
    }

    const rssMethod = peakRss(runnable, samples);

    const good = (name: string) => (samples.get(name) as Sample).ms.filter(Number.isFinite);
    const ms = (name: string) => {
      const runs = good(name);
      return runs.length > 0 ? median(runs) * 1e6 : undefined;
    };
    const detail = (name: string) => {
      const s = samples.get(name) as Sample;
      const runs = good(name);
      if (runs.length === 0) return s.problem ?? "no runs";
      const p90 = quantile(runs, 0.9);
      const faults = s.faults !== undefined && s.faults.length > 0 ? `, ${median(s.faults)} page faults` : "";
      return `p90 ${p90.toFixed(2)} ms, min ${Math.min(...runs).toFixed(2)} ms, n=${runs.length}${faults}${s.problem ? `; some runs failed: ${s.problem}` : ""}`;
    };
    // Each round runs every command once, so the i-th runs of two commands are neighbours in time: the
    // ratio is the median over the rounds where both succeeded.
    const paired = (name: string, floorName: string) =>
      medianRatio((samples.get(name) as Sample).ms, (samples.get(floorName) as Sample).ms);
    const rss = (name: string) => {
      const s = samples.get(name) as Sample;
      return s.rss.length > 0 ? median(s.rss) : undefined;
    };
    const flagText = flags.join(" ");
    const compiledHello = { name: "compiled hello world", value: ms("compiledHello"), kind: "floor" as const };
    const emptyFile = { name: "bun <empty file>", value: ms("empty"), kind: "floor" as const };
    const compiledMinimal = { name: "compiled minimal-jit", value: ms("compiledMinimal"), kind: "floor" as const };
    const bunMinimal = { name: "bun minimal-jit.js", value: ms("sourceMinimal"), kind: "floor" as const };
    const versus = (name: string, floorName: string, what: string) => {
      const r = paired(name, floorName);
      return r === undefined ? "" : `; ${r.toFixed(2)}× ${what}`;
    };
    return [
      { section: "4 start", name: `floor: compiled hello world (bun build ${flagText})`, value: compiledHello.value, unit: "ns", detail: detail("compiledHello") },
      { section: "4 start", name: "reference: compiled bench/minimal-jit.js 2 (same flags)", value: compiledMinimal.value, unit: "ns", detail: detail("compiledMinimal"), ref: compiledHello, ratio: paired("compiledMinimal", "compiledHello") },
      {
        section: "4 start",
        name: "compiled babyjit 2 (built like dist/babyjit)",
        value: ms("compiled"),
        unit: "ns",
        detail: detail("compiled") + versus("compiled", "compiledHello", "the compiled hello world"),
        ref: compiledMinimal,
        ratio: paired("compiled", "compiledMinimal"),
        budget: 1.2,
      },
      { section: "4 start", name: "floor: bun <empty file>", value: emptyFile.value, unit: "ns", detail: detail("empty") },
      { section: "4 start", name: "reference: bun bench/minimal-jit.js 2", value: bunMinimal.value, unit: "ns", detail: detail("sourceMinimal"), ref: emptyFile, ratio: paired("sourceMinimal", "empty") },
      {
        section: "4 start",
        name: "installed package: node_modules/babyjit/bin/babyjit.js 2 (the bin is the bytecode bundle)",
        value: ms("installed"),
        unit: "ns",
        detail: detail("installed") + versus("installed", "empty", "the empty file"),
        ref: bunMinimal,
        ratio: paired("installed", "sourceMinimal"),
        budget: 1.2,
      },
      {
        section: "4 start",
        name: "bun bin/babyjit.js 2 (a git checkout: the sources)",
        value: ms("source"),
        unit: "ns",
        detail: detail("source") + versus("source", "empty", "the empty file"),
        ref: bunMinimal,
        ratio: paired("source", "sourceMinimal"),
      },
      {
        section: "5 memory",
        name: "peak RSS, compiled babyjit 2",
        value: rss("compiled"),
        unit: "bytes",
        detail: rssMethod,
        ref: { name: "compiled hello", value: rss("compiledHello"), kind: "floor" },
      },
      {
        section: "5 memory",
        name: "peak RSS, bun bin/babyjit.js 2",
        value: rss("source"),
        unit: "bytes",
        detail: rssMethod,
        ref: { name: "bun <empty file>", value: rss("empty"), kind: "floor" },
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `bun bench/startup.ts`: this section alone (BENCH_SCALE=0.3 for a quicker, noisier run).
if (import.meta.main) {
  const { textTable, verdictLines } = await import("./report.ts");
  const rows = await startupSection();
  console.log(`Bun ${Bun.version} (${Bun.revision}), ${new Date().toISOString()}\n\n${textTable(rows)}\n\n${verdictLines(rows).join("\n")}`);
}
