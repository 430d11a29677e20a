/**
 * The sealing keys and MACs: a key is 32 random bytes (Web Crypto's
 * `crypto.getRandomValues`); key i+1 is SHA-256 of a fixed label and key i,
 * so a key can be derived forward and never back (whoever holds key j can
 * make no MAC of an earlier record); a record's MAC is HMAC-SHA-256 with the
 * key of its number. The first key, printed once by `--seal-init` as the
 * verification key, derives every other.
 *
 * SHA-256 and HMAC-SHA-256 are Deno's own, through its `node:crypto`
 * (`createHash`, `createHmac`; the same native code as Web Crypto's, which
 * chain_test.ts holds them to): they answer at once, where each
 * `crypto.subtle` call waits for a thread of Deno's pool, and under load
 * those waits halved the logger's throughput (docs/seal.md, Cost).
 *
 * @example
 * ```ts
 * import { formatVerifyKey, keyAt, mac, newKey } from "./chain.ts";
 * const first = newKey();
 * formatVerifyKey(first); // "zseal1-..."
 * mac(keyAt(first, 3), "what record 3 says"); // 64 hex digits
 * ```
 *
 * @module
 */

import { createHash, createHmac } from "node:crypto";
import { checkVerifyKey, VERIFY_KEY_PREFIX } from "./seal_options.ts";

/** The length of a key, in bytes. */
export const KEY_BYTES = 32;

/** The chain value before the first record: 64 zeros. */
export const FIRST_PREV = "0".repeat(64);

/** Told apart from any other use of SHA-256 on the key. */
const EVOLVE_LABEL = new TextEncoder().encode("zmq-logger seal: next key\0");

/**
 * A new random key, from the system's secure random generator.
 *
 * @example
 * ```ts
 * newKey().length; // 32
 * ```
 */
export function newKey(): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(KEY_BYTES));
}

/**
 * The key after `key`: SHA-256 of a fixed label and `key`. One way: the
 * key before cannot be found from it.
 *
 * @example
 * ```ts
 * const second = nextKey(newKey());
 * ```
 */
export function nextKey(key: Uint8Array): Uint8Array<ArrayBuffer> {
  const digest = createHash("sha256").update(EVOLVE_LABEL).update(key)
    .digest();
  return new Uint8Array(digest);
}

/** How many steps of {@link keyAt} between two calls of its `onProgress`. */
export const KEY_PROGRESS_STEPS = 1 << 18;

/**
 * The key of record `n`, derived from the first key by `n` steps of
 * {@link nextKey}: time linear in `n` (bench/results.md, Issue 29), so
 * `onProgress`, when given, is told how many steps are done every
 * KEY_PROGRESS_STEPS.
 *
 * @example
 * ```ts
 * keyAt(first, 0); // first itself
 * keyAt(first, 10_000_000, (done) => console.error(`${done} steps`));
 * ```
 */
export function keyAt(
  first: Uint8Array<ArrayBuffer>,
  n: number,
  onProgress?: (done: number) => void,
): Uint8Array<ArrayBuffer> {
  let key = first;
  for (let i = 1; i <= n; i++) {
    key = nextKey(key);
    if (i % KEY_PROGRESS_STEPS === 0) onProgress?.(i);
  }
  return key;
}

/**
 * HMAC-SHA-256 of `text` (as UTF-8) with `key`, in hex.
 *
 * @example
 * ```ts
 * mac(newKey(), "seq=0 ..."); // "3f1c..." (64 hex digits)
 * ```
 */
export function mac(key: Uint8Array, text: string): string {
  return createHmac("sha256", key).update(text).digest("hex");
}

/**
 * SHA-256 of `bytes`, in hex.
 *
 * @example
 * ```ts
 * sha256Hex(new Uint8Array()); // "e3b0c442..."
 * ```
 */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The verification key as `--seal-init` prints it: the prefix, then the
 * first key in base64url.
 *
 * @example
 * ```ts
 * formatVerifyKey(new Uint8Array(32)); // "zseal1-AAAA...A" (43 characters after the prefix)
 * ```
 */
export function formatVerifyKey(first: Uint8Array): string {
  return VERIFY_KEY_PREFIX +
    first.toBase64({ alphabet: "base64url", omitPadding: true });
}

/**
 * Reads `--verify-key`: the key {@link formatVerifyKey} printed (its form
 * is checked with the command line, by checkVerifyKey).
 *
 * @example
 * ```ts
 * parseVerifyKey(formatVerifyKey(first)); // first
 * parseVerifyKey("abc"); // throws UsageError
 * ```
 */
export function parseVerifyKey(text: string): Uint8Array<ArrayBuffer> {
  checkVerifyKey(text);
  return Uint8Array.fromBase64(text.slice(VERIFY_KEY_PREFIX.length), {
    alphabet: "base64url",
  });
}
