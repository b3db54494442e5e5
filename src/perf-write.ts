/**
 * The two profiler formats' writers (perf.ts says what each is for). Loaded only when profiling is on.
 * Every record is written when its code is installed, in one write, so a run that crashes or is
 * killed still leaves a file that names everything it ran.
 */
import { openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { OsError, describeIoError } from "./errors.ts";
import { bindPerfOs } from "./libc.ts";
import type { PerfEntry, PerfLine, PerfSink } from "./perf.ts";
import { hostPlatform } from "./platform.ts";

/** The map file's path for this process, as perf looks for it. */
export const mapPath = (pid: number = process.pid): string => `/tmp/perf-${pid}.map`;

/** A failed file operation as the OS layer reports failures (OsError: exit 71 from the command). */
function fileError(call: string, path: string, error: unknown): OsError {
  const errno = (error as { errno?: unknown }).errno;
  return new OsError(`${call} ${path}`, typeof errno === "number" ? Math.abs(errno) : 0, describeIoError(error));
}

function open(path: string, flags: string): number {
  try {
    return openSync(path, flags, 0o644);
  } catch (error) {
    throw fileError("open", path, error);
  }
}

function writeAllTo(fd: number, path: string, bytes: Uint8Array): void {
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
  } catch (error) {
    throw fileError("write", path, error);
  }
}

/**
 * /tmp/perf-PID.map: `START SIZE name`, hex without 0x, one line per piece, appended (perf reads the
 * whole file at report time; another JIT in the same process may write to it too).
 */
export function mapWriter(): PerfSink {
  const path = mapPath();
  let fd: number | undefined;
  const encoder = new TextEncoder();
  return {
    mode: "map",
    path,
    keepsDisposedSpace: true,
    record(entries: readonly PerfEntry[]): void {
      let text = "";
      for (const e of entries) text += `${e.address.toString(16)} ${e.bytes.length.toString(16)} ${e.name}\n`;
      fd ??= open(path, "a");
      writeAllTo(fd, path, encoder.encode(text));
    },
  };
}

// jitdump-specification.txt: the file header, record ids and sizes.
export const JITDUMP = {
  MAGIC: 0x4a695444, // "JiTD" read as a little-endian u32
  VERSION: 1,
  HEADER_BYTES: 40,
  RECORD_HEADER_BYTES: 16,
  CODE_LOAD: 0,
  CODE_MOVE: 1,
  CODE_DEBUG_INFO: 2,
  CODE_CLOSE: 3,
  /** pid, tid, vma, code_addr, code_size, code_index after the record header. */
  LOAD_FIXED_BYTES: 40,
  /** code_addr, line, discrim before each debug entry's file name. */
  DEBUG_ENTRY_FIXED_BYTES: 16,
  /** ELF e_machine values. */
  EM_X86_64: 62,
  EM_AARCH64: 183,
} as const;

/**
 * The jitdump file: a header, then for each piece a JIT_CODE_DEBUG_INFO record (when it has a line
 * table; the spec wants it before the load) and a JIT_CODE_LOAD record with the bytes. Timestamps are
 * CLOCK_MONOTONIC, which is what `perf record -k mono` stamps samples with: `perf inject --jit` orders
 * loads and samples by them, so a load at an address whose earlier code was disposed takes over from
 * its timestamp on.
 */
