// Proves the emulator harness (test/support/emu.ts): Bun's own arm64 Linux build
// under qemu and its Windows x64 build under Wine, run as scripts and as
// executables made by `bun build --compile --target=...`.
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import {
  compileExe,
  describeOnEmu,
  runArm64,
  runArm64Exe,
  runWindows,
  runWindowsExe,
  tempDir,
  unixPath,
  winPath,
} from "./support/emu";

const fixtures = join(import.meta.dir, "fixtures");
const tmp = tempDir();
afterAll(() => tmp.cleanup());

const SLOW = 60_000; // an emulated start is ~0.1–1 s; leave room for a loaded machine

describeOnEmu("arm64", "arm64 Linux under qemu", () => {
  const expected = "linux arm64\npagesize=4096\nclear_cache=ok\n";

  test("script: platform, arch, bun:ffi libc and libgcc_s", () => {
    const r = runArm64([join(fixtures, "emu-arm64.ts")]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(expected);
    expect(r.exitCode).toBe(0);
  }, SLOW);

  test("cwd, argv, env, stdin, stderr and exit code pass through", () => {
    const r = runArm64([join(fixtures, "emu-conventions.ts"), "7", "a b"], {
      cwd: tmp.path,
      env: { BABYJIT_EMU_PROBE: "probe" },
      stdin: "in\nput\n",
    });
    expect(JSON.parse(r.stdout)).toEqual({ cwd: tmp.path, argv: ["7", "a b"], env: "probe", stdin: "in\nput\n" });
    expect(r.stderr).toBe("to-stderr\n");
    expect(r.exitCode).toBe(7);
    expect(r.signal).toBeNull();
  }, SLOW);

  test("compiled with --target=bun-linux-arm64", () => {
    const exe = compileExe("arm64", join(fixtures, "emu-arm64.ts"), join(tmp.path, "arm64-smoke"));
    const r = runArm64Exe(exe);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(expected);
    expect(r.exitCode).toBe(0);
  }, SLOW);
});

describeOnEmu("windows", "Windows x64 under Wine", () => {
  const expected = "win32 x64\npid_matches=true\npagesize=4096\n";

  test("script: platform, arch, bun:ffi kernel32", () => {
    const r = runWindows([join(fixtures, "emu-windows.ts")]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(expected); // "\n", not "\r\n": nothing to normalize
    expect(r.exitCode).toBe(0);
  }, SLOW);

  test("cwd is Z:\\..., argv, env, stdin, stderr and exit code pass through", () => {
    const r = runWindows([join(fixtures, "emu-conventions.ts"), "300", "a b"], {
      cwd: tmp.path,
      env: { BABYJIT_EMU_PROBE: "probe" },
      stdin: "in\nput\n",
    });
    const seen: unknown = JSON.parse(r.stdout);
    expect(seen).toEqual({ cwd: winPath(tmp.path), argv: ["300", "a b"], env: "probe", stdin: "in\nput\n" });
    expect(unixPath(winPath(tmp.path))).toBe(tmp.path);
    expect(r.stderr).toBe("to-stderr\n");
    expect(r.exitCode).toBe(300 & 0xff); // only the low 8 bits reach Linux
  }, SLOW);

  test("compiled with --target=bun-windows-x64", () => {
    const exe = compileExe("windows", join(fixtures, "emu-windows.ts"), join(tmp.path, "windows-smoke"));
    expect(exe).toEndWith(".exe"); // Bun appends it
    const r = runWindowsExe(exe);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(expected);
    expect(r.exitCode).toBe(0);
  }, SLOW);
});
