/**
 * The command line of sealing: `--seal`, `--seal-init`, `--verify` with
 * `--verify-key`, where the seal file and the sealing key are kept, and
 * whether Deno may use them (checked before anything is opened, with the
 * command that would let it). Small, so the command line reads these
 * options without loading the sealer or the verifier.
 *
 * @example
 * ```ts
 * import { sealPath, keyPath } from "./seal_options.ts";
 * sealPath("./log.txt"); // "./log.txt.seal"
 * keyPath("./log.txt"); // "./log.txt.seal-key"
 * ```
 *
 * @module
 */

import { UsageError } from "../base/errors.ts";
import { loggerRunCommand } from "../log/file_hints.ts";

/** The seal file, beside the log: LOG.seal. */
export const SEAL_SUFFIX = ".seal";

/** The sealing state (the current key), beside the log: LOG.seal-key. */
export const KEY_SUFFIX = ".seal-key";

/**
 * The seal file of the log at `log`.
 *
 * @example
 * ```ts
 * sealPath("/var/log/zmq/log.txt"); // "/var/log/zmq/log.txt.seal"
 * ```
 */
export function sealPath(log: string): string {
  return `${log}${SEAL_SUFFIX}`;
}

/**
 * The sealing state of the log at `log`.
 *
 * @example
 * ```ts
 * keyPath("./log.txt"); // "./log.txt.seal-key"
 * ```
 */
export function keyPath(log: string): string {
  return `${log}${KEY_SUFFIX}`;
}

/**
 * Where the seal file of a log may be, first found first: LOG.seal, and for
 * a log logrotate renamed (`log.txt.1`, `log.txt.2.gz`, `log.txt-20261203`)
 * the seal file renamed with it (`log.txt.seal.1`, ...).
 *
 * @example
 * ```ts
 * sealCandidates("log.txt.2.gz"); // ["log.txt.2.gz.seal", "log.txt.seal.2.gz"]
 * ```
 */
export function sealCandidates(log: string): string[] {
  const rotated = /^(.+?)((?:[.-]\d+)+(?:\.gz)?)$/.exec(log);
  const candidates = [sealPath(log)];
  if (rotated) candidates.push(`${rotated[1]}${SEAL_SUFFIX}${rotated[2]}`);
  return candidates;
}

/** How a verification key starts: the scheme and its version. */
export const VERIFY_KEY_PREFIX = "zseal1-";

/**
 * Refuses a `--verify-key` that is not of the form `--seal-init` prints.
 * The value is a secret, so a wrong one is described, not repeated.
 *
 * @example
 * ```ts
 * checkVerifyKey("abc"); // throws UsageError
 * ```
 */
export function checkVerifyKey(text: string): void {
  const prefixed = text.startsWith(VERIFY_KEY_PREFIX);
  if (
    prefixed && /^[A-Za-z0-9_-]{43}$/.test(text.slice(VERIFY_KEY_PREFIX.length))
  ) {
    return;
  }
  throw new UsageError(
    `Cannot verify as '--verify-key' must be the key --seal-init printed (${VERIFY_KEY_PREFIX} and 43 characters of base64url): current value has ${text.length} characters${
      prefixed ? "" : ` and does not start with ${VERIFY_KEY_PREFIX}`
    } (not shown: it is secret)`,
  );
}

/** What sealing was asked for. */
export interface SealOptions {
  /** `--seal`: seal what the logger writes. */
  seal: boolean;
  /** `--verify`: the logs to verify, oldest first. */
  verify?: string[];
  /** `--verify-key`, as given (lib/seal/chain.ts reads it). */
  verifyKey?: string;
}

/** The flags of sealing, as parseArgs reads them. */
export interface SealFlags {
  seal?: boolean;
  "seal-init"?: boolean;
  verify?: boolean;
  "verify-key"?: string;
  file: string;
}

/**
 * The modes of sealing the flags ask for, as flags (to refuse two modes).
 *
 * @example
 * ```ts
 * sealModes({ verify: true, file: "./log.txt" }); // ["--verify"]
 * ```
 */
export function sealModes(flags: SealFlags): string[] {
  return [
    ...(flags["seal-init"] ? ["--seal-init"] : []),
    ...(flags.verify ? ["--verify"] : []),
  ];
}

/**
 * The mode of sealing the flags ask for, if any.
 *
 * @example
 * ```ts
 * sealMode({ "seal-init": true, file: "./log.txt" }); // "seal-init"
 * ```
 */
export function sealMode(
  flags: SealFlags,
): "seal-init" | "verify" | undefined {
  return flags["seal-init"] ? "seal-init" : flags.verify ? "verify" : undefined;
}

/**
 * Reads the sealing flags for `mode`; refuses what goes with another mode.
 *
 * @example
 * ```ts
 * parseSealOptions({ seal: true, file: "./log.txt" }, "serve", ["--seal"]).seal; // true
 * ```
 */
