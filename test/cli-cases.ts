/**
 * The CLI's contract as a table: arguments → exact stdout, stderr and exit code. The same table runs
 * against the source CLI, the compiled executable, and (test/platforms.test.ts) under qemu and Wine.
 */
export interface CliCase {
  /** For arguments too long to be a test's name. */
  readonly name?: string;
  readonly args: string[];
  readonly stdout: string;
  readonly stderr?: string;
  readonly exitCode: number;
}

const HINT = "Try 'babyjit --help' for more information.\n";
const RANGE = "expected a decimal 32-bit integer (-2147483648..2147483647)";
const usage = (line: string): Pick<CliCase, "stdout" | "stderr" | "exitCode"> => ({
  stdout: "",
  stderr: `babyjit: ${line}\n${HINT}`,
  exitCode: 64,
});

export const CLI_CASES: readonly CliCase[] = [
  // The article's examples and the issue's.
  { args: ["1"], stdout: "2 3 4\n", exitCode: 0 },
  { args: ["2"], stdout: "3 4 5\n", exitCode: 0 },
  { args: ["-4"], stdout: "-3 -2 -1\n", exitCode: 0 },
  { args: ["2147483647"], stdout: "-2147483648 -2147483647 -2147483646\n", exitCode: 0 },
  { args: ["-2147483648", "-1", "0"], stdout: "2147483647 -2147483648\n", exitCode: 0 },
  { args: ["5", "10", "-20"], stdout: "15 -15\n", exitCode: 0 },
  { args: ["+7", "-0", "007"], stdout: "7 14\n", exitCode: 0 },
  { args: ["0"], stdout: "1 2 3\n", exitCode: 0 },
  { args: ["--", "-4", "-1"], stdout: "-5\n", exitCode: 0 },
  { args: ["-4", "--dump", "--abi", "win64"], stdout: "48 c7 c0 fc ff ff ff 48 01 c8 c3\n", exitCode: 0 },
  { args: ["-4", "--dump", "--arch", "arm64"], stdout: "69 00 80 12 00 00 09 0b c0 03 5f d6\n", exitCode: 0 },
  { args: ["--dump", "--arch=arm64", "305419896"], stdout: "09 cf 8a 52 89 46 a2 72 00 00 09 0b c0 03 5f d6\n", exitCode: 0 },
  // Chapter two: expressions in x, with JavaScript's int32 semantics.
  { args: ["--expr", "x * x - 3 * x + 2", "0", "1", "2", "3"], stdout: "2 0 0 2\n", exitCode: 0 },
  { args: ["-e", "x * x - 3 * x + 2"], stdout: "0 0 2\n", exitCode: 0 },
  { args: ["--expr=-x", "-5", "-2147483648"], stdout: "5 -2147483648\n", exitCode: 0 },
  { args: ["-e", "-2147483648 / x", "-1", "7"], stdout: "-2147483648 -306783378\n", exitCode: 0 },
  { args: ["-e", "x % -1", "-2147483648"], stdout: "0\n", exitCode: 0 },
  { args: ["-e", "x >>> 1", "-1"], stdout: "2147483647\n", exitCode: 0 },
  { args: ["-e", "x ? 10 : 0 / x", "5", "-5"], stdout: "10 10\n", exitCode: 0 },
  { args: ["-e", "0 && 1 / 0"], stdout: "0 0 0\n", exitCode: 0 },
  { args: ["-e", "x + 1", "--dump", "--arch", "arm64"], stdout: "00 04 00 11 c0 03 5f d6\n", exitCode: 0 },
  { args: ["-e", "x + 1", "--dump", "--abi", "sysv"], stdout: "89 f8 83 c0 01 c3\n", exitCode: 0 },
  { args: ["-e", "100 / x", "5", "0", "1"], stdout: "", stderr: "babyjit: division by zero (x = 0)\n", exitCode: 65 },
  { args: ["-e", "x % 0"], stdout: "", stderr: "babyjit: division by zero (x = 1)\n", exitCode: 65 },
  {
    args: ["-e", "x +", "1"],
    stdout: "",
    stderr: `babyjit: unexpected end of expression\n  x +\n     ^\n${HINT}`,
    exitCode: 64,
  },
  {
    args: ["-e", "1 ? x : y / 0"],
    stdout: "",
    stderr: `babyjit: unknown name 'y' (parameters: x)\n  1 ? x : y / 0\n          ^\n${HINT}`,
    exitCode: 64,
  },
  {
    args: ["-e", "0xfffffffff"],
    stdout: "",
    stderr: `babyjit: literal out of range: 0xfffffffff (0..4294967295)\n  0xfffffffff\n  ^\n${HINT}`,
    exitCode: 64,
  },
  {
    name: "-e <12,000 nested parentheses> (a Windows command line holds 32,767 characters)",
    args: ["-e", `${"(".repeat(12000)}x${")".repeat(12000)}`],
    stdout: "",
    stderr: `babyjit: expression nests too deeply (limit 1000)\n  …${"(".repeat(60)}…\n  ${" ".repeat(31)}^\n${HINT}`,
    exitCode: 64,
  },
  // Usage errors: one line naming the value, the hint, nothing on stdout, exit 64.
  { args: [], ...usage("missing <term>: expected a decimal 32-bit integer, or --expr <expression>") },
  { args: ["abc"], ...usage(`invalid term 'abc': ${RANGE}`) },
  { args: ["12abc"], ...usage(`invalid term '12abc': ${RANGE}`) },
  { args: ["0x10"], ...usage(`invalid term '0x10': ${RANGE}`) },
  { args: ["1e3"], ...usage(`invalid term '1e3': ${RANGE}`) },
  { args: ["5.0"], ...usage(`invalid term '5.0': ${RANGE}`) },
  { args: [""], ...usage(`invalid term '': ${RANGE}`) },
  { args: [" 5"], ...usage(`invalid term ' 5': ${RANGE}`) },
  { args: ["2147483648"], ...usage("term '2147483648' is out of range: expected -2147483648..2147483647") },
  { args: ["-2147483649"], ...usage("term '-2147483649' is out of range: expected -2147483648..2147483647") },
  { args: ["1", "x"], ...usage(`invalid input 'x': ${RANGE}`) },
  { args: ["1", "99999999999999999999"], ...usage("input '99999999999999999999' is out of range: expected -2147483648..2147483647") },
  { args: ["--frobnicate"], ...usage("unknown option '--frobnicate'") },
  { args: ["-4", "-x"], ...usage("unknown option '-x'") },
  // --no-X is only for switches (issue 19: --no-expr 1 printed 1 1 1, --no-e 'x*2' 21 printed 42).
  ...["--no-expr", "--no-e", "--no-bf", "--no-arch", "--no-abi", "--no-tape", "--no-eof", "--no-x"].map((flag) => ({ args: [flag, "1"], ...usage(`unknown option '${flag}'`) })),
  // An option given twice, either way: the last one wins.
  { args: ["--no-dump", "--dump", "--arch", "arm64", "1"], stdout: "29 00 80 52 00 00 09 0b c0 03 5f d6\n", exitCode: 0 },
  { args: ["--dump", "--no-dump", "1"], stdout: "2 3 4\n", exitCode: 0 },
  { args: ["--listing", "--no-listing", "-4"], stdout: "-3 -2 -1\n", exitCode: 0 },
  { args: ["-e", "x", "--expr", "x * 2", "21"], stdout: "42\n", exitCode: 0 },
  // Control characters in an argument are escaped in the message: it stays one line.
  { args: ["1\n"], ...usage(`invalid term '1\\n': ${RANGE}`) },
  { args: ["1", "\u001b[2J"], ...usage(`invalid input '\\e[2J': ${RANGE}`) },
  { args: ["-4", "--dump=yes"], ...usage("option '--dump' takes no value") },
  { args: ["-4", "--arch"], ...usage("option '--arch' needs a value") },
  { args: ["-4", "--arch", "mips"], ...usage("invalid --arch 'mips': expected x64 or arm64") },
  { args: ["-4", "--abi", "fastcall"], ...usage("invalid --abi 'fastcall': expected sysv or win64 or aapcs64") },
  { args: ["-4", "--arch", "arm64", "--abi", "win64", "--dump"], ...usage("the win64 calling convention does not exist for arm64") },
  { args: ["-4", "--dump", "--listing"], ...usage("--dump and --listing both replace running: choose one") },
  { args: ["-4", "--dump", "--trace"], ...usage("--trace narrates a run; it cannot be combined with --dump") },
];

