/**
 * A connection from `--forward` to the syslog server: RELP (lib/forward/relp.ts),
 * where the server acknowledges each message, or plain TCP with
 * octet-counting framing (RFC 6587), where the server says nothing.
 *
 * Over TCP a write only says the bytes reached the kernel: a server that
 * stopped reading leaves megabytes in the two sockets' buffers, and a
 * connection that then breaks takes them with it. So the lines written to
 * a TCP connection are confirmed the one way TCP allows: the logger ends
 * the connection (closes its side), and the server, once it has read
 * everything before that end, closes its side too, as rsyslog does. Only
 * then are they taken; a new connection carries the next lines. That
 * happens each second, or each 256 KiB, so a server that stops reading
 * holds at most that much; one that does not close within
 * CONFIRM_TIMEOUT_MS has stopped reading (or reads less than 256 KiB in
 * that time), and what it did not confirm is sent again from the file.
 *
 * @example
 * ```ts
 * import { connectLink } from "./link.ts";
 * const link = await connectLink(parseForwardUrl("tcp://127.0.0.1:2601"), (n) => console.log(n, "taken"));
 * await link.send(["<14>1 - pi app - - - hello"]);
 * await link.settle(true); // "1 taken"
 * await link.close();
 * ```
 *
 * @module
 */

import { describe } from "../base/errors.ts";
import { plural } from "../base/words.ts";
import type { ForwardTarget } from "./target.ts";
import { OPEN_TIMEOUT_MS, RelpClient, WRITE_TIMEOUT_MS } from "./relp.ts";

/** A TCP connection's lines are confirmed once the oldest is this old... */
const CONFIRM_EVERY_MS = 1000;
/** ... or once this many bytes were written to it. */
const CONFIRM_BYTES = 256 * 1024;
/** A server that has not closed its side this long after the logger closed its own has stopped reading. */
export const CONFIRM_TIMEOUT_MS = 10_000;

/**
 * Connects to the server of `target`; `onDone(count)` is called as the
 * oldest messages sent are taken (RELP: acknowledged; TCP: confirmed).
 */
export async function connectLink(
  target: ForwardTarget,
  onDone: (count: number) => void,
): Promise<Link> {
  return target.protocol === "relp"
    ? await RelpLink.connect(target, onDone)
    : await TcpLink.connect(target, onDone);
}

/** A connection to the syslog server: RELP with acknowledgements, or plain TCP. */
export interface Link {
  /** How many lines may be sent and not yet taken, at most. */
  readonly window: number;
  /** Sends messages; `onDone(count)` is called as they are taken. */
  send(messages: string[]): Promise<void>;
  /** Has what was sent taken when it is due (`now`: at once); RELP: nothing to do. */
  settle(now: boolean): Promise<void>;
  /** Lines sent and not yet taken. */
  readonly unacknowledged: number;
  readonly failure?: Error;
  close(): Promise<void>;
}

/** Plain TCP with octet-counting framing (RFC 6587): `LENGTH SP MESSAGE`, confirmed by closing. */
export class TcpLink implements Link {
  readonly window = 10_000;
  failure?: Error;
  #conn?: Deno.TcpConn;
  /** Settles when the server has closed the connection, or it broke. */
  #closed?: Promise<void>;
  /** The logger closed its side: the server's close is the confirmation. */
  #ending = false;
  /** Lines and bytes written to the connection, and when the first was. */
  #lines = 0;
  #bytes = 0;
  #firstAt = 0;

  private constructor(
    readonly target: ForwardTarget,
    readonly onDone: (count: number) => void,
  ) {}

  static async connect(
    target: ForwardTarget,
    onDone: (count: number) => void,
  ): Promise<TcpLink> {
    const link = new TcpLink(target, onDone);
    await link.#open();
    return link;
  }

  get unacknowledged(): number {
    return this.#lines;
  }

