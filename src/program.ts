/**
 * What the babyjit command does once its arguments are understood: compile, then run, dump or list,
 * and turn every failure into one line on stderr and a sysexits code. Kept apart from cli.ts so that
 * the common path (`babyjit -4`) never loads the argument parser.
 */
import { type Signature, int32Signature } from "./abi.ts";
import { adderName, emitAdder } from "./adder.ts";
import type { Code } from "./emit.ts";
import { CommandError, JitError, OsError, escapeControls, loadModule } from "./errors.ts";
import { CodeMemory, hostMemory, hostOs, install } from "./jit.ts";
import type { OsMemory } from "./os.ts";
import { type PerfMode, type PerfSource, parsePerfMode, perfUnavailable, profiler, startPerf } from "./perf.ts";
import { parseInt32 } from "./int32.ts";
import { type Abi, type Target, hostPlatform, sameTarget, targetFor } from "./platform.ts";
import { writeStdout } from "./stdio.ts";

/** sysexits.h */
export const EXIT = { OK: 0, USAGE: 64, DATAERR: 65, NOINPUT: 66, UNAVAILABLE: 69, SOFTWARE: 70, OSERR: 71, IOERR: 74 } as const;

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is a terminal that wants colour (decided by the caller from isTTY, NO_COLOR, --no-color). */
  readonly color: boolean;
  /**
   * Resolves once everything given to out() is written; rejects with a CommandError (exit 74) if it
   * could not be. Without it, out() is done when it returns.
   */
  flush?(): Promise<void>;
}

/**
 * stdout collected, and written once by flush() (stdio.ts: a failed write is exit 74, not the silent 0
 * console.log gives); stderr through console.error. process.stdout would load Node's stream
 * machinery, which costs more start-up than all of babyjit. Whether stdout is a terminal is asked only
 * when a listing wants colour.
 */
export function processIo(): Io {
  let pending = ""; // the command prints its output once, at the end: main() awaits flush()
  return {
    out: (text) => {
      pending += `${text}\n`;
    },
    flush() {
      const text = pending;
      pending = "";
      return text === "" ? Promise.resolve() : writeStdout(text);
    },
    err: (text) => console.error(text),
    get color() {
      // NO_COLOR counts when set and non-empty (no-color.org): NO_COLOR= leaves colour on.
      const noColor = process.env.NO_COLOR;
      return process.stdout.isTTY === true && (noColor === undefined || noColor === "") && process.env.TERM !== "dumb";
    },
  };
}

export type Source =
  | { readonly kind: "adder"; readonly term: number }
  | { readonly kind: "expr"; readonly text: string }
  | { readonly kind: "bf"; readonly file: string; readonly tape: number; readonly eof: "unchanged" | 0 | -1 }
  | { readonly kind: "fn"; readonly file: string; readonly name: string | undefined; readonly args: readonly string[] };

export interface Plan {
  readonly source: Source;
  readonly inputs: readonly number[];
  readonly mode: "run" | "dump" | "listing";
  readonly trace: boolean;
  /** The code's target; undefined means this host. */
  readonly target?: Target;
  /** --color / --no-color; undefined leaves it to the terminal (Io.color). */
  readonly color?: boolean;
  /** --perf: name the code for Linux perf (perf.ts); undefined leaves it to BABYJIT_PERF. */
  readonly perf?: PerfMode;
}

export const DEFAULT_INPUTS: readonly number[] = [1, 2, 3];

/** A usage error: wrong arguments. The message names the bad value and what was expected. */
export class UsageError extends Error {
  /** For expressions: the source text and 1-based column to point a caret at. */
  readonly caret?: { readonly text: string; readonly column: number };
  constructor(message: string, caret?: { text: string; column: number }) {
    super(message);
    if (caret !== undefined) this.caret = caret;
  }
}

