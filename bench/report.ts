/**
 * Rows, verdicts and the two renderings of the results table (terminal text and Markdown).
 * Every measured figure sits next to the reference it is judged against, measured in the same run.
 */

export type Unit = "ns" | "bytes" | "count";

export interface Row {
  /** Section number and title, e.g. "1 call". */
  readonly section: string;
  readonly name: string;
  /** The figure (ns for times, bytes for memory); undefined when it could not be measured. */
  readonly value: number | undefined;
  readonly unit: Unit;
  /** Secondary statistics (avg, p90, ...), free text. */
  readonly detail?: string;
  /** What the figure is compared with: a floor measured in this run, or a fixed limit. */
  readonly ref?: { readonly name: string; readonly value: number | undefined; readonly kind: "floor" | "limit" };
  /**
   * The ratio to ref when it was measured in pairs (median of per-round ratios, see measure.ts
   * pairedRatio); without it, value / ref.value.
   */
  readonly ratio?: number | undefined;
  /** Largest acceptable ratio to ref; rows without one are informational. */
  readonly budget?: number;
  readonly note?: string;
}

export type Verdict = "PASS" | "FAIL" | "n/a" | "";

export function ratioOf(row: Row): number | undefined {
  if (row.ratio !== undefined) return row.ratio;
  const ref = row.ref?.value;
  if (row.value === undefined || ref === undefined || ref === 0) return undefined;
  return row.value / ref;
}

export function verdictOf(row: Row): Verdict {
  if (row.budget === undefined) return "";
  const ratio = ratioOf(row);
  if (ratio === undefined) return "n/a";
  return ratio <= row.budget ? "PASS" : "FAIL";
}

export function formatValue(value: number | undefined, unit: Unit): string {
  if (value === undefined || !Number.isFinite(value)) return "n/a";
  switch (unit) {
    case "ns":
      if (value < 1_000) return `${value.toFixed(value < 10 ? 2 : 1)} ns`;
      if (value < 1_000_000) return `${(value / 1_000).toFixed(2)} µs`;
      return `${(value / 1_000_000).toFixed(2)} ms`;
    case "bytes":
      if (value < 1024) return `${value} B`;
      if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
      return `${(value / 1024 / 1024).toFixed(1)} MiB`;
    case "count":
      return String(value);
  }
}

const HEADER = ["#", "Measurement", "Value", "Detail", "Compared with", "Ratio", "Budget", "Verdict"] as const;

function cells(row: Row): string[] {
  const ratio = ratioOf(row);
  const ref = row.ref === undefined ? "" : `${row.ref.name}: ${formatValue(row.ref.value, row.unit)}`;
  return [
    row.section,
    row.name,
    formatValue(row.value, row.unit),
    [row.detail, row.note].filter(Boolean).join("; "),
    ref,
    ratio === undefined ? (row.ref ? "n/a" : "") : `${ratio.toFixed(2)}×`,
    row.budget === undefined ? "" : `≤ ${row.budget.toFixed(2)}×`,
    verdictOf(row),
  ];
}

/** Plain aligned text for the terminal; FAIL rows are marked so they stand out without colour. */
export function textTable(rows: readonly Row[]): string {
  const body = rows.map(cells);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]) =>
    r.map((c, i) => (i === 2 || i === 5 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join("  ").trimEnd();
  const out = [line(HEADER), widths.map((w) => "-".repeat(w)).join("  ")];
  let section = "";
  for (const [i, r] of body.entries()) {
    const s = rows[i]?.section.split(" ")[0] ?? "";
    if (section !== "" && s !== section) out.push("");
    section = s;
    out.push(line(r) + (r[7] === "FAIL" ? "   <-- FAIL" : ""));
  }
  return out.join("\n");
}

export function markdownTable(rows: readonly Row[]): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  const out = [`| ${HEADER.join(" | ")} |`, `|${HEADER.map((_, i) => (i === 2 || i === 5 ? "---:" : "---")).join("|")}|`];
  for (const r of rows.map(cells)) {
    r[7] = r[7] === "FAIL" ? "**FAIL**" : r[7] ?? "";
    out.push(`| ${r.map((c) => esc(c ?? "")).join(" | ")} |`);
  }
  return out.join("\n");
}

export function verdictLines(rows: readonly Row[]): string[] {
  return rows
    .filter((r) => r.budget !== undefined)
    .map((r) => {
      const ratio = ratioOf(r);
      const shown = ratio === undefined ? "n/a" : `${ratio.toFixed(2)}×`;
      return `${verdictOf(r).padEnd(4)}  ${r.name}: ${shown} of ${r.ref?.name ?? "?"} (budget ≤ ${r.budget?.toFixed(2)}×)`;
    });
}

// ---------------------------------------------------------------------------------------------------
// Small statistics helpers shared by the sections.

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (b - a) * (pos - lo);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/**
 * The median of values[i] / floors[i] over the indices where both were measured (a failed run is NaN);
 * undefined when there is no such pair.
 */
export function medianRatio(values: readonly number[], floors: readonly number[]): number | undefined {
  const ratios = values.map((v, i) => v / (floors[i] ?? Number.NaN)).filter(Number.isFinite);
  return ratios.length > 0 ? median(ratios) : undefined;
}
