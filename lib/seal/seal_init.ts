/**
 * `--seal-init`: makes a new chain's first key, keeps it as the sealing
 * state (`LOG.seal-key`, mode 0600) and prints it once as the verification
 * key, for the auditor to keep off this machine (as `journalctl
 * --setup-keys` does). It refuses to replace a chain that is there.
 *
 * @example
 * ```ts
 * import { initSeal } from "./seal_init.ts";
 * initSeal("./log.txt", "logging_basic"); // prints "zseal1-..."
 * ```
 *
 * @module
 */

import { describe } from "../base/errors.ts";
import { formatVerifyKey, newKey } from "./chain.ts";
import { keyPath, sealPath } from "./seal_options.ts";
import { createState } from "./state.ts";
import { exists } from "./seal_files.ts";

/**
 * Makes the sealing key of the log at `file` and prints the verification
 * key on stdout (what to do with it on stderr).
 */
export function initSeal(file: string, program: string): void {
  const key = keyPath(file);
  const seal = sealPath(file);
  if (exists(key)) {
    throw new Error(
      `Cannot make a sealing key: ${key} is there already (the chain goes on from it); to start a new chain, move ${file}, ${seal} and ${key} aside first`,
    );
  }
  if (exists(seal)) {
    throw new Error(
      `Cannot make a sealing key: ${seal} is there, the seal file of another chain; move ${file} and ${seal} aside first (they verify with that chain's key)`,
    );
  }
  const first = newKey();
  try {
    createState(key, first);
  } catch (err) {
    throw new Error(`Cannot make a sealing key at ${key}: ${describe(err)}`);
  }
  console.log(formatVerifyKey(first));
  console.error(
    `${program}: the sealing key is in ${key} (mode 0600) and moves on with each seal; the verification key above is printed this once: keep it off this machine, where an attacker cannot read it (with it, --verify --verify-key checks ${file}, and anyone could forge seals)`,
  );
}