/** What the command line said, before validation: the same shape whether citty parsed it or not. */
export interface CommandArgs {
  readonly positionals: readonly string[];
  readonly expr?: string;
  readonly bf?: string;
  readonly fn?: string;
  readonly tape?: string;
  readonly eof?: string;
  readonly dump?: boolean;
  readonly listing?: boolean;
  readonly trace?: boolean;
  readonly arch?: string;
  readonly abi?: string;
  readonly color?: boolean;
  readonly perf?: string;
}

const ARCHES = ["x64", "arm64"] as const;
const ABIS = ["sysv", "win64", "aapcs64"] as const;

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`invalid ${what} '${value}': expected ${allowed.join(" or ")}`);
  }
  return value as T;
}

/** Validate the command line into a plan; every problem is a UsageError naming the bad value. */
export function buildPlan(args: CommandArgs): Plan {
  const usage = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      throw error instanceof JitError ? new UsageError(error.message) : error;
    }
  };
  let source: Source;
  let rest = args.positionals;
  if (args.bf === undefined && (args.tape !== undefined || args.eof !== undefined)) {
    throw new UsageError(`--${args.tape !== undefined ? "tape" : "eof"} is for Brainfuck programs: use it with --bf FILE`);
  }
  if (args.fn !== undefined) {
    if (args.expr !== undefined || args.bf !== undefined) throw new UsageError(`--fn and --${args.bf !== undefined ? "bf" : "expr"} both name the program to compile: choose one`);
    // The arguments are parsed by the function's declared types once the module is compiled (fn/command.ts).
    source = { kind: "fn", file: args.fn, name: rest[0], args: rest.slice(1) };
    rest = [];
  } else if (args.bf !== undefined) {
    if (args.expr !== undefined) throw new UsageError("--bf and --expr both name the program to compile: choose one");
    if (rest.length > 0) throw new UsageError(`--bf runs the program with stdin as its input; unexpected argument '${rest[0]}'`);
    source = { kind: "bf", file: args.bf, tape: tapeCells(args.tape), eof: eofMode(args.eof) };
  } else if (args.expr !== undefined) {
    source = { kind: "expr", text: args.expr };
  } else {
    const [term, ...inputs] = rest;
    if (term === undefined) throw new UsageError("missing <term>: expected a decimal 32-bit integer, or --expr <expression>");
    source = { kind: "adder", term: usage(() => parseInt32(term, "term")) };
    rest = inputs;
  }
  const inputs = rest.length > 0 ? usage(() => rest.map((x) => parseInt32(x, "input"))) : DEFAULT_INPUTS;
  if (args.dump && args.listing) throw new UsageError("--dump and --listing both replace running: choose one");
  const mode = args.dump ? "dump" : args.listing ? "listing" : "run";
  if (args.trace && mode !== "run") throw new UsageError(`--trace narrates a run; it cannot be combined with --${mode}`);
  const perf = args.perf === undefined ? undefined : perfMode(args.perf, "--perf");
  if (perf !== undefined && mode !== "run") throw new UsageError(`--perf names the code of a run; it cannot be combined with --${mode}`);
  let target: Target | undefined;
  if (args.arch !== undefined || args.abi !== undefined) {
    const abi = args.abi === undefined ? undefined : oneOf<Abi>(args.abi, ABIS, "--abi");
    const arch = args.arch === undefined ? (abi === "aapcs64" ? "arm64" : "x64") : oneOf(args.arch, ARCHES, "--arch");
    target = usage(() => targetFor(arch, abi));
  }
  return {
    source,
    inputs,
    mode,
    trace: args.trace === true,
    ...(target === undefined ? {} : { target }),
    ...(args.color === undefined ? {} : { color: args.color }),
    ...(perf === undefined ? {} : { perf }),
  };
}

/** A --perf or BABYJIT_PERF value, checked: a usage error when it names no mode or this is not Linux. */
function perfMode(text: string, what: string): PerfMode | undefined {
  let mode: PerfMode | undefined;
  try {
    mode = parsePerfMode(text, what);
  } catch (error) {
    throw error instanceof JitError ? new UsageError(error.message) : error;
  }
  const why = mode === undefined ? undefined : perfUnavailable();
  if (why !== undefined) throw new UsageError(`${what}=${mode}: ${why}`);
  return mode;
}

