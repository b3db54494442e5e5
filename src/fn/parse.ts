/**
 * The functions chapter's parser: tokens (lex.ts) to a Module (ast.ts).
 *
 * Recursive descent, but not per statement or per operator of a chain: statement lists, `else if`
 * chains, operator chains of one precedence (precedence climbing) and prefix operators are loops.
 * Recursion happens only where the tree nests (a block in a block, a right operand, parentheses, a
 * call's arguments, `?:`), and every such step counts against MAX_NESTING, so later passes that
 * recurse the same way are bounded too; deeper input fails with one clear message.
 *
 * TypeScript's automatic semicolons are honored the usual way: a missing `;` is fine before `}`, at
 * the end of the file, or where a line break comes; `return` followed by a line break returns nothing;
 * `++`/`--` after a line break starts the next statement.
 */
import { precedenceOf } from "../expr/parse.ts";
import type { ArrayType, BinaryOp, CallExpr, Declarator, Expr, FunctionDecl, MathFn, Module, Param, Stmt, ValueType } from "./ast.ts";
import type { Site } from "./ir.ts";
import { Tok, type Tokens, abbreviate, lex, sourceError } from "./lex.ts";

/** Deepest nesting accepted (blocks, parentheses, operands), counted as the parser recurses. */
export const MAX_NESTING = 1000;
/** Most parameters a function takes (Win64 passes the fifth and later on the stack). */
export const MAX_PARAMS = 8;
const INT32_MAX = 2147483647;

type Info = { kind: "binary"; op: BinaryOp; prec: number } | { kind: "logical"; op: "land" | "lor"; prec: number };
const info = (op: BinaryOp): Info => ({ kind: "binary", op, prec: precedenceOf(op) });
/** Chapter 2's operators and precedences, plus TypeScript's `===`/`!==` (the same as ==/!= on i32). */
const BINARY = new Map<string, Info>([
  ["||", { kind: "logical", op: "lor", prec: precedenceOf("lor") }],
  ["&&", { kind: "logical", op: "land", prec: precedenceOf("land") }],
  ["|", info("or")], ["^", info("xor")], ["&", info("and")],
  ["==", info("eq")], ["!=", info("ne")], ["===", info("eq")], ["!==", info("ne")],
  ["<", info("lt")], ["<=", info("le")], [">", info("gt")], [">=", info("ge")],
  ["<<", info("shl")], [">>", info("sar")], [">>>", info("shr")],
  ["+", info("add")], ["-", info("sub")],
  ["*", info("mul")], ["/", info("div")], ["%", info("mod")],
]);

/** Prefix operators, and the two that are refused in expressions. */
const PREFIX = new Set(["-", "~", "!", "+", "++", "--"]);

const ASSIGN = new Map<string, BinaryOp | null>([
  ["=", null], ["+=", "add"], ["-=", "sub"], ["*=", "mul"], ["/=", "div"], ["%=", "mod"],
  ["<<=", "shl"], [">>=", "sar"], [">>>=", "shr"], ["&=", "and"], ["|=", "or"], ["^=", "xor"],
]);

const MATH = new Map<string, { fn: MathFn; min: number; max: number }>([
  ["imul", { fn: "imul", min: 2, max: 2 }],
  ["abs", { fn: "abs", min: 1, max: 1 }],
  ["min", { fn: "min", min: 1, max: Infinity }],
  ["max", { fn: "max", min: 1, max: Infinity }],
  ["sqrt", { fn: "sqrt", min: 1, max: 1 }],
  ["sin", { fn: "sin", min: 1, max: 1 }],
  ["cos", { fn: "cos", min: 1, max: 1 }],
  ["tan", { fn: "tan", min: 1, max: 1 }],
  ["exp", { fn: "exp", min: 1, max: 1 }],
  ["log", { fn: "log", min: 1, max: 1 }],
  ["atan2", { fn: "atan2", min: 2, max: 2 }],
  ["pow", { fn: "pow", min: 2, max: 2 }],
]);

