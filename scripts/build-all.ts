/**
 * `bun run build:all`: the single-file executable for every platform Bun ships that babyjit supports,
 * with the same flags as `bun run build`. Bun fetches each target's runtime from the npm registry.
 */
import { buildFlags } from "./build-flags.ts";

const TARGETS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "windows-x64", "windows-arm64"] as const;

// The flags of the "build" script, so every executable is built the same way.
const { flags, entry } = buildFlags();

let failed = 0;
for (const target of TARGETS) {
  const outfile = `dist/babyjit-${target}${target.startsWith("windows") ? ".exe" : ""}`;
  const cmd = [process.execPath, "build", ...flags, `--target=bun-${target}`, entry, "--outfile", outfile];
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (p.exitCode === 0) console.log(`built ${outfile}`);
  else {
    failed++;
    console.error(`babyjit: building ${target} failed:\n${p.stderr.toString()}`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
