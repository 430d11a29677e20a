/**
 * Builds standalone binaries of the logger and the sender with `deno compile`,
 * one pair per target, under dist/<target>/. Each binary embeds only its
 * target's zeromq addon (libzmq) and carries the permissions and V8 flags of
 * its script's shebang; at the end the build prints each binary's size.
 *
 * Usage:
 *
 * ```sh
 * deno task compile                  # for this machine
 * deno task compile:pi               # aarch64-unknown-linux-gnu (64-bit Pi OS)
 * deno task compile:x86_64           # x86_64-unknown-linux-gnu
 * deno task compile --file /var/log/zmq/log.txt   # logger writes there
 * DENORT_BIN=/path/to/denort deno task compile:pi # no download (see below)
 * deno task compile:pi --logger-name zmq-logger  # dist/<target>/zmq-logger
 * ```
 *
 * `deno compile` joins the program to `denort`, Deno's runtime for the target,
 * which it downloads once from dl.deno.land into its cache. Where that server
 * cannot be reached, point DENORT_BIN at a denort for the target (the same
 * Deno version), taken from the release zip on a machine that can. Before
 * building, the script checks that file (see `checkRuntime`) and refuses, in
 * one line and without writing a binary, one that cannot work: deno compile
 * itself takes any file and "builds" a binary that fails only when it runs.
 *
 * What the permissions become inside a binary: the write and read scopes are
 * the shebang's, relative to the directory the binary is started in. The FFI
 * scope `./node_modules` (of the `-P` set in deno.json) becomes the place
 * where a compiled binary sees its embedded node_modules:
 * `/tmp/deno-compile-<binary name>/node_modules`. So a binary must keep its
 * name (a symlink with another name is fine) and run without TMPDIR set; to
 * install it under another name, build it with that name (`--logger-name`,
 * `--sender-name`).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { parseArgs } from "node:util";
import { addonFor, parseManifest } from "../lib/addon.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const DIST = "dist";
const SCRIPTS = ["logging_basic", "log_cmd_basic"];
/** The targets this project builds for; a Pi needs a 64-bit OS. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
];
/** Where a compiled binary's runtime puts its embedded files (Rust's temp_dir() without TMPDIR). */
const COMPILED_TMP = "/tmp";
/** Files of the zeromq package a binary needs besides its addon. */
const ZEROMQ_KEEP = [
  "package.json",
  "LICENSE.txt",
  "LICENSE_MPL-2.0.txt",
  "build/manifest.json",
];

/** The ELF e_machine of each target's architecture. */
const ELF_MACHINES: Record<string, number> = { x86_64: 62, aarch64: 183 };
/** Names of the e_machine values one may meet, for the refusal's words. */
const ELF_MACHINE_NAMES: Record<number, string> = {
  3: "x86",
  8: "mips",
  20: "powerpc",
  21: "powerpc64",
  40: "arm",
  62: "x86_64",
  183: "aarch64",
  243: "riscv",
};
/**
 * A string that only the full `deno` CLI holds: the help text of its
 * `deno compile` subcommand (clap's help, in the `deno` crate's
 * cli/args/flags.rs). denort is built from cli/rt, without the CLI's argument
 * parser, and it cannot compile, so it cannot carry this text; the CLI always
 * does, on every target, since `deno compile --help` prints it. (`lsp` or
 * `fmt` strings would do too, but subcommand names are short words that a
 * runtime's other code may contain; this whole sentence is in no runtime.)
 */
export const CLI_MARKER =
  "Compiles the given script into a self contained executable";
/**
 * What every Deno runtime holds: its user agent `Deno/<version>`, which it
 * gives as `navigator.userAgent` and in fetch's User-Agent header, so denort
 * has it as much as the CLI. A program named "...-Deno/x.y.z" (the CLI embeds
 * "OTel-OTLP-Exporter-Deno/0.79.0") is not Deno's own user agent.
 */
const USER_AGENT = "Deno/";
/** How much of a file the scan reads at a time. */
export const SCAN_CHUNK = 4 * 1024 * 1024;
/** Bytes kept from one chunk to the next, so no marker is cut in two. */
export const SCAN_OVERLAP = 128;

// The addon locator the scripts load libzmq with: a binary embeds the build
// that the scripts would load on its target.
export { addonFor, parseManifest } from "../lib/addon.ts";

