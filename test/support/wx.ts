/**
 * W^X, proved: an OS layer that checks /proc/self/maps after every system call and write that no page
 * of ours is writable and executable at once. Shared by the memory and Brainfuck tests.
 */
import { expect } from "bun:test";
import { hostOs } from "../../src/jit.ts";
import { protectionAt, readMaps } from "../../src/maps.ts";
import type { OsMemory } from "../../src/os.ts";

/**
 * The host OS layer, checking after every call that no page of ours is writable and executable; with
 * `patch: false`, without the /proc/self/mem writer, so code is added by flipping pages RW and back.
 */
export function wxCheckingOs(options: { patch: boolean }): { os: OsMemory; checks: () => number } {
  const { patch: realPatch, ...real } = hostOs();
  let checks = 0;
  const check = () => {
    checks++;
    const rwx = (readMaps() ?? []).filter((m) => m.perms.startsWith("rwx"));
    expect(rwx.filter((m) => ownedBy(m.start))).toEqual([]);
  };
  const owned = new Set<number>();
  const ownedBy = (start: number) => owned.has(start);
  return {
    os: {
      ...real,
      map(size, purpose) {
        const a = real.map(size, purpose);
        owned.add(a);
        check();
        return a;
      },
      protect(a, s, p) {
        real.protect(a, s, p);
        check();
      },
      write(a, b) {
        real.write(a, b);
        check();
      },
      unmap(a, s) {
        real.unmap(a, s);
        owned.delete(a);
        check();
      },
      ...(options.patch && realPatch !== undefined
        ? {
            patch(a: number, b: Uint8Array) {
              // The page stays read+execute while the kernel writes into it.
              expect(protectionAt(a)).toBe("r-xp");
              const ok = realPatch(a, b);
              expect(protectionAt(a)).toBe("r-xp");
              check();
              return ok;
            },
          }
        : {}),
    },
    checks: () => checks,
  };
}
