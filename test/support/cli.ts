/** Run the real CLI: from source through bin/babyjit.js, or the executable made by `bun run build`. */
import { existsSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "..", "..");
export const BIN = join(ROOT, "bin", "babyjit.js");
export const EXE = join(ROOT, "dist", process.platform === "win32" ? "babyjit.exe" : "babyjit");

export interface Result {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

const ENV = { ...process.env, NO_COLOR: "1" };

export function run(cmd: string[], env: Record<string, string | undefined> = ENV): Result {
  const p = Bun.spawnSync(cmd, { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  return { stdout: p.stdout.toString(), stderr: p.stderr.toString(), exitCode: p.exitCode ?? -1 };
}

export const runSource = (args: string[], env?: Record<string, string | undefined>) => run([process.execPath, BIN, ...args], env);
export const runExe = (args: string[], env?: Record<string, string | undefined>) => run([EXE, ...args], env);

/** Build dist/babyjit with the package's own build script (once per test process). */
let built = false;
export function buildExecutable(): void {
  if (built && existsSync(EXE)) return;
  const p = Bun.spawnSync([process.execPath, "run", "build"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`bun run build failed: ${p.stderr.toString()}`);
  built = true;
}