/**
 * The `deno compile` permission flags for a script: its shebang's flags with
 * the `-P` set of deno.json spelled out, and the FFI scope moved to where the
 * binary named `name` sees its embedded node_modules. `logFile` replaces the
 * logger's ./log.txt scopes.
 *
 * @example
 * ```ts
 * compilePermissions(
 *   "#!/usr/bin/env -S deno run -q --no-prompt -P=log_cmd_basic",
 *   { log_cmd_basic: { ffi: ["./node_modules"], sys: ["hostname"] } },
 *   "log_cmd_basic",
 * );
 * // ["--allow-ffi=/tmp/deno-compile-log_cmd_basic/node_modules",
 * //  "--allow-sys=hostname"]
 * ```
 */
export function compilePermissions(
  shebang: string,
  sets: Record<string, Record<string, string[]>>,
  name: string,
  logFile?: string,
): string[] {
  const flags: string[] = [];
  const words = shebang.split(/\s+/);
  for (const word of words.slice(words.indexOf("run") + 1)) {
    const set = word.match(/^-P=(.+)$/)?.[1];
    if (set !== undefined) {
      if (!sets[set]) throw new Error(`deno.json has no permission set ${set}`);
      for (const [kind, values] of Object.entries(sets[set])) {
        const scoped = values.map((value) =>
          kind === "ffi" && value === "./node_modules"
            ? `${COMPILED_TMP}/deno-compile-${name}/node_modules`
            : value
        );
        flags.push(`--allow-${kind}=${scoped.join(",")}`);
      }
    } else if (word === "--no-prompt") {
      flags.push(word); // a missing permission is an error, never a question
    } else if (word.startsWith("--allow-")) {
      const [flag, values] = word.split("=");
      const scoped = values.split(",").map((value) =>
        logFile && value === "./log.txt" ? logFile : value
      );
      flags.push(`${flag}=${scoped.join(",")}`);
    }
  }
  return flags;
}

/**
 * The V8 flags of a script's shebang (`--v8-flags=...`), for `deno compile`,
 * which bakes them into the binary: the logger's filters need V8's
 * linear-time regexp engine (see lib/pattern.ts), in a binary as in a script.
 *
 * @example
 * ```ts
 * compileV8Flags(
 *   "#!/usr/bin/env -S deno run -q -P=logging_basic --v8-flags=--enable-experimental-regexp-engine,--enable-experimental-regexp-engine-on-excessive-backtracks",
 * );
 * // ["--v8-flags=--enable-experimental-regexp-engine,--enable-experimental-regexp-engine-on-excessive-backtracks"]
 * ```
 */
export function compileV8Flags(shebang: string): string[] {
  const words = shebang.split(/\s+/);
  return words.slice(words.indexOf("run") + 1)
    .filter((word) => word.startsWith("--v8-flags="));
}

/**
 * Paths to `--exclude`, relative to the project: every file of node_modules
 * that a binary for `target` does not need (other packages, zeromq's sources
 * and every other platform's addon).
 */
export function excludesFor(target: string): string[] {
  const zeromq = Deno.realPathSync(`${ROOT}node_modules/zeromq`);
  const addon = addonFor(
    target,
    parseManifest(Deno.readTextFileSync(`${zeromq}/build/manifest.json`)),
  );
  const keep = [
    ...ZEROMQ_KEEP,
    `build/${addon.path}`.replace(/\/[^/]+$/, ""), // the addon's directory
  ];
  const excludes: string[] = [];
  // Walk zeromq's tree: keep what is needed or leads to it, exclude the rest.
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(`${zeromq}/${dir}`)) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (keep.includes(path)) continue;
      if (keep.some((k) => k.startsWith(`${path}/`))) walk(path);
      else excludes.push(`${zeromq}/${path}`);
    }
  };
  walk("");
  // The other npm packages (zeromq's own build dependencies) are not used.
  // Their files are excluded one by one: deno compile keeps a package's main
  // file even when its directory is excluded.
  const store = `${ROOT}node_modules/.deno`;
  const files = (dir: string): string[] =>
    [...Deno.readDirSync(dir)].flatMap((entry) =>
      entry.isDirectory
        ? files(`${dir}/${entry.name}`)
        : [`${dir}/${entry.name}`]
    );
  for (const pkg of Deno.readDirSync(store)) {
    if (!pkg.isDirectory || pkg.name.startsWith("zeromq@")) continue;
    if (pkg.name === "node_modules") continue;
    excludes.push(...files(`${store}/${pkg.name}/node_modules`));
  }
  return excludes.map((path) => path.replace(ROOT, ""));
}

