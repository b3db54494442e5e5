/**
 * Emulator harness: run Bun (and so babyjit) for real on arm64 Linux under
 * qemu-aarch64, on Windows x64 under Wine, and on Windows on ARM64 under
 * Debian's arm64 Wine run by qemu-aarch64, from `bun test` on an x86-64 Linux
 * host. `bash .ci/setup-emulators.sh` installs everything this needs.
 *
 * Conventions and gotchas (checked on Debian 12, Wine 8.0, qemu 7.2, Bun 1.4.5):
 * - Output is returned as the program wrote it. Neither qemu nor Wine rewrites
 *   line endings on pipes: Bun under Wine writes "\n", not "\r\n", so line
 *   endings are not touched. With WINEDEBUG=-all and an existing prefix, Wine
 *   itself adds nothing. One exception, removed from `stderr` (kept in
 *   `rawStderr`): Bun 1.4.5 under Wine 8 prints
 *     Internal error: directory mismatch for directory "Z:\...\package.json", fd N[handle]. ...
 *   for every package.json/tsconfig.json above the script it runs. Bun opens
 *   them through GetFinalPathNameByHandleW(VOLUME_NAME_NT), which Wine answers
 *   with \Device\HarddiskVolumeN\..., a path Wine's NtCreateFile cannot open;
 *   Bun then falls back to the DOS path (the file is read correctly) and logs.
 * - Standard input under Wine: Bun's `Bun.stdin` fails (EBADF from fstat) when
 *   stdin is a regular file or memfd, which is what Bun.spawnSync makes of a
 *   string. runWindows() therefore feeds `stdin` through a FIFO.
 * - Exit codes: both pass the low 8 bits of the exit status through
 *   (process.exit(300) gives 44). Under qemu a fatal signal is re-raised on
 *   qemu itself, so a guest SIGSEGV shows up here as signal "SIGSEGV" and
 *   exitCode 139 (128 + signal), after Bun's crash report and a
 *   "qemu: uncaught target signal 11" line on stderr. Under Wine a crash is
 *   caught by Bun's own handler: report on stderr, exit code 3.
 * - Paths under Wine: the Unix root is drive Z:, and the working directory is
 *   Z:\<unix cwd>. Unix paths given as arguments work as they are (drive-relative
 *   paths resolve on Z:), but paths the program prints come back as
 *   Z:\dir\file: compare them with winPath(). Inside, os.tmpdir() is in the
 *   prefix (C:\users\...), not /tmp.
 * - Wine must not be started with a pipe it can keep: the first Wine process
 *   starts wineserver and services that inherit its stdio and linger, and
 *   Bun.spawnSync waits for EOF, so every run would take 3+ s. runWindows()
 *   therefore makes sure a persistent wineserver is up (started with stdio
 *   ignored, plus one warm-up run) before it runs anything.
 * - Do not set BUN_JSC_useJIT=0 for arm64 runs: bun:ffi needs the JIT.
 * - Windows on ARM64 ("winarm64", set up by .ci/setup-winarm64.sh): Bun's
 *   windows-aarch64 bun.exe under arm64 Wine 8, whose every process is an
 *   arm64 Linux program run by qemu-aarch64. Same conventions as Wine x64
 *   (Z: paths, exit codes, the directory-mismatch noise), its own prefix and
 *   wineserver, and one more line group removed from `stderr`: "Wine cannot
 *   find the FreeType font library ..." (the root has no arm64 FreeType; a
 *   console program draws no text). A run takes ~0.6-1 s with a warm
 *   wineserver and ~3-4 s cold; runWinArm64Many() runs two at a time.
 */
