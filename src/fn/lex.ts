/**
 * The functions chapter's lexer: the whole source to a token table in one pass (parallel typed
 * arrays, not an object per token, so a 100,000-statement module costs a few megabytes). A lexical
 * error becomes a `bad` token, thrown when the parser reaches it, so errors come in reading order.
 */
import { JitError } from "../errors.ts";
import type { Site } from "./ir.ts";

export const enum Tok {
  End = 0,
  Num = 1, // an integer literal; values[i] is its value (not yet range-checked)
  Name = 2, // identifiers and keywords alike; texts[i] is the word
  Punct = 3, // texts[i] is the operator or punctuator
  Str = 4, // a string literal (only `import type ... from "..."` takes one)
  Bad = 5, // texts[i] is the message
  Float = 6, // a literal with a '.' or an exponent: an f64; values[i] is its value
}

export interface Tokens {
  readonly count: number;
  readonly kinds: Uint8Array;
  readonly lines: Int32Array;
  readonly cols: Int32Array;
  /** 1 when a line break comes between this token and the previous one (automatic semicolons). */
  readonly newline: Uint8Array;
  readonly texts: readonly string[];
  readonly values: Float64Array;
}

/** Every compile error of the chapter: `FILE:LINE:COL: message`, with line and column set. */
export function sourceError(file: string, at: Site, message: string): JitError {
  return new JitError("E_SYNTAX", `${file}:${at.line}:${at.col}: ${message}`, { line: at.line, column: at.col });
}

// Longest first within each leading character.
const PUNCTUATORS = [
  ">>>=", "===", "!==", ">>>", "<<=", ">>=", "**=", "&&=", "||=", "??=", "...",
  "=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
  "<<", ">>", "**",
  "{", "}", "(", ")", "[", "]", ";", ",", "<", ">", "+", "-", "*", "/", "%", "&", "|", "^", "!", "~", "?", ":", "=", ".", "@", "#",
];
/** By first character code: the punctuators starting with it, longest first. */
const BY_FIRST: (string[] | undefined)[] = [];
for (const p of PUNCTUATORS) (BY_FIRST[p.charCodeAt(0)] ??= []).push(p);
/** Character classes: 1 starts an identifier, 2 is a digit (both continue one). */
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36) CLASS[c] = 1;
  else if (c >= 48 && c <= 57) CLASS[c] = 2;
}

/** The token table under construction: typed arrays that double when full. */
class Table {
  count = 0;
  capacity: number;
  kinds: Uint8Array;
  lines: Int32Array;
  cols: Int32Array;
  newline: Uint8Array;
  values: Float64Array;
  readonly texts: string[] = [];
  sawNewline = false;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.kinds = new Uint8Array(capacity);
    this.lines = new Int32Array(capacity);
    this.cols = new Int32Array(capacity);
    this.newline = new Uint8Array(capacity);
    this.values = new Float64Array(capacity);
  }

  push(kind: Tok, line: number, col: number, text: string, value: number): void {
    if (this.count === this.capacity) this.grow();
    const k = this.count++;
    this.kinds[k] = kind;
    this.lines[k] = line;
    this.cols[k] = col;
    if (this.sawNewline) {
      this.newline[k] = 1;
      this.sawNewline = false;
    }
    this.values[k] = value;
    this.texts.push(text);
  }

  private grow(): void {
    this.capacity *= 2;
    this.kinds = grow(this.kinds, new Uint8Array(this.capacity));
    this.lines = grow(this.lines, new Int32Array(this.capacity));
    this.cols = grow(this.cols, new Int32Array(this.capacity));
    this.newline = grow(this.newline, new Uint8Array(this.capacity));
    this.values = grow(this.values, new Float64Array(this.capacity));
  }
}