/** What an ELF header says about its program. */
export interface ElfInfo {
  /** 32 or 64 (EI_CLASS). */
  bits: 32 | 64;
  /** e_machine: 62 is x86_64, 183 is aarch64. */
  machine: number;
  /** e_type: 2 an executable, 3 a position-independent one (or a library). */
  type: number;
}

/**
 * Reads an ELF header (the first 20 bytes of a file suffice); undefined if the
 * bytes are not one (no `\x7fELF` magic, or a big-endian one, which no Deno
 * target is).
 *
 * @example
 * ```ts
 * const head = new Uint8Array(64);
 * Deno.openSync("/bin/true").readSync(head);
 * elfInfo(head); // { bits: 64, machine: 62, type: 3 } on x86_64
 * elfInfo(new TextEncoder().encode("#!/bin/sh\n")); // undefined
 * ```
 */
export function elfInfo(header: Uint8Array): ElfInfo | undefined {
  if (header.length < 20) return undefined;
  if (
    header[0] !== 0x7f || header[1] !== 0x45 || header[2] !== 0x4c ||
    header[3] !== 0x46
  ) return undefined;
  if (header[4] !== 1 && header[4] !== 2) return undefined; // EI_CLASS
  if (header[5] !== 1) return undefined; // EI_DATA: little-endian only
  const view = new DataView(header.buffer, header.byteOffset, header.length);
  return {
    bits: header[4] === 2 ? 64 : 32,
    type: view.getUint16(16, true),
    machine: view.getUint16(18, true),
  };
}

/**
 * Why a program with this ELF header cannot be the runtime of `target`, or
 * undefined if it can: it must be a 64-bit executable for the target's
 * architecture.
 *
 * @example
 * ```ts
 * checkElf({ bits: 64, machine: 62, type: 3 }, "aarch64-unknown-linux-gnu");
 * // "is an x86_64 program, and the target is aarch64"
 * checkElf({ bits: 64, machine: 183, type: 3 }, "aarch64-unknown-linux-gnu");
 * // undefined
 * ```
 */
export function checkElf(elf: ElfInfo, target: string): string | undefined {
  const arch = target.split("-")[0];
  if (elf.type !== 2 && elf.type !== 3) {
    return "is not an executable program, so not a Deno runtime";
  }
  if (elf.bits !== 64 || elf.machine !== ELF_MACHINES[arch]) {
    const name = ELF_MACHINE_NAMES[elf.machine] ?? `machine ${elf.machine}`;
    const what = elf.bits === 64 ? name : `32-bit ${name}`;
    return `is ${
      /^[aeiou]|^x86/.test(what) ? "an" : "a"
    } ${what} program, and the target is ${arch}`;
  }
  return undefined;
}

/** What a scan of a whole file found. */
export interface RuntimeScan {
  /** Whether it holds `CLI_MARKER`: it is the full deno CLI. */
  cli: boolean;
  /** The versions in its `Deno/<version>` user agents; none: not Deno. */
  versions: string[];
}

/**
 * Scans a file (a runtime is about 100 MB) in chunks for the full CLI's
 * marker and Deno's user agent, without holding it in memory.
 *
 * @example
 * ```ts
 * scanRuntime(Deno.execPath());
 * // { cli: true, versions: ["2.9.5"] }
 * scanRuntime("/bin/true"); // { cli: false, versions: [] }
 * ```
 */
export function scanRuntime(path: string): RuntimeScan {
  const cliMarker = Buffer.from(CLI_MARKER);
  const agent = Buffer.from(USER_AGENT);
  const versions = new Set<string>();
  let cli = false;
  using file = Deno.openSync(path);
  const buffer = Buffer.alloc(SCAN_OVERLAP + SCAN_CHUNK);
  let kept = 0; // bytes at the start of buffer carried from the last chunk
  let first = true;
  while (true) {
    let filled = kept;
    // Fill the chunk; a read may return fewer bytes than asked.
    let end = false;
    while (filled < buffer.length) {
      const n = file.readSync(buffer.subarray(filled));
      if (n === null) {
        end = true;
        break;
      }
      filled += n;
    }
    const window = buffer.subarray(0, filled);
    if (!cli && window.includes(cliMarker)) cli = true;
    // A user agent is read where its whole version is in this window; one
    // nearer the end is read again from the next window, which keeps it.
    const last = end ? filled : filled - SCAN_OVERLAP + 1;
    for (
      let at = window.indexOf(agent, first ? 0 : 1);
      at !== -1 && at < last;
      at = window.indexOf(agent, at + 1)
    ) {
      if (at > 0 && window[at - 1] === 0x2d) continue; // "...-Deno/"
      const version = window.subarray(at + agent.length, at + 40)
        .toString("latin1").match(/^(\d+\.\d+\.\d+)/)?.[1];
      if (version) versions.add(version);
    }
    if (end) break;
    // Keep the tail: the byte before a marker and the marker itself.
    window.copy(buffer, 0, filled - SCAN_OVERLAP);
    kept = SCAN_OVERLAP;
    first = false;
  }
  return { cli, versions: [...versions] };
}

