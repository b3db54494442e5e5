/**
 * Running compiled Brainfuck: the memory it owns (code, tape, state block and I/O buffers) and the loop
 * that calls the code, flushes its output, refills its input and resumes it where it stopped.
 *
 * The tape and the buffers are mapped read+write and never executable; the code is read+execute and
 * never writable (it lives in CodeMemory like every other function).
 */
import { JitError, describeValue } from "../errors.ts";
import type { CodeMemory, CodeSlot } from "../jit.ts";
import type { NativeFunction, OsMemory } from "../os.ts";
import { type BfCode, type EofMode, STATE } from "./codegen.ts";
import { Lines, replay } from "./replay.ts";

/** Output is handed over, and input taken in, this many bytes at a time. */
export const BUFFER_BYTES = 64 * 1024;

/**
 * For babyjit's own command only (not exported by the library): a stream() whose io has this key set
 * to true gets views of the output buffer instead of copies, because it writes each chunk out before
 * returning and keeps none (64 MiB through cat.b: 1,024 copies of 64 KiB, 7 ms).
 */
export const LEND_CHUNKS = Symbol("babyjit.lendChunks");

/** Where a streaming run gets its input and puts its output. */
export interface BrainfuckIo {
  /**
   * The next chunk of input, or null at end of input. Called only when the program reads and every
   * earlier byte has been consumed; all output written so far has been passed to write() first. The
   * chunk is read in place, 64 KiB at a time: bytes changed before they are read are read changed.
   */
  read?(): Uint8Array | null;
  /** A chunk of output: a copy, the caller's to keep. */
  write(chunk: Uint8Array): void;
  /** Narration for --trace: each flush and refill. */
  trace?(line: string): void;
}

export interface BrainfuckProgram {
  /** Run on a zeroed tape with all of `input` available; returns everything the program wrote. */
  run(input?: string | Uint8Array): Uint8Array;
  /**
   * Run on a zeroed tape, streaming: input on demand, output as each buffer fills (and at the end).
   * A callback may dispose the program (the run then ends with E_DISPOSED when it returns) but not run
   * it again (E_BUSY); an error it throws ends the run and comes out of stream() unchanged.
   */
  stream(io: BrainfuckIo): void;
  /** A copy of the machine code. */
  readonly bytes: Uint8Array;
  /** The listing: each group of instructions under the Brainfuck it came from. */
  readonly listing: string;
  readonly tape: number;
  readonly eof: EofMode;
  readonly disposed: boolean;
  /** Unmap the code, tape and buffers. Running afterwards throws E_DISPOSED. Safe to call twice. */
  dispose(): void;
  [Symbol.dispose](): void;
}

interface Resources {
  slot: CodeSlot;
  entry: NativeFunction;
  os: OsMemory;
  /** The tape's mapping: cell 0 is `margin` pages in, after the stop cells on the left. */
  tapeMapping: number;
  tapeBytes: number;
  dataAddress: number;
  dataBytes: number;
}

function release(r: Resources): void {
  r.entry.close?.();
  r.slot.free();
  r.os.unmap(r.tapeMapping, r.tapeBytes);
  r.os.unmap(r.dataAddress, r.dataBytes);
}

const collector = new FinalizationRegistry<Resources>(release);

const pageRound = (n: number, page: number) => Math.ceil(n / page) * page;