const HOST_ADDER_DUMP = {
  "x64-sysv": "48 c7 c0 fc ff ff ff 48 01 f8 c3",
  "x64-win64": "48 c7 c0 fc ff ff ff 48 01 c8 c3",
  arm64: "69 00 80 12 00 00 09 0b c0 03 5f d6",
};

/** Cases whose text depends on the host (which target it runs). */
export const caseName = (c: CliCase): string => c.name ?? (c.args.join(" ") || "(no arguments)");

export function hostCases(host: "x64-sysv" | "x64-win64" | "arm64"): CliCase[] {
  const other = host === "arm64" ? ["--arch", "x64"] : ["--arch", "arm64"];
  const [hostArch, hostAbi, otherArch, otherAbi] =
    host === "arm64" ? ["arm64", "aapcs64", "x64", "sysv"] : ["x64", host === "x64-win64" ? "win64" : "sysv", "arm64", "aapcs64"];
  return [
    { args: ["-4", "--dump"], stdout: `${HOST_ADDER_DUMP[host]}\n`, exitCode: 0 },
    {
      args: ["-4", ...other],
      stdout: "",
      stderr: `babyjit: cannot run ${otherArch} (${otherAbi}) code on this ${hostArch} (${hostAbi}) host; use --dump or --listing to read code for another target\nTry 'babyjit --help' for more information.\n`,
      exitCode: 64,
    },
  ];
}
