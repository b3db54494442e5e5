/**
 * Modules: one piece of code with several entry points, a JitFunction for each. The functions chapter
 * installs a compiled module this way (its functions call each other inside the code). Kept apart from
 * jit.ts so that the start-up path, which installs one function, does not load it.
 */
import type { Signature } from "./abi.ts";
import type { Code } from "./emit.ts";
import { JitError } from "./errors.ts";
import { type CodeMemory, type CodeSlot, type JitFunction, type NativeFunction, canonical, withStatus, wrap } from "./jit.ts";

/** One entry point of code installed by installModule. */
export interface ModuleExport {
  /** Where the entry is in the code, in bytes (a multiple of 4 on arm64). */
  readonly offset: number;
  readonly signature: Signature;
  /** As InstallOptions.status: the entry takes the status block's address after its parameters. */
  readonly status?: boolean;
  readonly names?: readonly string[];
}

/**
 * Install one piece of code with several entry points (a module of functions that call each other)
 * and make a JitFunction of each export, in order. Each one's `address` is its entry; `bytes` and
 * `listing` are the whole module's. The code stays while any of them is alive: it is given back when
 * the last is disposed (or collected).
 */
export function installModule(memory: CodeMemory, code: Code, exports: readonly ModuleExport[]): JitFunction[] {
  if (!Array.isArray(exports) || exports.length === 0) throw new JitError("E_RANGE", "a module needs at least one export");
  const step = memory.target.arch === "arm64" ? 4 : 1;
  const prepared = exports.map((e, i) => {
    if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset >= code.bytes.length || e.offset % step !== 0) {
      throw new JitError("E_RANGE", `export ${i + 1}'s offset ${String(e.offset)} is not an instruction of the ${code.bytes.length}-byte code`);
    }
    return { offset: e.offset, signature: canonical(e.signature), status: e.status === true, names: e.names };
  });
  // Everything that can fail before the code is installed: the status block, the trampolines.
  const status = prepared.some((p) => p.status) ? memory.statusBlock() : undefined;
  const calls = prepared.map((p) => memory.callerFor(p.status ? withStatus(p.signature) : p.signature));
  const slot = memory.installCode(code.bytes);
  const shared = { slot, live: prepared.length };
  return prepared.map((p, i) =>
    wrap(memory, new EntrySlot(shared, slot.address + p.offset, slot.size - p.offset), calls[i] as NativeFunction, code, p.signature, p.status ? status : undefined, p.names === undefined ? {} : { names: p.names }),
  );
}

/** One export's share of a module's code: the code is freed with the last share. */
class EntrySlot implements CodeSlot {
  private freed = false;
  constructor(
    private readonly shared: { readonly slot: CodeSlot; live: number },
    readonly address: number,
    readonly size: number,
  ) {}

  free(): void {
    if (this.freed) return;
    this.freed = true;
    if (--this.shared.live === 0) this.shared.slot.free();
  }
}