/** Map the memory, install the code and return the program. `listing` is made on demand. */
export function load(
  memory: CodeMemory,
  bf: BfCode,
  source: string,
  options: { tape: number; eof: EofMode },
  listing: () => string,
  installed?: (address: number) => void,
): BrainfuckProgram {
  const os = memory.os;
  const page = os.pageSize;
  // A scan that runs off the tape stops on the zero cells beyond its ends (BfCode.margin): those on the
  // left get whole pages before cell 0, those on the right share the tape's last page when they fit.
  // They stay 0: the code only reads them, since every write is checked.
  const margin = bf.margin;
  const before = margin === 0 ? 0 : pageRound(margin, page);
  const tapeBytes = before + pageRound(options.tape + margin, page);
  const dataBytes = pageRound(STATE.bytes + 2 * BUFFER_BYTES, page);
  const tapeMapping = os.map(tapeBytes, margin === 0 ? `the tape (${options.tape} cells)` : `the tape (${options.tape} cells, and ${margin} zero cell${margin === 1 ? "" : "s"} beyond each end for scans to stop on)`);
  const tapeAddress = tapeMapping + before;
  let dataAddress = 0;
  let slot: CodeSlot | undefined;
  let entry: NativeFunction;
  try {
    dataAddress = os.map(dataBytes, "the state block and the I/O buffers");
    slot = memory.installCode(bf.code.bytes);
    entry = os.entry(slot.address);
    installed?.(slot.address); // profilers name the code (perf.ts)
  } catch (error) {
    // Whatever was taken so far is given back: a failed load leaves nothing mapped or installed.
    slot?.free();
    if (dataAddress !== 0) os.unmap(dataAddress, dataBytes);
    os.unmap(tapeMapping, tapeBytes);
    throw error;
  }
  const resources: Resources = { slot, entry, os, tapeMapping, tapeBytes, dataAddress, dataBytes };

  const tape = os.view(tapeAddress, options.tape);
  const state = new DataView(os.view(dataAddress, STATE.bytes).buffer, 0, STATE.bytes);
  const outAddress = dataAddress + STATE.bytes;
  const inAddress = outAddress + BUFFER_BYTES;
  const outBuffer = os.view(outAddress, BUFFER_BYTES);
  const inBuffer = os.view(inAddress, BUFFER_BYTES);
  const base = slot.address;
  const setField = (offset: number, value: number) => state.setBigUint64(offset, BigInt(value), true);
  // Signed: the pointer register may stand left of cell 0 (moves deferred into offsets), and addresses fit either way.
  const getField = (offset: number) => Number(state.getBigInt64(offset, true));
  // The program's lifetime (the reference chapter's "Lifetimes"): idle, running (inside stream(), which
  // calls back into JavaScript between stretches of native code), or disposed. While it runs, the code
  // trusts the state block and the buffers, so nothing a callback does may unmap them or move the
  // pointer: run()/stream() again is refused (E_BUSY), and dispose() only marks the program, which the
  // run then releases as soon as the callback returns, ending with E_DISPOSED.
  let life: "idle" | "running" | "disposed" = "idle";
  let releaseAfterRun = false;
  let fresh = true; // a new mapping is already zero-filled

  const disposedError = () => new JitError("E_DISPOSED", "this Brainfuck program was disposed; its memory is gone");
  /** After each callback: a dispose() from inside it ends the run here, before native code runs again. */
  const stillRunning = () => {
    if (releaseAfterRun) throw new JitError("E_DISPOSED", "this Brainfuck program was disposed by a callback during its own run; the run stopped there");
  };

  const stream = (io: BrainfuckIo): void => {
    // The callbacks are read first: reading them may run the caller's code (a getter, a Proxy), which
    // may dispose the program or run it; the state is checked after that, just before running.
    const { read, write, trace } = checkedIo(io);
    const lent = (io as { [LEND_CHUNKS]?: unknown })[LEND_CHUNKS] === true;
    if (life === "disposed" || releaseAfterRun) throw disposedError();
    if (life === "running") throw new JitError("E_BUSY", "this Brainfuck program is already running (stream() or run() was called from one of its own callbacks); a program runs once at a time");
    life = "running";
    try {
      runLoop(lent, read, write, trace);
    } finally {
      if (releaseAfterRun) {
        life = "disposed";
        release(resources);
      } else life = "idle";
    }
  };

  const runLoop = (
    lent: boolean,
    read: (() => Uint8Array | null | undefined) | undefined,
    write: (chunk: Uint8Array) => void,
    trace: ((line: string) => void) | undefined,
  ): void => {
    if (!fresh) tape.fill(0);
    fresh = false;
    setField(STATE.tape, tapeAddress);
    setField(STATE.pointer, 0);
    setField(STATE.outNext, outAddress);
    setField(STATE.outEnd, outAddress + BUFFER_BYTES);
    setField(STATE.inNext, inAddress);
    setField(STATE.inEnd, inAddress);
    setField(STATE.tapeSize, options.tape);
    setField(STATE.resume, base + bf.start);
    let pending: Uint8Array | null = new Uint8Array(0); // input read but not yet buffered; null after EOF
    const say = (line: string) => {
      if (trace === undefined) return;
      trace(line);
      stillRunning();
    };
    const flush = () => {
      const n = getField(STATE.outNext) - outAddress;
      setField(STATE.outNext, outAddress);
      if (n > 0) {
        say(`flush: ${n} byte${n === 1 ? "" : "s"} of output`);
        // A copy, not a view of the buffer: a view kept past the call would read (and write) memory that
        // dispose() or the collector unmaps. Measured against detaching a view after the call: copying
        // 64 KiB costs 7 us and detaching 1.5, but a detached view's buffer can be moved out first
        // (chunk.buffer.transfer() keeps pointing into the mapping), so only a copy is safe.
        write(lent ? outBuffer.subarray(0, n) : outBuffer.slice(0, n));
        stillRunning();
      }
    };
    for (;;) {
      const site = bf.site(resources.entry(dataAddress));
      if (site === undefined) throw new JitError("E_INTERNAL", "the generated code returned an unknown site");
      switch (site.kind) {
        case "done":
          flush();
          return;
        case "flush":
          flush();
          setField(STATE.resume, base + site.retry);
          break;
        case "input": {
          flush(); // a prompt appears before the program waits for its answer
          if (pending !== null && typedArrayLength.call(pending) === 0) {
            pending = read === undefined ? null : inputChunk(read());
            stillRunning();
            say(pending === null ? "refill: end of input" : `refill: read ${pending.length} byte${pending.length === 1 ? "" : "s"} of input`);
            if (pending !== null && pending.length === 0) {
              setField(STATE.resume, base + site.retry); // an empty chunk: ask again
              break;
            }
          }
          if (pending === null) {
            setField(STATE.resume, base + site.eof);
            break;
          }
          // The length as the engine knows it: 0 if a callback detached or shrank the chunk's buffer
          // since read() returned it (the rest of it is then gone, and the program reads on).
          const n = Math.min(typedArrayLength.call(pending), BUFFER_BYTES);
          if (n === 0) {
            pending = new Uint8Array(0);
            setField(STATE.resume, base + site.retry);
            break;
          }
          inBuffer.set(pending.subarray(0, n));
          pending = pending.subarray(n);
          setField(STATE.inNext, inAddress);
          setField(STATE.inEnd, inAddress + n);
          setField(STATE.resume, base + site.retry);
          break;
        }
        case "tape": {
          flush();
          const from = getField(STATE.pointer) + site.at - site.rewind;
          const exit = replay(source, site.replay, from, tape);
          const { line, column } = new Lines(source).lineColumn(exit.offset);
          const where = exit.cell < 0 ? `cell ${exit.cell}` : `cell ${exit.cell}, past the last cell ${options.tape - 1}`;
          throw new JitError("E_TAPE", `${line}:${column}: the pointer left the tape (${where})`, { line, column, cell: exit.cell });
        }
      }
    }
  };

  const program: BrainfuckProgram = {
    stream,
    run(input?: string | Uint8Array): Uint8Array {
      let given: Uint8Array | null;
      if (input === undefined) given = null;
      else if (typeof input === "string") given = new TextEncoder().encode(input);
      else if (isUint8Array(input)) given = input; // read in place: no callback of the caller's runs during run()
      else throw new JitError("E_RANGE", `run(input): input must be a string or a Uint8Array, not ${describeValue(input)}`);
      const chunks: Uint8Array[] = [];
      let total = 0;
      stream({
        read: () => {
          const chunk = given;
          given = null;
          return chunk;
        },
        write: (chunk) => {
          chunks.push(chunk); // already a copy (see flush)
          total += chunk.length;
        },
      });
      if (chunks.length === 1) return chunks[0] as Uint8Array;
      const out = new Uint8Array(total);
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.length;
      }
      return out;
    },
    get bytes() {
      return bf.code.bytes.slice();
    },
    get listing() {
      return listing();
    },
    tape: options.tape,
    eof: options.eof,
    get disposed() {
      return life === "disposed" || releaseAfterRun;
    },
    dispose() {
      if (life === "disposed" || releaseAfterRun) return;
      collector.unregister(program);
      if (life === "running") {
        releaseAfterRun = true; // released by stream() once the callback returns: the code is still on the stack
        return;
      }
      life = "disposed";
      release(resources);
    },
    [Symbol.dispose]() {
      program.dispose();
    },
  };
  collector.register(program, resources, program);
  return program;
}

