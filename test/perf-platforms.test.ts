/**
 * Profiling on the emulated platforms (run under the emulator lock, /tmp/babyjit-emu.lock). Under qemu,
 * arm64 Linux writes its perf map and its jitdump file, read back here (perf itself is not run there);
 * under Wine, Windows refuses --perf and BABYJIT_PERF as Linux-only usage errors.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, ROOT } from "./support/cli.ts";
import { describeOnEmu, runArm64, runWindows } from "./support/emu.ts";
import { parseJitdump, parseMap } from "./support/perf.ts";

const HINT = "Try 'babyjit --help' for more information.\n";

describeOnEmu("arm64", "arm64 Linux under qemu: the perf map", () => {
  test("an adder, an expression, their trampoline and a Brainfuck program's pieces, inside our mappings", () => {
    const r = runArm64([join(ROOT, "test", "fixtures", "perf-emu.ts")], { cwd: ROOT, env: { BABYJIT_PERF: "map" } });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout) as {
      pid: number; arch: string; mappings: { address: number; size: number }[]; sizes: { adder: number; expr: number; bf: number };
      addresses: { adder: number; expr: number }; map: string | null; results: unknown[];
    };
    rmSync(`/tmp/perf-${report.pid}.map`, { force: true });
    expect(report.arch).toBe("arm64");
    expect(report.results).toEqual([6, 13, [8]]);
    const lines = parseMap(report.map ?? "");
    const home = report.mappings[0]!.address;
    expect(lines.slice(0, 3)).toEqual([
      { start: home, size: 8, name: "trampoline(address in d0)" }, // fcvtzu x16, d0; br x16
      { start: report.addresses.adder, size: report.sizes.adder, name: "adder(+5)" },
      { start: report.addresses.expr, size: report.sizes.expr, name: "expr:x*x-3" },
    ]);
    const pieces = lines.slice(3);
    expect(pieces.map((l) => l.name)).toEqual(["bf:small.b entry", "bf:small.b:1:1", "bf:small.b:1:3 loop", "bf:small.b:2:2 loop", "bf:small.b:1:3 loop", "bf:small.b:4:1", "bf:small.b exits"]);
    for (let i = 1; i < pieces.length; i++) expect(pieces[i]!.start).toBe(pieces[i - 1]!.start + pieces[i - 1]!.size);
    expect(pieces.reduce((n, l) => n + l.size, 0)).toBe(report.sizes.bf);
    for (const l of lines) expect(report.mappings.some((m) => l.start >= m.address && l.start + l.size <= m.address + m.size)).toBe(true);
  }, 120_000);
});

describeOnEmu("arm64", "arm64 Linux under qemu: the jitdump file", () => {
  test("the header names aarch64 (183); loads with the exact bytes; line tables for the expression and the Brainfuck pieces", () => {
    const dir = mkdtempSync(join(tmpdir(), "babyjit-jitdump-arm64-"));
    try {
      const r = runArm64([join(ROOT, "test", "fixtures", "perf-emu.ts")], { cwd: ROOT, env: { BABYJIT_PERF: "jitdump", BABYJIT_PERF_DIR: dir } });
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      const report = JSON.parse(r.stdout) as { pid: number; mappings: { address: number; size: number }[]; sizes: { adder: number; expr: number; bf: number }; addresses: { adder: number; expr: number }; dump: string };
      const { header, records } = parseJitdump(new Uint8Array(Buffer.from(report.dump, "base64")));
      expect(header).toMatchObject({ magic: 0x4a695444, version: 1, totalSize: 40, elfMach: 183, pid: report.pid, flags: 0n });
      const loads = records.filter((x) => x.id === 0);
      expect(loads.slice(0, 3).map((x) => [x.name, x.codeAddress, x.codeSize])).toEqual([
        ["trampoline(address in d0)", report.mappings[0]!.address, 8],
        ["adder(+5)", report.addresses.adder, report.sizes.adder],
        ["expr:x*x-3", report.addresses.expr, report.sizes.expr],
      ]);
      // fcvtzu x16, d0; br x16
      expect(Array.from(loads[0]!.code)).toEqual([0x10, 0x00, 0x79, 0x9e, 0x00, 0x02, 0x1f, 0xd6]);
      expect(loads.slice(3).reduce((n, x) => n + x.codeSize, 0)).toBe(report.sizes.bf);
      const debug = records.filter((x) => x.id === 2);
      // "x * x - 3": the parameter is read in place on arm64 (no code), so the first instruction is the `*` at column 3.
      expect(debug[0]!.entries[0]).toMatchObject({ address: report.addresses.expr, line: 1, discrim: 3, file: "expr:x*x-3" });
      for (const e of debug[0]!.entries) expect([1, 3, 5, 7, 9]).toContain(e.discrim);
      // The Brainfuck pieces' file, made absolute (from the working directory) so that perf annotate could open it.
      expect(new Set(debug.slice(1).flatMap((d) => d.entries.map((e) => e.file)))).toEqual(new Set([join(ROOT, "small.b")]));
      for (const x of loads) expect(report.mappings.some((m) => x.codeAddress >= m.address && x.codeAddress + x.codeSize <= m.address + m.size)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describeOnEmu("windows", "Windows under Wine: profiling is Linux-only", () => {
  test("--perf=map is a usage error (64) that says so", () => {
    const r = runWindows([BIN, "--perf=map", "5"], { cwd: ROOT });
    expect({ stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode }).toEqual({
      stdout: "",
      stderr: `babyjit: --perf=map: perf maps and jitdump are Linux-only (this is win32)\n${HINT}`,
      exitCode: 64,
    });
  }, 120_000);

  test("so is BABYJIT_PERF=jitdump", () => {
    const r = runWindows([BIN, "5"], { cwd: ROOT, env: { BABYJIT_PERF: "jitdump" } });
    expect({ stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode }).toEqual({
      stdout: "",
      stderr: `babyjit: BABYJIT_PERF=jitdump: perf maps and jitdump are Linux-only (this is win32)\n${HINT}`,
      exitCode: 64,
    });
  }, 120_000);
});
