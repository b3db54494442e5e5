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
const BY_FIRST = new Map<string, string[]>();
for (const p of PUNCTUATORS) {
  const list = BY_FIRST.get(p[0]!) ?? [];
  list.push(p);
  BY_FIRST.set(p[0]!, list);
}

export function lex(src: string): Tokens {
  // A token takes at least one character, plus the end token.
  let capacity = 64;
  let kinds = new Uint8Array(capacity);
  let lines = new Int32Array(capacity);
  let cols = new Int32Array(capacity);
  let newline = new Uint8Array(capacity);
  let values = new Float64Array(capacity);
  const texts: string[] = [];
  let count = 0;
  let line = 1;
  let lineStart = 0;
  let sawNewline = false;
  let i = 0;

  const push = (kind: Tok, start: number, text: string, value = 0): void => {
    if (count === capacity) {
      capacity *= 2;
      kinds = grow(kinds, new Uint8Array(capacity));
      lines = grow(lines, new Int32Array(capacity));
      cols = grow(cols, new Int32Array(capacity));
      newline = grow(newline, new Uint8Array(capacity));
      values = grow(values, new Float64Array(capacity));
    }
    kinds[count] = kind;
    lines[count] = line;
    cols[count] = start - lineStart + 1;
    newline[count] = sawNewline ? 1 : 0;
    values[count] = value;
    texts.push(text);
    count++;
    sawNewline = false;
  };
  const bad = (start: number, message: string): void => {
    push(Tok.Bad, start, message);
  };
  /** A bad token at a place before the current line (an unterminated comment's opening). */
  const badAt = (at: { line: number; col: number }, message: string): void => {
    push(Tok.Bad, 0, message);
    lines[count - 1] = at.line;
    cols[count - 1] = at.col;
  };

  while (i < src.length) {
    const c = src.charCodeAt(i);
    if (c === 10) {
      i++;
      line++;
      lineStart = i;
      sawNewline = true;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 0xfeff) {
      i++;
      continue;
    }
    if (c === 47 && src.charCodeAt(i + 1) === 47) { // line comment
      while (i < src.length && src.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (c === 47 && src.charCodeAt(i + 1) === 42) { // block comment
      const opening = { line, col: i - lineStart + 1 };
      i += 2;
      while (i < src.length && !(src.charCodeAt(i) === 42 && src.charCodeAt(i + 1) === 47)) {
        if (src.charCodeAt(i) === 10) {
          line++;
          lineStart = i + 1;
          sawNewline = true;
        }
        i++;
      }
      if (i >= src.length) {
        badAt(opening, "unterminated comment");
        break;
      }
      i += 2;
      continue;
    }
    const start = i;
    if (isIdentStart(c)) {
      i++;
      while (i < src.length && isIdentPart(src.charCodeAt(i))) i++;
      push(Tok.Name, start, src.slice(start, i));
      continue;
    }
    if (c >= 48 && c <= 57) {
      i = lexNumber(src, start, push, bad);
      continue;
    }
    if (c === 34 || c === 39) { // " or '
      i++;
      while (i < src.length && src.charCodeAt(i) !== c && src.charCodeAt(i) !== 10) i += src.charCodeAt(i) === 92 ? 2 : 1;
      if (src.charCodeAt(i) !== c) {
        bad(start, "unterminated string");
        i = Math.min(i, src.length);
        continue;
      }
      i++;
      push(Tok.Str, start, src.slice(start, i));
      continue;
    }
    if (c === 96) {
      bad(start, "template literals are not supported (strings are not part of the language)");
      break; // the rest cannot be tokenized reliably
    }
    const candidates = BY_FIRST.get(src[i]!);
    const p = candidates?.find((text) => src.startsWith(text, i));
    if (p === undefined) {
      bad(start, `unexpected character ${showChar(src.codePointAt(i)!)}`);
      i += src.codePointAt(i)! > 0xffff ? 2 : 1;
      continue;
    }
    // `.5` is a number to JavaScript: say so rather than "unexpected '.'".
    if (p === "." && isDigit(src.charCodeAt(i + 1))) {
      let j = i + 1;
      while (j < src.length && isIdentPart(src.charCodeAt(j))) j++;
      bad(start, `f64 literal '${src.slice(start, j)}' is not supported (numbers are i32)`);
      i = j;
      continue;
    }
    i += p.length;
    push(Tok.Punct, start, p);
  }
  push(Tok.End, i, "");
  return { count, kinds, lines, cols, newline, texts, values };
}

function lexNumber(
  src: string,
  start: number,
  push: (kind: Tok, start: number, text: string, value: number) => void,
  bad: (start: number, message: string) => void,
): number {
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
    end++;
    if ((src.charCodeAt(end - 1) | 0x20) === 101 && (src[end] === "+" || src[end] === "-")) end++;
  }
  while (end < src.length && (isIdentPart(src.charCodeAt(end)) || (fraction && src.charCodeAt(end) === 46))) end++;
  const text = src.slice(start, end);
  if (fraction) {
    bad(start, `f64 literal '${abbreviate(text)}' is not supported (numbers are i32)`);
  } else if (malformed || end !== i || i === digitsStart) {
    bad(start, `malformed number '${abbreviate(text)}'`);
  } else if (base === 10 && i - start > 1 && src.charCodeAt(start) === 48) {
    bad(start, `malformed number '${abbreviate(text)}' (leading zeros are not allowed)`);
  } else {
    push(Tok.Num, start, text, value);
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
  if (code > 0x20 && code !== 0x7f) return `'${String.fromCodePoint(code)}'`;
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
