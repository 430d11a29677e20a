/**
 * The logger's door for CurveZMQ senders: a ZAP handler (ZeroMQ RFC 27) that
 * lets in the public keys of the allow-list and refuses the rest, and the
 * rule that keeps refusals from flooding the log.
 *
 * @example
 * ```ts
 * import { SenderGate } from "./zap.ts";
 * const path = "keys/allowed.txt";
 * using gate = new SenderGate(context, path, readAllowList(path)); // before the PULL socket binds
 * gate.answer((line) => note(line, "warn")); // between batches
 * ```
 *
 * @module
 */

import { plural } from "../base/words.ts";
import { readAllowList } from "./keys.ts";
import { type Context, type Socket, z85Encode, ZMQ } from "../zmq/sockets.ts";

/** Where libzmq looks for the ZAP handler (ZeroMQ RFC 27). */
const ZAP_ENDPOINT = "inproc://zeromq.zap.01";

/** A refused sender key is logged at most once in this time (it retries). */
const REFUSAL_LOG_MS = 60_000;

/** Refusal lines in the log per REFUSAL_LOG_MS, all keys together. */
const REFUSAL_LINES = 10;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The ZAP handler and the allow-list it checks. It must be made before the
 * PULL socket takes senders; SIGHUP's {@link reload} reads the list again.
 */
export class SenderGate implements Disposable {
  readonly #socket: Socket;
  readonly #refusals: RefusalLog;
  #allowed: Map<string, string>;

  /** `allowed` is what {@link readAllowList} read from `allowList`. */
  constructor(
    context: Context,
    readonly allowList: string,
    allowed: Map<string, string>,
  ) {
    this.#allowed = allowed;
    this.#refusals = new RefusalLog(allowList);
    this.#socket = context.socket(ZMQ.REP, { [ZMQ.LINGER]: 0 });
    try {
      this.#socket.bind(ZAP_ENDPOINT, "Cannot check keys");
    } catch (err) {
      this.#socket.close();
      throw err;
    }
  }

  /** The socket to poll: it is readable when libzmq asks about a sender. */
  get socket(): Socket {
    return this.#socket;
  }

  /**
   * Answers libzmq's waiting questions about senders: a key on the allow-list
   * gets in, any other is refused; `log` is given the lines to log about
   * refusals (see {@link RefusalLog}).
   */
  answer(log: (line: string) => void): void {
    while (true) {
      // version, request id, domain, address, routing id, mechanism, key.
      const request = this.#socket.receiveFrames();
      if (request === undefined) break;
      const [version, id, , address, , mechanism, credential] = request;
      let key = "";
      if (decoder.decode(mechanism) === "CURVE" && credential?.length === 32) {
        key = z85Encode(credential);
      }
      const name = this.#allowed.get(key);
      if (name === undefined) {
        const line = this.#refusals.refused(key, peerAddress(address));
        if (line !== undefined) log(line);
      }
      this.#socket.sendFrames([
        version ?? encoder.encode("1.0"),
        id ?? new Uint8Array(0),
        encoder.encode(name === undefined ? "400" : "200"),
        encoder.encode(name === undefined ? "not on the allow-list" : "OK"),
        encoder.encode(name ?? ""),
        new Uint8Array(0),
      ]);
    }
    const held = this.#refusals.heldBack();
    if (held !== undefined) log(held);
  }

  /**
   * Reads the allow-list again: added and removed keys count for the senders
   * that connect from now on. Returns what changed, for the log; a bad file
   * throws and keeps the list it had.
   */
  reload(): string {
    const fresh = readAllowList(this.allowList);
    const added = [...fresh.keys()].filter((key) => !this.#allowed.has(key));
    const removed = [...this.#allowed.keys()].filter((key) => !fresh.has(key));
    this.#allowed = fresh;
    return `read ${this.allowList} again: ${
      plural(fresh.size, "sender key")
    }, ${added.length} added, ${removed.length} removed`;
  }

  /** The count of refusals held back so far, for the log before it stops. */
  lastWord(): string | undefined {
    return this.#refusals.heldBack(true);
  }

  [Symbol.dispose](): void {
    this.#socket.close();
  }
}

/**
 * A sender's address as libzmq gives it, for the log: an IPv4 sender of a
 * socket that listens on IPv6 and IPv4 (`*`) comes as `::ffff:10.0.0.7`,
 * said as the IPv4 address it is.
 *
 * @example
 * ```ts
 * peerAddress(new TextEncoder().encode("::ffff:10.0.0.7")); // "10.0.0.7"
 * ```
 */
export function peerAddress(address: Uint8Array): string {
  return decoder.decode(address).replace(
    /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i,
    "$1",
  );
}

/**
 * Decides which refused senders go into the log: a key's first refusal, then
 * at most one line per key every REFUSAL_LOG_MS (a refused sender retries),
 * and no more than REFUSAL_LINES lines in that time for all keys together, so
 * a peer that makes a new key for every try cannot flood the log; what is held
 * back is counted and said once the time is up.
 *
 * @example
 * ```ts
 * const refusals = new RefusalLog("keys/allowed.txt");
 * refusals.refused(key, "10.0.0.7");
 * // "refused a sender at 10.0.0.7: its CurveZMQ key ... is not in keys/allowed.txt"
 * refusals.refused(key, "10.0.0.7"); // undefined: said a moment ago
 * ```
 */
export class RefusalLog {
  readonly #keys = new Map<string, { logged: number; since: number }>();
  #windowStart = -Infinity;
  #lines = 0;
  #heldBack = 0;

  constructor(
    readonly allowList: string,
    readonly now: () => number = Date.now,
  ) {}

  /** The line to log for a refused `key`, or undefined to log nothing now. */
  refused(key: string, address: string): string | undefined {
    const now = this.now();
    const seen = this.#keys.get(key);
    if (seen !== undefined && now - seen.logged < REFUSAL_LOG_MS) {
      seen.since++;
      return undefined;
    }
    if (now - this.#windowStart >= REFUSAL_LOG_MS) {
      this.#windowStart = now;
      this.#lines = 0;
    }
    if (this.#lines >= REFUSAL_LINES) {
      this.#heldBack++;
      return undefined;
    }
    this.#lines++;
    if (this.#keys.size >= 10_000) this.#forgetOld(now);
    this.#keys.set(key, { logged: now, since: 0 });
    const again = seen?.since
      ? ` (and ${seen.since} more time${seen.since === 1 ? "" : "s"} since)`
      : "";
    return `refused a sender at ${address}: its CurveZMQ key ${
      key || "(none)"
    } is not in ${this.allowList}${again}`;
  }

  /**
   * Once the time is up (or now, when the logger stops: `final`), the line
   * that counts refusals not logged one by one.
   */
  heldBack(final = false): string | undefined {
    if (this.#heldBack === 0) return undefined;
    if (!final && this.now() - this.#windowStart < REFUSAL_LOG_MS) {
      return undefined;
    }
    const count = this.#heldBack;
    this.#heldBack = 0;
    return `refused ${count} more sender${
      count === 1 ? "" : "s"
    } with other keys not in ${this.allowList} (not logged one by one: over ${REFUSAL_LINES} refusals in ${
      REFUSAL_LOG_MS / 1000
    } s)`;
  }

  /** Keeps memory bounded when many keys come and go. */
  #forgetOld(now: number): void {
    for (const [key, seen] of this.#keys) {
      if (now - seen.logged >= REFUSAL_LOG_MS) this.#keys.delete(key);
    }
  }
}