// The typed arrays' own getters, read once: a chunk's own `length` or `buffer` property (or a subclass)
// cannot lie about its bytes, and reading them runs none of the caller's code.
const TYPED_ARRAY = Object.getPrototypeOf(Uint8Array.prototype) as object;
const intrinsic = <T>(key: PropertyKey) => Object.getOwnPropertyDescriptor(TYPED_ARRAY, key)?.get as (this: unknown) => T;
const typedArrayLength = intrinsic<number>("length");
const typedArrayBuffer = intrinsic<ArrayBufferLike>("buffer");
const typedArrayOffset = intrinsic<number>("byteOffset");
const typedArrayTag = intrinsic<string | undefined>(Symbol.toStringTag);

function isUint8Array(value: unknown): value is Uint8Array {
  return typedArrayTag.call(value) === "Uint8Array";
}

/** What read() returned, as a Uint8Array of ours (null at end of input), or E_RANGE naming it. */
function inputChunk(chunk: unknown): Uint8Array | null {
  if (chunk === null || chunk === undefined) return null;
  if (!isUint8Array(chunk)) throw new JitError("E_RANGE", `stream(io): io.read() must return a Uint8Array, or null at the end of input, not ${describeValue(chunk)}`);
  // A view of the caller's bytes under our own prototype, so that its length and subarray are the real ones.
  // A detached array has length 0 but its buffer refuses any view (a raw TypeError): it is an empty chunk.
  const length = typedArrayLength.call(chunk);
  if (length === 0) return new Uint8Array(0);
  return new Uint8Array(typedArrayBuffer.call(chunk), typedArrayOffset.call(chunk), length);
}

/** The callbacks of a stream() call, checked once before anything runs. */
function checkedIo(io: unknown): {
  read: (() => Uint8Array | null | undefined) | undefined;
  write: (chunk: Uint8Array) => void;
  trace: ((line: string) => void) | undefined;
} {
  if (typeof io !== "object" || io === null) throw new JitError("E_RANGE", `stream(io): io must be an object with a write(chunk) method, not ${describeValue(io)}`);
  const { read, write, trace } = io as Record<string, unknown>;
  if (typeof write !== "function") throw new JitError("E_RANGE", `stream(io): io.write must be a function, not ${describeValue(write)}`);
  if (read !== undefined && typeof read !== "function") throw new JitError("E_RANGE", `stream(io): io.read must be a function or undefined, not ${describeValue(read)}`);
  if (trace !== undefined && typeof trace !== "function") throw new JitError("E_RANGE", `stream(io): io.trace must be a function or undefined, not ${describeValue(trace)}`);
  const target = io;
  return {
    read: read === undefined ? undefined : () => (read as () => Uint8Array | null).call(target),
    write: (chunk) => void (write as (c: Uint8Array) => void).call(target, chunk),
    trace: trace === undefined ? undefined : (line) => void (trace as (l: string) => void).call(target, line),
  };
}
