/**
 * `babyjit --bf FILE`: read the file, compile it, and run it with stdin as its input and stdout as its
 * output (or dump or list its code). Every failure becomes a CommandError with its sysexits code.
 */
import { closeSync, openSync, readSync } from "node:fs";
import type { Code } from "../emit.ts";
import { CommandError, JitError, describeIoError as describe, escapeControls } from "../errors.ts";
import { CodeMemory, hostMemory } from "../jit.ts";
import type { OsMemory } from "../os.ts";
import type { Target } from "../platform.ts";
import { ReaderGone, retrying, writeAll } from "../stdio.ts";
import type { EofMode } from "./codegen.ts";
import { MAX_TAPE, assembleBrainfuck, compileBrainfuck } from "./compile.ts";
import { BUFFER_BYTES, type BrainfuckIo, LEND_CHUNKS } from "./runtime.ts";

const EX_DATAERR = 65, EX_NOINPUT = 66;

/**
 * The executable starts with JavaScriptCore's JIT reluctant to tier up (package.json's build:
 * --compile-jit-policy), which suits start-up and the compile of an ordinary program: mostly code that
 * runs a few times, cheaper to interpret than to compile. A program this big compiles long enough to
 * pay for the JIT, so it gets the normal policy back (measured: chapter 5).
 */
const BIG_SOURCE = 1 << 20;

export interface BrainfuckCommand {
  readonly file: string;
  readonly tape: number;
  readonly eof: EofMode;
  readonly mode: "run" | "dump" | "listing";
  readonly target: Target;
  readonly trace?: (line: string) => void;
  /** The OS layer to map memory with (tests, --trace); by default the process-wide code memory's. */
  readonly os?: OsMemory;
}

/** Returns the text to print for dump/listing, or undefined after a run. */
export function brainfuckCommand(cmd: BrainfuckCommand, format: (code: Code) => string): string | undefined {
  const source = readProgram(cmd.file);
  if (source.length > BIG_SOURCE && typeof Bun !== "undefined") Bun.unsafe.setJITPolicy?.(1);
  try {
    if (cmd.mode !== "run") return format(assembleBrainfuck(source, { target: cmd.target, tape: cmd.tape, eof: cmd.eof }).code);
    run(source, cmd);
    return undefined;
  } catch (error) {
    if (error instanceof JitError && (error.code === "E_SYNTAX" || error.code === "E_TAPE" || error.code === "E_RANGE")) {
      const past = error.code === "E_TAPE" && (error.cell ?? 0) >= cmd.tape;
      const hint = !past ? "" : cmd.tape < MAX_TAPE ? `; raise --tape (now ${cmd.tape} cells)` : `; the tape is at its largest (${MAX_TAPE} cells)`;
      // "FILE:3:5: unmatched '['", but "FILE: the program has more than ..." for a message with no place.
      const place = /^\d+:\d+: /.test(error.message) ? ":" : ": ";
      throw new CommandError(`${fileName(cmd.file)}${place}${error.message}${hint}`, EX_DATAERR);
    }
    throw error;
  }
}

/** The most a program file may hold: far beyond any real program, and reached in a fraction of a second by /dev/zero. */
export const MAX_PROGRAM_BYTES = 256 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;

/**
 * The program's text, read in chunks and refused as soon as it passes MAX_PROGRAM_BYTES, so that a
 * file that never ends (/dev/zero, /dev/urandom, a pipe from `yes`) is an error in a fraction of a
 * second, not gigabytes of memory. Decoded as UTF-8, whose decoder drops a byte-order mark (which
 * would otherwise be the first line's first column).
 */
export function readProgram(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    throw new CommandError(`${fileName(file)}: ${describe(error)}`, EX_NOINPUT);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const chunk = new Uint8Array(Math.min(READ_CHUNK, MAX_PROGRAM_BYTES + 1 - total));
      const n = readSome(fd, chunk);
      if (n === 0) break;
      total += n;
      if (total > MAX_PROGRAM_BYTES) {
        throw new CommandError(`${fileName(file)}: a program may hold at most ${MAX_PROGRAM_BYTES / (1024 * 1024)} MiB (${MAX_PROGRAM_BYTES} bytes); this one holds more`, EX_DATAERR);
      }
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    }
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw new CommandError(`${fileName(file)}: ${describe(error)}`, EX_NOINPUT);
  } finally {
    closeSync(fd);
  }
  const bytes = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, total);
  return new TextDecoder().decode(bytes);
}

/** One read(2), retried on EINTR and (a non-blocking pipe) EAGAIN; other errors propagate. */
function readSome(fd: number, into: Uint8Array): number {
  for (;;) {
    try {
      return readSync(fd, into, 0, into.length, null);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === "EOF") return 0; // Bun's word for a read at the end of some devices
      if (code !== "EAGAIN" && code !== "EINTR") throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/** A file name as a message shows it: control characters escaped, and the empty name said in words. */
export function fileName(file: string): string {
  return file === "" ? "'' (an empty file name)" : escapeControls(file);
}

function run(source: string, cmd: BrainfuckCommand): void {
  const own = cmd.os !== undefined;
  const memory = own ? new CodeMemory(cmd.os as OsMemory, cmd.target) : hostMemory();
  const program = compileBrainfuck(source, { tape: cmd.tape, eof: cmd.eof, memory, file: cmd.file });
  const input = new Uint8Array(BUFFER_BYTES);
  try {
    const io: BrainfuckIo & { [LEND_CHUNKS]: true } = {
      read: () => {
        const n = retrying(() => readSync(0, input, 0, input.length, null), "read the input");
        return n === 0 ? null : input.subarray(0, n);
      },
      write: (chunk) => writeAll(1, chunk), // written before it returns, so it may have the buffer itself
      [LEND_CHUNKS]: true,
      ...(cmd.trace === undefined ? {} : { trace: cmd.trace }),
    };
    program.stream(io);
  } catch (error) {
    if (!(error instanceof ReaderGone)) throw error;
  } finally {
    program.dispose();
    if (own) memory.close();
  }
}