/** Words that begin something the language does not have, and what to say about it. */
const UNSUPPORTED_WORDS = new Map<string, string>([
  ["var", "'var' is not supported: use 'let' or 'const'"],
  ["class", "classes are not supported"],
  ["interface", "interfaces are not supported"],
  ["type", "type aliases are not supported"],
  ["enum", "enums are not supported"],
  ["namespace", "namespaces are not supported"],
  ["declare", "'declare' is not supported"],
  ["switch", "'switch' is not supported: use if/else"],
  ["try", "'try' is not supported (exceptions are not part of the language)"],
  ["throw", "'throw' is not supported (exceptions are not part of the language)"],
  ["new", "'new' is not supported (objects are not part of the language)"],
  ["this", "'this' is not supported (objects are not part of the language)"],
  ["null", "'null' is not supported (values are i32)"],
  ["undefined", "'undefined' is not supported (values are i32)"],
  ["typeof", "'typeof' is not supported"],
  ["delete", "'delete' is not supported"],
  ["void", "the 'void' operator is not supported"],
  ["async", "async functions are not supported"],
  ["await", "'await' is not supported"],
  ["yield", "generators are not supported"],
  ["function", "nested functions (closures) are not supported"],
  ["debugger", "'debugger' is not supported"],
  ["with", "'with' is not supported"],
  ["super", "'super' is not supported (classes are not part of the language)"],
  ["import", "'import' is only supported as 'import type ...' at the top of the module"],
  ["export", "'export' is only supported before a top-level function"],
  ["let", "a declaration is not allowed here (wrap it in a block)"],
  ["const", "a declaration is not allowed here (wrap it in a block)"],
]);

/**
 * TypeScript's contextual keywords: words that begin a construct only when a name follows them
 * (`type T = ...`, `async function`), and are ordinary names otherwise (`let type = 1`).
 */
const CONTEXTUAL = new Set(["type", "declare", "namespace", "async"]);

/** Words that cannot name a variable or a function in a module (strict mode reserves some). */
const ARRAY_TYPES = new Set<string>(["Int32Array", "Float64Array", "Uint8Array"]);

const KEYWORDS = new Set([
  "if", "else", "while", "do", "for", "break", "continue", "return", "function", "export", "import",
  "let", "const", "true", "false", "in", "instanceof", "case", "default", "finally", "catch",
  "extends", "implements", "static", "private", "public", "protected", "package",
  ...[...UNSUPPORTED_WORDS.keys()].filter((w) => !CONTEXTUAL.has(w)),
]);

/** Parses a whole module; `file` names the source in messages. */
export function parse(source: string, file: string): Module {
  return new Parser(lex(source), file).parseModule();
}

class Parser {
  private i = 0;
  private depth = 0;
  private readonly t: Tokens;
  private readonly file: string;

  constructor(tokens: Tokens, file: string) {
    this.t = tokens;
    this.file = file;
  }

  // ---- tokens ----

  // The current token is always in the table (advance() stops at the end token); lookahead clamps.
  private kind(offset = 0): Tok {
    return (offset === 0 ? this.t.kinds[this.i] : this.t.kinds[Math.min(this.i + offset, this.t.count - 1)]) as Tok;
  }
  private text(offset = 0): string {
    return (offset === 0 ? this.t.texts[this.i] : this.t.texts[Math.min(this.i + offset, this.t.count - 1)]) as string;
  }
  private site(offset = 0): Site {
    const k = offset === 0 ? this.i : Math.min(this.i + offset, this.t.count - 1);
    return { line: this.t.lines[k]!, col: this.t.cols[k]! };
  }
  private isPunct(text: string, offset = 0): boolean {
    return this.kind(offset) === Tok.Punct && this.text(offset) === text;
  }
  private isWord(word: string, offset = 0): boolean {
    return this.kind(offset) === Tok.Name && this.text(offset) === word;
  }
  private newlineBefore(): boolean {
    return this.t.newline[this.i] === 1;
  }
  private advance(): void {
    if (this.kind() === Tok.Bad) throw this.error(this.text());
    if (this.i < this.t.count - 1) this.i++;
    if (this.kind() === Tok.Bad) throw this.error(this.text());
  }
  private error(message: string, at: Site = this.site()): Error {
    return sourceError(this.file, at, message);
  }
  /** The current token for messages. */
  private describe(): string {
    switch (this.kind()) {
      case Tok.End: return "end of file";
      case Tok.Str: return "a string";
      default: return `'${abbreviate(this.text())}'`;
    }
  }
  private expect(text: string, what = `'${text}'`): Site {
    if (!this.isPunct(text)) throw this.error(`expected ${what}, found ${this.describe()}`);
    const at = this.site();
    this.advance();
    return at;
  }
  private expectName(what: string): { name: string; at: Site } {
    if (this.kind() !== Tok.Name) throw this.error(`expected ${what}, found ${this.describe()}`);
    const name = this.text();
    const at = this.site();
    const unsupported = UNSUPPORTED_WORDS.get(name);
    if (unsupported !== undefined && name !== "let" && name !== "const" && !CONTEXTUAL.has(name)) throw this.error(unsupported);
    if (KEYWORDS.has(name)) throw this.error(`expected ${what}, found the keyword '${name}'`);
    this.advance();
    return { name, at };
  }
  /** A statement's end: `;`, or an automatic one before `}`, the end, or a line break. */
  private semicolon(): void {
    if (this.isPunct(";")) return this.advance();
    if (this.isPunct("}") || this.kind() === Tok.End || this.newlineBefore()) return;
    throw this.error(`expected ';', found ${this.describe()}`);
  }
  private enter(at: Site): void {
    if (++this.depth > MAX_NESTING) throw this.error(`nesting too deep (limit ${MAX_NESTING})`, at);
  }
  private leave(): void {
    this.depth--;
  }

