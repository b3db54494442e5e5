/**
 * Every failure babyjit reports is a JitError with a stable string `code`, so callers (and the CLI)
 * can branch on the kind of failure instead of parsing messages.
 */
export type JitErrorCode =
  | "E_RANGE" // an argument is not a 32-bit integer, or a value does not fit an instruction field
  | "E_SYNTAX" // an expression does not parse, names an unknown parameter, or is too deeply nested; an unmatched Brainfuck bracket
  | "E_TAPE" // a Brainfuck program moved the pointer off its tape
  | "E_DIV_ZERO" // a compiled expression divided by zero at run time
  | "E_STACK" // compiled code ran out of the stack it may use (reported through the status block)
  | "E_BOUNDS" // a compiled module indexed a typed array outside 0..length-1 (nothing was read or written)
  | "E_DISPOSED" // a JitFunction was called after dispose(), or a Brainfuck program run after (or disposed during) its run
  | "E_BUSY" // a Brainfuck program was run again from one of its own callbacks; CodeMemory.close() with functions installed
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
  ENXIO: "No such device or address", // /dev/tty without a terminal; a socket
  ENODEV: "No such device",
  EPERM: "Operation not permitted",
  EROFS: "Read-only file system",
  EMFILE: "Too many open files",
  ENFILE: "Too many open files in system",
  ENOMEM: "Cannot allocate memory",
  EFBIG: "File too large",
  EINVAL: "Invalid argument",
  EOVERFLOW: "Value too large for defined data type",
  EOPNOTSUPP: "Operation not supported",
  ENOTSUP: "Operation not supported",
  ETXTBSY: "Text file busy",
  EPIPE: "Broken pipe",
  ECONNRESET: "Connection reset by peer",
  EAGAIN: "Resource temporarily unavailable",
};

/** An I/O error (one with a `code` such as "ENOSPC") in strerror's words, or its own message. */
export function describeIoError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && STRERROR[code] !== undefined) return STRERROR[code];
  // Bun's own text, as `ENXIO: no such device or address, open '/dev/tty'`, is kept to its words.
  return escapeControls(error instanceof Error ? error.message : String(error));
}

/**
 * A value as a message shows it, without running any of the caller's code (no toString, no getters):
 * `5`, `"abc"`, `5n`, `an array`, `a Float64Array`, `an object`. Strings are quoted and escaped, and
 * long ones cut.
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case "number":
    case "boolean":
    case "undefined":
      return String(value);
    case "bigint":
      return `${value}n`;
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Promise) return "a Promise (callbacks are synchronous)";
  if (ArrayBuffer.isView(value)) {
    const tag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)?.get?.call(value) as string | undefined;
    return tag === undefined ? "a DataView" : `${/^[AEIOU]/.test(tag) ? "an" : "a"} ${tag}`;
  }
  return "an object";
}

/** Control characters (and DEL, and the C1 controls) as escapes, so that a message is one line that cannot drive a terminal. */
export function escapeControls(text: string): string {
  // A loop, not a regular expression: the first regular expression a process compiles costs start-up.
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c !== 0x7f && !(c >= 0x80 && c < 0xa0) && c !== 0x2028 && c !== 0x2029) continue;
    // U+2028 and U+2029 end a line for JavaScript and many editors: a message must stay one line.
    const escaped = c > 0xff ? `\\u${c.toString(16)}` : `\\x${c.toString(16).padStart(2, "0")}`;
    out += text.slice(from, i) + (c === 10 ? "\\n" : c === 9 ? "\\t" : c === 13 ? "\\r" : c === 27 ? "\\e" : escaped);
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** E_RANGE unless `value` is a string: `where` names the call and parameter, as `compileBrainfuck(source)`. */
export function checkString(value: unknown, where: string): string {
  if (typeof value !== "string") throw new JitError("E_RANGE", `${where} must be a string, not ${describeValue(value)}`);
  return value;
}

/** E_RANGE unless `value` is undefined or an object (an options bag). */
export function checkOptions<T extends object>(value: T | undefined, where: string): T | Record<string, never> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null) throw new JitError("E_RANGE", `${where} must be an object, not ${describeValue(value)}`);
  return value;
}

/**
 * A module the command loads only when needed (the citty CLI, the expression compiler, listings,
 * --trace, Brainfuck), required inside the command's handlers, so that failing to load it is one line
 * and an exit code, never Bun's own message and exit 1. Bun says a module it could not open was "not
 * found"; the usual cause is a process out of file descriptors (ulimit -n), so that is checked, and
 * said in strerror's words with exit 71.
 */
export function loadModule<T>(what: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    // Loading a module takes several descriptors at once (the file, its directories, tsconfig.json),
    // which are closed again by now: so the probe asks for a few at once too.
    const { openSync, closeSync } = require("node:fs") as typeof import("node:fs");
    const probes: number[] = [];
    try {
      for (let i = 0; i < 4; i++) probes.push(openSync(process.platform === "win32" ? "NUL" : "/dev/null", "r"));
    } catch (probe) {
      const code = (probe as { code?: unknown }).code;
      if (code === "EMFILE" || code === "ENFILE") throw new CommandError(`cannot load ${what}: ${describeIoError(probe)} (ulimit -n)`, 71);
    } finally {
      for (const fd of probes) closeSync(fd);
    }
    const message = error instanceof Error ? error.message : String(error);
    throw new CommandError(`cannot load ${what}: ${message.split("\n")[0]}`, 70);
  }
}