  async #open(): Promise<void> {
    const conn = await connectWithin(this.target, OPEN_TIMEOUT_MS);
    conn.setNoDelay(true);
    this.#conn = conn;
    this.#ending = false;
    this.#closed = this.#watch(conn);
  }

  /** The server never speaks: a read ends when it closes the connection. */
  async #watch(conn: Deno.TcpConn): Promise<void> {
    const buffer = new Uint8Array(1024);
    try {
      while (await conn.read(buffer) !== null) { /* nothing to read */ }
      if (!this.#ending) {
        this.failure ??= new Error("the server closed the connection");
      }
    } catch (err) {
      this.failure ??= new Error(`the connection broke: ${describe(err)}`);
    }
  }

  async send(messages: string[]): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.#conn === undefined) await this.#open();
    const bytes = frames(messages);
    if (this.#lines === 0) this.#firstAt = Date.now();
    this.#lines += messages.length;
    this.#bytes += bytes.length;
    let stuck = false;
    const timer = setTimeout(() => {
      stuck = true;
      this.#conn?.close(); // the pending write then fails
    }, WRITE_TIMEOUT_MS);
    try {
      for (let done = 0; done < bytes.length;) {
        done += await this.#conn!.write(bytes.subarray(done));
      }
    } catch (err) {
      this.failure ??= new Error(
        stuck
          ? `the server took nothing for ${WRITE_TIMEOUT_MS / 1000} s`
          : `the connection broke: ${describe(err)}`,
      );
      throw this.failure;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Once due (a second, 256 KiB, or `now`), ends the connection and waits for
   * the server to close its side: then it has read every line written.
   */
  async settle(now: boolean): Promise<void> {
    if (this.failure) throw this.failure;
    const conn = this.#conn;
    if (conn === undefined || this.#lines === 0) return;
    const due = now || this.#bytes >= CONFIRM_BYTES ||
      Date.now() - this.#firstAt >= CONFIRM_EVERY_MS;
    if (!due) return;
    this.#ending = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await conn.closeWrite();
      await Promise.race([
        this.#closed,
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            this.failure ??= new Error(
              `the server did not confirm ${
                plural(this.#lines, "line")
              } within ${CONFIRM_TIMEOUT_MS / 1000} s: it stopped reading`,
            );
            resolve();
          }, CONFIRM_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      this.failure ??= new Error(`the connection broke: ${describe(err)}`);
    } finally {
      clearTimeout(timer);
    }
    this.#conn = undefined;
    try {
      conn.close();
    } catch {
      // Closed already (the logger is stopping).
    }
    if (this.failure) throw this.failure;
    const count = this.#lines;
    this.#lines = this.#bytes = 0;
    this.onDone(count);
  }

  async close(): Promise<void> {
    try {
      this.#conn?.close();
    } catch {
      // Closed already.
    }
    await Promise.resolve();
  }
}

/** Messages as octet-counted frames, in one array. */
function frames(messages: string[]): Uint8Array {
  const encoder = new TextEncoder();
  const parts = messages.map((message) => {
    const bytes = encoder.encode(message);
    return [encoder.encode(`${bytes.length} `), bytes];
  }).flat();
  const bytes = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

/** Deno.connect, given up after `ms` (a host that never answers would take minutes). */
async function connectWithin(
  target: ForwardTarget,
  ms: number,
): Promise<Deno.TcpConn> {
  let late = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connecting = Deno.connect({ hostname: target.host, port: target.port });
  connecting.then((conn) => late && conn.close(), () => {});
  try {
    return await Promise.race([
      connecting,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          late = true;
          reject(new Error(`no connection within ${ms / 1000} s`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** RELP, through lib/forward/relp.ts. */
class RelpLink implements Link {
  /** Messages sent and not yet acknowledged, at most. */
  readonly window = 128;

  private constructor(readonly client: RelpClient) {}

  static async connect(
    target: ForwardTarget,
    onDone: (count: number) => void,
  ): Promise<RelpLink> {
    const client = await RelpClient.connect(target.host, target.port);
    client.onAcknowledged = onDone;
    return new RelpLink(client);
  }

  get unacknowledged(): number {
    return this.client.unacknowledged;
  }

  get failure(): Error | undefined {
    return this.client.failure;
  }

  send(messages: string[]): Promise<void> {
    return this.client.send(messages);
  }

  /** The server acknowledges each message by itself. */
  settle(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
