/**
 * Running compiled Brainfuck: the memory it owns (code, tape, state block and I/O buffers) and the loop
 * that calls the code, flushes its output, refills its input and resumes it where it stopped.
 *
 * The tape and the buffers are mapped read+write and never executable; the code is read+execute and
 * never writable (it lives in CodeMemory like every other function).
 */
import { JitError } from "../errors.ts";
import type { CodeMemory, CodeSlot } from "../jit.ts";
import type { NativeFunction, OsMemory } from "../os.ts";
import { type BfCode, type EofMode, STATE } from "./codegen.ts";
import { Lines, replay } from "./replay.ts";

/** Output is handed over, and input taken in, this many bytes at a time. */
export const BUFFER_BYTES = 64 * 1024;

/** Where a streaming run gets its input and puts its output. */
export interface BrainfuckIo {
  /**
   * The next chunk of input, or null at end of input. Called only when the program reads and every
   * earlier byte has been consumed; all output written so far has been passed to write() first.
   */
  read?(): Uint8Array | null;
  /** A chunk of output. The bytes are only valid during the call: copy them to keep them. */
  write(chunk: Uint8Array): void;
  /** Narration for --trace: each flush and refill. */
  trace?(line: string): void;
}

export interface BrainfuckProgram {
  /** Run on a zeroed tape with all of `input` available; returns everything the program wrote. */
  run(input?: string | Uint8Array): Uint8Array;
  /** Run on a zeroed tape, streaming: input on demand, output as each buffer fills (and at the end). */
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
  let disposed = false;
  let fresh = true; // a new mapping is already zero-filled

  const stream = (io: BrainfuckIo): void => {
    if (disposed) throw new JitError("E_DISPOSED", "this Brainfuck program was disposed; its memory is gone");
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
    const flush = () => {
      const n = getField(STATE.outNext) - outAddress;
      if (n > 0) {
        io.trace?.(`flush: ${n} byte${n === 1 ? "" : "s"} of output`);
        io.write(outBuffer.subarray(0, n));
      }
      setField(STATE.outNext, outAddress);
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
          if (pending !== null && pending.length === 0) {
            pending = io.read?.() ?? null;
            io.trace?.(pending === null ? "refill: end of input" : `refill: read ${pending.length} byte${pending.length === 1 ? "" : "s"} of input`);
            if (pending !== null && pending.length === 0) {
              setField(STATE.resume, base + site.retry); // an empty chunk: ask again
              break;
            }
          }
          if (pending === null) {
            setField(STATE.resume, base + site.eof);
            break;
          }
          const n = Math.min(pending.length, BUFFER_BYTES);
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
      const chunks: Uint8Array[] = [];
      let total = 0;
      let given: Uint8Array | null = typeof input === "string" ? new TextEncoder().encode(input) : (input ?? null);
      stream({
        read: () => {
          const chunk = given;
          given = null;
          return chunk;
        },
        write: (chunk) => {
          chunks.push(chunk.slice());
          total += chunk.length;
        },
      });
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
      return disposed;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      collector.unregister(program);
      release(resources);
    },
    [Symbol.dispose]() {
      program.dispose();
    },
  };
  collector.register(program, resources, program);
  return program;
}
