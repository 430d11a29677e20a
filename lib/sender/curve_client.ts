/**
 * A sender's CurveZMQ keys from its command line: the logger's public key
 * and this sender's key pair. Loaded only when `--curve-server-key` is
 * given.
 *
 * @example
 * ```ts
 * import { senderCurve } from "./curve_client.ts";
 * senderCurve({ curveServerKey: "keys/logger.pub" })?.serverKey; // the logger's public key
 * ```
 *
 * @module
 */

import { UsageError } from "../base/errors.ts";
import { isKey, KEYS_DIR, readKeyFile } from "../curve/keys.ts";
import { curveKeyPair } from "../zmq/sockets.ts";
import type { SenderCurve } from "./handshake.ts";

const PROGRAM = "log_cmd_basic";

/**
 * The CurveZMQ keys the command line names: the logger's public key (given,
 * or read from its file) and this sender's pair (read, or made for this run).
 * A `--curve-server-key` that is neither a key nor a file is a usage error.
 */
export function senderCurve(
  options: { curveServerKey?: string; curveKey?: string },
): SenderCurve | undefined {
  if (options.curveServerKey === undefined) return undefined;
  const given = options.curveServerKey;
  if (!isKey(given) && !mayBeFile(given)) {
    throw new UsageError(
      `Cannot send as '--curve-server-key' must be the logger's public key (40 characters of Z85) or a file in ${KEYS_DIR} that holds it: current value is ${
        JSON.stringify(given)
      }`,
    );
  }
  const serverKey = isKey(given)
    ? given
    : readKeyFile(given, "--curve-server-key", false, PROGRAM).publicKey;
  const own = options.curveKey === undefined
    ? curveKeyPair()
    : readKeyFile(options.curveKey, "--curve-key", true, PROGRAM);
  return { serverKey, publicKey: own.publicKey, secretKey: own.secretKey! };
}

/**
 * Whether `value` may name a key file: it exists, or it is written as a path
 * (with a `/` or a file name's extension) that Deno may not look at. A bare
 * word such as `notakey` outside ./keys is taken for a mistyped key.
 */
function mayBeFile(value: string): boolean {
  try {
    Deno.statSync(value);
    return true;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotCapable)) return false;
    return /^(\/|\.\.?\/|~)/.test(value) || /\.[A-Za-z]{1,5}$/.test(value);
  }
}
