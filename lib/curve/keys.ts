/**
 * CurveZMQ keys and the logger's allow-list of sender keys.
 *
 * Key files use czmq's zcert format, so keys made by its tools work too. A
 * secret file holds both keys; the public key alone goes to the other side.
 * Key files are read from {@link KEYS_DIR} only: that is all the scripts'
 * shebangs let Deno read besides the log.
 *
 * @example
 * ```ts
 * import { formatKeyFile, parseKeyFile } from "./keys.ts";
 * const text = formatKeyFile({ publicKey: PUBLIC, secretKey: SECRET }, "2026-11-24T10:00:00Z");
 * parseKeyFile(text); // { publicKey: PUBLIC, secretKey: SECRET }
 * ```
 *
 * @module
 */

import { describe } from "../base/errors.ts";
import { curveKeyPair, curvePublicKey } from "../zmq/sockets.ts";

/** Where the scripts may read key files: their shebangs' --allow-read. */
export const KEYS_DIR = "./keys";

/** A CurveZMQ key pair (or a public key alone), as 40 characters of Z85. */
export interface CurveKeys {
  publicKey: string;
  secretKey?: string;
}

const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

/** Whether `text` is a CurveZMQ key in Z85 (40 characters). */
export function isKey(text: string): boolean {
  return Z85_KEY.test(text);
}

/**
 * The text of a secret key file, in czmq's zcert format.
 *
 * @example
 * ```ts
 * formatKeyFile({ publicKey: "...", secretKey: "..." }, "2026-11-24T10:00:00Z");
 * // "#   ****  Generated on 2026-11-24T10:00:00Z by zmqlog --keygen  ****\n..."
 * ```
 */
export function formatKeyFile(keys: Required<CurveKeys>, made: string): string {
  return [
    `#   ****  Generated on ${made} by zmqlog --keygen  ****`,
    "#   ZeroMQ CURVE **Secret** Certificate",
    "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.",
    "",
    "metadata",
    "curve",
    `    public-key = "${keys.publicKey}"`,
    `    secret-key = "${keys.secretKey}"`,
    "",
  ].join("\n");
}

/**
 * The keys in a key file's text (zcert format: `public-key = "..."` and, in
 * a secret file, `secret-key = "..."`), or a bare public key on a line.
 *
 * @example
 * ```ts
 * parseKeyFile('curve\n    public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"\n');
 * // { publicKey: "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7" }
 * ```
 */
export function parseKeyFile(text: string): CurveKeys | undefined {
  const field = (name: string) =>
    text.match(new RegExp(`^\\s*${name}\\s*=\\s*"([^"]*)"\\s*$`, "m"))?.[1];
  const publicKey = field("public-key") ??
    text.split("\n").map((line) => line.trim()).find(isKey);
  const secretKey = field("secret-key");
  if (publicKey === undefined || !isKey(publicKey)) return undefined;
  if (secretKey !== undefined && !isKey(secretKey)) return undefined;
  return secretKey === undefined ? { publicKey } : { publicKey, secretKey };
}

/**
 * The text of a file of keys given to `flag`, or one line on why not. Only
 * a regular file of this user (or root) is read: a FIFO would block the
 * reader until someone writes to it, and another user could have planted
 * the file in a shared directory.
 */
export function readKeyText(path: string, flag: string): string {
  try {
    const problem = notAKeyFile(Deno.statSync(path));
    if (problem !== undefined) throw new KeyFileProblem(problem);
    return Deno.readTextFileSync(path);
  } catch (err) {
    const why = err instanceof Deno.errors.NotCapable
      ? `Deno may read key files only in ${KEYS_DIR}/ (the shebang's --allow-read), so keep them there`
      : err instanceof Deno.errors.NotFound
      ? "there is no such file"
      : describe(err);
    throw new Error(`Cannot read '${flag}' ${path}: ${why}`);
  }
}

class KeyFileProblem extends Error {}

