/**
 * package.json's "build" script, split into the flags to reuse and its entry point: `build:all`, the
 * benchmark and the emulator tests build their executables exactly the way `bun run build` does.
 */
import pkg from "../package.json" with { type: "json" };

export function buildFlags(script: string = pkg.scripts.build): { flags: string[]; entry: string } {
  const tokens = script.trim().split(/\s+/);
  if (tokens[0] !== "bun" || tokens[1] !== "build") throw new Error(`unexpected build script: ${script}`);
  const flags: string[] = [];
  let entry: string | undefined;
  for (let i = 2; i < tokens.length; i++) {
    const t = tokens[i] as string;
    if (t === "--outfile" || t === "--outdir") i++;
    else if (t.startsWith("--outfile=") || t.startsWith("--outdir=")) continue;
    else if (!t.startsWith("-") && entry === undefined) entry = t;
    else flags.push(t);
  }
  if (entry === undefined) throw new Error(`no entry point in the build script: ${script}`);
  return { flags, entry };
}