  // ---- declarations ----

  parseModule(): Module {
    if (this.kind() === Tok.Bad) throw this.error(this.text());
    const functions: FunctionDecl[] = [];
    while (this.kind() !== Tok.End) {
      if (this.isWord("import")) {
        this.skipImportType();
        continue;
      }
      if (this.isPunct(";")) {
        this.advance();
        continue;
      }
      let exported = false;
      if (this.isWord("export")) {
        exported = true;
        this.advance();
        if (this.isWord("default")) throw this.error("'export default' is not supported: export a named function");
      }
      if (!this.isWord("function")) {
        const word = this.kind() === Tok.Name ? UNSUPPORTED_WORDS.get(this.text()) : undefined;
        if (this.isWord("let") || this.isWord("const")) throw this.error("module-level variables are not supported (declare variables inside a function)");
        if (word !== undefined && !this.isWord("function") && !this.isWord("export") && !this.isWord("import")) throw this.error(word);
        throw this.error(`expected a function declaration, found ${this.describe()}`);
      }
      functions.push(this.parseFunction(exported));
    }
    return { file: this.file, functions };
  }

  /** `import type { ... } from "...";` is TypeScript's alone: accepted and ignored. */
  private skipImportType(): void {
    const at = this.site();
    this.advance();
    // `import { f64, i32 } from "babyjit"` too: the conversions are functions in Bun, built in here.
    if (!this.isWord("type")) {
      if (!this.isPunct("{")) throw this.error("only 'import type' lines and 'import { f64, i32 } from \"babyjit\"' are supported", at);
      this.advance();
      while (!this.isPunct("}")) {
        if (this.kind() !== Tok.Name || !(["f64", "i32", "type"].includes(this.text()))) {
          throw this.error(`only the types and conversions i32 and f64 can be imported, not ${this.describe()}`);
        }
        this.advance();
        if (this.isPunct(",")) this.advance();
      }
      this.advance();
      if (!this.isWord("from")) throw this.error("expected 'from \"babyjit\"' after the imported names");
      this.advance();
      if (this.kind() !== Tok.Str || this.text().slice(1, -1) !== "babyjit") throw this.error("i32 and f64 come from \"babyjit\"");
      this.advance();
      if (this.isPunct(";")) this.advance();
      return;
    }
    // Up to the module's name (a string), over as many lines as the braces take; then an optional ';'.
    while (this.kind() !== Tok.Str) {
      if (this.kind() === Tok.End) throw this.error("expected the module name (a string) to end 'import type'");
      this.advance();
    }
    this.advance();
    if (this.isPunct(";")) this.advance();
  }

