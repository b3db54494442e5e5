/**
 * Brainfuck to C, for the bench's "next to C" rows (bench/bf.ts): runs of `+`/`-` become one
 * `*p += n;`, runs of `<`/`>` one `p += n;`, loops `while (*p) { ... }`, `.` putchar and `,` getchar.
 * Nothing else is optimized: what cc -O2 makes of it is the reference. The C has no bounds checks.
 *
 *   bun bench/bf2c.ts prog.bf > prog.c && cc -O2 prog.c -o prog
 */

export interface TranslateOptions {
  /** Cells on the tape (default 30,000). */
  readonly tape?: number;
  /** What `,` does at end of input (default: leaves the cell unchanged). */
  readonly eof?: "unchanged" | 0 | -1;
}

export function brainfuckToC(source: string, options: TranslateOptions = {}): string {
  const tape = options.tape ?? 30_000;
  const eof = options.eof ?? "unchanged";
  const lines: string[] = [
    "/* Translated from Brainfuck by babyjit's bench/bf2c.ts. */",
    "#include <stdio.h>",
    "",
    `static unsigned char tape[${tape}];`,
    "",
    "int main(void) {",
    "  unsigned char *p = tape;",
    "  int c;",
    "  (void)c;",
  ];
  let depth = 1;
  const emit = (text: string) => lines.push(`${"  ".repeat(depth)}${text}`);
  const n = source.length;
  let i = 0;
  while (i < n) {
    const ch = source[i];
    if (ch === "+" || ch === "-") {
      let delta = 0;
      while (i < n && (source[i] === "+" || source[i] === "-" || !"<>.,[]".includes(source[i] as string))) {
        if (source[i] === "+") delta++;
        else if (source[i] === "-") delta--;
        i++;
      }
      delta = ((delta % 256) + 256) % 256;
      if (delta !== 0) emit(delta <= 128 ? `*p += ${delta};` : `*p -= ${256 - delta};`);
      continue;
    }
    if (ch === "<" || ch === ">") {
      let delta = 0;
      while (i < n && (source[i] === "<" || source[i] === ">" || !"+-.,[]".includes(source[i] as string))) {
        if (source[i] === ">") delta++;
        else if (source[i] === "<") delta--;
        i++;
      }
      if (delta > 0) emit(`p += ${delta};`);
      else if (delta < 0) emit(`p -= ${-delta};`);
      continue;
    }
    i++;
    switch (ch) {
      case ".":
        emit("putchar(*p);");
        break;
      case ",":
        if (eof === "unchanged") emit("if ((c = getchar()) != EOF) *p = (unsigned char)c;");
        else emit(`*p = (unsigned char)((c = getchar()) == EOF ? ${eof & 0xff} : c);`);
        break;
      case "[":
        emit("while (*p) {");
        depth++;
        break;
      case "]":
        if (depth === 1) throw new Error(`unmatched ']' at offset ${i - 1}`);
        depth--;
        emit("}");
        break;
    }
  }
  if (depth !== 1) throw new Error("unmatched '['");
  lines.push("  return 0;", "}", "");
  return lines.join("\n");
}

if (import.meta.main) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write("usage: bun bench/bf2c.ts FILE.bf > FILE.c\n");
    process.exit(64);
  }
  process.stdout.write(brainfuckToC(await Bun.file(file).text()));
}