export function jitdumpWriter(directory: string): PerfSink {
  const path = join(directory, `jit-${process.pid}.dump`);
  let state: { fd: number; index: bigint; pid: number; tid: number; os: ReturnType<typeof bindPerfOs> } | undefined;
  const encoder = new TextEncoder();

  const start = () => {
    const platform = hostPlatform();
    const os = bindPerfOs(platform);
    const fd = open(path, "w+"); // a new file: a stale one of an earlier process with this pid would mislead
    const header = new DataView(new ArrayBuffer(JITDUMP.HEADER_BYTES));
    header.setUint32(0, JITDUMP.MAGIC, true);
    header.setUint32(4, JITDUMP.VERSION, true);
    header.setUint32(8, JITDUMP.HEADER_BYTES, true);
    header.setUint32(12, platform.target.arch === "arm64" ? JITDUMP.EM_AARCH64 : JITDUMP.EM_X86_64, true);
    header.setUint32(16, 0, true); // pad1
    header.setUint32(20, process.pid, true);
    header.setBigUint64(24, os.monotonicNs(), true);
    header.setBigUint64(32, 0n, true); // flags: no architecture timestamp; CLOCK_MONOTONIC
    writeAllTo(fd, path, new Uint8Array(header.buffer));
    // The marker: perf record sees this executable mapping of jit-PID.dump, and perf inject --jit finds the file by it.
    os.mapMarker(fd, JITDUMP.HEADER_BYTES);
    state = { fd, index: 0n, pid: process.pid, tid: os.threadId(), os };
    return state;
  };

  return {
    mode: "jitdump",
    path,
    keepsDisposedSpace: false,
    record(entries: readonly PerfEntry[]): void {
      const s = state ?? start();
      const parts: Uint8Array[] = [];
      let total = 0;
      for (const e of entries) {
        const time = s.os.monotonicNs();
        const source = e.source;
        if (source !== undefined && source.lines.length > 0) {
          const file = encoder.encode(`${ascii(source.file)}\0`);
          const entrySize = JITDUMP.DEBUG_ENTRY_FIXED_BYTES + file.length;
          // perf inject makes the last entry the end of the line table's sequence, which covers no code:
          // so one more entry, at the end of the code, repeats the last line.
          const last = source.lines[source.lines.length - 1] as PerfLine;
          const lines = last.offset < e.bytes.length ? [...source.lines, { offset: e.bytes.length, line: last.line, column: last.column }] : source.lines;
          const size = JITDUMP.RECORD_HEADER_BYTES + 16 + lines.length * entrySize;
          const record = new Uint8Array(size);
          const v = new DataView(record.buffer);
          v.setUint32(0, JITDUMP.CODE_DEBUG_INFO, true);
          v.setUint32(4, size, true);
          v.setBigUint64(8, time, true);
          v.setBigUint64(16, BigInt(e.address), true);
          v.setBigUint64(24, BigInt(lines.length), true);
          let at = 32;
          for (const line of lines) {
            v.setBigUint64(at, BigInt(e.address + line.offset), true);
            v.setUint32(at + 8, line.line, true);
            v.setUint32(at + 12, line.column, true); // the discriminator carries the column
            record.set(file, at + 16);
            at += entrySize;
          }
          parts.push(record);
          total += size;
        }
        const name = encoder.encode(`${ascii(e.name)}\0`);
        const size = JITDUMP.RECORD_HEADER_BYTES + JITDUMP.LOAD_FIXED_BYTES + name.length + e.bytes.length;
        const record = new Uint8Array(size);
        const v = new DataView(record.buffer);
        v.setUint32(0, JITDUMP.CODE_LOAD, true);
        v.setUint32(4, size, true);
        v.setBigUint64(8, time, true);
        v.setUint32(16, s.pid, true);
        v.setUint32(20, s.tid, true);
        v.setBigUint64(24, BigInt(e.address), true); // vma
        v.setBigUint64(32, BigInt(e.address), true); // code_addr
        v.setBigUint64(40, BigInt(e.bytes.length), true);
        v.setBigUint64(48, s.index++, true);
        record.set(name, 56);
        record.set(e.bytes, 56 + name.length);
        parts.push(record);
        total += size;
      }
      const all = new Uint8Array(total);
      let at = 0;
      for (const p of parts) {
        all.set(p, at);
        at += p.length;
      }
      writeAllTo(s.fd, path, all);
    },
  };
}

/** jitdump names are ASCII. */
const ascii = (text: string): string => text.replace(/[^\x20-\x7e]/g, "?");