  private parseFunction(exported: boolean): FunctionDecl {
    this.advance(); // function
    if (this.isPunct("*")) throw this.error("generators are not supported");
    const { name, at } = this.expectName("a function name");
    if (this.isPunct("<")) throw this.error("generic functions are not supported");
    this.expect("(");
    const params: Param[] = [];
    while (!this.isPunct(")")) {
      if (this.isPunct("...")) throw this.error("rest parameters are not supported");
      if (this.isPunct("{") || this.isPunct("[")) throw this.error("destructuring parameters are not supported");
      const p = this.expectName("a parameter name");
      if (this.isPunct("?")) throw this.error("optional parameters are not supported");
      if (this.isPunct("=")) throw this.error("default parameter values are not supported");
      if (!this.isPunct(":")) throw this.error(`parameter '${p.name}' needs a type: write '${p.name}: i32'`);
      this.advance();
      const type = this.parseType("parameter");
      if (type === "bool" || type === "void") throw this.error(`parameter '${p.name}' has type '${type === "bool" ? "boolean" : type}': parameters are i32, f64 or a typed array`, p.at);
      params.push({ ...p, type });
      if (params.length > MAX_PARAMS) throw this.error(`too many parameters (at most ${MAX_PARAMS})`, p.at);
      if (!this.isPunct(")")) this.expect(",", "',' or ')'");
    }
    this.advance();
    if (!this.isPunct(":")) throw this.error(`function '${name}' needs a result type: write ': i32' or ': void'`);
    this.advance();
    const typeAt = this.site();
    const result = this.parseType("result");
    if (result === "bool") throw this.error("a function's result is i32 or void, not boolean", typeAt);
    if (result !== "i32" && result !== "f64" && result !== "void") throw this.error(`a typed array (${result}) can only be a parameter`, typeAt);
    if (!this.isPunct("{")) throw this.error(`expected '{' to begin the body of '${name}', found ${this.describe()}`);
    const { body, end } = this.parseBraces();
    return { name, at, exported, params, result, body, end };
  }

  /** i32 | boolean | void; anything else is named in the error. */
  private parseType(what: "parameter" | "result" | "variable"): "i32" | "f64" | "bool" | "void" | ArrayType {
    const at = this.site();
    if (this.kind() !== Tok.Name) throw this.error(`expected a type, found ${this.describe()}`);
    const word = this.text();
    this.advance();
    if (this.isPunct("[") || this.isPunct("|") || this.isPunct("<") || this.isPunct("&") || this.isPunct(".")) {
      throw this.error(`type '${word}${this.text()}...' is not supported (the types are i32, f64, boolean and void)`, at);
    }
    if (word === "i32") return "i32";
    if (word === "f64") return "f64";
    if (ARRAY_TYPES.has(word)) {
      if (what !== "parameter") throw this.error(`a typed array (${word}) can only be a parameter`, at);
      return word as ArrayType;
    }
    if (word === "boolean") return "bool";
    if (word === "void" && what === "result") return "void";
    if (word === "number") throw this.error("type 'number' is not supported: write i32 (import type { i32 } from \"babyjit\")", at);
    if (word === "any") throw this.error("type 'any' is not supported (the types are i32, f64, boolean and void)", at);
    throw this.error(`type '${abbreviate(word)}' is not supported (the types are i32, f64, boolean and void)`, at);
  }

  // ---- statements ----

  /** `{ statements }` at the current token; the statement list is a loop. */
  private parseBraces(): { body: Stmt[]; end: Site } {
    const open = this.site();
    this.advance();
    const body: Stmt[] = [];
    while (!this.isPunct("}")) {
      if (this.kind() === Tok.End) throw this.error("expected '}' to close the '{' at " + `${open.line}:${open.col}` + ", found end of file");
      body.push(this.parseStatement(true));
    }
    const end = this.site();
    this.advance();
    return { body, end };
  }

