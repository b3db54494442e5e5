/**
 * Text forms of emitted code: the `xxd -g1` style hex dump and the annotated listing. The listing is
 * built from the lines the emitter wrote, so its assembly text is exactly what was encoded.
 */
import type { Code } from "./emit.ts";
import { JitError, describeValue } from "./errors.ts";

export interface ListingStyle {
  /** ANSI colours for offsets, bytes and mnemonics (for a terminal). */
  readonly color?: boolean;
}

/** Bytes as two-digit hex, one space apart: `48 c7 c0 fc ff ff ff`. `xxd -r -p` reads it back. */
export function hexBytes(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new JitError("E_RANGE", `hexBytes(bytes): bytes must be a Uint8Array, not ${describeValue(bytes)}`);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** The comment marker llvm-mc reads for each architecture, so listing text can be fed back to it. */
export function commentMarker(arch: Code["arch"]): string {
  return arch === "x64" ? "#" : "//";
}

const paint = (on: boolean, code: number, text: string): string => (on ? `\x1b[${code}m${text}\x1b[0m` : text);

/**
 * One line per instruction: offset (hex), bytes, assembly text (Intel syntax on x86-64, Arm syntax on
 * arm64), then a comment where it helps. Labels stand on lines of their own.
 */
export function formatListing(code: Code, style: ListingStyle = {}): string {
  if (typeof code !== "object" || code === null || !Array.isArray(code.listing)) {
    throw new JitError("E_RANGE", `formatListing(code): code must be a Code ({ arch, bytes, listing }, as the assemble functions return), not ${describeValue(code)}`);
  }
  const color = style.color === true;
  // A loop, not Math.max(...lines): spreading a million lines overflows the stack.
  let width = 0;
  let textWidth = 0;
  for (const l of code.listing) {
    if (l.kind !== "insn") continue;
    width = Math.max(width, l.bytes.length * 3 - 1);
    textWidth = Math.max(textWidth, l.text.length);
  }
  const marker = commentMarker(code.arch);
  return code.listing
    .map((line) => {
      if (line.kind === "label") return `${" ".repeat(6)}${paint(color, 33, `${line.name}:`)}`;
      if (line.kind === "note") return paint(color, 35, `${marker} ${line.text}`);
      const offset = paint(color, 90, line.offset.toString(16).padStart(4, "0"));
      const bytes = paint(color, 36, hexBytes(line.bytes).padEnd(width));
      const [mnemonic = "", ...rest] = line.text.split(" ");
      const operands = rest.join(" ");
      const text = `${paint(color, 1, mnemonic)}${operands ? ` ${operands}` : ""}`;
      const pad = " ".repeat(textWidth - line.text.length);
      const comment = line.comment === undefined ? "" : `${pad}  ${paint(color, 32, `${marker} ${line.comment}`)}`;
      return `${offset}  ${bytes}  ${text}${comment}`.trimEnd();
    })
    .join("\n");
}
