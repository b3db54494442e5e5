import { JitError } from "../errors.ts";
import type { BinaryOp, Expr, UnaryOp } from "./ast.ts";

/**
 * Deepest nesting (and deepest parenthesis nesting) the parser accepts. Nesting is tree depth, except
 * that a binary operator's left operand is counted at the operator's own level: `a + b + c + ...` is a
 * chain, not nesting, and every pass walks such left spines in a loop. Right operands, unary operands
 * and the parts of `?:` nest, and the passes recurse into them, so their depth is what the limit bounds.
 */
export const MAX_DEPTH = 1000;
export const MAX_PARAMS = 4;
const MAX_LITERAL = 0xffffffff;
const TOO_DEEP = `expression nests too deeply (limit ${MAX_DEPTH})`;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws E_SYNTAX unless `params` is a usable parameter list (at most 4 distinct identifiers). */
export function validateParams(params: readonly string[]): void {
  if (params.length > MAX_PARAMS) {
    throw new JitError("E_SYNTAX", `too many parameters: ${params.length} (at most ${MAX_PARAMS})`);
  }
  params.forEach((name, i) => {
    if (!IDENTIFIER.test(name)) throw new JitError("E_SYNTAX", `invalid parameter name ${quote(name)}`);
    if (params.indexOf(name) !== i) throw new JitError("E_SYNTAX", `duplicate parameter name ${quote(name)}`);
  });
}

/** Parses `source` into an Expr over `params` (assumed valid, see validateParams). */
export function parse(source: string, params: readonly string[]): Expr {
  const p = new Parser(source, params);
  if (p.at("end")) throw syntaxError("empty expression", p.start);
  const e = p.parseCond(0);
  if (p.at(")")) throw syntaxError("unmatched ')'", p.start);
  if (!p.at("end")) throw syntaxError(`expected an operator, found ${p.describe()}`, p.start);
  return e;
}

type TokenKind = "num" | "name" | "op" | "(" | ")" | "?" | ":" | "end";

type BinaryInfo =
  | { kind: "binary"; op: BinaryOp; prec: number }
  | { kind: "logical"; op: "land" | "lor"; prec: number };

const binary = (op: BinaryOp, prec: number): BinaryInfo => ({ kind: "binary", op, prec });

/** C precedence, higher binds tighter; all binary operators are left-associative. */
const BINARY = new Map<string, BinaryInfo>([
  ["||", { kind: "logical", op: "lor", prec: 1 }],
  ["&&", { kind: "logical", op: "land", prec: 2 }],
  ["|", binary("or", 3)],
  ["^", binary("xor", 4)],
  ["&", binary("and", 5)],
  ["==", binary("eq", 6)], ["!=", binary("ne", 6)],
  ["<", binary("lt", 7)], ["<=", binary("le", 7)], [">", binary("gt", 7)], [">=", binary("ge", 7)],
  ["<<", binary("shl", 8)], [">>", binary("sar", 8)], [">>>", binary("shr", 8)],
  ["+", binary("add", 9)], ["-", binary("sub", 9)],
  ["*", binary("mul", 10)], ["/", binary("div", 10)], ["%", binary("mod", 10)],
]);

const PRECEDENCE = new Map<BinaryOp | "land" | "lor", number>([...BINARY.values()].map((info) => [info.op, info.prec]));

/** The precedence of a binary or logical operator (higher binds tighter), for the printer. */
export function precedenceOf(op: BinaryOp | "land" | "lor"): number {
  return PRECEDENCE.get(op) ?? 0;
}

const UNARY = new Map<string, UnaryOp>([["-", "neg"], ["~", "not"], ["!", "lnot"]]);

/**
 * Recursive descent with precedence climbing and a one-token lookahead lexer.
 *
 * Depth discipline (depth as MAX_DEPTH defines it): every parse method takes `outer`, the nesting the
 * node it returns is certain to sit at, and guarantees `outer + depth(result) <= MAX_DEPTH`, throwing at
 * the operator where the limit is crossed. A chain of operators of one precedence is a loop; recursion
 * happens only for right operands, `?:` parts (bounded by `outer`) and parentheses (bounded by
 * `parens`), so the JS stack is bounded too.
 */
class Parser {
  // The current token.
  private kind: TokenKind = "end";
  start = 0;
  private end = 0;
  private op = ""; // operator text when kind === "op"
  private value = 0; // int32 value when kind === "num"

  private depth = 0; // depth (as MAX_DEPTH counts it) of the node the last parse method returned
  private parens = 0; // open parentheses around the current token
  private readonly src: string;
  private readonly params: readonly string[];

  constructor(src: string, params: readonly string[]) {
    this.src = src;
    this.params = params;
    this.advance();
  }

