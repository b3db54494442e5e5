/**
 * Every failure babyjit reports is a JitError with a stable string `code`, so callers (and the CLI)
 * can branch on the kind of failure instead of parsing messages.
 */
export type JitErrorCode =
  | "E_RANGE" // an argument is not a 32-bit integer, or a value does not fit an instruction field
  | "E_SYNTAX" // an expression does not parse, names an unknown parameter, or is too deeply nested; an unmatched Brainfuck bracket
  | "E_TAPE" // a Brainfuck program moved the pointer off its tape
  | "E_DIV_ZERO" // a compiled expression divided by zero at run time
  | "E_STACK" // a compiled module's calls went deeper than its stack limit
  | "E_DISPOSED" // a JitFunction was called after dispose()
  | "E_FROZEN" // dispose() of a JitFunction made frozen or sealed: its code stays until it is garbage-collected
  | "E_OS" // a system call (mmap, mprotect, VirtualAlloc, ...) failed
  | "E_UNSUPPORTED" // this OS / architecture / runtime cannot run native code through babyjit
  | "E_TARGET" // code for another target was asked to run on this host
  | "E_INTERNAL"; // a bug in babyjit itself

export class JitError extends Error {
  readonly code: JitErrorCode;
  /** For E_SYNTAX and E_TAPE: the 1-based column the problem starts at. */
  readonly column?: number;
  /** For Brainfuck's E_SYNTAX and E_TAPE: the 1-based line. */
  readonly line?: number;
  /** For E_TAPE: the cell the pointer moved to (-1, or the tape's length). */
  readonly cell?: number;
  constructor(code: JitErrorCode, message: string, options?: { column?: number; line?: number; cell?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "JitError";
    this.code = code;
    if (options?.column !== undefined) this.column = options.column;
    if (options?.line !== undefined) this.line = options.line;
    if (options?.cell !== undefined) this.cell = options.cell;
  }
}

/** A failed system call: which call, the errno (or Windows error code) and the OS's text for it. */
export class OsError extends JitError {
  readonly syscall: string;
  readonly errno: number;
  readonly strerror: string;
  constructor(syscall: string, errno: number, strerror: string) {
    super("E_OS", `${syscall}: ${strerror}`);
    this.name = "OsError";
    this.syscall = syscall;
    this.errno = errno;
    this.strerror = strerror;
  }
}

/**
 * A failure of the babyjit command that already says everything: printed as `babyjit: <message>` and
 * exited with `exitCode` (a sysexits code). The library never throws it.
 */
export class CommandError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = "CommandError";
    this.exitCode = exitCode;
  }
}

/** What the errno codes Node and Bun report mean, in the words of strerror(3). */
const STRERROR: Record<string, string> = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EISDIR: "Is a directory",
  ENOTDIR: "Not a directory",
  ENOSPC: "No space left on device",
  EIO: "Input/output error",
  EBADF: "Bad file descriptor",
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
};

/** An I/O error (one with a `code` such as "ENOSPC") in strerror's words, or its own message. */
export function describeIoError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && STRERROR[code] !== undefined) return STRERROR[code];
  return error instanceof Error ? error.message : String(error);
}