export function parseSealOptions(
  flags: SealFlags,
  mode: string,
  args: string[],
): SealOptions {
  if (flags.seal && mode !== "serve") {
    throw new UsageError(
      "'--seal' goes with listening: remove it from --show, --stats, --set-level, --status, --reopen, --keygen, --seal-init or --verify",
    );
  }
  if (flags["verify-key"] !== undefined && !flags.verify) {
    throw new UsageError(
      "'--verify-key' goes with --verify: add --verify to check a sealed log",
    );
  }
  if (flags["seal-init"]) checkAlone(args);
  if (!flags.verify) return { seal: flags.seal === true };
  if (flags["verify-key"] === undefined) {
    throw new UsageError(
      "Cannot verify as '--verify' needs '--verify-key' (the key --seal-init printed)",
    );
  }
  checkVerifyKey(flags["verify-key"]);
  return {
    seal: false,
    verify: verifyFiles(args, flags.file),
    verifyKey: flags["verify-key"],
  };
}

/** `--seal-init` takes `--file` and nothing else. */
function checkAlone(args: string[]): void {
  const others = args.filter((arg, i) =>
    arg !== "--seal-init" && !isFileArg(arg) && !isFileArg(args[i - 1] ?? "")
  );
  if (others.length > 0) {
    throw new UsageError(
      `'--seal-init' takes only --file: it makes the sealing key and exits; current extra arguments are ${
        JSON.stringify(others.join(" "))
      }`,
    );
  }
}

/** `--file` or `-f` alone (its value is the next argument). */
function isFileArg(arg: string): boolean {
  return arg === "--file" || arg === "-f";
}

/**
 * The logs `--verify` reads: each `--file`, in the order given (oldest
 * first), or the default one.
 */
function verifyFiles(args: string[], last: string): string[] {
  const files: string[] = [];
  for (let i = 0; i < args.length && args[i] !== "--"; i++) {
    const arg = args[i];
    if (isFileArg(arg)) files.push(args[++i]);
    else if (arg.startsWith("--file=")) files.push(arg.slice(7));
    else if (/^-f./.test(arg)) files.push(arg.slice(2));
  }
  if (files.length === 0) return [last];
  if (files.at(-1) !== last) {
    throw new UsageError(
      "Cannot verify as its files could not be read from the command line: give each as --file PATH",
    );
  }
  return files;
}

/**
 * Why Deno may not do what sealing asks, with the command that would let
 * it; undefined when it may. `--seal` and `--seal-init` read and write the
 * seal file and the key (and, with `--forward`, the
 * forwarding places of the log and the seal file); `--verify` reads each log and its seal file.
 *
 * @example
 * ```ts
 * sealPermissionProblem("./log.txt", { seal: true }, undefined);
 * // "Cannot seal ./log.txt as Deno may not read and write ./log.txt.seal ...; start the logger as: deno run ..."
 * ```
 */
export function sealPermissionProblem(
  file: string,
  options: SealOptions,
  forward?: { net: string; places: string[] },
  args: string[] = Deno.args,
): string | undefined {
  const reads = options.verify === undefined
    ? [sealPath(file), keyPath(file), ...(forward?.places ?? [])]
    : options.verify.flatMap((log) => [log, ...sealCandidates(log)]);
  const writes = options.verify === undefined ? reads : [];
  const missing = [
    ...reads.filter((path) => !granted("read", path)),
    ...writes.filter((path) => !granted("write", path)),
  ];
  if (missing.length === 0) return undefined;
  const what = options.verify === undefined
    ? `seal ${file} as Deno may not read and write ${reads.join(" and ")}`
    : `verify as Deno may not read ${[...new Set(missing)].join(" and ")}`;
  if (Deno.build.standalone) {
    return `Cannot ${what}: this binary's permissions were fixed when it was built; run logging_basic.ts with deno run (see docs/seal.md)`;
  }
  const command = options.verify === undefined
    ? loggerRunCommand({
      write: [file, `${file}.ctl`, ...writes],
      read: [file, "./keys", ...reads],
      net: forward?.net,
    }, args)
    : loggerRunCommand(
      { write: [], read: reads },
      args.map((arg, i) => args[i - 1] === "--verify-key" ? "KEY" : arg)
        .map((arg) =>
          arg.startsWith("--verify-key=") ? "--verify-key=KEY" : arg
        ),
    );
  const key = options.verify === undefined
    ? ""
    : " (KEY: the verification key, not repeated here)";
  return `Cannot ${what}; run it as: ${command}${key}`;
}

/** Whether Deno was given `name` permission for `path`. */
function granted(name: "read" | "write", path: string): boolean {
  return Deno.permissions.querySync({ name, path }).state === "granted";
}