  /** A statement; declarations only where `declarations` (directly in a block, not as an if's body). */
  private parseStatement(declarations: boolean): Stmt {
    const at = this.site();
    if (this.kind() === Tok.Punct) {
      switch (this.text()) {
        case "{": {
          this.enter(at);
          const { body } = this.parseBraces();
          this.leave();
          return { kind: "block", body, at };
        }
        case ";":
          this.advance();
          return { kind: "empty", at };
        case "++":
        case "--": {
          const s = this.parseSimple();
          this.semicolon();
          return s;
        }
      }
    }
    if (this.kind() !== Tok.Name) return this.parseExpressionStatement();
    const word = this.text();
    switch (word) {
      case "let":
      case "const": {
        if (!declarations) throw this.error("a declaration is not allowed here (wrap it in a block)");
        const s = this.parseDeclaration();
        this.semicolon();
        return s;
      }
      case "if": return this.parseIf();
      case "while": {
        this.advance();
        const test = this.parseParenTest("while");
        const body = this.parseBody(at);
        return { kind: "while", test, body, at };
      }
      case "do": {
        this.advance();
        const body = this.parseBody(at);
        if (!this.isWord("while")) throw this.error(`expected 'while' after the body of 'do', found ${this.describe()}`);
        this.advance();
        const test = this.parseParenTest("do ... while");
        if (this.isPunct(";")) this.advance();
        return { kind: "do", body, test, at };
      }
      case "for": return this.parseFor();
      case "break":
      case "continue": {
        this.advance();
        if (this.kind() === Tok.Name && !this.newlineBefore()) throw this.error(`labeled '${word}' is not supported`);
        this.semicolon();
        return { kind: word, at };
      }
      case "return": {
        this.advance();
        let value: Expr | null = null;
        if (!this.isPunct(";") && !this.isPunct("}") && this.kind() !== Tok.End && !this.newlineBefore()) value = this.parseExpression();
        this.semicolon();
        return { kind: "return", value, at };
      }
      case "else":
        throw this.error("'else' without 'if'");
    }
    const unsupported = UNSUPPORTED_WORDS.get(word);
    if (unsupported !== undefined && (!CONTEXTUAL.has(word) || this.kind(1) === Tok.Name)) throw this.error(unsupported);
    if (this.isPunct(":", 1)) throw this.error("labels are not supported");
    return this.parseExpressionStatement();
  }

  private parseExpressionStatement(): Stmt {
    const s = this.parseSimple();
    this.semicolon();
    return s;
  }

  /** The body of if/while/do/for: one statement, a nesting level deeper. */
  private parseBody(at: Site): Stmt {
    this.enter(at);
    if (this.isWord("let") || this.isWord("const")) throw this.error("a declaration cannot be the body of a statement (wrap it in a block)");
    if (this.isWord("function")) throw this.error("nested functions (closures) are not supported");
    const s = this.parseStatement(false);
    this.leave();
    return s;
  }

  private parseParenTest(what: string): Expr {
    if (!this.isPunct("(")) throw this.error(`expected '(' after '${what}', found ${this.describe()}`);
    this.advance();
    const test = this.parseExpression();
    this.expect(")", `')' to close the condition`);
    return test;
  }

  /** if / else if / else: the chain is a loop. */
  private parseIf(): Stmt {
    const at = this.site();
    const clauses: { test: Expr; body: Stmt }[] = [];
    let otherwise: Stmt | null = null;
    for (;;) {
      const clauseAt = this.site();
      this.advance(); // if
      const test = this.parseParenTest("if");
      clauses.push({ test, body: this.parseBody(clauseAt) });
      if (!this.isWord("else")) break;
      const elseAt = this.site();
      this.advance();
      if (this.isWord("if")) continue;
      otherwise = this.parseBody(elseAt);
      break;
    }
    return { kind: "if", clauses, else: otherwise, at };
  }

  private parseFor(): Stmt {
    const at = this.site();
    this.advance();
    if (this.isWord("await")) throw this.error("'for await' is not supported");
    this.expect("(", "'(' after 'for'");
    const init: Stmt[] = [];
    if (this.isWord("let") || this.isWord("const")) {
      init.push(this.parseDeclaration());
    } else if (!this.isPunct(";")) {
      init.push(...this.parseSimpleList());
    }
    if (this.isWord("of") || this.isWord("in")) throw this.error(`'for...${this.text()}' is not supported: write for (init; condition; step)`);
    this.expect(";", "';' after the loop's initializer");
    const test = this.isPunct(";") ? null : this.parseExpression();
    this.expect(";", "';' after the loop's condition");
    const step = this.isPunct(")") ? [] : this.parseSimpleList();
    this.expect(")", "')' to close the loop's header");
    const body = this.parseBody(at);
    return { kind: "for", init, test, step, body, at };
  }

  private parseSimpleList(): Stmt[] {
    const list = [this.parseSimple()];
    while (this.isPunct(",")) {
      this.advance();
      list.push(this.parseSimple());
    }
    return list;
  }