/** Why a file (as stat sees it, through links) is not one to read keys from. */
function notAKeyFile(info: Deno.FileInfo): string | undefined {
  if (!info.isFile) {
    const kind = info.isFifo
      ? "a FIFO"
      : info.isDirectory
      ? "a directory"
      : info.isSocket
      ? "a socket"
      : "a device";
    return `it is ${kind}, not a regular file`;
  }
  const own = ownUserId();
  if (
    own !== undefined && info.uid !== null && info.uid !== own && info.uid !== 0
  ) {
    return `it belongs to another user (uid ${info.uid}; this runs as uid ${own}), who could change the keys it holds: give it to this user (chown), or remove it`;
  }
  return undefined;
}

/** This process's user id, where Deno may tell it (--allow-sys=uid). */
function ownUserId(): number | undefined {
  try {
    return Deno.uid() ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads the key file given to `flag`; with `secret`, it must hold a matching
 * key pair. Explains in one line what is wrong with it; warns `program`'s
 * user on stderr when others may read a secret key.
 *
 * @example
 * ```ts
 * readKeyFile("keys/logger.key", "--curve-key", true, "logging_basic").secretKey;
 * ```
 */
export function readKeyFile(
  path: string,
  flag: string,
  secret: boolean,
  program: string,
): CurveKeys {
  const keys = parseKeyFile(readKeyText(path, flag));
  if (keys === undefined) {
    throw new Error(
      `Cannot use '${flag}' as it holds no CurveZMQ public-key: current value is ${path}`,
    );
  }
  if (secret && keys.secretKey === undefined) {
    throw new Error(
      `Cannot use '${flag}' as it holds no secret-key (a public key file?): current value is ${path}`,
    );
  }
  if (keys.secretKey !== undefined) warnIfShared(path, flag, program);
  if (
    keys.secretKey !== undefined &&
    curvePublicKey(keys.secretKey) !== keys.publicKey
  ) {
    throw new Error(
      `Cannot use '${flag}' as its public-key does not belong to its secret-key: current value is ${path}`,
    );
  }
  return keys;
}

/** Warns on stderr when users other than the owner may read a secret key. */
/** Warns on stderr when users other than the owner may read a secret key. */
function warnIfShared(path: string, flag: string, program: string): void {
  const mode = Deno.statSync(path).mode;
  if (mode !== null && (mode & 0o077) !== 0) {
    console.error(
      `${program}: warning: '${flag}' ${path} holds a secret key that other users may read (mode ${
        (mode & 0o777).toString(8)
      }): chmod 600 ${path}`,
    );
  }
}

/**
 * Prints a new key pair file on stdout and its public key on stderr, for
 * `--keygen`.
 *
 * @example
 * ```ts
 * printNewKeys("log_cmd_basic"); // the file on stdout; "log_cmd_basic: new CurveZMQ key pair; ..." on stderr
 * ```
 */
export function printNewKeys(program: string): void {
  const keys = curveKeyPair();
  console.log(formatKeyFile(keys, new Date().toISOString()).trimEnd());
  console.error(
    `${program}: new CurveZMQ key pair; keep its file secret (chmod 600). Its public key, for the other side: ${keys.publicKey}`,
  );
}

/**
 * The sender public keys of an allow-list file: one Z85 key per line, with
 * an optional name after it (used in the log); `#` starts a comment line.
 *
 * @example
 * ```ts
 * parseAllowList("# kitchen\nrq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7 pi-kitchen\n");
 * // Map { "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7" => "pi-kitchen" }
 * ```
 */
export function parseAllowList(text: string): Map<string, string> {
  const keys = new Map<string, string>();
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    const [key, ...name] = line.split(/\s+/);
    if (isKey(key)) {
      keys.set(key, name.join(" ") || key);
    } else if (line !== "" && !line.startsWith("#")) {
      throw new Error(
        `Cannot use '--curve-allow' as its line ${
          i + 1
        } is not a public key (40 characters of Z85): current value is ${
          JSON.stringify(line)
        }`,
      );
    }
  });
  return keys;
}

/**
 * Reads the allow-list file, or explains in one line what is wrong with it.
 *
 * @example
 * ```ts
 * readAllowList("keys/allowed.txt").size; // 3
 * ```
 */
export function readAllowList(path: string): Map<string, string> {
  const keys = parseAllowList(readKeyText(path, "--curve-allow"));
  if (keys.size === 0) {
    throw new Error(
      `Cannot use '--curve-allow' as it lists no public key: current value is ${path}`,
    );
  }
  return keys;
}