  /** cond := binary ('?' cond ':' cond)?  — right-associative. */
  parseCond(outer: number): Expr {
    const test = this.parseBinary(1, outer);
    if (!this.at("?")) return test;
    const pos = this.start;
    const testDepth = this.depth;
    this.guard(outer + testDepth + 1, pos);
    this.advance();
    const then = this.parseCond(outer + 1);
    const thenDepth = this.depth;
    if (!this.at(":")) throw syntaxError(`expected ':' to complete '?', found ${this.describe()}`, this.start);
    this.advance();
    const otherwise = this.parseCond(outer + 1);
    this.depth = 1 + Math.max(testDepth, thenDepth, this.depth);
    return { kind: "cond", test, then, else: otherwise, pos };
  }

  /** Precedence climbing over BINARY: consumes operators binding at least as tight as `minPrec`. */
  private parseBinary(minPrec: number, outer: number): Expr {
    let left = this.parseUnary(outer);
    let leftDepth = this.depth;
    for (;;) {
      const info = this.kind === "op" ? BINARY.get(this.op) : undefined;
      if (info === undefined || info.prec < minPrec) break;
      const pos = this.start;
      // The left spine of `x+x+x+...` grows here, one node per operator, but not its nesting: only the
      // right operand goes a level deeper (and has at least depth 1).
      this.guard(outer + 2, pos);
      this.advance();
      const right = this.parseBinary(info.prec + 1, outer + 1);
      leftDepth = Math.max(leftDepth, 1 + this.depth);
      left = info.kind === "binary"
        ? { kind: "binary", op: info.op, left, right, pos }
        : { kind: "logical", op: info.op, left, right, pos };
    }
    this.depth = leftDepth;
    return left;
  }

  /** Prefix operators are collected in a loop, not by recursion, so `------x` cannot overflow. */
  private parseUnary(outer: number): Expr {
    if (this.unaryOp() === undefined) return this.parsePrimary(outer); // the common case: no arrays
    const ops: UnaryOp[] = [];
    const positions: number[] = [];
    for (let op = this.unaryOp(); op !== undefined; op = this.unaryOp()) {
      // This operator's node has `outer + ops.length` ancestors and an operand below it.
      this.guard(outer + ops.length + 2, this.start);
      ops.push(op);
      positions.push(this.start);
      this.advance();
    }
    let e = this.parsePrimary(outer + ops.length);
    for (let i = ops.length - 1; i >= 0; i--) {
      e = { kind: "unary", op: ops[i]!, arg: e, pos: positions[i]! };
    }
    this.depth += ops.length;
    return e;
  }

  private unaryOp(): UnaryOp | undefined {
    return this.kind === "op" ? UNARY.get(this.op) : undefined;
  }

  private parsePrimary(outer: number): Expr {
    const pos = this.start;
    switch (this.kind) {
      case "num": {
        const value = this.value;
        this.advance();
        this.depth = 1;
        return { kind: "num", value, pos };
      }
      case "name":
        return this.parseName();
      case "(":
        return this.parseParens(outer);
      case "end":
        throw syntaxError("unexpected end of expression", pos);
      default:
        if (this.op === "+") throw syntaxError("unary '+' is not supported", pos);
        throw syntaxError(`expected an operand, found ${this.describe()}`, pos);
    }
  }

  private parseName(): Expr {
    const pos = this.start;
    const index = this.paramAt(pos, this.end);
    if (index < 0) {
      const name = this.src.slice(pos, this.end);
      const known = this.params.length === 0 ? "no parameters" : `parameters: ${this.params.join(", ")}`;
      throw syntaxError(`unknown name ${quote(name)} (${known})`, pos);
    }
    this.advance();
    this.depth = 1;
    return { kind: "param", index, pos };
  }

  /** The index of the parameter named by src[start, end), or -1; compared in place, not sliced out. */
  private paramAt(start: number, end: number): number {
    const params = this.params;
    for (let i = 0; i < params.length; i++) {
      const name = params[i] as string;
      if (name.length === end - start && this.src.startsWith(name, start)) return i;
    }
    return -1;
  }

  /** Parentheses add no tree depth but do recurse, so they have their own limit. */
  private parseParens(outer: number): Expr {
    if (++this.parens > MAX_DEPTH) throw syntaxError(TOO_DEEP, this.start);
    this.advance();
    const e = this.parseCond(outer);
    if (!this.at(")")) throw syntaxError(`expected ')' to close '(', found ${this.describe()}`, this.start);
    this.parens--;
    this.advance();
    return e;
  }

  /** A method, not a field read, so TypeScript does not keep a stale narrowing across advance(). */
  at(kind: TokenKind): boolean {
    return this.kind === kind;
  }

  private guard(depth: number, pos: number): void {
    if (depth > MAX_DEPTH) throw syntaxError(TOO_DEEP, pos);
  }

  /** The current token for messages: its text in quotes, or "end of expression". */
  describe(): string {
    return this.kind === "end" ? "end of expression" : quote(this.src.slice(this.start, this.end));
  }

