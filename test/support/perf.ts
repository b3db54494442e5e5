/**
 * Readers for the two profiler formats, written from perf's documents (jit-interface.txt and
 * jitdump-specification.txt), not from src/perf-write.ts: the tests read back what babyjit wrote.
 * Every field is decoded and checked for what the specification says it must be.
 */

export interface MapLine {
  start: number;
  size: number;
  name: string;
}

/** /tmp/perf-PID.map: `START SIZE symbolname`, START and SIZE hex (no 0x), one per line. */
export function parseMap(text: string): MapLine[] {
  if (!text.endsWith("\n")) throw new Error("a perf map ends with a newline");
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => {
      const m = /^([0-9a-f]+) ([0-9a-f]+) (.+)$/.exec(line);
      if (m === null) throw new Error(`not a perf map line: ${JSON.stringify(line)}`);
      return { start: parseInt(m[1] as string, 16), size: parseInt(m[2] as string, 16), name: m[3] as string };
    });
}

export interface DumpHeader {
  magic: number;
  version: number;
  totalSize: number;
  elfMach: number;
  pad1: number;
  pid: number;
  timestamp: bigint;
  flags: bigint;
}

export interface DebugEntry {
  address: number;
  line: number;
  discrim: number;
  file: string;
}

export type DumpRecord =
  | { id: 0; timestamp: bigint; pid: number; tid: number; vma: number; codeAddress: number; codeSize: number; codeIndex: bigint; name: string; code: Uint8Array }
  | { id: 2; timestamp: bigint; codeAddress: number; entries: DebugEntry[] }
  | { id: 1 | 3 | 4; timestamp: bigint; payload: Uint8Array };

/** A NUL-terminated ASCII string at `at`: the text and where the next field starts. */
function cString(bytes: Uint8Array, at: number, end: number): { text: string; next: number } {
  let i = at;
  while (i < end && bytes[i] !== 0) i++;
  if (i >= end) throw new Error(`an unterminated string at ${at}`);
  const text = new TextDecoder().decode(bytes.subarray(at, i));
  if (!/^[\x20-\x7e]*$/.test(text)) throw new Error(`a non-ASCII string at ${at}: ${JSON.stringify(text)}`);
  return { text, next: i + 1 };
}

/** A whole jitdump file: the header and every record, each record's total_size checked against its fields. */
export function parseJitdump(bytes: Uint8Array): { header: DumpHeader; records: DumpRecord[] } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header: DumpHeader = {
    magic: v.getUint32(0, true),
    version: v.getUint32(4, true),
    totalSize: v.getUint32(8, true),
    elfMach: v.getUint32(12, true),
    pad1: v.getUint32(16, true),
    pid: v.getUint32(20, true),
    timestamp: v.getBigUint64(24, true),
    flags: v.getBigUint64(32, true),
  };
  const records: DumpRecord[] = [];
  let at = header.totalSize;
  while (at < bytes.length) {
    if (at + 16 > bytes.length) throw new Error(`a truncated record header at ${at}`);
    const id = v.getUint32(at, true);
    const size = v.getUint32(at + 4, true);
    const timestamp = v.getBigUint64(at + 8, true);
    const end = at + size;
    if (size < 16 || end > bytes.length) throw new Error(`record at ${at}: total_size ${size} runs past the file`);
    if (id === 0) {
      const codeSize = Number(v.getBigUint64(at + 40, true));
      const name = cString(bytes, at + 56, end);
      if (name.next + codeSize !== end) throw new Error(`JIT_CODE_LOAD at ${at}: total_size ${size} is not header + fields + name + ${codeSize} code bytes`);
      records.push({
        id,
        timestamp,
        pid: v.getUint32(at + 16, true),
        tid: v.getUint32(at + 20, true),
        vma: Number(v.getBigUint64(at + 24, true)),
        codeAddress: Number(v.getBigUint64(at + 32, true)),
        codeSize,
        codeIndex: v.getBigUint64(at + 48, true),
        name: name.text,
        code: bytes.slice(name.next, end),
      });
    } else if (id === 2) {
      const count = Number(v.getBigUint64(at + 24, true));
      const entries: DebugEntry[] = [];
      let p = at + 32;
      for (let k = 0; k < count; k++) {
        const file = cString(bytes, p + 16, end);
        entries.push({ address: Number(v.getBigUint64(p, true)), line: v.getUint32(p + 8, true), discrim: v.getUint32(p + 12, true), file: file.text });
        p = file.next;
      }
      if (p !== end) throw new Error(`JIT_CODE_DEBUG_INFO at ${at}: ${count} entries end at ${p}, total_size says ${end}`);
      records.push({ id, timestamp, codeAddress: Number(v.getBigUint64(at + 16, true)), entries });
    } else if (id === 1 || id === 3 || id === 4) {
      records.push({ id, timestamp, payload: bytes.slice(at + 16, end) });
    } else {
      throw new Error(`an unknown record id ${id} at ${at}`);
    }
    at = end;
  }
  return { header, records };
}
