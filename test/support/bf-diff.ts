/**
 * The Brainfuck differential (test/support/differential.ts): random programs (bfgen.ts) run by
 * babyjit and by the reference interpreter (bfref.ts), compared byte for byte, including whether and
 * where the pointer left the tape; before them, the fixed scans off the tape's ends (scanEdgeCases).
 *
 *   expectAgreement(bfDifferential(), SEED, 20_000)                        // all passes
 *   expectAgreement(bfDifferential({ passes: ["mulLoops"] }), SEED, 2_000) // one pass alone
 *   expectAgreement(bfDifferential({ win64: true }), SEED, 5_000)          // Win64 code, x86-64 System V hosts
 *   bun test/support/differential.ts bf SEED COUNT                         // the script, under an emulator
 */
import { type BfCode, type BrainfuckSite as Site, type PassName, assembleBrainfuck, compileBrainfuck, hostMemory } from "../../src/index.ts";
import { JitError } from "../../src/errors.ts";
import { load } from "../../src/bf/runtime.ts";
import { type Case, randomCase, scanEdgeCases, smallerSources } from "./bfgen.ts";
import { interpret } from "./bfref.ts";
import type { Differential } from "./differential.ts";
import { WIN64, targetName } from "./targets.ts";
import { WIN64_SHIM_BYTES, win64OnSysv } from "./win64.ts";

export interface Outcome {
  readonly output: string; // hex, so a difference is readable
  readonly left?: { readonly offset: number; readonly cell: number };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

export interface JitOptions {
  /** The optional passes to compile with (default: all). */
  readonly passes?: readonly PassName[];
  /** Win64 code, run on this System V host through the shim. */
  readonly win64?: boolean;
}

/** The case compiled by babyjit (with these passes, for this convention) and run on this host. */
export function runJit(c: Case, options: JitOptions = {}): Outcome {
  const compileOptions = { tape: c.tape, eof: c.eof, ...(options.passes === undefined ? {} : { passes: options.passes }) };
  const program = options.win64
    ? load(hostMemory(), win64Code(c, options.passes), c.source, compileOptions, () => "")
    : compileBrainfuck(c.source, compileOptions);
  const chunks: Uint8Array[] = [];
  let given: Uint8Array | null = c.input;
  try {
    program.stream({
      read: () => {
        const chunk = given;
        given = null;
        return chunk;
      },
      write: (chunk) => chunks.push(chunk.slice()),
    });
    return { output: chunks.map(hex).join("") };
  } catch (error) {
    if (error instanceof JitError && error.code === "E_TAPE") {
      return { output: chunks.map(hex).join(""), left: { offset: (error.column ?? 0) - 1, cell: error.cell ?? 0 } };
    }
    throw error;
  } finally {
    program.dispose();
  }
}

/** The same case in the reference, or undefined when it may not end (the step limit ran out). */
export function runReference(c: Case): Outcome | undefined {
  const r = interpret(c.source, c.input, { tape: c.tape, eof: c.eof, maxSteps: 100_000 });
  if (r.exhausted) return undefined;
  return r.left === undefined ? { output: hex(r.output) } : { output: hex(r.output), left: r.left };
}

/** Win64 code for the case behind the shim, every code offset moved by the shim's length. */
export function win64Code(c: Case, passes?: readonly PassName[]): BfCode {
  const bf = assembleBrainfuck(c.source, { tape: c.tape, eof: c.eof, target: WIN64, ...(passes === undefined ? {} : { passes }) });
  const by = WIN64_SHIM_BYTES;
  const moved = (s: Site): Site => (s.kind === "flush" ? { ...s, retry: s.retry + by } : s.kind === "input" ? { ...s, retry: s.retry + by, eof: s.eof + by } : s);
  return {
    code: win64OnSysv(bf.code),
    start: bf.start + by,
    margin: bf.margin,
    site: (id) => {
      const s = bf.site(id);
      return s === undefined ? undefined : moved(s);
    },
    get sites() {
      return bf.sites.map(moved);
    },
  };
}

const show = (c: Case) => `${JSON.stringify(c.source)} tape ${c.tape} eof ${c.eof} input ${hex(c.input)}`;

/** The differential, for these passes and this convention (the host's own by default). */
export function bfDifferential(options: JitOptions = {}): Differential<Case> {
  if (options.win64 && !(process.arch === "x64" && process.platform !== "win32")) {
    throw new Error(`${targetName(WIN64)} code runs through the shim on x86-64 System V hosts only`);
  }
  return {
    fixed: scanEdgeCases(),
    generate: randomCase,
    reference: runReference,
    actual: (c) => runJit(c, options),
    smaller: smallerSources,
    show,
  };
}

/** For the script entry: `bf` takes no arguments. */
export function suite(args: readonly string[]): Differential<Case> {
  if (args.length > 0) throw new Error(`the bf suite takes no arguments, got ${args.join(" ")}`);
  return bfDifferential();
}
