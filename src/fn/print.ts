/**
 * IR as text, for listings, tests and the chapter: one instruction a line, blocks labelled `bN:`,
 * a `; line N` comment where the source line changes. Given an allocation, virtual registers print
 * as their locations (register names, `[sN]` for spill slots) and each call shows what it saves.
 */
import type { Allocation, FnIr, Inst, ModuleIr, Operand, RegisterDescription, Terminator, VReg } from "./ir.ts";

export function printModule(mod: ModuleIr): string {
  return mod.functions.map((f) => printFunction(f, mod)).join("\n");
}

/** `mod` names callees (else they print as fN); `alloc` and `regs` print locations instead of vregs. */
export function printFunction(f: FnIr, mod?: ModuleIr, alloc?: Allocation, regs?: RegisterDescription): string {
  const name = (v: VReg): string => {
    if (alloc === undefined) return `v${v}`;
    const loc = alloc.locs[v];
    if (loc === null || loc === undefined) return `v${v}?`;
    return loc.kind === "reg" ? (regs?.names[loc.reg] ?? `r${loc.reg}`) : `[s${loc.slot}]`;
  };
  const operand = (o: Operand): string => (o.kind === "imm" ? String(o.value) : name(o.reg));
  const callee = (i: number): string => mod?.functions[i]?.name ?? `f${i}`;
  const lines: string[] = [];
  const params = f.params.map(name).join(", ");
  lines.push(`function ${f.name}(${params}): ${f.result}${f.exported ? " (exported)" : ""}`);
  if (alloc !== undefined) {
    const saved = alloc.calleeSavedUsed.map((r) => regs?.names[r] ?? `r${r}`).join(", ");
    lines.push(`  ; callee-saved used: ${saved === "" ? "none" : saved}; spill slots: ${alloc.slots}`);
  }
  let line = -1;
  const at = (l: number): void => {
    if (l !== line) {
      line = l;
      lines.push(`  ; line ${l}`);
    }
  };
  const inst = (i: Inst): string => {
    switch (i.op) {
      case "const": return `${name(i.dst)} = ${i.value}`;
      case "mov": return `${name(i.dst)} = ${name(i.src)}`;
      case "unary": return `${name(i.dst)} = ${i.un} ${name(i.a)}`;
      case "binary": return `${name(i.dst)} = ${i.bin} ${name(i.a)}, ${operand(i.b)}`;
      case "div":
      case "rem": return `${name(i.dst)} = ${i.op} ${name(i.a)}, ${name(i.b)}`;
      case "cmp": return `${name(i.dst)} = ${i.cond} ${name(i.a)}, ${operand(i.b)}`;
      case "fconst": return `${name(i.dst)} = ${Object.is(i.value, -0) ? "-0.0" : String(i.value)} (f64)`;
      case "fbinary": return `${name(i.dst)} = f${i.fbin} ${name(i.a)}, ${name(i.b)}`;
      case "ccall": {
        const saves = alloc?.fcallSaves[i.id];
        const note = saves !== undefined && saves.length > 0 ? `  ; saves ${saves.map((r) => regs?.fp?.names[r] ?? `f${r}`).join(", ")}` : "";
        return `${name(i.dst)} = ccall ${i.fn}(${i.args.map(name).join(", ")})${note}`;
      }
      case "fneg": return `${name(i.dst)} = fneg ${name(i.a)}`;
      case "fsqrt":
      case "fabs": return `${name(i.dst)} = ${i.op} ${name(i.a)}`;
      case "fcmp": return `${name(i.dst)} = f${i.cond} ${name(i.a)}, ${name(i.b)}`;
      case "aload": return `${name(i.dst)} = load.${i.elem} ${name(i.arr)}[${name(i.index)}]`;
      case "astore": return `store.${i.elem} ${name(i.arr)}[${name(i.index)}] = ${name(i.value)}`;
      case "alen": return `${name(i.dst)} = length ${name(i.arr)}`;
      case "i2f": return `${name(i.dst)} = i2f ${name(i.a)}`;
      case "f2i": return `${name(i.dst)} = f2i ${name(i.a)}`;
      case "call": {
        const text = `call ${callee(i.callee)}(${i.args.map(name).join(", ")})`;
        const saves = alloc?.callSaves[i.id];
        const note = saves !== undefined && saves.length > 0 ? `  ; saves ${saves.map((r) => regs?.names[r] ?? `r${r}`).join(", ")}` : "";
        return `${i.dst === null ? "" : `${name(i.dst)} = `}${text}${note}`;
      }
    }
  };
  const term = (t: Terminator): string => {
    switch (t.op) {
      case "jmp": return `jmp b${t.target}`;
      case "br": return `br ${t.cond} ${name(t.a)}, ${operand(t.b)}, b${t.then}, b${t.else}`;
      case "fbr": return `fbr ${t.cond} ${name(t.a)}, ${name(t.b)}, b${t.then}, b${t.else}`;
      case "ret": return t.value === null ? "ret" : `ret ${name(t.value)}`;
    }
  };
  for (const b of f.blocks) {
    lines.push(`b${b.id}:`);
    for (const i of b.insts) {
      at(i.at.line);
      lines.push(`    ${inst(i)}`);
    }
    at(b.term.at.line);
    lines.push(`    ${term(b.term)}`);
  }
  return lines.join("\n");
}
