/**
 * The functions chapter under a profiler (issue 22): with --perf=map or BABYJIT_PERF, each of a
 * module's functions is named `fn:FILE:NAME` (FILE as given), the stubs after them `fn:FILE:(stubs)`;
 * with jitdump, each function's load carries its bytes and a line table pointing into the file. The
 * files are read back with test/support/perf.ts's readers, written from perf's documents.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assembleModule } from "../src/fn/compile.ts";
import { BIN, ROOT } from "./support/cli.ts";
import { type DumpRecord, parseJitdump, parseMap } from "./support/perf.ts";

const EXAMPLES = join(ROOT, "docs", "examples");
const SOURCE = readFileSync(join(EXAMPLES, "fib.ts"), "utf8");

function run(args: string[], env: Record<string, string | undefined> = {}) {
  const p = Bun.spawnSync([process.execPath, BIN, ...args], {
    cwd: EXAMPLES,
    env: { ...process.env, BABYJIT_PERF: undefined, NO_COLOR: "1", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  return { pid: p.pid, stdout: p.stdout.toString(), stderr: p.stderr.toString(), exitCode: p.exitCode ?? -1 };
}

describe.skipIf(process.platform !== "linux")("a module's functions, named for perf", () => {
  const here = assembleModule(SOURCE, { file: "fib.ts" });
  const names = ["fn:fib.ts:fib", "fn:fib.ts:gcd", "fn:fib.ts:sumTo", "fn:fib.ts:(stubs)"];

  test("--perf=map: one line per function, back to back, then the stubs, covering the whole module", () => {
    const r = run(["--perf=map", "--fn", "fib.ts", "fib", "20"]);
    expect(r).toMatchObject({ stdout: "6765\n", stderr: "", exitCode: 0 });
    const path = `/tmp/perf-${r.pid}.map`;
    const lines = parseMap(readFileSync(path, "utf8"));
    rmSync(path);
    const fn = lines.filter((l) => l.name.startsWith("fn:"));
    expect(fn.map((l) => l.name)).toEqual(names);
    const base = (fn[0] as { start: number }).start;
    expect(fn.map((l) => l.start - base)).toEqual([here.offsets.fib as number, here.offsets.gcd as number, here.offsets.sumTo as number, Math.min(...Object.values(here.entries))]);
    expect(fn.reduce((n, l) => n + l.size, 0)).toBe(here.bytes.length);
  });

  test("BABYJIT_PERF=jitdump: each function's load has its exact bytes, and a line table into fib.ts on its own lines", () => {
    const dir = mkdtempSync(join(tmpdir(), "babyjit-fn-jitdump-"));
    try {
      const r = run(["--fn", "fib.ts", "gcd", "84", "36"], { BABYJIT_PERF: "jitdump", BABYJIT_PERF_DIR: dir });
      expect(r).toMatchObject({ stdout: "12\n", stderr: "", exitCode: 0 });
      const { records } = parseJitdump(new Uint8Array(readFileSync(join(dir, `jit-${r.pid}.dump`))));
      const loads = records.filter((x): x is Extract<DumpRecord, { id: 0 }> => x.id === 0 && x.name.startsWith("fn:"));
      expect(loads.map((l) => l.name)).toEqual(names);
      const base = (loads[0] as { codeAddress: number }).codeAddress;
      for (const load of loads.slice(0, 3)) {
        const from = load.codeAddress - base;
        expect(load.code).toEqual(here.bytes.subarray(from, from + load.codeSize));
      }
      // Each function's debug info comes right before its load, with lines of its own body only.
      const own: Record<string, number[]> = { "fn:fib.ts:fib": [4, 5], "fn:fib.ts:gcd": [9, 10], "fn:fib.ts:sumTo": [14, 15, 16] };
      for (const [name, allowed] of Object.entries(own)) {
        const at = records.findIndex((x) => x.id === 0 && x.name === name);
        const debug = records[at - 1] as Extract<DumpRecord, { id: 2 }>;
        expect(debug.id).toBe(2);
        const load = records[at] as Extract<DumpRecord, { id: 0 }>;
        expect(debug.codeAddress).toBe(load.codeAddress);
        expect(debug.entries.length).toBeGreaterThan(0);
        const lines = new Set(debug.entries.map((e) => e.line));
        expect([...lines].every((l) => allowed.includes(l))).toBe(true);
        expect(lines.size).toBe(allowed.length);
        for (const e of debug.entries) {
          expect(e.file).toBe(join(EXAMPLES, "fib.ts"));
          expect(e.address).toBeGreaterThanOrEqual(load.codeAddress);
          expect(e.address).toBeLessThanOrEqual(load.codeAddress + load.codeSize); // the writer closes the table at the end
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