export function lex(src: string): Tokens {
  // Source text averages more than two characters a token; the table grows if not.
  const t = new Table(Math.max(64, src.length >> 1));
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const n = src.length;

  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 10) {
      i++;
      line++;
      lineStart = i;
      t.sawNewline = true;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 0xfeff) {
      i++;
      continue;
    }
    const start = i;
    const cls = c < 128 ? CLASS[c]! : 0;
    if (cls === 1) {
      i++;
      while (i < n) {
        const d = src.charCodeAt(i);
        if (d >= 128 || CLASS[d] === 0) break;
        i++;
      }
      t.push(Tok.Name, line, start - lineStart + 1, src.slice(start, i), 0);
      continue;
    }
    if (cls === 2) {
      i = lexNumber(src, start, t, line, start - lineStart + 1);
      continue;
    }
    if (c === 47 && src.charCodeAt(i + 1) === 47) { // line comment
      while (i < n && src.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (c === 47 && src.charCodeAt(i + 1) === 42) { // block comment
      const openLine = line;
      const openCol = i - lineStart + 1;
      i += 2;
      while (i < n && !(src.charCodeAt(i) === 42 && src.charCodeAt(i + 1) === 47)) {
        if (src.charCodeAt(i) === 10) {
          line++;
          lineStart = i + 1;
          t.sawNewline = true;
        }
        i++;
      }
      if (i >= n) {
        t.push(Tok.Bad, openLine, openCol, "unterminated comment", 0);
        break;
      }
      i += 2;
      continue;
    }
    const col = start - lineStart + 1;
    if (c === 34 || c === 39) { // " or '
      i++;
      while (i < n && src.charCodeAt(i) !== c && src.charCodeAt(i) !== 10) i += src.charCodeAt(i) === 92 ? 2 : 1;
      if (src.charCodeAt(i) !== c) {
        t.push(Tok.Bad, line, col, "unterminated string", 0);
        i = Math.min(i, n);
        continue;
      }
      i++;
      t.push(Tok.Str, line, col, src.slice(start, i), 0);
      continue;
    }
    if (c === 96) {
      t.push(Tok.Bad, line, col, "template literals are not supported (strings are not part of the language)", 0);
      break; // the rest cannot be tokenized reliably
    }
    const candidates = c < 128 ? BY_FIRST[c] : undefined;
    let p: string | undefined;
    if (candidates !== undefined) {
      for (const text of candidates) {
        if (text.length === 1 || src.startsWith(text, i)) {
          p = text;
          break;
        }
      }
    }
    if (p === undefined) {
      t.push(Tok.Bad, line, col, `unexpected character ${showChar(src.codePointAt(i)!)}`, 0);
      i += src.codePointAt(i)! > 0xffff ? 2 : 1;
      continue;
    }
    // `.5` is a number to JavaScript: say so rather than "unexpected '.'".
    if (p === "." && isDigit(src.charCodeAt(i + 1))) {
      let j = i + 1;
      while (j < n && isIdentPart(src.charCodeAt(j))) j++;
      const text = src.slice(start, j);
      const value = Number(text);
      if (Number.isNaN(value)) t.push(Tok.Bad, line, col, `malformed number '${abbreviate(text)}'`, 0);
      else t.push(Tok.Float, line, col, text, value);
      i = j;
      continue;
    }
    i += p.length;
    t.push(Tok.Punct, line, col, p, 0);
  }
  t.push(Tok.End, line, i - lineStart + 1, "", 0);
  return { count: t.count, kinds: t.kinds, lines: t.lines, cols: t.cols, newline: t.newline, texts: t.texts, values: t.values };
}

function lexNumber(src: string, start: number, t: Table, line: number, col: number): number {
  const bad = (message: string): void => t.push(Tok.Bad, line, col, message, 0);
  let i = start;
  const next = src.charCodeAt(i + 1) | 0x20;
  let base = 10;
  if (src.charCodeAt(i) === 48 && (next === 120 || next === 111 || next === 98)) { // 0x 0o 0b
    base = next === 120 ? 16 : next === 111 ? 8 : 2;
    i += 2;
  }
  const digitsStart = i;
  let value = 0;
  let separatorOk = false;
  let malformed = false;
  for (; i < src.length; i++) {
    const ch = src.charCodeAt(i);
    if (ch === 95) { // _ between digits
      if (!separatorOk) malformed = true;
      separatorOk = false;
      continue;
    }
    const d = digitValue(ch);
    if (d < 0 || d >= base) break;
    value = value * base + d;
    separatorOk = true;
  }
  if (src.charCodeAt(i - 1) === 95) malformed = true;
  let end = i;
  const fraction = base === 10 && (src.charCodeAt(i) === 46 || (src.charCodeAt(i) | 0x20) === 101); // . or e
  if (fraction) {
    // digits [. digits] [e [+-] digits], then whatever word characters follow (which make it malformed)
    if (src.charCodeAt(end) === 46) {
      end++;
      while (end < src.length && (isDigit(src.charCodeAt(end)) || src.charCodeAt(end) === 95)) end++;
    }
    if ((src.charCodeAt(end) | 0x20) === 101) {
      end++;
      if (src[end] === "+" || src[end] === "-") end++;
    }
  }
  while (end < src.length && (isIdentPart(src.charCodeAt(end)) || (fraction && src.charCodeAt(end) === 46))) end++;
  const text = src.slice(start, end);
  if (fraction) {
    // JavaScript's own reading of the literal (Number), once the shape is known to be decimal digits.
    const value = /^[0-9]+(_[0-9]+)*(\.([0-9]+(_[0-9]+)*)?)?([eE][+-]?[0-9]+)?$/.test(text) && !malformed ? Number(text.replaceAll("_", "")) : Number.NaN;
    if (Number.isNaN(value)) bad(`malformed number '${abbreviate(text)}'`);
    else t.push(Tok.Float, line, col, text, value);
  } else if (malformed || end !== i || i === digitsStart) {
    bad(`malformed number '${abbreviate(text)}'`);
  } else if (base === 10 && i - start > 1 && src.charCodeAt(start) === 48) {
    bad(`malformed number '${abbreviate(text)}' (leading zeros are not allowed)`);
  } else {
    t.push(Tok.Num, line, col, text, value);
  }
  return end;
}

function grow<T extends Uint8Array | Int32Array | Float64Array>(old: T, fresh: T): T {
  fresh.set(old);
  return fresh;
}

export function abbreviate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function showChar(code: number): string {
  // Controls (C0, DEL, C1), no-break space, the line and paragraph separators and the BOM by number:
  // printed raw they would break the message's one line or show as nothing.
  const invisible = code <= 0x20 || (code >= 0x7f && code <= 0xa0) || code === 0x2028 || code === 0x2029 || code === 0xfeff;
  if (!invisible) return `'${String.fromCodePoint(code)}'`;
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

function digitValue(c: number): number {
  if (isDigit(c)) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}
