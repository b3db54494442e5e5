/** What the kernel says about our memory: the protection column of /proc/self/maps (Linux only). */

export interface Mapping {
  readonly start: number;
  readonly end: number;
  /** e.g. "rw-p", "r-xp". */
  readonly perms: string;
}

/** Every mapping of this process, or undefined where /proc/self/maps does not exist (macOS, Windows). */
export function readMaps(): Mapping[] | undefined {
  // Under Wine, Bun would read the Linux host's file through drive Z:, which describes no Windows memory.
  if (process.platform !== "linux") return undefined;
  let text: string;
  try {
    // node:fs is loaded here, not at start-up: only --trace and the tests ask the kernel.
    const { readFileSync } = require("node:fs") as typeof import("node:fs");
    text = readFileSync("/proc/self/maps", "utf8");
  } catch {
    return undefined;
  }
  return text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => {
      const [range = "", perms = ""] = line.split(" ");
      const [start = "0", end = "0"] = range.split("-");
      return { start: parseInt(start, 16), end: parseInt(end, 16), perms };
    });
}

/** The protection of the mapping that contains `address`, "unmapped" if none does, undefined without /proc. */
export function protectionAt(address: number): string | undefined {
  const maps = readMaps();
  if (maps === undefined) return undefined;
  return maps.find((m) => address >= m.start && address < m.end)?.perms ?? "unmapped";
}
