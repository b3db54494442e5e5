/**
 * Sections 6-9: the Brainfuck chapter (src/bf/).
 *
 *   6 bf compile  compileBrainfuck + dispose for a small and a large program (next to compileAdder +
 *                 dispose), and the throughput on a generated multi-megabyte program (target: at
 *                 least 10 MB/s), with where the time goes: parse, optimize, generate, install.
 *   7 bf run      in-process run time of the compiled program next to a plain JavaScript interpreter
 *                 (bench/bf-interp.ts), for a program generated here and the public ones.
 *   8 bf process  the whole `bun bin/babyjit.js --bf FILE` process, and the compiled executable (built
 *                 like dist/babyjit), next to the program translated to C (bench/bf2c.ts) and built
 *                 with `cc -O2`; output to /dev/null, interleaved rounds, medians, paired ratios. The
 *                 target on heavy programs (Mandelbrot): within 1.10× of C, and faster than
 *                 Bendersky's optimizing JIT (0.74–0.87 s on Mandelbrot, a figure from
 *                 ../shared/bf/README.md: it cannot be built here).
 *
 * The public programs (mandelbrot.bf, factor.bf, sierpinski.bf) are not part of the project: they
 * are read from ../shared/bf/ when that folder exists, and their rows are skipped (said so) when not.
 *
 *   9 bf tritium  the compiled executable next to tritium (`tritium -b8 -B -E1 -q`, built from
 *                 ../shared/bf/peers when it and a C compiler exist), program by program: programs of
 *                 the public corpora's families written here (bf-programs.ts) and the public ones.
 *
 *   bun bench/bf.ts                    # these sections alone, table on stdout (RESULTS.md untouched)
 *   bun bench/bf.ts --tritium          # section 9 alone
 *   BENCH_BF_SLOW=1 bun run bench      # also the interpreter on mandelbrot and factor.in (minutes)
 */
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildFlags } from "../scripts/build-flags.ts";
import type { Assembler } from "../src/emit.ts";
import type { BrainfuckProgram, CompileOptions } from "../src/bf/compile.ts";
import type { BfBackend, BfCode, BfOptions } from "../src/bf/codegen.ts";
import type { OpTable } from "../src/bf/table.ts";
import type { CodeMemory } from "../src/jit.ts";
import type { Target } from "../src/platform.ts";
import { interpret } from "./bf-interp.ts";
import { brainfuckToC } from "./bf2c.ts";
import { type Case, describeTiming, measureCases, pairedRatio, SCALE } from "./measure.ts";
import { type Row, formatValue, median, medianRatio } from "./report.ts";

const ROOT = resolve(import.meta.dir, "..");
/** Where the public programs are looked for (BENCH_BF_SHARED overrides it, e.g. to check the skipped rows). */
export const SHARED = resolve(ROOT, process.env.BENCH_BF_SHARED ?? "../shared/bf");
const SLOW = process.env.BENCH_BF_SLOW === "1";
const fmt = (ns: number) => formatValue(ns, "ns");
const log = (text: string) => process.stderr.write(`bench: bf: ${text}\n`);

// ---------------------------------------------------------------------------------------------------
// Programs written or generated here.

/**
 * Text to Brainfuck, written for this bench: each character from the previous one, directly when the
 * step is small, otherwise with a multiply loop on the next cell (`>++++++[<++++++++>-]<+`).
 */
function printing(text: string): string {
  let out = "";
  let cell = 0;
  for (const ch of text) {
    const code = ch.charCodeAt(0) & 0xff;
    let d = code - cell;
    if (Math.abs(d) > 12) {
      const f = Math.floor(Math.sqrt(Math.abs(d)));
      const times = Math.floor(Math.abs(d) / f);
      const sign = d > 0 ? "+" : "-";
      out += `>${"+".repeat(times)}[<${sign.repeat(f)}>-]<`;
      d -= Math.sign(d) * f * times;
    }
    out += (d > 0 ? "+" : "-").repeat(Math.abs(d));
    out += ".";
    cell = code;
  }
  return out;
}

/** A small program: prints "Hello, babyjit!" and a newline. */
export const HELLO = printing("Hello, babyjit!\n");