  /** `let|const a[: T] = e, b = e` */
  private parseDeclaration(): Stmt {
    const at = this.site();
    const constant = this.text() === "const";
    this.advance();
    const decls: Declarator[] = [];
    do {
      if (decls.length > 0) this.advance(); // ,
      if (this.isPunct("{") || this.isPunct("[")) throw this.error("destructuring is not supported");
      const { name, at: nameAt } = this.expectName("a variable name");
      let annotation: ValueType | null = null;
      if (this.isPunct(":")) {
        this.advance();
        const typeAt = this.site();
        const type = this.parseType("variable");
        if (type === "void") throw this.error("a variable cannot be void", typeAt);
        annotation = type;
      }
      if (this.isWord("of") || this.isWord("in")) throw this.error(`'for...${this.text()}' is not supported: write for (init; condition; step)`);
      if (!this.isPunct("=")) {
        throw this.error(`'${name}' needs an initializer: write '${constant ? "const" : "let"} ${name} = ...'`, nameAt);
      }
      this.advance();
      decls.push({ name, at: nameAt, annotation, init: this.parseExpression() });
    } while (this.isPunct(","));
    return { kind: "let", constant, decls, at };
  }

  /** An assignment, `++`/`--`, or a call: what may stand as a statement (or a for's init and step). */
  private parseSimple(): Stmt {
    const at = this.site();
    if (this.isPunct("++") || this.isPunct("--")) {
      const delta = this.text() === "++" ? 1 : -1;
      this.advance();
      const { name, at: nameAt } = this.expectName(`a variable name after '${delta === 1 ? "++" : "--"}'`);
      return { kind: "update", name, nameAt, delta, at };
    }
    if (this.kind() === Tok.Name && !KEYWORDS.has(this.text())) {
      const op = this.kind(1) === Tok.Punct ? this.text(1) : "";
      const assign = ASSIGN.get(op);
      if (assign !== undefined) {
        const { name, at: nameAt } = this.expectName("a variable name");
        const opAt = this.site();
        this.advance();
        return { kind: "assign", name, nameAt, op: assign, value: this.parseExpression(), at: opAt };
      }
      if ((op === "++" || op === "--") && this.t.newline[this.i + 1] === 0) {
        const { name, at: nameAt } = this.expectName("a variable name");
        const opAt = this.site();
        this.advance();
        return { kind: "update", name, nameAt, delta: op === "++" ? 1 : -1, at: opAt };
      }
      if (op === "**=" || op === "&&=" || op === "||=" || op === "??=") throw this.error(`operator '${op}' is not supported`, this.site(1));
      if (op === "[") {
        // a[i] = v, a[i] op= v: an element of a typed array
        const target = this.parseWord();
        if (target.kind === "index" && this.kind() === Tok.Punct && ASSIGN.has(this.text())) {
          const opAt = this.site();
          const assign = ASSIGN.get(this.text())!;
          this.advance();
          return { kind: "store", target, op: assign, value: this.parseExpression(), at: opAt };
        }
        throw this.error("this expression's value is unused (a statement is a call, an assignment, or ++/--)", at);
      }
    }
    const e = this.parseExpression();
    if (this.isPunct("=") || ASSIGN.has(this.text()) && this.kind() === Tok.Punct) {
      throw this.error("only a variable or an array element can be assigned to");
    }
    if (e.kind === "call") return { kind: "expr", expr: e as CallExpr, at };
    if (e.kind === "math") throw this.error(`the value of Math.${e.fn} is unused (a statement is a call, an assignment, or ++/--)`, at);
    throw this.error("this expression's value is unused (a statement is a call, an assignment, or ++/--)", at);
  }

  // ---- expressions ----

  parseExpression(): Expr {
    const test = this.parseBinary(1);
    if (!this.isPunct("?")) return test;
    const at = this.site();
    this.enter(at);
    this.advance();
    const then = this.parseExpression();
    this.expect(":", "':' to complete '?'");
    const otherwise = this.parseExpression();
    this.leave();
    return { kind: "cond", test, then, else: otherwise, at };
  }