import { afterAll, beforeAll, describe, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { constants, homedir, tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

export type EmuKind = "arm64" | "windows" | "winarm64";

export interface RunOptions {
  /** Working directory (a Unix path, also under Wine). Default: process.cwd(). */
  cwd?: string;
  /** Extra environment variables, added to this process's environment. */
  env?: Record<string, string>;
  /** Text fed to the program's standard input (default: none, /dev/null). */
  stdin?: string;
  /** Kill the run after this many milliseconds (default 60 000; 240 000 for Windows on ARM64). */
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  /** Standard error; under Wine without Bun's known Wine-only resolver noise (see top). */
  stderr: string;
  /** Standard error exactly as written. */
  rawStderr: string;
  /** The exit status; 128 + signal number when the process died of a signal. */
  exitCode: number;
  /** Name of the fatal signal ("SIGSEGV"), or null. */
  signal: string | null;
  timedOut: boolean;
  /** Wall-clock time of the run in milliseconds. */
  ms: number;
  /** The kernel's OOM-kill count when the run started (-1 where unknown): a SIGKILL with the count unchanged was not the OOM killer. */
  oomKillsBefore?: number;
}

/** qemu's sysroot for the arm64 dynamic loader, libc.so.6 and libgcc_s.so.1. */
export const ARM64_SYSROOT = "/usr/aarch64-linux-gnu";
const DEFAULT_TIMEOUT_MS = 60_000;
/** A wineserver we start exits by itself this long after its last client. */
const WINESERVER_LINGER_S = 120;

/** Where setup-emulators.sh keeps the emulated Bun builds and the Wine prefix. */
export function emuDir(): string {
  const fromEnv = process.env.BABYJIT_EMU_DIR;
  if (fromEnv) return resolve(fromEnv);
  return join(process.env.HOME || homedir(), ".cache", "babyjit-emu");
}

export function winePrefix(): string {
  return join(emuDir(), "wineprefix");
}

/** Where setup-winarm64.sh unpacked arm64 Wine (a short path: see that script). */
export function winArm64Root(): string {
  return process.env.BABYJIT_WINARM64_ROOT || "/opt/bjwa64";
}

/** The Wine prefix of Windows on ARM64 (its own: each Wine architecture runs its own wineserver). */
export function winArm64Prefix(): string {
  return join(emuDir(), "wineprefix-arm64");
}

/** True in CI (CI=true), where a missing emulator must fail, never skip. */
export function emulatorsRequired(): boolean {
  return process.env.CI === "true";
}

function qemuPath(): string | null {
  return Bun.which("qemu-aarch64");
}

/** Debian installs wine64 outside PATH (/usr/bin/wine is a wrapper script). */
function wine64Path(): string | null {
  const found = Bun.which("wine64");
  if (found) return found;
  return existsSync("/usr/lib/wine/wine64") ? "/usr/lib/wine/wine64" : null;
}

function wineserverPath(): string | null {
  const found = Bun.which("wineserver");
  if (found) return found;
  return existsSync("/usr/lib/wine/wineserver") ? "/usr/lib/wine/wineserver" : null;
}

/** Why an emulator can't run here, or null when it can. */
export function emuMissing(kind: EmuKind): string | null {
  const missing: string[] = [];
  if (kind === "arm64") {
    if (!qemuPath()) missing.push("qemu-aarch64 (apt: qemu-user)");
    if (!existsSync(join(ARM64_SYSROOT, "lib", "libc.so.6"))) missing.push(`${ARM64_SYSROOT}/lib/libc.so.6 (apt: libc6-arm64-cross)`);
    if (!existsSync(join(emuDir(), "bun-linux-aarch64", "bun"))) missing.push(`${join(emuDir(), "bun-linux-aarch64", "bun")}`);
  } else if (kind === "winarm64") {
    if (!qemuPath()) missing.push("qemu-aarch64 (apt: qemu-user)");
    const wine = join(winArm64Root(), "usr", "lib", "wine");
    for (const file of [join(winArm64Root(), ".babyjit-stamp"), join(wine, "wine64"), join(wine, "wine64-preloader"), join(wine, "wineserver")]) {
      if (!existsSync(file)) missing.push(file);
    }
    const bun = join(emuDir(), "bun-windows-aarch64", "bun.exe");
    if (!existsSync(bun)) missing.push(bun);
    const stub = join(winArm64Prefix(), "drive_c", "windows", "system32", "bcryptprimitives.dll");
    if (!existsSync(stub)) missing.push(`the Wine prefix ${winArm64Prefix()} with ${stub}`);
  } else {
    if (!wine64Path()) missing.push("wine64 (apt: wine64)");
    if (!wineserverPath()) missing.push("wineserver (apt: wine)");
    const dir = join(emuDir(), "bun-windows-x64");
    if (!existsSync(join(dir, "bun.exe"))) missing.push(join(dir, "bun.exe"));
    if (!existsSync(join(dir, "bcryptprimitives.dll"))) missing.push(join(dir, "bcryptprimitives.dll"));
    if (!existsSync(join(winePrefix(), "system.reg"))) missing.push(`the Wine prefix ${winePrefix()}`);
  }
  if (missing.length === 0) return null;
  return `${kind} emulator not available: missing ${missing.join(", ")}. Run: bash .ci/setup-emulators.sh`;
}

/** Path of Bun's windows-aarch64 bun.exe, or null if it can't be run here. */
export function winArm64Bun(): string | null {
  return emuMissing("winarm64") === null ? join(emuDir(), "bun-windows-aarch64", "bun.exe") : null;
}

/** Path of Bun's linux-aarch64 build, or null if it can't be run here. */
export function arm64Bun(): string | null {
  return emuMissing("arm64") === null ? join(emuDir(), "bun-linux-aarch64", "bun") : null;
}

/**
 * Path of the bun.exe that runWindows() runs, or null if it can't be run here.
 * That is bun-wine.exe (the same program, laid out for Wine to map quickly)
 * when setup made it, else the npm package's bun.exe.
 */
export function windowsBun(): string | null {
  if (emuMissing("windows") !== null) return null;
  const dir = join(emuDir(), "bun-windows-x64");
  const fast = join(dir, "bun-wine.exe");
  return existsSync(fast) ? fast : join(dir, "bun.exe");
}

function need(kind: EmuKind): void {
  const why = emuMissing(kind);
  if (why !== null) throw new Error(why);
}

function signalNumber(name: string): number {
  const n = (constants.signals as Record<string, number | undefined>)[name];
  return n ?? 0;
}

function run(cmd: string[], env: Record<string, string | undefined>, opts: RunOptions): RunResult {
  const oomKillsBefore = oomKills();
  const start = performance.now();
  const proc = Bun.spawnSync({
    cmd,
    cwd: opts.cwd ?? process.cwd(),
    env,
    stdin: opts.stdin === undefined ? "ignore" : new TextEncoder().encode(opts.stdin),
    stdout: "pipe",
    stderr: "pipe",
    timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  const ms = performance.now() - start;
  const sig = proc.signalCode;
  const signal = sig === undefined || sig === null ? null : typeof sig === "number" ? `signal ${sig}` : sig;
  // Typed as number, but null at run time when the process died of a signal.
  let exitCode: number | null | undefined = proc.exitCode;
  if (signal !== null && (exitCode === null || exitCode === undefined || exitCode === 0)) {
    exitCode = 128 + (typeof sig === "number" ? sig : signalNumber(signal));
  }
  const stderr = proc.stderr.toString();
  return {
    stdout: proc.stdout.toString(),
    stderr,
    rawStderr: stderr,
    exitCode: exitCode ?? -1,
    signal,
    timedOut: proc.exitedDueToTimeout === true,
    ms,
    oomKillsBefore,
  };
}

function envWith(extra: Record<string, string> | undefined): Record<string, string | undefined> {
  return { ...process.env, ...extra };
}

/**
 * qemu writes a guest core file into the working directory when a crash
 * meets a non-zero core limit; `ulimit -c 0` keeps tests from leaving those.
 */
function qemuCmd(exe: string, args: string[]): string[] {
  const qemu = qemuPath();
  if (!qemu) throw new Error("qemu-aarch64 not found");
  return ["/bin/sh", "-c", 'ulimit -c 0; exec "$@"', "sh", qemu, "-L", ARM64_SYSROOT, exe, ...args];
}

/** Runs Bun's linux-aarch64 build under qemu: `bun ...args`. Takes ~0.5–1 s. */
export function runArm64(args: string[], opts: RunOptions = {}): RunResult {
  need("arm64");
  return run(qemuCmd(join(emuDir(), "bun-linux-aarch64", "bun"), args), envWith(opts.env), opts);
}

/**
 * Many qemu runs at once (`concurrency` at a time; each is single-threaded enough that two fit on two
 * cores): `jobs` are `[exe, args]`, exe null for Bun's own arm64 build. Results in the jobs' order.
 */
export async function runArm64Many(jobs: readonly [string | null, string[]][], opts: RunOptions = {}, concurrency = 2): Promise<RunResult[]> {
  need("arm64");
  const bun = join(emuDir(), "bun-linux-aarch64", "bun");
  return inParallel(jobs, concurrency, ([exe, args]) => runAsync(qemuCmd(exe === null ? bun : resolve(exe), args), envWith(opts.env), opts));
}

/** run() over every job, `concurrency` at a time; the results in the jobs' order. */
async function inParallel<J, R>(jobs: readonly J[], concurrency: number, run: (job: J) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await run(jobs[i] as J);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

async function runAsync(cmd: string[], env: Record<string, string | undefined>, opts: RunOptions): Promise<RunResult> {
  const oomKillsBefore = oomKills();
  const start = performance.now();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const proc = Bun.spawn({ cmd, cwd: opts.cwd ?? process.cwd(), env, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: timeoutMs });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  const sig = proc.signalCode;
  const signal = sig === null || sig === undefined ? null : String(sig);
  const exitCode = signal !== null && !proc.exitCode ? 128 + signalNumber(signal) : (proc.exitCode ?? -1);
  const ms = performance.now() - start;
  // Bun's timeout sends SIGTERM: a run that lasted the whole timeout and died of it timed out.
  const timedOut = signal === "SIGTERM" && ms >= timeoutMs;
  return { stdout, stderr, rawStderr: stderr, exitCode, signal, timedOut, ms, oomKillsBefore };
}

/** Runs an executable made by `bun build --compile --target=bun-linux-arm64` under qemu. */
export function runArm64Exe(exePath: string, args: string[] = [], opts: RunOptions = {}): RunResult {
  need("arm64");
  return run(qemuCmd(resolve(exePath), args), envWith(opts.env), opts);
}

/** `/a/b c` → `Z:\a\b c` (relative paths are resolved against process.cwd() first). */
export function winPath(unixPath: string): string {
  const abs = isAbsolute(unixPath) ? unixPath : resolve(unixPath);
  return `Z:${abs.replaceAll("/", "\\")}`;
}

/** `Z:\a\b` → `/a/b`; `C:\x` → the file inside the Wine prefix. */
export function unixPath(windowsPath: string): string {
  const m = /^([A-Za-z]):[\\/]?(.*)$/.exec(windowsPath);
  if (!m) return windowsPath.replaceAll("\\", "/");
  const drive = (m[1] ?? "").toLowerCase();
  const rest = (m[2] ?? "").replaceAll("\\", "/");
  if (drive === "z") return `/${rest}`;
  if (drive === "c") return join(winePrefix(), "drive_c", rest);
  return join(winePrefix(), "dosdevices", `${drive}:`, rest);
}

/**
 * The two Wines: amd64 Wine for Windows x64, and arm64 Wine under qemu for Windows on ARM64. Each has
 * its own prefix, and so its own wineserver; both can run at the same time.
 */
interface WineFlavour {
  readonly kind: "windows" | "winarm64";
  readonly prefix: string;
  /** The command that runs a Windows program: `[...loader, exe, ...args]`. */
  readonly loader: string[];
  readonly server: string;
  /** The bun.exe this flavour runs. */
  readonly bun: string;
  /** stderr lines that are Wine's and not the program's, removed from RunResult.stderr. */
  readonly noise: readonly RegExp[];
  /** The default RunOptions.timeoutMs: emulated twice over, a run on a loaded machine can take a minute. */
  readonly timeoutMs: number;
}

/** Bun-under-Wine resolver noise (see the top of this file); may be wrapped in ANSI dim. */
const WINE_DIR_MISMATCH =
  /^(?:\x1b\[[0-9;]*m)*Internal error: directory mismatch for directory "[^"\n]*", fd \d+\[handle\]\. You don't need to do anything, but this indicates a bug\.(?:\x1b\[[0-9;]*m)*\r?\n/gm;
/** arm64 Wine's warning that its root has no FreeType (four lines, printed by every process that loads gdi32). */
const WINE_NO_FREETYPE =
  /^Wine cannot find the FreeType font library\.  To enable Wine to\nuse TrueType fonts please install a version of FreeType greater than\nor equal to 2\.0\.5\.\nhttp:\/\/www\.freetype\.org\n/gm;

function wineFlavour(kind: "windows" | "winarm64"): WineFlavour {
  need(kind);
  if (kind === "winarm64") {
    const bin = join(winArm64Root(), "usr", "lib", "wine");
    return {
      kind,
      prefix: winArm64Prefix(),
      // wine64-preloader is setup-winarm64.sh's script: qemu-aarch64 with the root's libraries.
      loader: [join(bin, "wine64-preloader"), join(bin, "wine64")],
      server: join(bin, "wineserver"),
      bun: join(emuDir(), "bun-windows-aarch64", "bun.exe"),
      noise: [WINE_DIR_MISMATCH, WINE_NO_FREETYPE],
      timeoutMs: 240_000,
    };
  }
  const wine = wine64Path();
  const server = wineserverPath();
  const bun = windowsBun();
  if (!wine || !server || !bun) throw new Error(emuMissing("windows") ?? "windows emulator not available");
  return { kind, prefix: winePrefix(), loader: [wine], server, bun, noise: [WINE_DIR_MISMATCH], timeoutMs: DEFAULT_TIMEOUT_MS };
}

function wineEnv(flavour: WineFlavour, extra: Record<string, string> | undefined): Record<string, string | undefined> {
  const env = envWith(extra);
  env.WINEPREFIX = flavour.prefix;
  env.WINEDEBUG = "-all";
  // Not needed by console programs, and keeps Wine away from any X/Wayland server.
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  return env;
}

const wineUsers = { windows: 0, winarm64: 0 };
/** Whether this process started the flavour's wineserver (another test process may share it). */
const wineStartedHere = { windows: false, winarm64: false };

/**
 * Makes sure a persistent wineserver runs for the flavour's prefix. When none was running,
 * starts one with stdio ignored and does one warm-up run (boots Wine's services: ~1.5 s for x64,
 * ~2-4 s for arm64 under qemu), so later runs take ~0.1 s (x64) or ~0.6-1 s (arm64). Cheap (~10 ms
 * for x64, ~0.1 s under qemu) when the server is up.
 */
function ensureWineServer(flavour: WineFlavour): void {
  const env = wineEnv(flavour, undefined);
  // Exit status 0: started now. Non-zero: one is already running for this prefix.
  const started = Bun.spawnSync({ cmd: [flavour.server, `-p${WINESERVER_LINGER_S}`], env, stdio: ["ignore", "ignore", "ignore"] });
  if (started.exitCode !== 0) return;
  wineStartedHere[flavour.kind] = true;
  Bun.spawnSync({ cmd: [...flavour.loader, flavour.bun, "--version"], env, stdio: ["ignore", "ignore", "ignore"], timeout: flavour.timeoutMs });
}

function startFlavour(kind: "windows" | "winarm64"): void {
  const flavour = wineFlavour(kind);
  wineUsers[kind]++;
  ensureWineServer(flavour);
}

/**
 * `wineserver -k` once this process's last user is done, if this process started the server: one that
 * another test process started (two test runs at once on one machine) is left to it, and exits by
 * itself WINESERVER_LINGER_S after its last client.
 */
function stopFlavour(kind: "windows" | "winarm64"): void {
  if (wineUsers[kind] > 0) wineUsers[kind]--;
  if (wineUsers[kind] > 0 || !wineStartedHere[kind] || emuMissing(kind) !== null) return;
  wineStartedHere[kind] = false;
  const flavour = wineFlavour(kind);
  Bun.spawnSync({ cmd: [flavour.server, "-k"], env: wineEnv(flavour, undefined), stdio: ["ignore", "ignore", "ignore"] });
}

/**
 * For beforeAll: starts the persistent wineserver and warms it up. Counted: each
 * startWine() needs its stopWine(). describeOnEmu("windows", ...) calls both.
 */
export function startWine(): void {
  startFlavour("windows");
}

/** For afterAll: `wineserver -k` once the last startWine() user is done. */
export function stopWine(): void {
  stopFlavour("windows");
}

/** startWine() for Windows on ARM64 (its own wineserver, under qemu). describeOnEmu("winarm64", ...) calls it. */
export function startWinArm64(): void {
  startFlavour("winarm64");
}

/** stopWine() for Windows on ARM64. */
export function stopWinArm64(): void {
  stopFlavour("winarm64");
}

/**
 * Wine itself occasionally fails a process: exit 1 within milliseconds, nothing printed (seen once in
 * ~10 CI runs), or a "wine client error:<thread>: ..." line from Wine's own server connection (seen
 * when the machine is loaded, or when another test process stops a wineserver both use). Programs
 * under test print neither, so those exact signatures are retried once; anything else is reported as
 * it is.
 */
const wineDidNotStart = (r: RunResult): boolean =>
  (r.exitCode === 1 && r.stdout === "" && r.rawStderr === "") || /^wine client error:[0-9a-f]+: /m.test(r.rawStderr);

/**
 * Wine's kill at exit (issue 19's Windows-on-ARM flake: `babyjit -4` exited 137 with the right output,
 * once in 75 runs, on a fresh machine; not reproduced since, so this is the cause by elimination, not
 * by observation). When a Windows process ends, it tells the wineserver its exit code, and the server
 * SIGKILLs the Unix process if it has not gone a moment later (its "sigkill" timeout). A native Wine process is gone long before; one
 * emulated by qemu, still tearing down (unmapping, qemu's own exit) on a machine where two such runs
 * share two cold cores, sometimes is not. Its output is then complete, but the exit code the program
 * gave is lost: Unix reports SIGKILL (137). Nothing of ours sends SIGKILL (our timeouts send
 * SIGTERM, 143), and the kernel's OOM killer is ruled out by its counter (/proc/vmstat oom_kill). So
 * that signature is run again, which gives the exit code the program really gave; twice in a row is
 * reported as it is.
 */
const wineKilledAtExit = (r: RunResult): boolean => r.signal === "SIGKILL" && !r.timedOut && oomKills() === r.oomKillsBefore;

/** The kernel's count of OOM kills (Linux), or -1 where it cannot be read. */
function oomKills(): number {
  try {
    const match = /^oom_kill (\d+)$/m.exec(readFileSync("/proc/vmstat", "utf8"));
    return match === null ? -1 : Number(match[1]);
  } catch {
    return -1;
  }
}

/** Runs retried for a signature of Wine's own (see wineDidNotStart, wineKilledAtExit), for the suites' logs. */
export const wineRetries: string[] = [];

function retryable(r: RunResult): string | undefined {
  if (wineDidNotStart(r)) return "Wine did not start the process";
  if (wineKilledAtExit(r)) return "Wine killed the process at its exit (SIGKILL)";
  return undefined;
}

function withoutNoise(flavour: WineFlavour, result: RunResult): RunResult {
  result.stderr = flavour.noise.reduce((text, noise) => text.replace(noise, ""), result.rawStderr);
  return result;
}

function runWine(flavour: WineFlavour, exe: string, args: string[], options: RunOptions): RunResult {
  const opts = { ...options, timeoutMs: options.timeoutMs ?? flavour.timeoutMs };
  const result = runWineOnce(flavour, exe, args, opts);
  const why = retryable(result);
  if (why === undefined) return result;
  wineRetries.push(`${why}: ${[exe, ...args].join(" ")}`);
  return runWineOnce(flavour, exe, args, opts);
}

function runWineOnce(flavour: WineFlavour, exe: string, args: string[], opts: RunOptions): RunResult {
  ensureWineServer(flavour);
  const env = wineEnv(flavour, opts.env);
  let result: RunResult;
  if (opts.stdin === undefined) {
    result = run([...flavour.loader, exe, ...args], env, opts);
  } else {
    // A FIFO rather than `cat file | wine ...`: sh execs into Wine, so a timeout
    // kills Wine itself and not a shell that would leave Wine holding our pipes.
    const dir = mkdtempSync(join(tmpdir(), "babyjit-emu-stdin-"));
    try {
      const file = join(dir, "stdin");
      writeFileSync(file, opts.stdin);
      const script = 'in=$1 fifo=$2; shift 2; mkfifo "$fifo" || exit 125; cat "$in" >"$fifo" 2>/dev/null </dev/null & exec "$@" <"$fifo"';
      result = run(["/bin/sh", "-c", script, "sh", file, join(dir, "fifo"), ...flavour.loader, exe, ...args], env, opts);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return withoutNoise(flavour, result);
}

/** Runs Bun's windows-x64 build under Wine: `bun.exe ...args`. ~0.1 s once warm. */
export function runWindows(args: string[], opts: RunOptions = {}): RunResult {
  const flavour = wineFlavour("windows");
  return runWine(flavour, flavour.bun, args, opts);
}

/**
 * Runs an executable made by `bun build --compile --target=bun-windows-x64` under
 * Wine. The bcryptprimitives.dll stub it needs is in the prefix's system32.
 */
export function runWindowsExe(exePath: string, args: string[] = [], opts: RunOptions = {}): RunResult {
  return runWine(wineFlavour("windows"), resolve(exePath), args, opts);
}

/**
 * Runs Bun's windows-aarch64 build under arm64 Wine under qemu: `bun.exe ...args`. ~0.6-1 s once
 * the wineserver is warm (describeOnEmu("winarm64", ...) or startWinArm64() sees to that).
 */
export function runWinArm64(args: string[], opts: RunOptions = {}): RunResult {
  const flavour = wineFlavour("winarm64");
  return runWine(flavour, flavour.bun, args, opts);
}

/** Runs an executable made by `bun build --compile --target=bun-windows-arm64` (compileExe("winarm64", ...)). */
export function runWinArm64Exe(exePath: string, args: string[] = [], opts: RunOptions = {}): RunResult {
  return runWine(wineFlavour("winarm64"), resolve(exePath), args, opts);
}

/**
 * Many Windows-on-ARM64 runs at once, `concurrency` at a time (one wineserver serves them all):
 * `jobs` are `[exe, args]`, exe null for Bun's own windows-aarch64 bun.exe. Results in the jobs'
 * order; `opts.stdin` is not supported here.
 */
export async function runWinArm64Many(jobs: readonly [string | null, string[]][], options: RunOptions = {}, concurrency = 2): Promise<RunResult[]> {
  if (options.stdin !== undefined) throw new Error("runWinArm64Many does not feed stdin; use runWinArm64");
  const flavour = wineFlavour("winarm64");
  const opts = { ...options, timeoutMs: options.timeoutMs ?? flavour.timeoutMs };
  ensureWineServer(flavour);
  const env = wineEnv(flavour, opts.env);
  return inParallel(jobs, concurrency, async ([exe, args]) => {
    const cmd = [...flavour.loader, exe === null ? flavour.bun : resolve(exe), ...args];
    let result = await runAsync(cmd, env, opts);
    const why = retryable(result);
    if (why !== undefined) {
      wineRetries.push(`${why}: ${cmd.slice(flavour.loader.length).join(" ")}`);
      result = await runAsync(cmd, env, opts);
    }
    return withoutNoise(flavour, result);
  });
}

const COMPILE_TARGETS: Record<EmuKind, string> = { arm64: "bun-linux-arm64", windows: "bun-windows-x64", winarm64: "bun-windows-arm64" };

/**
 * `bun build --compile --target=bun-linux-arm64|bun-windows-x64|bun-windows-arm64 entry --outfile out`
 * with the emulator's own Bun as the base (--compile-executable-path: no download).
 * For Windows x64 the base is bun-wine.exe, so the result also starts fast under Wine.
 * Returns the executable's path: Bun appends ".exe" for Windows when it is missing.
 */
export function compileExe(kind: EmuKind, entry: string, outfile: string, extraArgs: string[] = []): string {
  need(kind);
  const base = kind === "arm64" ? arm64Bun() : kind === "windows" ? windowsBun() : winArm64Bun();
  if (!base) throw new Error(emuMissing(kind) ?? `${kind} emulator not available`);
  const target = COMPILE_TARGETS[kind];
  const out = resolve(outfile);
  const proc = Bun.spawnSync({
    cmd: [process.execPath, "build", "--compile", `--target=${target}`, `--compile-executable-path=${base}`, ...extraArgs, resolve(entry), "--outfile", out],
    stdout: "pipe",
    stderr: "pipe",
  });
  if (proc.exitCode !== 0) {
    throw new Error(`bun build --compile --target=${target} failed (${proc.exitCode}):\n${proc.stdout.toString()}${proc.stderr.toString()}`);
  }
  return kind !== "arm64" && !out.toLowerCase().endsWith(".exe") ? `${out}.exe` : out;
}

/** A fresh temporary directory; remove it with cleanup(). */
export function tempDir(prefix = "babyjit-emu-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * describe() for a suite that needs an emulator.
 * - Emulator present: runs the suite (for "windows" and "winarm64", with
 *   startWine/stopWine or startWinArm64/stopWinArm64 in beforeAll/afterAll).
 * - Emulator absent outside CI: the suite is skipped.
 * - Emulator absent in CI (CI=true): one failing test that says what is missing.
 */
export function describeOnEmu(kind: EmuKind, name: string, fn: () => void): void {
  const why = emuMissing(kind);
  if (why === null) {
    describe(name, () => {
      if (kind === "windows") {
        beforeAll(() => startWine(), 60_000);
        afterAll(() => stopWine(), 30_000);
      } else if (kind === "winarm64") {
        beforeAll(() => startWinArm64(), 120_000);
        afterAll(() => stopWinArm64(), 30_000);
      }
      fn();
    });
  } else if (emulatorsRequired()) {
    describe(name, () => {
      test(`${kind} emulator is installed (required when CI=true)`, () => {
        throw new Error(why);
      });
    });
  } else {
    describe.skip(`${name} [skipped: ${kind} emulator missing; bash .ci/setup-emulators.sh]`, fn);
  }
}