const MAX_TAPE = 2 ** 30; // as src/bf/compile.ts (not imported: the common path does not load the Brainfuck chapter)

function tapeCells(text: string | undefined): number {
  if (text === undefined) return 30_000;
  const cells = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!(cells >= 1 && cells <= MAX_TAPE)) throw new UsageError(`invalid --tape '${text}': expected a number of cells from 1 to ${MAX_TAPE}`);
  return cells;
}

function eofMode(text: string | undefined): "unchanged" | 0 | -1 {
  if (text === undefined || text === "unchanged") return "unchanged";
  if (text === "0") return 0;
  if (text === "-1") return -1;
  throw new UsageError(`invalid --eof '${text}': expected 0, -1 or unchanged`);
}

/** What the command does with one kind of program: the front end's row in FRONT_ENDS. */
type FrontEnd<S extends Source> =
  /**
   * Compile for any target; the command installs, calls it once per input (one int32), or lists it.
   * With `perf` (profiling is on), also what profilers call the code (perf.ts).
   */
  | { readonly generate: (source: S, target: Target, perf: boolean) => { code: Code; signature: Signature; status: boolean; named?: Named } }
  /** Run the whole command itself (Brainfuck: a program reading stdin, writing stdout). */
  | { readonly command: (plan: Plan, source: S, target: Target, io: Io, os: OsMemory | undefined) => number };

/** Every front end the command knows, by Source kind: adding one is a row here and a Source variant. */
const FRONT_ENDS: { readonly [K in Source["kind"]]: FrontEnd<Extract<Source, { kind: K }>> } = {
  adder: {
    generate: (source, target, perf) => ({ code: emitAdder(target, source.term), signature: int32Signature(1), status: false, ...(perf ? { named: adderName(source.term) } : {}) }),
  },
  expr: { generate: expression },
  bf: { command: brainfuck },
  fn: { command: functions },
};

function expression(source: Extract<Source, { kind: "expr" }>, target: Target, perf: boolean): { code: Code; signature: Signature; status: boolean; named?: Named } {
  const { assembleExpression, expressionPerf } = loadModule("the expression compiler", () => require("./expr/compile.ts") as typeof import("./expr/compile.ts"));
  try {
    const { code, checked, arity, columns } = assembleExpression(source.text, { target, columns: perf });
    const made = { code, signature: int32Signature(arity), status: checked };
    return perf ? { ...made, named: expressionPerf({ source: source.text, params: ["x"] }, columns) } : made;
  } catch (error) {
    if (error instanceof JitError && error.code === "E_SYNTAX") {
      throw new UsageError(`${error.message}`, { text: source.text, column: error.column ?? 1 });
    }
    throw error;
  }
}

/**
 * Run a plan; returns the exit code. `os` replaces the host's OS layer (a test makes it fail for real to
 * check the exit-71 path); by default the process-wide code memory is used.
 */
export function execute(plan: Plan, io: Io, os?: OsMemory): number {
  try {
    return executeOrThrow(plan, io, os);
  } catch (error) {
    return report(error, io);
  }
}

