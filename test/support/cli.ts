/**
 * Run the real CLI: from source through bin/babyjit.js, or the executable made by `bun run build`.
 *
 *   runSource(["-4"])                         // bun bin/babyjit.js -4
 *   runExe(["-4"])                            // dist/babyjit -4 (after buildExecutable())
 *   sh(`printf '+.' | $BJ --bf /dev/stdin`)   // a bash command line: pipes, redirections, files
 */
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

/**
 * A bash command line, run from the repository root, with $BJ (the CLI from source: bun and
 * bin/babyjit.js) and $BJEXE (the built executable) in its environment, plus `env`; `stdin` is its
 * input (none by default).
 */
export function sh(command: string, options: { stdin?: string; env?: Record<string, string> } = {}): Result {
  const p = Bun.spawnSync(["bash", "-c", command], {
    cwd: ROOT,
    env: { ...ENV, BJ: `${process.execPath} ${BIN}`, BJEXE: EXE, ...options.env },
    stdin: options.stdin === undefined ? "ignore" : Buffer.from(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
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