/**
 * Why the file at `path` cannot be the runtime (denort) that `deno compile`
 * joins a program to for `target`, in words that follow "DENORT_BIN <path>";
 * or undefined if it can. It must be a readable file, a 64-bit ELF program for
 * the target's architecture, not the full deno CLI (whose binary only starts a
 * REPL), a Deno runtime, and of `denoVersion`, the Deno that compiles.
 *
 * @example
 * ```ts
 * checkRuntime(Deno.execPath(), Deno.build.target, Deno.version.deno);
 * // "is the deno CLI, not its runtime denort: take denort from the release
 * //  zip denort-x86_64-unknown-linux-gnu.zip of the same Deno version"
 * checkRuntime("/bin/true", "aarch64-unknown-linux-gnu", "2.9.5");
 * // "is an x86_64 program, and the target is aarch64"
 * ```
 */
export function checkRuntime(
  path: string,
  target: string,
  denoVersion: string,
): string | undefined {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "does not exist";
    return `cannot be read: ${(err as Error).message}`;
  }
  if (!info.isFile) return "is not a file";
  const header = new Uint8Array(64);
  try {
    using file = Deno.openSync(path);
    file.readSync(header);
  } catch (err) {
    return `cannot be read: ${(err as Error).message}`;
  }
  const elf = elfInfo(header);
  if (!elf) return "is not a Deno runtime: not an ELF program";
  const wrong = checkElf(elf, target);
  if (wrong) return wrong;
  const scan = scanRuntime(path);
  if (scan.cli) {
    return `is the deno CLI, not its runtime denort: take denort from the release zip denort-${target}.zip of the same Deno version`;
  }
  if (scan.versions.length === 0) return "is not a Deno runtime";
  if (!scan.versions.includes(denoVersion)) {
    const newest = scan.versions.toSorted((a, b) =>
      b.localeCompare(a, "en", { numeric: true })
    )[0];
    return `is denort ${newest}, and this Deno is ${denoVersion}`;
  }
  return undefined;
}

/**
 * Why `name` cannot be a binary's installed name, or undefined if it can: a
 * plain file name (letters, digits, `.`, `_`, `+`, `-`; no `/`; not `.` or
 * `..`; not starting with `-`). It also names the binary's FFI scope
 * `/tmp/deno-compile-<name>/node_modules`.
 *
 * @example
 * ```ts
 * checkName("zmq-logger"); // undefined
 * checkName("bin/zmq-logger");
 * // "must be a plain file name (letters, digits, '.', '_', '+', '-'): current value is bin/zmq-logger"
 * ```
 */
export function checkName(name: string): string | undefined {
  if (/^[A-Za-z0-9._+][A-Za-z0-9._+-]*$/.test(name) && !/^\.\.?$/.test(name)) {
    return undefined;
  }
  return `must be a plain file name (letters, digits, '.', '_', '+', '-'): current value is ${name}`;
}

/** A size in bytes for people: "2.1 MB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function printUsage() {
  console.log(`Builds standalone binaries under dist/<target>/.

Usage: deno task compile [options]

Options:
  --target TARGET   ${TARGETS.join(" or ")}, or "all"
                    (default: this machine's, ${Deno.build.target})
  --file PATH       the compiled logger writes PATH instead of ./log.txt
                    (its write and read permissions name PATH)
  --output DIR      put the binaries under DIR/<target>/ (default: dist)
  --logger-name NAME  name the logger binary NAME (default: logging_basic)
  --sender-name NAME  name the sender binary NAME (default: log_cmd_basic)
                    (a binary must keep the name it was built with: its FFI
                    permission names /tmp/deno-compile-<name>/)
  -h, --help        show this help

Set DENORT_BIN to a denort for the target where Deno cannot download one;
it must be denort ${Deno.version.deno} for the target, which is checked first.`);
}

/** A built binary and what deno compile said it embeds ("2.04MB"). */
interface Built {
  path: string;
  embedded: string;
}

