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

import { parseArgs } from "node:util";
import { addonFor, parseManifest } from "../lib/zmq/addon.ts";
import { checkRuntime } from "./denort.ts";

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

// The addon locator the scripts load libzmq with: a binary embeds the build
// that the scripts would load on its target.
export { addonFor, parseManifest } from "../lib/zmq/addon.ts";
// The checks of a DENORT_BIN, in a module of their own.
export {
  checkElf,
  checkRuntime,
  CLI_MARKER,
  elfInfo,
  SCAN_CHUNK,
  SCAN_OVERLAP,
  scanRuntime,
} from "./denort.ts";

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
        logFile && (value === "./log.txt" || value === "./log.txt.ctl")
          ? logFile + value.slice("./log.txt".length) // and its control socket
          : value
      );
      flags.push(`${flag}=${scoped.join(",")}`);
    }
  }
  return flags;
}

/**
 * The V8 flags of a script's shebang (`--v8-flags=...`), for `deno compile`,
 * which bakes them into the binary: the logger's filters need V8's
 * linear-time regexp engine (see lib/log/pattern.ts), in a binary as in a script.
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

/** What went wrong, in one line after "compile: ", and the exit status. */
class CompileProblem extends Error {
  constructor(message: string, readonly status: 1 | 2) {
    super(message);
  }
}

/** The command line, checked: what to build, for which targets, named how. */
interface CompileRequest {
  targets: string[];
  file?: string;
  output: string;
  /** The installed name of each script's binary, by script. */
  names: Record<string, string>;
}

/** Reads the command line; undefined for --help; a CompileProblem (2) if wrong. */
function parseCompileArgs(args: string[]): CompileRequest | undefined {
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
    throw new CompileProblem((err as Error).message, 2);
  }
  if (values.help) return undefined;
  const target = values.target ?? Deno.build.target;
  const targets = target === "all" ? TARGETS : [target];
  if (!targets.every((t) => TARGETS.includes(t))) {
    throw new CompileProblem(
      `'--target' must be ${
        TARGETS.join(", ")
      } or all: current value is ${target}`,
      2,
    );
  }
  if (values.file === "") {
    throw new CompileProblem(
      "'--file' must name a file: current value is ''",
      2,
    );
  }
  for (const option of ["logger-name", "sender-name"] as const) {
    const wrong = checkName(values[option]);
    if (wrong) throw new CompileProblem(`'--${option}' ${wrong}`, 2);
  }
  if (values["logger-name"] === values["sender-name"]) {
    throw new CompileProblem(
      `'--logger-name' and '--sender-name' must differ: both are ${
        values["logger-name"]
      }`,
      2,
    );
  }
  return {
    targets,
    file: values.file,
    output: values.output,
    names: {
      logging_basic: values["logger-name"],
      log_cmd_basic: values["sender-name"],
    },
  };
}

/** Refuses (1), before anything is built, a DENORT_BIN unfit for a target. */
function checkRuntimes(targets: string[]): void {
  const denort = Deno.env.get("DENORT_BIN");
  if (!denort) return;
  for (const t of targets) {
    const wrong = checkRuntime(denort, t, Deno.version.deno);
    if (wrong) {
      throw new CompileProblem(
        `cannot build for ${t}: DENORT_BIN ${denort} ${wrong}`,
        1,
      );
    }
  }
}

async function main(args: string[]): Promise<number> {
  try {
    const request = parseCompileArgs(args);
    if (request === undefined) {
      printUsage();
      return 0;
    }
    checkRuntimes(request.targets);
    const built: Built[] = [];
    for (const t of request.targets) {
      for (const script of SCRIPTS) {
        try {
          built.push(
            await compileOne(
              script,
              t,
              request.file,
              request.output,
              request.names[script],
            ),
          );
        } catch (err) {
          throw new CompileProblem(
            `cannot build ${script} for ${t}: ${(err as Error).message}`,
            1,
          );
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
  } catch (err) {
    if (!(err instanceof CompileProblem)) throw err;
    console.error(`compile: ${err.message}`);
    return err.status;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