  /** Precedence climbing: a chain of one precedence is a loop; right operands recurse. */
  private parseBinary(minPrec: number): Expr {
    let left = this.parseUnary();
    for (;;) {
      if (this.kind() !== Tok.Punct) break;
      const op = this.text();
      const binary = BINARY.get(op);
      if (binary === undefined) {
        this.refuseOperator(op);
        break;
      }
      if (binary.prec < minPrec) break;
      const at = this.site();
      this.enter(at);
      this.advance();
      const right = this.parseBinary(binary.prec + 1);
      this.leave();
      left = binary.kind === "binary"
        ? { kind: "binary", op: binary.op, left, right, at }
        : { kind: "logical", op: binary.op, left, right, at };
    }
    return left;
  }

  /** Operators that may follow an operand but are not part of the language. */
  private refuseOperator(op: string): void {
    if (op === "=" || (ASSIGN.has(op))) throw this.error("assignment inside an expression is not supported (assign in a statement of its own)");
    if (op === "++" || op === "--") {
      if (this.newlineBefore()) return;
      throw this.error(`'${op}' inside an expression is not supported (use it as a statement of its own)`);
    }
    if (op === "**") throw this.error("operator '**' is not supported");
    if (op === "??") throw this.error("operator '??' is not supported");
    if (op === "?.") throw this.error("optional chaining '?.' is not supported (objects are not part of the language)");
    if (op === "=>") throw this.error("arrow functions (closures) are not supported");
    if (op === ".") throw this.error("property access is not supported (objects are not part of the language)");
    if (op === "[") throw this.error("indexing is not supported (arrays are not part of the language)");
    if (op === "!" && !this.newlineBefore()) throw this.error("the non-null assertion '!' is not supported");
    if (op === "**=" || op === "&&=" || op === "||=" || op === "??=") throw this.error(`operator '${op}' is not supported`);
    if (op === "(") throw this.error("only a function can be called, by its name");
  }

  /** Prefix operators are collected in a loop; each counts as a level of nesting. */
  private parseUnary(): Expr {
    if (this.kind() !== Tok.Punct || !PREFIX.has(this.text())) return this.parsePostfix(); // the common case
    const ops: { op: "neg" | "not" | "lnot" | "plus"; at: Site }[] = [];
    for (;;) {
      if (this.kind() !== Tok.Punct) break;
      const text = this.text();
      const op = text === "-" ? "neg" : text === "~" ? "not" : text === "!" ? "lnot" : text === "+" ? "plus" : null;
      if (op === null) {
        if (text === "++" || text === "--") throw this.error(`'${text}' inside an expression is not supported (use it as a statement of its own)`);
        break;
      }
      const at = this.site();
      this.enter(at);
      ops.push({ op, at });
      this.advance();
    }
    // -2147483648 is a literal to a reader, though 2147483648 alone is out of range.
    let e: Expr;
    const last = ops[ops.length - 1];
    if (last?.op === "neg" && this.kind() === Tok.Num && this.t.values[this.i] === INT32_MAX + 1) {
      ops.pop();
      this.leave();
      e = { kind: "num", value: -INT32_MAX - 1, at: last.at };
      this.advance();
    } else {
      e = this.parsePostfix();
    }
    for (let k = ops.length - 1; k >= 0; k--) {
      const { op, at } = ops[k]!;
      e = { kind: "unary", op, arg: e, at };
      this.leave();
    }
    return e;
  }

  private parsePostfix(): Expr {
    const e = this.parsePrimary();
    if (this.kind() === Tok.Name && !this.newlineBefore()) {
      const word = this.text();
      if (word === "as") throw this.error("type assertions ('as') are not supported");
      if (word === "instanceof" || word === "in") throw this.error(`operator '${word}' is not supported`);
      if (word === "satisfies") throw this.error("'satisfies' is not supported");
    }
    return e;
  }

