/**
 * A RELP client (the Reliable Event Logging Protocol of rsyslog's imrelp):
 * syslog messages over TCP, each acknowledged by the server, so a sender
 * knows which ones arrived and can send the rest again after a failure.
 *
 * A frame is `TXNR SP COMMAND SP DATALEN [SP DATA] LF`. The client opens the
 * session (`open` with its offers), sends `syslog` frames with increasing
 * transaction numbers, and the server answers each with `rsp` and `200 OK`
 * (or an error). The server may end a session with `0 serverclose 0`.
 *
 * @example
 * ```ts
 * import { RelpClient } from "./relp.ts";
 * const relp = await RelpClient.connect("127.0.0.1", 2514);
 * await relp.send(["<14>1 - pi app - - - hello"], (count) => console.log(count, "acknowledged"));
 * await relp.close();
 * ```
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What the client offers when it opens a session. */
const OFFERS = "relp_version=0\nrelp_software=logging_basic\ncommands=syslog";
/** Transaction numbers run from 1 to this, then start again at 1. */
const MAX_TXNR = 999_999_999;
/** A response longer than this is not RELP. */
const MAX_RESPONSE = 64 * 1024;
/** How long close() waits for the server to answer its goodbye. */
const CLOSE_WAIT_MS = 500;
/** Connecting and opening a session must not take longer than this. */
export const OPEN_TIMEOUT_MS = 5000;
/** A write the server does not take in this time (it stopped reading) fails the session. */
export const WRITE_TIMEOUT_MS = 10_000;

/**
 * The session ended or failed; what was not acknowledged must be sent again.
 * `refused` when the server answered the oldest message with an error.
 */
export class RelpError extends Error {
  constructor(message: string, readonly refused = false) {
    super(message);
  }
}

/**
 * What the server said, fit for one line of our own: its first line, cut,
 * quoted, with control characters escaped (it may hold anything).
 *
 * @example
 * ```ts
 * serverText("500 no\x1b[31m\nmore"); // '"500 no\\u001b[31m"'
 * ```
 */
