// Preloaded by bun test (bunfig.toml): emulated runs (qemu, Wine) and compiled executables take seconds.
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(120_000);
