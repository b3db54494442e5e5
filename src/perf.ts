/**
 * Naming JIT'd code for profilers. A sampling profiler such as Linux perf records instruction
 * addresses; for an address in a file-backed mapping it reads the file's symbols, but JIT'd code lives
 * in anonymous memory, so perf shows `[JIT] tid 1234 [.] 0x00007fd8f6c246c9` unless the JIT tells it
 * what lives there. perf reads two formats for that (see docs, "Profiling JIT'd code"):
 *
 * - map (`--perf=map`, `BABYJIT_PERF=map`): a text line `START SIZE name` (hex, no 0x) per piece of
 *   code, appended to /tmp/perf-PID.map as perf's jit-interface.txt specifies. perf reads it at report
 *   time; nothing in it says when code came or went, so while it is written CodeMemory never hands
 *   disposed space out again (PerfSink.keepsDisposedSpace).
 * - jitdump (`--perf=jitdump`, `BABYJIT_PERF=jitdump`): the binary jit-PID.dump of perf's
 *   jitdump-specification.txt: a timestamped JIT_CODE_LOAD record per piece of code, with its bytes,
 *   preceded by a JIT_CODE_DEBUG_INFO record mapping its addresses to source lines. `perf inject --jit`
 *   turns each load into an ELF file with symbols and line tables, mapped from the load's timestamp on.
 *
 * Off by default and free when off: every caller asks profiler() first, which is one compare, and
 * makes names and line tables only when it returns a sink. The front ends call it right after their
 * code is installed (jit.ts install, the Brainfuck loader, the functions chapter), and CodeMemory for
 * the trampolines. A front end names its code either through jit.ts install()'s `describe` option
 * (the JitFunctions) or, for code it places itself, with recordCode(address, bytes, name, source):
 * a module's function as `fn:FILE:NAME`, with its lines in `source`.
 */
import { JitError } from "./errors.ts";

export type PerfMode = "map" | "jitdump";
export const PERF_MODES: readonly PerfMode[] = ["map", "jitdump"];

/** A source position for the code at `offset` bytes into a piece (1-based line and column). */
export interface PerfLine {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/**
 * Where a piece of code came from: the source file's name (absolute, so that perf annotate can open
 * it; or a name like `expr:x*x` for source that is no file) and positions in it, in increasing offset.
 */
export interface PerfSource {
  readonly file: string;
  readonly lines: readonly PerfLine[];
}

/** One named piece of installed code. */
export interface PerfEntry {
  readonly address: number;
  /** The machine code as installed there (its length is the size). */
  readonly bytes: Uint8Array;
  readonly name: string;
  readonly source?: PerfSource;
}

/** Where names go: the map or the jitdump writer. */
export interface PerfSink {
  readonly mode: PerfMode;
  /** The file written (/tmp/perf-PID.map, or the jit-PID.dump). */
  readonly path: string;
  /** Record pieces of code just installed, in one write. */
  record(entries: readonly PerfEntry[]): void;
  /**
   * Whether disposed code's space must never be reused (the map: it has no time, and perf names an
   * address by one of its lines, in practice the first). jitdump needs no such thing: a load at an
   * address takes over from its timestamp on.
   */
  readonly keepsDisposedSpace: boolean;
}

let sink: PerfSink | undefined | null = null; // null: BABYJIT_PERF not read yet

/**
 * The active profiler sink, or undefined when profiling is off. The first call reads BABYJIT_PERF
 * (unless startPerf ran first). Check it before making a name: that is what keeps profiling free when off.
 */
export function profiler(): PerfSink | undefined {
  return sink === null ? fromEnvironment() : sink;
}

/**
 * Record one piece of code (the functions chapter's entry point): `bytes` as installed at `address`,
 * under `name`, with an optional line table. Does nothing when profiling is off.
 */
export function recordCode(address: number, bytes: Uint8Array, name: string, source?: PerfSource): void {
  const s = profiler();
  if (s !== undefined) s.record([source === undefined ? { address, bytes, name } : { address, bytes, name, source }]);
}

/** Why `mode` cannot be used here, or undefined when it can (Linux, x86-64 or arm64). */
export function perfUnavailable(os: string = process.platform): string | undefined {
  return os === "linux" ? undefined : `perf maps and jitdump are Linux-only (this is ${os})`;
}

/** The mode a BABYJIT_PERF or --perf value names; throws E_RANGE naming the choices. */
export function parsePerfMode(value: string, what: string): PerfMode | undefined {
  if (value === "" || value === "off") return undefined;
  if ((PERF_MODES as readonly string[]).includes(value)) return value as PerfMode;
  throw new JitError("E_RANGE", `invalid ${what} '${value}': expected map, jitdump or off`);
}

/**
 * Turn profiling on (the CLI's --perf), or off with undefined. Throws E_UNSUPPORTED off Linux. Files are
 * opened on the first record, so a run that installs nothing writes nothing.
 */
export function startPerf(mode: PerfMode | undefined, directory?: string): void {
  if (mode === undefined) {
    sink = undefined;
    return;
  }
  const why = perfUnavailable();
  if (why !== undefined) throw new JitError("E_UNSUPPORTED", why);
  // Loaded only when profiling: the writers and node:fs cost start-up that an unprofiled run never pays.
  const writers = require("./perf-write.ts") as typeof import("./perf-write.ts");
  const dir = directory ?? process.env.BABYJIT_PERF_DIR ?? "/tmp";
  // One writer per mode and directory for the life of the process: turning a mode off and on again
  // keeps appending to the same file (the benchmark switches between modes).
  const key = mode === "map" ? "map" : `jitdump:${dir}`;
  let writer = started.get(key);
  if (writer === undefined) {
    writer = mode === "map" ? writers.mapWriter() : writers.jitdumpWriter(dir);
    started.set(key, writer);
  }
  sink = writer;
}

const started = new Map<string, PerfSink>();

function fromEnvironment(): PerfSink | undefined {
  const value = process.env.BABYJIT_PERF;
  sink = undefined; // decided, even if what follows throws: the error is reported once
  if (value !== undefined) startPerf(parsePerfMode(value, "BABYJIT_PERF"));
  return sink as PerfSink | undefined;
}

/** A name safe for both formats: one line of printable ASCII (the map is line-based; jitdump names are ASCII), at most 200 characters. */
export function perfName(text: string): string {
  let name = text.replace(/[\t\n\r]+/g, " ").replace(/[^\x20-\x7e]/g, "?");
  if (name.length > 200) name = `${name.slice(0, 197)}...`;
  return name;
}