  private parsePrimary(): Expr {
    const at = this.site();
    switch (this.kind()) {
      case Tok.Num: {
        const value = this.t.values[this.i]!;
        if (value > INT32_MAX) throw this.error(`literal ${abbreviate(this.text())} is out of range for i32 (-2147483648..2147483647)`);
        this.advance();
        return { kind: "num", value, at };
      }
      case Tok.Float: {
        const value = this.t.values[this.i]!;
        this.advance();
        return { kind: "num", value, float: true, at };
      }
      case Tok.Str:
        throw this.error("strings are not supported (values are i32)");
      case Tok.End:
        throw this.error("unexpected end of file in an expression");
      case Tok.Punct: {
        const text = this.text();
        if (text === "(") {
          this.enter(at);
          this.advance();
          if (this.isPunct(")")) throw this.error("arrow functions (closures) are not supported", at);
          const e = this.parseExpression();
          if (this.isPunct(",")) throw this.error("the comma operator is not supported");
          if (this.isPunct(":")) throw this.error("arrow functions (closures) are not supported", at);
          this.expect(")", "')' to close '('");
          if (this.isPunct("=>")) throw this.error("arrow functions (closures) are not supported", at);
          this.leave();
          return e;
        }
        if (text === "[") throw this.error("arrays are not supported (values are i32)");
        if (text === "{") throw this.error("object literals are not supported (values are i32)");
        if (text === "<") throw this.error("type assertions ('<T>x') are not supported");
        throw this.error(`expected an expression, found ${this.describe()}`);
      }
      default:
        return this.parseWord();
    }
  }

  private parseWord(): Expr {
    const at = this.site();
    const word = this.text();
    if (word === "true" || word === "false") {
      this.advance();
      return { kind: "bool", value: word === "true", at };
    }
    if (word === "Math" && this.isPunct(".", 1)) {
      this.advance();
      this.advance();
      const nameAt = this.site();
      const member = this.kind() === Tok.Name ? this.text() : "";
      const math = MATH.get(member);
      if (math === undefined) {
        throw this.error(`Math.${abbreviate(member)} is not supported (only Math.imul, abs, min, max, sqrt, sin, cos, tan, atan2, exp, log and pow)`, nameAt);
      }
      this.advance();
      const args = this.parseArguments(`Math.${member}`);
      if (args.length < math.min || args.length > math.max) {
        const wanted = math.min === math.max ? `${math.min}` : `at least ${math.min}`;
        throw this.error(`Math.${member} takes ${wanted} argument${math.min === 1 && math.max === 1 ? "" : "s"}, not ${args.length}`, nameAt);
      }
      return { kind: "math", fn: math.fn, args, at };
    }
    if (KEYWORDS.has(word)) {
      const unsupported = UNSUPPORTED_WORDS.get(word);
      if (unsupported !== undefined) throw this.error(unsupported);
      throw this.error(`expected an expression, found the keyword '${word}'`);
    }
    this.advance();
    if (this.isPunct("=>")) throw this.error("arrow functions (closures) are not supported", at);
    if (this.isPunct("[")) {
      const open = this.site();
      this.enter(open);
      this.advance();
      const index = this.parseExpression();
      this.expect("]", "']' to close '['");
      this.leave();
      return { kind: "index", array: word, arrayAt: at, index, at: open };
    }
    if (this.isPunct(".") && this.kind(1) === Tok.Name && this.text(1) === "length") {
      const lengthAt = this.site(1);
      this.advance();
      this.advance();
      return { kind: "length", array: word, arrayAt: at, at: lengthAt };
    }
    if (this.isPunct(".")) {
      if (word === "Math") throw this.error("expected a Math function after 'Math.'", this.site(1));
      throw this.error("property access is not supported (objects are not part of the language)");
    }
    if ((word === "i32" || word === "f64") && this.isPunct("(")) {
      const args = this.parseArguments(word);
      if (args.length !== 1) throw this.error(`${word}(...) takes 1 argument, not ${args.length}`, at);
      return { kind: "convert", to: word, arg: args[0]!, at };
    }
    if (this.isPunct("(")) return { kind: "call", callee: word, args: this.parseArguments(`'${word}'`), at };
    return { kind: "name", name: word, at };
  }

  /** `( e, e, ... )` */
  private parseArguments(what: string): Expr[] {
    const open = this.site();
    this.enter(open);
    this.advance();
    const args: Expr[] = [];
    while (!this.isPunct(")")) {
      if (this.isPunct("...")) throw this.error("spread arguments are not supported");
      args.push(this.parseExpression());
      if (!this.isPunct(")")) this.expect(",", `',' or ')' in the arguments of ${what}`);
    }
    this.advance();
    this.leave();
    return args;
  }
}
