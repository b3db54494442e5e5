/** What the numbers were measured on: CPU, cores, OS and kernel, memory, Bun. */
import { cpus, release, totalmem, type as osType } from "node:os";

export interface Machine {
  readonly cpu: string;
  readonly cores: string;
  readonly os: string;
  readonly memory: string;
  readonly bun: string;
  readonly date: string;
}

function readText(path: string): string | undefined {
  try {
    return require("node:fs").readFileSync(path, "utf8") as string;
  } catch {
    return undefined;
  }
}

export function describeMachine(): Machine {
  const cpuinfo = readText("/proc/cpuinfo") ?? "";
  const field = (name: string) => cpuinfo.match(new RegExp(`^${name}\\s*:\\s*(.+)$`, "m"))?.[1]?.trim();
  const logical = cpus().length;
  const physicalIds = new Set(cpuinfo.match(/^physical id\s*:.*$/gm) ?? []).size || 1;
  const perPackage = Number(field("cpu cores"));
  const physical = Number.isFinite(perPackage) && perPackage > 0 ? perPackage * physicalIds : undefined;
  const mhz = field("cpu MHz");
  const cpu = field("model name") ?? field("Hardware") ?? cpus()[0]?.model ?? "unknown";
  const pretty = readText("/etc/os-release")?.match(/^PRETTY_NAME="?([^"\n]+)"?$/m)?.[1];
  return {
    cpu: mhz ? `${cpu} (${Math.round(Number(mhz))} MHz reported)` : cpu,
    cores: `${logical} logical${physical === undefined ? "" : `, ${physical} physical`}`,
    os: `${pretty ? `${pretty}, ` : ""}${osType()} ${release()} (${process.platform}-${process.arch})`,
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    bun: `${Bun.version} (${Bun.revision.slice(0, 9)})`,
    date: new Date().toISOString(),
  };
}