  // ---- lexer ----

  /** Moves to the next token; lexical errors are thrown here, in reading order. */
  private advance(): void {
    const src = this.src;
    let i = this.end;
    while (i < src.length && isSpace(src.charCodeAt(i))) i++;
    this.start = i;
    if (i >= src.length) {
      this.kind = "end";
      this.end = i;
      return;
    }
    const c = src.charCodeAt(i);
    if (isDigit(c)) return this.lexNumber(i);
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < src.length && isIdentPart(src.charCodeAt(j))) j++;
      return this.setToken("name", j);
    }
    this.lexPunctuation(i);
  }

  private setToken(kind: TokenKind, end: number, op = ""): void {
    this.kind = kind;
    this.end = end;
    this.op = op;
  }

  private lexPunctuation(i: number): void {
    const src = this.src;
    const ch = src[i]!;
    const next = src[i + 1];
    switch (ch) {
      case "(": case ")": case "?": case ":":
        return this.setToken(ch, i + 1);
      case "+": case "-": case "/": case "%": case "~": case "^":
        return this.setToken("op", i + 1, ch);
      case "*":
        if (next === "*") throw syntaxError("unsupported operator '**'", i);
        return this.setToken("op", i + 1, ch);
      // Two-character operators as literals, not ch + next: a literal is one interned string whose hash
      // the BINARY lookup has already, where a concatenation is a new string to flatten and hash.
      case "&":
        return next === "&" ? this.setToken("op", i + 2, "&&") : this.setToken("op", i + 1, ch);
      case "|":
        return next === "|" ? this.setToken("op", i + 2, "||") : this.setToken("op", i + 1, ch);
      case "<":
        if (next === "<") return this.setToken("op", i + 2, "<<");
        if (next === "=") return this.setToken("op", i + 2, "<=");
        return this.setToken("op", i + 1, ch);
      case ">":
        if (next === ">") return src[i + 2] === ">" ? this.setToken("op", i + 3, ">>>") : this.setToken("op", i + 2, ">>");
        return next === "=" ? this.setToken("op", i + 2, ">=") : this.setToken("op", i + 1, ">");
      case "=":
        if (next !== "=") throw syntaxError("unsupported operator '=' (did you mean '=='?)", i);
        if (src[i + 2] === "=") throw syntaxError("unsupported operator '===' (did you mean '=='?)", i);
        return this.setToken("op", i + 2, "==");
      case "!":
        if (next !== "=") return this.setToken("op", i + 1, "!");
        if (src[i + 2] === "=") throw syntaxError("unsupported operator '!==' (did you mean '!='?)", i);
        return this.setToken("op", i + 2, "!=");
      default:
        throw syntaxError(`unexpected character ${showChar(src.codePointAt(i)!)}`, i);
    }
  }

  /** Decimal or 0x hex, 0..2^32-1, stored as int32 (two's complement). */
  private lexNumber(start: number): void {
    const src = this.src;
    const hex = src.charCodeAt(start) === 48 && (src[start + 1] === "x" || src[start + 1] === "X");
    const digitsStart = hex ? start + 2 : start;
    let i = digitsStart;
    let value = 0;
    for (; i < src.length; i++) {
      const d = digitValue(src.charCodeAt(i), hex);
      if (d < 0) break;
      value = value * (hex ? 16 : 10) + d;
    }
    const end = skipIdentPart(src, i);
    // The literal's text is sliced out for the messages only.
    if (end !== i || i === digitsStart) throw syntaxError(`malformed literal ${quote(src.slice(start, end))}`, start);
    // A leading 0 would mean octal in C: refuse rather than guess.
    if (!hex && i - start > 1 && src.charCodeAt(start) === 48) {
      throw syntaxError(`malformed literal ${quote(src.slice(start, end))} (leading zeros are not allowed)`, start);
    }
    if (value > MAX_LITERAL) throw syntaxError(`literal out of range: ${abbreviate(src.slice(start, end))} (0..${MAX_LITERAL})`, start);
    this.setToken("num", end);
    this.value = value | 0;
  }
}

function syntaxError(message: string, pos: number): JitError {
  return new JitError("E_SYNTAX", message, { column: pos + 1 });
}

/** Quotes source text for a message, shortening runaway tokens (a 10,000-digit literal, say). */
function quote(text: string): string {
  return `'${abbreviate(text)}'`;
}

function abbreviate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function showChar(code: number): string {
  if (code > 0x20 && code !== 0x7f) return `'${String.fromCodePoint(code)}'`;
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

function skipIdentPart(src: string, i: number): number {
  while (i < src.length && isIdentPart(src.charCodeAt(i))) i++;
  return i;
}

/** The digit's value, or -1 if `c` is not a digit in this base. */
function digitValue(c: number, hex: boolean): number {
  if (isDigit(c)) return c - 48;
  if (!hex) return -1;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}
