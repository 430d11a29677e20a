/**
 * A connection from `--forward` to the syslog server: RELP (lib/forward/relp.ts),
 * where the server acknowledges each message, or plain TCP with
 * octet-counting framing (RFC 6587), where a message counts as taken once
 * written. Each gives up on a server that does not answer or read.
 *
 * @example
 * ```ts
 * import { connectLink } from "./link.ts";
 * const link = await connectLink(parseForwardUrl("tcp://127.0.0.1:2601"), (n) => console.log(n, "taken"));
 * await link.send(["<14>1 - pi app - - - hello"]);
 * await link.close();
 * ```
 *
 * @module
 */

import { describe } from "../base/errors.ts";
import type { ForwardTarget } from "./target.ts";
import { OPEN_TIMEOUT_MS, RelpClient, WRITE_TIMEOUT_MS } from "./relp.ts";

/** Lines written to a TCP connection this long before it broke count as maybe lost. */
const TCP_AT_RISK_MS = 2000;

/**
 * Connects to the server of `target`; `onDone(count)` is called as the
 * oldest messages sent are taken (RELP: acknowledged; TCP: written).
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
  /** Sends messages; `done(count)` is called as they are acknowledged (TCP: written). */
  send(messages: string[]): Promise<void>;
  unacknowledged: number;
  failure?: Error;
  close(): Promise<void>;
}

/** Plain TCP with octet-counting framing (RFC 6587): `LENGTH SP MESSAGE`. */
export class TcpLink implements Link {
  unacknowledged = 0;
  failure?: Error;
  /** When lines were written, for counting what a broken connection may have lost. */
  readonly written: { at: number; count: number }[] = [];

  private constructor(
    readonly conn: Deno.TcpConn,
    readonly onDone: (count: number) => void,
  ) {}

  static async connect(
    target: ForwardTarget,
    onDone: (count: number) => void,
  ): Promise<TcpLink> {
    const conn = await connectWithin(target, OPEN_TIMEOUT_MS);
    conn.setNoDelay(true);
    const link = new TcpLink(conn, onDone);
    // The server never speaks; a read ends when it closes the connection.
    (async () => {
      const buffer = new Uint8Array(1024);
      try {
        while (await conn.read(buffer) !== null) { /* nothing to read */ }
        link.failure ??= new Error("the server closed the connection");
      } catch (err) {
        link.failure ??= new Error(`the connection broke: ${describe(err)}`);
      }
    })();
    return link;
  }

  async send(messages: string[]): Promise<void> {
    if (this.failure) throw this.failure;
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
    this.unacknowledged += messages.length;
    let stuck = false;
    const timer = setTimeout(() => {
      stuck = true;
      this.conn.close(); // the pending write then fails
    }, WRITE_TIMEOUT_MS);
    try {
      for (let done = 0; done < bytes.length;) {
        done += await this.conn.write(bytes.subarray(done));
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
    this.unacknowledged -= messages.length;
    const now = Date.now();
    this.written.push({ at: now, count: messages.length });
    while (
      this.written.length > 0 && now - this.written[0].at > TCP_AT_RISK_MS
    ) {
      this.written.shift();
    }
    this.onDone(messages.length);
  }

  /** Lines written in the moments before now: what a break may lose. */
  atRisk(): number {
    const now = Date.now();
    return this.written.filter((w) => now - w.at <= TCP_AT_RISK_MS)
      .reduce((sum, w) => sum + w.count, 0);
  }

  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch {
      // Closed already.
    }
    await Promise.resolve();
  }
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

  close(): Promise<void> {
    return this.client.close();
  }
}