/** xorshift32: a small deterministic generator, so every run compiles the same programs. */
function random(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

/**
 * About `bytes` of Brainfuck shaped like real programs: runs of +-<>, copy and multiply loops
 * (`[->++>+<<]`), clear loops, a few scans, output and input, and nested loops (mostly balanced, up to
 * six deep), on lines of ~70 characters with a comment word now and then. It compiles; it is not
 * meant to be run (the pointer may leave the tape).
 */
export function generateBrainfuck(bytes: number, seed = 1): string {
  const rnd = random(seed);
  const parts: string[] = [];
  let length = 0;
  let column = 0;
  let pos = 0; // where the pointer is, roughly: kept near the first hundred cells
  const put = (text: string) => {
    parts.push(text);
    length += text.length;
    column += text.length;
    if (column >= 70) {
      parts.push("\n");
      length++;
      column = 0;
    }
  };
  const moveBy = (d: number) => {
    if (d !== 0) put((d > 0 ? ">" : "<").repeat(Math.abs(d)));
    pos += d;
  };
  const WORDS = ["set the counter", "copy", "next digit", "loop", "print it", "carry"];
  const statement = (depth: number): void => {
    const before = parts.length;
    const r = rnd(100);
    if (r < 28) put((rnd(2) === 0 ? "+" : "-").repeat(1 + rnd(10)));
    else if (r < 48) {
      const d = 1 + rnd(5);
      moveBy(pos > 60 || (pos > 0 && rnd(2) === 0) ? -d : d);
    } else if (r < 60) {
      // [->+>+++<<]: one to three targets to the right or left.
      const targets = 1 + rnd(3);
      const dir = pos > 40 ? -1 : 1;
      let text = rnd(4) === 0 ? "[--" : "[-";
      let at = 0;
      for (let t = 0; t < targets; t++) {
        const step = 1 + rnd(3);
        text += (dir > 0 ? ">" : "<").repeat(step) + (rnd(5) === 0 ? "-" : "+").repeat(1 + rnd(4));
        at += step;
      }
      put(`${text}${(dir > 0 ? "<" : ">").repeat(at)}]`);
    } else if (r < 65) put("[-]");
    else if (r < 67) put(rnd(2) === 0 ? "[>]" : "[<]");
    else if (r < 73) put(".");
    else if (r < 74) put(",");
    else if (r < 75) put(` ${WORDS[rnd(WORDS.length)] ?? ""} `);
    else if (depth < 6) {
      const start = pos;
      put("[");
      const n = 2 + rnd(7);
      for (let i = 0; i < n; i++) statement(depth + 1);
      if (rnd(100) < 85) moveBy(start - pos); // balanced: back where the loop started
      put("]");
    } else put("+");
    // A loop leaves its cell at 0, where the next loop would be dead code: real programs move or add
    // first, and so does this one.
    const last = parts[parts.length - 1] === "\n" ? parts[parts.length - 2] : parts[parts.length - 1];
    if (parts.length > before && last?.endsWith("]")) moveBy(pos > 30 ? -(1 + rnd(3)) : 1 + rnd(3));
  };
  put("+");
  while (length < bytes) statement(0);
  return parts.join("");
}

/**
 * A program that runs: three nested counting loops (5 × 200 × 250 passes of the innermost body, which
 * holds adds, moves and a copy loop the optimizer turns into a multiply), an output byte per middle
 * pass, and the data cells printed at the end. Its output is checked against the interpreter's.
 */
export const WORKLOAD = [
  ">+++++", // c1 = 5, the outer counter
  "[-",
  ">+++++[>++++++++++<-]>[<++++>-]<", // c2 = 200, the middle counter (c3, zero here, as the temporary)
  "[-",
  ">------", // c3 = 250, the inner counter
  "[-",
  ">+>+++>->++<<<<", // c4 += 1, c5 += 3, c6 -= 1, c7 += 2
  ">>>[->>+<+<]>[-<+>]<<<<", // c6 into c7 and c8, then c7 back into c6 (two multiply loops)
  ">+<", // c4 += 1
  "]",
  ">.<<", // print c4, back to c2
  "]",
  "<",
  "]",
  ">>>.>.>.>.>.>.", // c4 .. c9
].join("");

// ---------------------------------------------------------------------------------------------------
// The phases of compileBrainfuck, for the throughput breakdown (the same calls compile.ts makes).

interface Phases {
  readonly compileBrainfuck: (source: string, options?: CompileOptions) => BrainfuckProgram;
  readonly parse: (source: string) => OpTable;
  readonly optimize: (ops: OpTable) => OpTable;
  readonly generate: (ops: OpTable) => BfCode;
  readonly install: (bf: BfCode, source: string) => BrainfuckProgram;
}

async function loadPhases(): Promise<Phases> {
  const [compile, optimize, codegen, x64, arm64, runtime, jit] = await Promise.all([
    import("../src/bf/compile.ts"),
    import("../src/bf/optimize.ts"),
    import("../src/bf/codegen.ts"),
    import("../src/bf/x64.ts"),
    import("../src/bf/arm64.ts"),
    import("../src/bf/runtime.ts"),
    import("../src/jit.ts"),
  ]);
  const memory: CodeMemory = jit.hostMemory();
  const options: BfOptions = { tape: compile.DEFAULT_TAPE, eof: "unchanged" };
  const backend = (asm: Assembler, target: Target, o: BfOptions): BfBackend =>
    asm.arch === "x64" ? x64.x64Backend(asm, target, o) : arm64.arm64Backend(asm, target, o);
  return {
    compileBrainfuck: compile.compileBrainfuck,
    parse: (source) => optimize.readProgram(source), // the parser and the first walk, as compile.ts does
    optimize: (ops) => optimize.optimizeRead(ops),
    generate: (ops) => codegen.generate(ops, memory.target, options, backend),
    install: (bf, source) => runtime.load(memory, bf, source, options, () => ""),
  };
}

// ---------------------------------------------------------------------------------------------------
// Section 6: compile time and throughput.

const MB = 1e6;

async function compileRows(phases: Phases, mandelbrot: string | undefined): Promise<Row[]> {
  const { compileAdder } = await import("../src/index.ts");
  const large = generateBrainfuck(100_000, 7);
  compileAdder(1).dispose();
  const compileCase = (name: string, source: string): Case => ({
    name,
    bench: () => phases.compileBrainfuck(source).dispose(),
  });
  const cases: Case[] = [
    { name: "adder", bench: () => compileAdder(3).dispose() },
    compileCase("small", HELLO),
    compileCase("large", large),
    ...(mandelbrot === undefined ? [] : [compileCase("mandelbrot", mandelbrot)]),
  ];
  const t = await measureCases(cases, { rounds: 5, cpuTimeNs: 60e6 });
  const adder = { name: "compileAdder+dispose", value: t.get("adder")?.p50, kind: "floor" as const };
  const rate = (source: string) => ({ name: "10 MB/s", value: (source.length / (10 * MB)) * 1e9, kind: "limit" as const });
  const codeBytes = (source: string) => {
    const p = phases.compileBrainfuck(source);
    const n = p.bytes.length;
    p.dispose();
    return n;
  };
  const rows: Row[] = [
    { section: "6 bf compile", name: "floor: compileAdder(n) + dispose()", value: adder.value, unit: "ns", detail: describeTiming(t.get("adder"), fmt) },
    {
      section: "6 bf compile",
      name: `compileBrainfuck small (${HELLO.length} B, hello world) + dispose()`,
      value: t.get("small")?.p50,
      unit: "ns",
      detail: `${describeTiming(t.get("small"), fmt)}; ${codeBytes(HELLO)} B of code`,
      ref: adder,
      ratio: pairedRatio(t.get("small"), t.get("adder")),
    },
    {
      section: "6 bf compile",
      name: `compileBrainfuck large (${(large.length / 1000).toFixed(0)} KB generated) + dispose()`,
      value: t.get("large")?.p50,
      unit: "ns",
      detail: `${describeTiming(t.get("large"), fmt)}; ${mbps(large.length, t.get("large")?.p50)}; ${codeBytes(large).toLocaleString("en-US")} B of code`,
      ref: rate(large),
    },
    mandelbrot === undefined
      ? skipped("6 bf compile", "compileBrainfuck mandelbrot.bf + dispose()")
      : {
          section: "6 bf compile",
          name: `compileBrainfuck mandelbrot.bf (${(mandelbrot.length / 1000).toFixed(1)} KB, ../shared/bf) + dispose()`,
          value: t.get("mandelbrot")?.p50,
          unit: "ns",
          detail: `${describeTiming(t.get("mandelbrot"), fmt)}; ${mbps(mandelbrot.length, t.get("mandelbrot")?.p50)}; ${codeBytes(mandelbrot).toLocaleString("en-US")} B of code`,
          ref: rate(mandelbrot),
        },
  ];
  return [...rows, ...throughputRows(phases)];
}

const mbps = (bytes: number, ns: number | undefined) => (ns === undefined ? "n/a MB/s" : `${(bytes / MB / (ns / 1e9)).toFixed(1)} MB/s`);

/**
 * The generated multi-megabyte program, compiled whole (compileBrainfuck + dispose) and phase by
 * phase, alternately, a few times each (no warm-up: one compile is seconds, and hot within the first
 * run): a compile this long does not suit mitata's twelve-sample minimum.
 */
function throughputRows(phases: Phases): Row[] {
  const source = generateBrainfuck(4 * 1024 * 1024, 11);
  const runs = Math.max(3, Math.round(5 * SCALE));
  const whole: number[] = [];
  const parts = { parse: [] as number[], optimize: [] as number[], generate: [] as number[], install: [] as number[] };
  let ops = 0, code = 0;
  for (let i = 0; i < runs; i++) {
    Bun.gc(true);
    const t0 = Bun.nanoseconds();
    phases.compileBrainfuck(source).dispose();
    const t1 = Bun.nanoseconds();
    Bun.gc(true);
    const p0 = Bun.nanoseconds();
    const parsed = phases.parse(source);
    const p1 = Bun.nanoseconds();
    const optimized = phases.optimize(parsed);
    const p2 = Bun.nanoseconds();
    const bf = phases.generate(optimized);
    const p3 = Bun.nanoseconds();
    phases.install(bf, source).dispose();
    const p4 = Bun.nanoseconds();
    whole.push(t1 - t0);
    parts.parse.push(p1 - p0);
    parts.optimize.push(p2 - p1);
    parts.generate.push(p3 - p2);
    parts.install.push(p4 - p3);
    ops = optimized.length;
    code = bf.code.bytes.length;
  }
  // As for the other in-process rows, the value is the best run (outside load only ever slows a run
  // down), with the median beside it.
  const total = Math.min(...whole);
  const limit = { name: "10 MB/s", value: (source.length / (10 * MB)) * 1e9, kind: "limit" as const };
  const sum = median(whole.map((_, i) => (["parse", "optimize", "generate", "install"] as const).reduce((s, k) => s + (parts[k][i] ?? 0), 0)));
  const phaseRow = (key: keyof typeof parts, what: string): Row => ({
    section: "6 bf compile",
    name: `  ${key}: ${what}`,
    value: median(parts[key]),
    unit: "ns",
    detail: `${mbps(source.length, median(parts[key]))}; min ${fmt(Math.min(...parts[key]))}`,
    ref: { name: "sum of the phases", value: sum, kind: "floor" },
    ratio: medianRatio(parts[key], whole.map((_, i) => (["parse", "optimize", "generate", "install"] as const).reduce((s, k) => s + (parts[k][i] ?? 0), 0))),
  });
  return [
    {
      section: "6 bf compile",
      name: `compileBrainfuck ${(source.length / MB).toFixed(1)} MB generated + dispose(): throughput`,
      value: total,
      unit: "ns",
      detail: `${mbps(source.length, total)} (best of ${runs}), median ${mbps(source.length, median(whole))} (${fmt(median(whole))}); ${ops.toLocaleString("en-US")} ops after optimizing, ${(code / MB).toFixed(1)} MB of code`,
      ref: limit,
      budget: 1,
    },
    phaseRow("parse", "source to IR: runs folded, loops rewritten as read"),
    phaseRow("optimize", "the bounds checks and deferred moves"),
    phaseRow("generate", "IR to machine code (backend + emitter)"),
    phaseRow("install", "map tape and buffers, install the code, dispose"),
  ];
}

// ---------------------------------------------------------------------------------------------------
// Section 7: in-process run time next to the JavaScript interpreter.

interface Program {
  readonly name: string;
  readonly source: string;
  readonly input: Uint8Array;
  /** The expected output, when a file gives it; otherwise the interpreter's output is the reference. */
  readonly expected?: Uint8Array;
  /** The interpreter takes minutes: only with BENCH_BF_SLOW=1. */
  readonly slowInterp?: boolean;
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

function runRows(phases: Phases, programs: readonly Program[]): Row[] {
  const rows: Row[] = [];
  const rounds = Math.max(3, Math.round(3 * SCALE));
  for (const p of programs) {
    const program = phases.compileBrainfuck(p.source);
    try {
      const jit: number[] = [];
      const interp: number[] = [];
      const runInterp = !p.slowInterp || SLOW;
      let problem: string | undefined;
      let expected = p.expected;
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? ["jit", "interp"] : ["interp", "jit"];
        for (const which of order) {
          if (which === "interp" && (!runInterp || (p.slowInterp === true && r > 0))) continue; // slow: one round
          Bun.gc(true);
          const t0 = Bun.nanoseconds();
          const out = which === "jit" ? program.run(p.input) : interpret(p.source, p.input);
          const ns = Bun.nanoseconds() - t0;
          expected ??= which === "interp" ? out : undefined;
          if (expected !== undefined && !same(out, expected)) problem ??= `${which} output differs (${out.length} B)`;
          (which === "jit" ? jit : interp).push(ns);
        }
      }
      const check = problem ?? (p.expected !== undefined ? "output matches the .out file" : interp.length > 0 ? "output matches the interpreter's" : "output not checked");
      const compiled = { name: "compiled", value: median(jit), kind: "floor" as const };
      rows.push({
        section: "7 bf run",
        name: `${p.name}: compiled, program.run()`,
        value: compiled.value,
        unit: "ns",
        detail: `median of ${jit.length}, min ${fmt(Math.min(...jit))}; compile excluded; ${check}`,
      });
      rows.push({
        section: "7 bf run",
        name: `${p.name}: JS interpreter (bench/bf-interp.ts)`,
        value: interp.length > 0 ? median(interp) : undefined,
        unit: "ns",
        detail: runInterp ? `median of ${interp.length}, min ${fmt(Math.min(...interp))}` : "not run (minutes); BENCH_BF_SLOW=1 runs it once",
        ref: compiled,
        ratio: interp.length === jit.length ? medianRatio(interp, jit) : undefined,
      });
    } finally {
      program.dispose();
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------
// Section 8: whole processes next to C.

interface Command {
  readonly name: string;
  readonly cmd: string[];
  readonly unavailable?: string | undefined;
}

async function buildExecutable(dir: string): Promise<{ path: string; problem?: string }> {
  const pkg = (await Bun.file(join(ROOT, "package.json")).json()) as { scripts?: { build?: string } };
  const { flags, entry } = buildFlags(pkg.scripts?.build ?? "");
  const path = join(dir, "babyjit");
  const r = Bun.spawnSync({ cmd: [process.execPath, "build", ...flags, entry, "--outfile", path], cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  return r.exitCode === 0 ? { path } : { path, problem: `bun build failed (${r.exitCode}): ${r.stderr.toString().trim().split("\n").slice(-2).join(" ")}` };
}

function buildC(dir: string, name: string, source: string): { path: string; ms: number; problem?: string } {
  const c = join(dir, `${name}.c`);
  const path = join(dir, `${name}-c`);
  writeFileSync(c, brainfuckToC(source));
  const t0 = performance.now();
  const r = Bun.spawnSync({ cmd: ["cc", "-O2", c, "-o", path], stdout: "pipe", stderr: "pipe" });
  const ms = performance.now() - t0;
  return r.exitCode === 0 ? { path, ms } : { path, ms, problem: `cc -O2 failed: ${r.stderr.toString().trim().slice(0, 200)}` };
}

/** One run; stdout to /dev/null (or captured, to check it), stdin from `input` when given. Wall and CPU ms. */
function spawnOnce(cmd: string[], input: string | undefined, capture: boolean): { ms: number; cpuMs: number; ok: boolean; out?: Uint8Array; err: string } {
  const stdin = input === undefined ? "ignore" : openSync(input, "r");
  const stdout = capture ? "pipe" : openSync("/dev/null", "w");
  try {
    const t0 = performance.now();
    const r = Bun.spawnSync({ cmd, cwd: ROOT, stdin, stdout, stderr: "pipe" });
    const ms = performance.now() - t0;
    const cpu = r.resourceUsage === undefined ? Number.NaN : Number(r.resourceUsage.cpuTime.total) / 1000;
    return { ms, cpuMs: cpu, ok: r.exitCode === 0, ...(capture ? { out: new Uint8Array(r.stdout ?? new Uint8Array(0)) } : {}), err: r.stderr.toString().trim().slice(0, 200) };
  } finally {
    if (typeof stdin === "number") closeSync(stdin);
    if (typeof stdout === "number") closeSync(stdout);
  }
}

/** Bendersky's optimizing JIT on Mandelbrot, from ../shared/bf/README.md (not buildable here). */
export const BENDERSKY_MANDELBROT_S = { lo: 0.74, hi: 0.87 } as const;

async function processRows(names: readonly string[]): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), "babyjit-bench-bf-"));
  try {
    const hasCc = Bun.spawnSync({ cmd: ["sh", "-c", "command -v cc"], stdout: "pipe" }).exitCode === 0;
    const exe = await buildExecutable(dir);
    const rows: Row[] = [];
    const rounds = Math.max(3, Math.round(5 * SCALE));
    for (const name of names) {
      const source = readFileSync(join(SHARED, `${name}.bf`), "utf8");
      const inputFile = join(SHARED, `${name}.in`);
      const input = existsSync(inputFile) ? inputFile : undefined;
      const expected = new Uint8Array(readFileSync(join(SHARED, `${name}.out`)));
      const c = hasCc ? buildC(dir, name, source) : undefined;
      const file = join(SHARED, `${name}.bf`);
      const commands: Command[] = [
        { name: "c", cmd: [c?.path ?? "cc"], unavailable: c === undefined ? "no cc on this machine" : c.problem },
        { name: "source", cmd: [process.execPath, join(ROOT, "bin/babyjit.js"), "--bf", file] },
        { name: "compiled", cmd: [exe.path, "--bf", file], unavailable: exe.problem },
      ];
      const wall = new Map<string, number[]>(commands.map((k) => [k.name, []]));
      const cpu = new Map<string, number[]>(commands.map((k) => [k.name, []]));
      const problems = new Map<string, string>();
      const runnable = commands.filter((k) => k.unavailable === undefined);
      for (const k of runnable) {
        // The check run doubles as the warm-up (page cache, the executable's first start).
        const r = spawnOnce(k.cmd, input, true);
        if (!r.ok || r.out === undefined || !same(r.out, expected)) problems.set(k.name, `output differs from ${name}.out (exit ok: ${r.ok}, ${r.out?.length ?? 0} B) ${r.err}`);
      }
      for (let round = 0; round < rounds; round++) {
        for (let i = 0; i < runnable.length; i++) {
          const k = runnable[(i + round) % runnable.length] as Command;
          const r = spawnOnce(k.cmd, input, false);
          wall.get(k.name)?.push(r.ok ? r.ms : Number.NaN);
          cpu.get(k.name)?.push(r.ok ? r.cpuMs : Number.NaN);
          if (!r.ok) problems.set(k.name, `exit failed: ${r.err}`);
        }
      }
      const value = (n: string) => {
        const ms = (wall.get(n) ?? []).filter(Number.isFinite);
        return ms.length > 0 ? median(ms) * 1e6 : undefined;
      };
      const detail = (n: string) => {
        const k = commands.find((x) => x.name === n) as Command;
        if (k.unavailable !== undefined) return k.unavailable;
        const ms = (wall.get(n) ?? []).filter(Number.isFinite);
        const cpuMs = (cpu.get(n) ?? []).filter(Number.isFinite);
        const check = problems.get(n) ?? `output matches ${name}.out`;
        return `min ${Math.min(...ms).toFixed(1)} ms, CPU (user+sys) median ${median(cpuMs).toFixed(1)} ms, n=${ms.length}; ${check}`;
      };
      const cpuRatio = (n: string) => {
        const r = medianRatio(cpu.get(n) ?? [], cpu.get("c") ?? []);
        return r === undefined ? "" : `; CPU-time ratio to C ${r.toFixed(2)}×`;
      };
      const cRef = { name: "C (bf2c, cc -O2)", value: value("c"), kind: "floor" as const };
      const heavy = name === "mandelbrot";
      rows.push(
        {
          section: "8 bf process",
          name: `${name}.bf: C translation, cc -O2 (floor)`,
          value: value("c"),
          unit: "ns",
          detail: `${detail("c")}${c === undefined || c.problem ? "" : `; cc -O2 took ${c.ms.toFixed(0)} ms`}`,
        },
        {
          section: "8 bf process",
          name: `${name}.bf: bun bin/babyjit.js --bf`,
          value: value("source"),
          unit: "ns",
          detail: detail("source") + cpuRatio("source"),
          ref: cRef,
          ratio: medianRatio(wall.get("source") ?? [], wall.get("c") ?? []),
          ...(heavy ? { budget: 1.1 } : {}),
        },
        {
          section: "8 bf process",
          name: `${name}.bf: compiled babyjit --bf (built like dist/babyjit)`,
          value: value("compiled"),
          unit: "ns",
          detail: detail("compiled") + cpuRatio("compiled"),
          ref: cRef,
          ratio: medianRatio(wall.get("compiled") ?? [], wall.get("c") ?? []),
          ...(heavy ? { budget: 1.1 } : {}),
        },
      );
      if (heavy) {
        // His figure is an external one, from a machine to itself: compared with the CPU time (user+sys),
        // which waiting for a core on a shared machine does not inflate the way it does wall time. His JIT
        // is a compiled C++ program, so the like-for-like form of babyjit is its single-file executable
        // (the budget's row); the checkout's bin, which Bun transpiles from TypeScript on every start
        // and whose compiler runs cold, is shown beside it.
        const benderskyRow = (kind: "compiled" | "source", label: string, budget: boolean): Row => {
          const cpuMs = (cpu.get(kind) ?? []).filter(Number.isFinite);
          return {
            section: "8 bf process",
            name: `${name}.bf: ${label} (CPU time) next to Bendersky's optimizing JIT`,
            value: cpuMs.length > 0 ? median(cpuMs) * 1e6 : undefined,
            unit: "ns",
            detail: `median user+sys of the runs above (wall median ${fmt(value(kind) ?? Number.NaN)}); his figure ${BENDERSKY_MANDELBROT_S.lo}–${BENDERSKY_MANDELBROT_S.hi} s (whole process) from ../shared/bf/README.md, same kind of machine, not built here; compared with its low end`,
            ref: { name: "Bendersky optasmjit (README)", value: BENDERSKY_MANDELBROT_S.lo * 1e9, kind: "limit" },
            ...(budget ? { budget: 1 } : {}),
          };
        };
        rows.push(benderskyRow("compiled", "compiled babyjit --bf", true), benderskyRow("source", "bun bin/babyjit.js --bf", false));
      }
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// Section 9: whole processes next to tritium, the strongest public Brainfuck optimizer.

/** Where tritium's source and build script are (../shared/bf/peers), and where it is built (outside any repository). */
const PEERS = join(SHARED, "peers");
const TRITIUM_DIR = join(tmpdir(), "babyjit-bench-tritium");

/** tritium built with its own script (about 30 s, once; kept in the temporary folder), or why not. */
function buildTritium(): { path: string } | { problem: string } {
  const script = join(PEERS, "build-tritium.sh");
  if (!existsSync(script)) return { problem: `skipped: ${PEERS} not found (tritium's source is not part of the project)` };
  if (Bun.spawnSync({ cmd: ["sh", "-c", "command -v cc || command -v gcc"], stdout: "pipe" }).exitCode !== 0) return { problem: "skipped: no C compiler on this machine" };
  const r = Bun.spawnSync({ cmd: ["bash", script, TRITIUM_DIR], stdout: "pipe", stderr: "pipe" });
  const path = join(TRITIUM_DIR, "tritium");
  return r.exitCode === 0 && existsSync(path) ? { path } : { problem: `skipped: tritium did not build: ${r.stderr.toString().trim().slice(0, 200)}` };
}

/** The programs of the tritium table: the families of the public corpora, written here (bf-programs.ts), and the public ones when present. */
async function tritiumPrograms(shared: boolean): Promise<{ name: string; source: string; input?: string }[]> {
  const p = await import("./bf-programs.ts");
  const list: { name: string; source: string; input?: string }[] = [
    { name: "empty program", source: "" },
    { name: "primes up to 255, trial division by divmod", source: p.primes(255) },
    { name: "primes up to 255, remainders by counting", source: p.primesCounting(255) },
    { name: "counter, 7 digits, 12.5 million steps", source: p.counter(7, 250) },
    { name: "Collatz lengths of 1..650, 16-bit", source: p.collatz(650) },
    { name: "powers of two to 2^255 in decimal", source: p.powersOfTwo(255) },
    { name: "Life, 8x8 torus, 400 generations", source: p.life(8, 400) },
    { name: "Hanoi, 16 disks", source: p.hanoi(16) },
  ];
  if (shared) {
    for (const n of PUBLIC) {
      const input = join(SHARED, `${n}.in`);
      list.push({ name: `${n}.bf (../shared/bf)`, source: readFileSync(join(SHARED, `${n}.bf`), "utf8"), ...(existsSync(input) ? { input } : {}) });
    }
  }
  return list;
}

/**
 * babyjit's compiled executable and `tritium -b8 -B -E1 -q` (its DynASM JIT, its fastest mode: 8-bit
 * cells, EOF leaves the cell, bytes unchanged), whole processes, interleaved rounds, the best of each. The
 * targets: faster than tritium where tritium takes over 50 ms; on shorter programs, babyjit's time
 * beyond its own empty program's no more than tritium's whole time; a geometric mean of at most 0.8x.
 */
async function tritiumRows(shared: boolean): Promise<Row[]> {
  const section = "9 bf tritium";
  const tritium = buildTritium();
  if ("problem" in tritium) return [{ section, name: "babyjit next to tritium", value: undefined, unit: "ns", note: tritium.problem }];
  const dir = mkdtempSync(join(tmpdir(), "babyjit-bench-bf-tritium-"));
  try {
    const exe = await buildExecutable(dir);
    if (exe.problem !== undefined) return [{ section, name: "babyjit next to tritium", value: undefined, unit: "ns", note: exe.problem }];
    const programs = await tritiumPrograms(shared);
    const rounds = Math.max(3, Math.round(5 * SCALE));
    const results: { name: string; babyjit: number[]; tritium: number[]; cpu: { babyjit: number[]; tritium: number[] }; problem?: string }[] = [];
    for (const [k, p] of programs.entries()) {
      const file = join(dir, `p${k}.b`);
      writeFileSync(file, p.source);
      const cmds = { babyjit: [exe.path, "--bf", file], tritium: [tritium.path, "-b8", "-B", "-E1", "-q", file] };
      const a = spawnOnce(cmds.babyjit, p.input, true), b = spawnOnce(cmds.tritium, p.input, true);
      const problem = !a.ok ? `babyjit failed: ${a.err}` : !b.ok ? `tritium failed: ${b.err}` : !same(a.out ?? new Uint8Array(), b.out ?? new Uint8Array()) ? "outputs differ" : undefined;
      const r = { name: p.name, babyjit: [] as number[], tritium: [] as number[], cpu: { babyjit: [] as number[], tritium: [] as number[] }, ...(problem === undefined ? {} : { problem }) };
      for (let round = 0; round < rounds; round++) {
        for (const who of round % 2 === 0 ? (["babyjit", "tritium"] as const) : (["tritium", "babyjit"] as const)) {
          const t = spawnOnce(cmds[who], p.input, false);
          r[who].push(t.ok ? t.ms : Number.NaN);
          r.cpu[who].push(t.ok ? t.cpuMs : Number.NaN);
        }
      }
      results.push(r);
    }
    // Minimums: on a shared machine, load only ever slows a process down, so the fastest of the
    // rounds is the closest to the program's own time (medians and ranges are in the details).
    const best = (xs: number[]) => Math.min(...xs.filter(Number.isFinite));
    const empty = results[0] as (typeof results)[number];
    const emptyMs = best(empty.babyjit);
    const rows: Row[] = [];
    const ratios: number[] = [];
    for (const r of results) {
      const b = best(r.babyjit), t = best(r.tritium);
      const range = (xs: number[]) => `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)} ms`;
      const heavy = t > 50;
      const isEmpty = r === empty;
      if (!isEmpty) ratios.push(b / t);
      rows.push({
        section,
        name: `${r.name}: tritium -q`,
        value: t * 1e6,
        unit: "ns",
        detail: `best of ${r.tritium.length}, median ${median(r.tritium).toFixed(1)} ms, range ${range(r.tritium)}${r.problem === undefined ? "; same output as babyjit" : `; ${r.problem}`}`,
      });
      rows.push({
        section,
        name: `${r.name}: babyjit${heavy || isEmpty ? "" : ", beyond its empty program's start-up"}`,
        // Beyond start-up: undefined when load made the empty program's best slower than this one's.
        value: heavy || isEmpty ? b * 1e6 : b > emptyMs ? (b - emptyMs) * 1e6 : undefined,
        unit: "ns",
        detail: `best whole ${b.toFixed(1)} ms of ${r.babyjit.length}, median ${median(r.babyjit).toFixed(1)} ms, range ${range(r.babyjit)}; ${(b / t).toFixed(2)}x tritium's whole time; CPU best ${best(r.cpu.babyjit).toFixed(1)} ms, tritium's ${best(r.cpu.tritium).toFixed(1)} ms`,
        ref: { name: "tritium -q", value: t * 1e6, kind: "floor" },
        ...(isEmpty ? {} : { budget: 1 }),
        ...(r.problem === undefined ? {} : { note: r.problem }),
      });
    }
    const geo = Math.exp(ratios.reduce((s, x) => s + Math.log(x), 0) / Math.max(1, ratios.length));
    // CPU time (user+sys), which waiting for a core does not inflate: the same figures where the machine is shared.
    const cpuRatios = results.slice(1).map((r) => best(r.cpu.babyjit) / Math.max(0.5, best(r.cpu.tritium)));
    const cpuGeo = Math.exp(cpuRatios.reduce((s, x) => s + Math.log(x), 0) / Math.max(1, cpuRatios.length));
    rows.push({
      section,
      name: `geometric mean of babyjit / tritium (whole processes, ${ratios.length} programs)`,
      value: Number(geo.toFixed(3)),
      unit: "count",
      detail: `programs: ${results.slice(1).map((r) => `${(best(r.babyjit) / best(r.tritium)).toFixed(2)}`).join(", ")}`,
      ref: { name: "0.8", value: 0.8, kind: "limit" },
      ratio: geo / 0.8,
      budget: 1,
    });
    rows.push({
      section,
      name: `geometric mean of babyjit / tritium, CPU time (user+sys), best of each`,
      value: Number(cpuGeo.toFixed(3)),
      unit: "count",
      detail: `programs: ${cpuRatios.map((x) => x.toFixed(2)).join(", ")}`,
    });
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const skipped = (section: string, name: string): Row => ({
  section,
  name,
  value: undefined,
  unit: "ns",
  note: `skipped: ${SHARED} not found (the public programs are not part of the project)`,
});

// ---------------------------------------------------------------------------------------------------

const PUBLIC = ["mandelbrot", "factor", "sierpinski"] as const;

/** Sections 6, 7 and 8. */
export async function brainfuckSection(): Promise<Row[]> {
  const phases = await loadPhases();
  const shared = existsSync(SHARED) && PUBLIC.every((n) => existsSync(join(SHARED, `${n}.bf`)));
  if (!shared) log(`${SHARED} not found: the rows for mandelbrot.bf, factor.bf and sierpinski.bf are skipped`);
  const read = (n: string) => readFileSync(join(SHARED, n));
  log("compile time and throughput");
  const compile = await compileRows(phases, shared ? read("mandelbrot.bf").toString("utf8") : undefined);

  log("run time next to the JavaScript interpreter");
  const programs: Program[] = [{ name: "workload (written here, 250k inner passes)", source: WORKLOAD, input: new Uint8Array(0) }];
  if (shared) {
    programs.push(
      { name: "sierpinski.bf", source: read("sierpinski.bf").toString("utf8"), input: new Uint8Array(0), expected: new Uint8Array(read("sierpinski.out")) },
      // factor.in takes the interpreter ~30 s: a smaller prime (input written here) for the default run.
      { name: "factor.bf 1299709", source: read("factor.bf").toString("utf8"), input: new TextEncoder().encode("1299709\n") },
      { name: "factor.bf factor.in", source: read("factor.bf").toString("utf8"), input: new Uint8Array(read("factor.in")), expected: new Uint8Array(read("factor.out")), slowInterp: true },
      { name: "mandelbrot.bf", source: read("mandelbrot.bf").toString("utf8"), input: new Uint8Array(0), expected: new Uint8Array(read("mandelbrot.out")), slowInterp: true },
    );
  }
  const run = runRows(phases, programs);
  if (!shared) run.push(skipped("7 bf run", "mandelbrot.bf, factor.bf, sierpinski.bf"));

  log("whole processes next to C (builds an executable and the C programs)");
  const proc = shared ? await processRows(PUBLIC) : [skipped("8 bf process", "mandelbrot.bf, factor.bf, sierpinski.bf next to C")];
  log("whole processes next to tritium (builds tritium once, into the temporary folder)");
  const peers = await tritiumRows(shared);
  return [...compile, ...run, ...proc, ...peers];
}

if (import.meta.main) {
  const { textTable } = await import("./report.ts");
  // --tritium: that section alone.
  const only = process.argv.includes("--tritium");
  const shared = existsSync(SHARED) && PUBLIC.every((n) => existsSync(join(SHARED, `${n}.bf`)));
  console.log(textTable(only ? await tritiumRows(shared) : await brainfuckSection()));
}