function executeOrThrow(plan: Plan, io: Io, os: OsMemory | undefined): number {
  // Only running needs a supported host: dumping and listing read code for any target they name.
  const host = plan.mode === "run" ? hostPlatform() : undefined;
  const target = plan.target ?? host?.target ?? targetToRead(plan.mode);
  if (plan.mode === "run" && host !== undefined && !sameTarget(target, host.target)) {
    throw new UsageError(
      `cannot run ${target.arch} (${target.abi}) code on this ${host.target.arch} (${host.target.abi}) host; ` +
        "use --dump or --listing to read code for another target",
    );
  }
  if (plan.mode === "run") {
    // --perf, else BABYJIT_PERF, checked here so that a bad value is a usage error before anything runs.
    const env = plan.perf === undefined ? process.env.BABYJIT_PERF : undefined;
    if (plan.perf !== undefined) startPerf(plan.perf);
    else if (env !== undefined) startPerf(perfMode(env, "BABYJIT_PERF"));
  }
  const front = FRONT_ENDS[plan.source.kind] as FrontEnd<Source>;
  if ("command" in front) return front.command(plan, plan.source, target, io, os);
  const { code, signature, status, named } = front.generate(plan.source, target, plan.mode === "run" && profiler() !== undefined);
  if (plan.mode !== "run") {
    // Loaded only when asked for, like trace.ts below: start-up pays for what the common path uses.
    const { formatListing, hexBytes } = loadModule("the listing printer", () => require("./listing.ts") as typeof import("./listing.ts"));
    io.out(plan.mode === "dump" ? hexBytes(code.bytes) : formatListing(code, { color: plan.color ?? io.color }));
    return EXIT.OK;
  }
  if (signature !== int32Signature(1)) throw new JitError("E_INTERNAL", "the CLI calls functions of one int32 argument");
  const trace = plan.trace ? (line: string) => io.err(`trace: ${line}`) : undefined;
  // A memory of its own when tracing or given an OS layer, so that everything it mapped is unmapped at the end.
  const own = trace !== undefined || os !== undefined;
  const base = os ?? hostOs();
  const traced = (log: (line: string) => void) =>
    loadModule("--trace", () => require("./trace.ts") as typeof import("./trace.ts")).tracingOs(base, log, hostPlatform());
  const memory = own ? new CodeMemory(trace ? traced(trace) : base, target) : hostMemory();
  const fn = install(memory, code, named === undefined ? { signature, status } : { signature, status, input: named, describe: asNamed });
  let results: number[];
  try {
    // A loop, not inputs.map(): JavaScriptCore compiles a builtin like Array.prototype.map on its first
    // call, and on this, every start-up's path, that measured a third of a millisecond.
    results = [];
    for (let i = 0; i < plan.inputs.length; i++) {
      const x = plan.inputs[i] as number;
      try {
        const result = fn(x);
        trace?.(`call 0x${fn.address.toString(16)}(${x}) = ${result}`);
        results.push(result);
      } catch (error) {
        if (error instanceof JitError && error.code === "E_DIV_ZERO") {
          throw new JitError("E_DIV_ZERO", `division by zero (x = ${x})`);
        }
        throw error;
      }
    }
  } finally {
    fn.dispose();
    if (own) memory.close();
  }
  io.out(results.join(" "));
  return EXIT.OK;
}

type Named = { readonly name: string; readonly source?: PerfSource };
const asNamed = (named: Named): Named => named;

/** `--bf FILE`: compile and run (or dump or list) a Brainfuck program; see bf/command.ts. */
function brainfuck(plan: Plan, source: Extract<Source, { kind: "bf" }>, target: Target, io: Io, os: OsMemory | undefined): number {
  const { brainfuckCommand } = loadModule("the Brainfuck compiler", () => require("./bf/command.ts") as typeof import("./bf/command.ts"));
  const { formatListing, hexBytes } = loadModule("the listing printer", () => require("./listing.ts") as typeof import("./listing.ts"));
  const trace = plan.trace ? (line: string) => io.err(`trace: ${line}`) : undefined;
  const base = trace === undefined ? os : loadModule("--trace", () => require("./trace.ts") as typeof import("./trace.ts")).tracingOs(os ?? hostOs(), trace, hostPlatform());
  const text = brainfuckCommand(
    { file: source.file, tape: source.tape, eof: source.eof, mode: plan.mode, target, ...(trace === undefined ? {} : { trace }), ...(base === undefined ? {} : { os: base }) },
    (code) => (plan.mode === "dump" ? hexBytes(code.bytes) : formatListing(code, { color: plan.color ?? io.color })),
  );
  if (text !== undefined) io.out(text);
  return EXIT.OK;
}