/** Builds one binary, or throws with deno's reason. */
async function compileOne(
  script: string,
  target: string,
  logFile: string | undefined,
  dist: string,
  name: string,
): Promise<Built> {
  const source = `${ROOT}${script}.ts`;
  const shebang = Deno.readTextFileSync(source).split("\n")[0];
  const sets = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`))
    .permissions;
  const output = `${dist}/${target}/${name}`;
  const args = [
    "compile",
    "--frozen",
    "--target",
    target,
    "--output",
    output,
    ...compilePermissions(shebang, sets, name, logFile),
    ...compileV8Flags(shebang),
    ...excludesFor(target).flatMap((path) => ["--exclude", path]),
    source,
    // Script arguments given here are baked in, before the user's own.
    ...(logFile && script === "logging_basic" ? ["--file", logFile] : []),
  ];
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (!success) {
    const text = new TextDecoder().decode(stderr);
    if (/dl\.deno\.land/.test(text)) {
      throw new Error(
        `Deno cannot download its runtime (denort) for ${target} from dl.deno.land: set DENORT_BIN to a local denort ${Deno.version.deno} for ${target}`,
      );
    }
    // deno says "error: <what it was doing>", then "Caused by:" and the why.
    const lines = text.trim().split("\n").map((line) => line.trim());
    const error = lines.find((line) => line.startsWith("error:")) ??
      lines.at(-1) ?? "no output";
    const causes = lines.slice(lines.indexOf("Caused by:") + 1)
      .filter((line, i, all) =>
        /^\d+: /.test(line) && !all.slice(0, i).includes("Stack backtrace:")
      )
      .map((line) => line.replace(/^\d+: /, ""));
    throw new Error(
      lines.includes("Caused by:") && causes.length > 0
        ? causes.join(": ")
        : error.replace(/^error: /, ""),
    );
  }
  const said = new TextDecoder().decode(stdout) +
    new TextDecoder().decode(stderr);
  return { path: output, embedded: said.match(/^Files: (\S+)/m)?.[1] ?? "?" };
}

async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        target: { type: "string" },
        file: { type: "string" },
        output: { type: "string", default: DIST },
        "logger-name": { type: "string", default: "logging_basic" },
        "sender-name": { type: "string", default: "log_cmd_basic" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    console.error(`compile: ${(err as Error).message}`);
    return 2;
  }
  if (values.help) {
    printUsage();
    return 0;
  }
  const target = values.target ?? Deno.build.target;
  const targets = target === "all" ? TARGETS : [target];
  if (!targets.every((t) => TARGETS.includes(t))) {
    console.error(
      `compile: '--target' must be ${
        TARGETS.join(", ")
      } or all: current value is ${target}`,
    );
    return 2;
  }
  if (values.file === "") {
    console.error("compile: '--file' must name a file: current value is ''");
    return 2;
  }
  const names: Record<string, string> = {
    logging_basic: values["logger-name"],
    log_cmd_basic: values["sender-name"],
  };
  for (const option of ["logger-name", "sender-name"] as const) {
    const wrong = checkName(values[option]);
    if (wrong) {
      console.error(`compile: '--${option}' ${wrong}`);
      return 2;
    }
  }
  if (names.logging_basic === names.log_cmd_basic) {
    console.error(
      `compile: '--logger-name' and '--sender-name' must differ: both are ${names.logging_basic}`,
    );
    return 2;
  }
  // Every target's runtime is checked before anything is built.
  const denort = Deno.env.get("DENORT_BIN");
  if (denort) {
    for (const t of targets) {
      const wrong = checkRuntime(denort, t, Deno.version.deno);
      if (wrong) {
        console.error(
          `compile: cannot build for ${t}: DENORT_BIN ${denort} ${wrong}`,
        );
        return 1;
      }
    }
  }
  const built: Built[] = [];
  for (const t of targets) {
    for (const script of SCRIPTS) {
      try {
        built.push(
          await compileOne(
            script,
            t,
            values.file,
            values.output,
            names[script],
          ),
        );
      } catch (err) {
        console.error(
          `compile: cannot build ${script} for ${t}: ${(err as Error).message}`,
        );
        return 1;
      }
    }
  }
  for (const { path, embedded } of built) {
    console.log(
      `${path.padEnd(44)} ${
        formatSize(Deno.statSync(path).size).padStart(8)
      }  (embedded files ${embedded})`,
    );
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
