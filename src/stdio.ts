/**
 * The command's stdin and stdout, with the errors a command must report: a write that fails (a full
 * disk: `> /dev/full`) is exit 74 (EX_IOERR) in strerror's words, a reader that has gone (a closed
 * pipe) ends the output quietly, and a non-blocking descriptor is retried. console.log would drop a
 * failed write on the floor and exit 0.
 *
 * Short output (every `babyjit <integers...>`) goes through Bun.write, which costs nothing to load;
 * node:fs, whose writeSync the rest uses, costs a compiled executable a millisecond of start-up. Bun.write
 * is kept to 1 KiB or less because above that it reserves the file's space first (fallocate), and on
 * a descriptor opened for appending (`>> log`) the text then lands after a run of NUL bytes
 * (oven-sh/bun#41685).
 */
import { CommandError, describeIoError } from "./errors.ts";

const EX_IOERR = 74; // sysexits.h
const BUN_WRITE_LIMIT = 1024;

/** Thrown by the output side when the reader has gone away: the caller stops writing, quietly. */
export class ReaderGone extends Error {}

/** Whether an error from a write means the reader has gone (a closed pipe). */
function readerGone(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === "EPIPE" || code === "EOF";
}

let pause: Int32Array | undefined; // for Atomics.wait, made on the first retry

/** A read or write, retried while the descriptor says "try again" (a non-blocking pipe); errors mapped. */
export function retrying(io: () => number, what: string): number {
  for (;;) {
    try {
      return io();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === "EAGAIN" || code === "EWOULDBLOCK" || code === "EINTR") {
        pause ??= new Int32Array(new SharedArrayBuffer(4));
        Atomics.wait(pause, 0, 0, 1);
        continue;
      }
      if (code === "EOF" && what === "read the input") return 0;
      if (readerGone(error)) throw new ReaderGone();
      throw new CommandError(`cannot ${what}: ${describeIoError(error)}`, EX_IOERR);
    }
  }
}

/** All of `bytes` to file descriptor `fd` with node:fs's writeSync (throws CommandError or ReaderGone). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  const { writeSync } = require("node:fs") as typeof import("node:fs");
  let done = 0;
  while (done < bytes.length) done += retrying(() => writeSync(fd, bytes, done, bytes.length - done), "write the output");
}

/** Text to stdout; resolves once written, quietly if the reader has gone; rejects with CommandError (74). */
export async function writeStdout(text: string): Promise<void> {
  try {
    // At most 3 UTF-8 bytes a UTF-16 unit: so short a text is within the limit without encoding it.
    if (text.length * 3 <= BUN_WRITE_LIMIT) await Bun.write(Bun.stdout, text);
    else {
      const bytes = new TextEncoder().encode(text);
      if (bytes.length > BUN_WRITE_LIMIT) writeAll(1, bytes);
      else await Bun.write(Bun.stdout, bytes);
    }
  } catch (error) {
    if (error instanceof ReaderGone || readerGone(error)) return;
    if (error instanceof CommandError) throw error;
    throw new CommandError(`cannot write the output: ${describeIoError(error)}`, EX_IOERR);
  }
}