/** `--fn FILE NAME [ARGS...]`: compile a module and call one of its functions (or dump or list it); see fn/command.ts. */
function functions(plan: Plan, source: Extract<Source, { kind: "fn" }>, target: Target, io: Io, os: OsMemory | undefined): number {
  const { fnCommand } = loadModule("the functions compiler", () => require("./fn/command.ts") as typeof import("./fn/command.ts"));
  const { formatListing, hexBytes } = loadModule("the listing printer", () => require("./listing.ts") as typeof import("./listing.ts"));
  const trace = plan.trace ? (line: string) => io.err(`trace: ${line}`) : undefined;
  const base = trace === undefined ? os : loadModule("--trace", () => require("./trace.ts") as typeof import("./trace.ts")).tracingOs(os ?? hostOs(), trace, hostPlatform());
  const text = fnCommand(
    { file: source.file, name: source.name, args: source.args, mode: plan.mode, target, ...(trace === undefined ? {} : { trace }), ...(base === undefined ? {} : { os: base }) },
    (code) => (plan.mode === "dump" ? hexBytes(code.bytes) : formatListing(code, { color: plan.color ?? io.color })),
  );
  if (text !== undefined) io.out(text);
  return EXIT.OK;
}

/** The target --dump/--listing read when none is named: this host's, or a usage error saying what to name. */
function targetToRead(mode: "dump" | "listing" | "run"): Target {
  try {
    return hostPlatform().target;
  } catch (error) {
    if (!(error instanceof JitError && error.code === "E_UNSUPPORTED")) throw error;
    throw new UsageError(
      `${process.platform}-${process.arch} runs no babyjit code, so --${mode} needs a target: ` +
        "pass --arch x64 (with --abi sysv or win64) or --arch arm64",
    );
  }
}

const CARET_WIDTH = 60;

/** The part of a long expression around `column` (1-based), with … where it was cut; tabs and newlines as spaces. */
function caretWindow(source: string, column: number): { text: string; column: number } {
  // Whitespace as spaces, and other control characters as '?', one column each: the caret stays
  // under its character, and the line cannot drive the terminal (the message above names the character).
  const flat = source.replace(/[\t\n\r]/g, " ").replace(/[\x00-\x1f\x7f-\x9f]/g, "?");
  if (flat.length <= CARET_WIDTH) return { text: flat, column };
  const start = Math.max(0, Math.min(column - 1 - CARET_WIDTH / 2, flat.length - CARET_WIDTH));
  const end = start + CARET_WIDTH;
  const head = start > 0 ? "…" : "";
  const tail = end < flat.length ? "…" : "";
  return { text: `${head}${flat.slice(start, end)}${tail}`, column: column - start + head.length };
}

/** One line on stderr (two for a usage error: the problem, then where to look) and the exit code. */
export function report(error: unknown, io: Io): number {
  // Every message passes through here: a control character from argv or a file name is shown escaped,
  // so a message stays one line and cannot drive the terminal.
  const say = (text: string) => io.err(escapeControls(text));
  if (error instanceof UsageError) {
    say(`babyjit: ${error.message}`);
    if (error.caret !== undefined) {
      const { text, column } = caretWindow(error.caret.text, error.caret.column);
      io.err(`  ${text}`);
      io.err(`  ${" ".repeat(column - 1)}^`);
    }
    io.err("Try 'babyjit --help' for more information.");
    return EXIT.USAGE;
  }
  if (error instanceof CommandError) {
    say(`babyjit: ${error.message}`);
    return error.exitCode;
  }
  if (error instanceof OsError) {
    say(`babyjit: ${error.syscall}: ${error.strerror}`);
    return EXIT.OSERR;
  }
  if (error instanceof JitError) {
    switch (error.code) {
      case "E_RANGE":
      case "E_TARGET":
        return report(new UsageError(error.message), io);
      case "E_DIV_ZERO":
      case "E_STACK":
        say(`babyjit: ${error.message}`);
        return EXIT.DATAERR;
      case "E_UNSUPPORTED":
        say(`babyjit: ${error.message}`);
        return EXIT.UNAVAILABLE;
      default:
        say(`babyjit: internal error: ${error.message}`);
        return EXIT.SOFTWARE;
    }
  }
  say(`babyjit: internal error: ${error instanceof Error ? error.message : String(error)}`);
  return EXIT.SOFTWARE;
}