export function serverText(text: string): string {
  const line = text.split("\n")[0];
  const cut = line.length > 80 ? `${line.slice(0, 80)}...` : line;
  return JSON.stringify(cut).replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** One parsed frame from the server. */
interface Frame {
  txnr: number;
  command: string;
  data: string;
}

/**
 * Reads frames from bytes as they arrive.
 *
 * @example
 * ```ts
 * const reader = new FrameReader();
 * reader.push(new TextEncoder().encode("2 rsp 6 200 OK\n"));
 * reader.next(); // { txnr: 2, command: "rsp", data: "200 OK" }
 * ```
 */
export class FrameReader {
  #buffer = new Uint8Array(0);

  push(bytes: Uint8Array): void {
    const joined = new Uint8Array(this.#buffer.length + bytes.length);
    joined.set(this.#buffer);
    joined.set(bytes, this.#buffer.length);
    this.#buffer = joined;
  }

  /** The next whole frame, or undefined until more bytes come. Throws on bytes that are not RELP. */
  next(): Frame | undefined {
    const head = /^(\d{1,9}) ([a-z]{1,32}) (\d{1,9})/.exec(
      decoder.decode(this.#buffer.subarray(0, 64)),
    );
    if (head === null) {
      if (
        this.#buffer.length >= 64 ||
        /[^\d a-z]/.test(decoder.decode(this.#buffer))
      ) {
        throw new RelpError(
          `the server sent what is not RELP: ${
            serverText(decoder.decode(this.#buffer.subarray(0, 40)))
          }`,
        );
      }
      return undefined;
    }
    const length = Number(head[3]);
    if (length > MAX_RESPONSE) {
      throw new RelpError(`the server sent a frame of ${length} bytes`);
    }
    // DATALEN 0 has no SP DATA; else SP, DATA, then the LF.
    const start = head[0].length + (length > 0 ? 1 : 0);
    const end = start + length;
    if (this.#buffer.length < end + 1) return undefined;
    if (this.#buffer[end] !== 10) {
      throw new RelpError("the server sent a frame without its newline");
    }
    const frame = {
      txnr: Number(head[1]),
      command: head[2],
      data: decoder.decode(this.#buffer.subarray(start, end)),
    };
    this.#buffer = this.#buffer.slice(end + 1);
    return frame;
  }
}

/** A frame as bytes. */
function frame(txnr: number, command: string, data: string): Uint8Array {
  const bytes = encoder.encode(data);
  const head = encoder.encode(
    bytes.length > 0
      ? `${txnr} ${command} ${bytes.length} `
      : `${txnr} ${command} 0`,
  );
  const out = new Uint8Array(head.length + bytes.length + 1);
  out.set(head);
  out.set(bytes, head.length);
  out[out.length - 1] = 10;
  return out;
}

/**
 * A RELP session with a server. Messages are sent in order; `onAcknowledged`
 * tells how many of the oldest unacknowledged ones the server took.
 */
export class RelpClient {
  readonly #conn: Deno.TcpConn;
  readonly #reader = new FrameReader();
  #txnr = 1;
  /** Transaction numbers sent and not yet answered, oldest first. */
  readonly #waiting: number[] = [];
  #onAcknowledged: (count: number) => void = () => {};
  #failure?: RelpError;
  #onFailure: (err: RelpError) => void = () => {};
  #closing = false;
  #closed?: () => void;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /**
   * Connects and opens a session; rejects when the server is not there,
   * refuses, or has not answered within OPEN_TIMEOUT_MS.
   */
  static async connect(hostname: string, port: number): Promise<RelpClient> {
    let client: RelpClient | undefined;
    let late = false;
    const opening = (async () => {
      const conn = await Deno.connect({ hostname, port });
      if (late) { // given up on already
        conn.close();
        throw new RelpError("too late");
      }
      conn.setNoDelay(true);
      client = new RelpClient(conn);
      await client.#write(frame(1, "open", OFFERS));
      const answer = await client.#readFrame();
      if (answer.command !== "rsp" || !answer.data.startsWith("200")) {
        throw new RelpError(
          `the server did not open a session: ${serverText(answer.data)}`,
        );
      }
      return client;
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        late = true;
        reject(
          new RelpError(
            `the server did not open a RELP session within ${
              OPEN_TIMEOUT_MS / 1000
            } s`,
          ),
        );
      }, OPEN_TIMEOUT_MS);
    });
    try {
      const opened = await Promise.race([opening, timeout]);
      opened.#txnr = 2;
      opened.#readLoop();
      return opened;
    } catch (err) {
      opening.catch(() => {}); // it ends once the connection is closed
      if (client !== undefined) client.#close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  #close(): void {
    try {
      this.#conn.close();
    } catch {
      // Closed already.
    }
  }

  /** Messages sent and not yet acknowledged. */
  get unacknowledged(): number {
    return this.#waiting.length;
  }

  /** Why the session ended, once it has. */
  get failure(): RelpError | undefined {
    return this.#failure;
  }

  /** Calls `onFailure` once when the session ends other than by close(). */
  set onFailure(callback: (err: RelpError) => void) {
    this.#onFailure = callback;
  }

  /** Calls `onAcknowledged(count)` as the server takes messages, oldest first. */
  set onAcknowledged(callback: (count: number) => void) {
    this.#onAcknowledged = callback;
  }

  /** Sends syslog messages; they are acknowledged later, in order. */
  async send(messages: string[]): Promise<void> {
    if (this.#failure) throw this.#failure;
    const frames = messages.map((message) => {
      const txnr = this.#txnr;
      this.#txnr = txnr === MAX_TXNR ? 1 : txnr + 1;
      this.#waiting.push(txnr);
      return frame(txnr, "syslog", message);
    });
    const total = frames.reduce((sum, f) => sum + f.length, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const f of frames) {
      bytes.set(f, at);
      at += f.length;
    }
    await this.#write(bytes);
  }

  /** Ends the session politely (what is unacknowledged stays so) and closes. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#failure === undefined) {
      // Say goodbye; the server answers, then closes. Not longer than CLOSE_WAIT_MS.
      const ended = new Promise<void>((resolve) => this.#closed = resolve);
      const polite = this.#write(frame(this.#txnr, "close", "")).then(
        () => ended,
        () => {},
      );
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        polite,
        new Promise((resolve) => timer = setTimeout(resolve, CLOSE_WAIT_MS)),
      ]);
      clearTimeout(timer);
    }
    this.#close();
  }

  /** Writes all of `bytes`; a server that takes none of it for WRITE_TIMEOUT_MS fails the session. */
  async #write(bytes: Uint8Array): Promise<void> {
    let stuck = false;
    const timer = setTimeout(() => {
      stuck = true;
      this.#close(); // the pending write then fails
    }, WRITE_TIMEOUT_MS);
    try {
      for (let done = 0; done < bytes.length;) {
        done += await this.#conn.write(bytes.subarray(done));
      }
    } catch (err) {
      throw this.#fail(
        stuck
          ? `the server took nothing for ${WRITE_TIMEOUT_MS / 1000} s`
          : `the connection broke: ${(err as Error).message}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads one frame (the answer to open), before the read loop runs. */
  async #readFrame(): Promise<Frame> {
    const chunk = new Uint8Array(4096);
    while (true) {
      const frame = this.#reader.next();
      if (frame !== undefined) return frame;
      const n = await this.#conn.read(chunk);
      if (n === null) throw new RelpError("the server closed the connection");
      this.#reader.push(chunk.subarray(0, n));
    }
  }

  /** Takes the server's answers as they come, until the connection ends. */
  async #readLoop(): Promise<void> {
    const chunk = new Uint8Array(16 * 1024);
    try {
      while (true) {
        const n = await this.#conn.read(chunk);
        if (n === null) {
          throw new RelpError("the server closed the connection");
        }
        this.#reader.push(chunk.subarray(0, n));
        let acknowledged = 0;
        for (let f; (f = this.#reader.next()) !== undefined;) {
          if (f.command === "serverclose") {
            throw new RelpError("the server ended the session");
          }
          if (f.command !== "rsp") continue;
          if (this.#closing && f.txnr === this.#txnr) {
            this.#closed?.();
            continue;
          }
          if (f.txnr !== this.#waiting[0]) {
            throw new RelpError(
              `the server answered transaction ${f.txnr}, not ${
                this.#waiting[0]
              }`,
            );
          }
          if (!f.data.startsWith("200")) {
            throw new RelpError(
              `the server refused a message: ${serverText(f.data)}`,
              true,
            );
          }
          this.#waiting.shift();
          acknowledged++;
        }
        if (acknowledged > 0) this.#onAcknowledged(acknowledged);
      }
    } catch (err) {
      if (this.#closing) {
        this.#closed?.();
        return;
      }
      const failure = err instanceof RelpError
        ? err
        : new RelpError(`the connection broke: ${(err as Error).message}`);
      this.#fail(failure.message, failure.refused);
    }
  }

  #fail(message: string, refused = false): RelpError {
    if (this.#failure === undefined) {
      this.#failure = new RelpError(message, refused);
      try {
        this.#conn.close();
      } catch {
        // Closed already.
      }
      if (!this.#closing) this.#onFailure(this.#failure);
    }
    return this.#failure;
  }
}
