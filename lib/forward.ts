/**
 * `--forward`: every line the logger writes is also sent on, as an RFC 5424
 * syslog message, to a syslog server such as rsyslog, the way log shippers
 * do it: by reading the log file behind the logger, with a saved place.
 *
 * - The file stays the record: forwarding reads what was written, so it never
 *   slows or blocks writing, and a server that is down only makes it wait.
 * - `relp://HOST:PORT` (RELP): the server acknowledges every message; the
 *   place in the file (saved in `LOG.forward`) moves only past acknowledged
 *   lines, so nothing is lost across a restart of the server or the logger:
 *   what was not acknowledged is sent again (a message may then come twice).
 * - `tcp://HOST:PORT` (octet-counted syslog over TCP, RFC 6587): there is no
 *   acknowledgement; the lines written to a connection in the moments before
 *   it broke may be lost, and are counted (`--status`).
 *
 * It follows logrotate: when the path names a new file, it finishes the old
 * one (still open) first, then starts the new one from its beginning.
 *
 * @example
 * ```ts
 * import { Forwarder, parseForwardUrl } from "./lib/forward.ts";
 * await using forwarder = Forwarder.start({
 *   file: "./log.txt",
 *   target: parseForwardUrl("relp://127.0.0.1:2514"),
 *   facility: 1,
 *   program: "logging_basic",
 * });
 * ```
 *
 * @module
 */

import { describe, plural, UsageError } from "./cli.ts";
import { openRegularFile } from "./log_file.ts";
import { parseLogLine } from "./log_line.ts";
import {
  OPEN_TIMEOUT_MS,
  RelpClient,
  RelpError,
  WRITE_TIMEOUT_MS,
} from "./relp.ts";
import { formatSyslog } from "./syslog.ts";

/** Where lines are forwarded: the protocol and the server. */
export interface ForwardTarget {
  protocol: "tcp" | "relp";
  host: string;
  port: number;
  /** As given: tcp://HOST:PORT or relp://HOST:PORT. */
  url: string;
}

/** The saved place, beside the log: LOG.forward. */
export const STATE_SUFFIX = ".forward";
/** Messages sent and not yet acknowledged, at most (RELP's window). */
const WINDOW = 128;
/** Bytes read from the log at a time. */
const CHUNK_BYTES = 64 * 1024;
/**
 * Bytes a syslog message is cut to: under rsyslog's default maxMessageSize
 * (8096). rsyslog does not cut a longer octet-counted frame: it takes its
 * rest for more messages.
 */
export const MAX_SYSLOG_BYTES = 8000;
/** How often it looks for new lines when it has caught up. */
const IDLE_MS = 100;
/** Waits between attempts to reach the server: from the first to the last. */
const RETRY_MS = [250, 500, 1000, 2000, 5000];
/** The saved place is written at most this often (and when stopping). */
const SAVE_EVERY_MS = 200;
/** Lines written to a TCP connection this long before it broke count as maybe lost. */
const TCP_AT_RISK_MS = 2000;
/** On stop, how long it waits for the last lines to be acknowledged. */
const STOP_WAIT_MS = 2000;
/** Lines sent and none acknowledged for this long: the session is stuck. */
const ACK_TIMEOUT_MS = 10_000;
/** A line the server refuses this many times in a row is skipped, and counted. */
const MAX_REFUSALS = 3;

/**
 * Reads `--forward`: tcp://HOST:PORT or relp://HOST:PORT.
 *
 * @example
 * ```ts
 * parseForwardUrl("relp://logs.local:2514").port; // 2514
 * ```
 */
export function parseForwardUrl(text: string): ForwardTarget {
  const match = /^(tcp|relp):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/
    .exec(text);
  const port = Number(match?.[3]);
  if (match === null || port < 1 || port > 65535) {
    throw new UsageError(
      `Cannot forward as '--forward' must be tcp://HOST:PORT or relp://HOST:PORT: current value is ${
        JSON.stringify(text)
      }`,
    );
  }
  return {
    protocol: match[1] as "tcp" | "relp",
    host: match[2].replace(/^\[(.*)\]$/, "$1"),
    port,
    url: text,
  };
}

/**
 * The permissions forwarding needs that Deno was not given, as flags; empty
 * when it has them all.
 */
export function missingPermissions(
  file: string,
  target: ForwardTarget,
): string[] {
  const state = `${file}${STATE_SUFFIX}`;
  const host = target.host.includes(":") ? `[${target.host}]` : target.host;
  const wants: [Deno.PermissionDescriptor, string][] = [
    [
      { name: "net", host: `${host}:${target.port}` },
      `--allow-net=${host}:${target.port}`,
    ],
    [{ name: "read", path: state }, `--allow-read=${state}`],
    [{ name: "write", path: state }, `--allow-write=${state}`],
  ];
  return wants.filter(([want]) =>
    Deno.permissions.querySync(want).state !== "granted"
  )
    .map(([, flag]) => flag);
}

/** Where forwarding stands in the log: which file (device:inode) and how far. */
interface Place {
  identity: string;
  offset: number;
  url: string;
}

/** The saved place, kept in one small record rewritten in place. */
class PlaceFile implements Disposable {
  readonly #file: Deno.FsFile;

  constructor(readonly path: string) {
    // As the log file is opened: a link another user put there is not followed.
    try {
      this.#file = openRegularFile(path, "rewrite");
    } catch (err) {
      throw new Error(
        `Cannot keep the forwarding place in '${path}': ${describe(err)}`,
      );
    }
  }

  read(): Place | undefined {
    const bytes = new Uint8Array(512);
    this.#file.seekSync(0, Deno.SeekMode.Start);
    const n = this.#file.readSync(bytes) ?? 0;
    const match = /^zmqlog-forward (\d+:\d+) (\d+) (\S+) *\n/.exec(
      new TextDecoder().decode(bytes.subarray(0, n)),
    );
    return match
      ? { identity: match[1], offset: Number(match[2]), url: match[3] }
      : undefined;
  }

  /** One write of a fixed size at the start: the record is never half old, half new. */
  write(place: Place): void {
    const text =
      `zmqlog-forward ${place.identity} ${place.offset} ${place.url}`;
    const record = new TextEncoder().encode(`${text.padEnd(255)}\n`);
    this.#file.seekSync(0, Deno.SeekMode.Start);
    let done = 0;
    while (done < record.length) {
      done += this.#file.writeSync(record.subarray(done));
    }
  }

  [Symbol.dispose](): void {
    this.#file.close();
  }
}

/** The log file as forwarding reads it: whole lines from a place, across logrotate. */
class LogReader implements Disposable {
  #file: Deno.FsFile;
  #identity: string;
  /** Bytes of the file before `#pending`. */
  #offset: number;
  #pending = new Uint8Array(0);
  /** The start of an over-long line, while the rest of it is passed over. */
  #cut?: string;
  readonly #chunk = new Uint8Array(CHUNK_BYTES);

  constructor(
    readonly path: string,
    identity: string,
    offset: number,
    readonly maxLine: number,
  ) {
    this.#file = Deno.openSync(path, { read: true });
    this.#identity = identity;
    this.#offset = offset;
    this.#file.seekSync(offset, Deno.SeekMode.Start);
  }

  get identity(): string {
    return this.#identity;
  }

  /**
   * Up to `max` whole lines after the place, each with the offset just past
   * it. A line longer than `maxLine` bytes (the longest the logger writes)
   * is one line still, cut to that.
   */
  lines(max: number): { text: string; end: number }[] {
    const lines: { text: string; end: number }[] = [];
    const decoder = new TextDecoder();
    let start = 0; // in #pending: what is taken is cut off once, at the end
    while (lines.length < max) {
      const newline = this.#pending.indexOf(10, start);
      if (newline === -1) {
        // An over-long line: keep its start, pass over the rest to its end.
        if (
          this.#cut === undefined &&
          this.#pending.length - start > this.maxLine
        ) {
          this.#cut = decoder.decode(
            this.#pending.subarray(start, start + this.maxLine),
          );
        }
        if (this.#cut !== undefined) {
          this.#offset += this.#pending.length - start;
          this.#pending = new Uint8Array(0);
          start = 0;
        }
        const n = this.#file.readSync(this.#chunk) ?? 0;
        if (n === 0) break;
        const rest = this.#pending.length - start;
        const joined = new Uint8Array(rest + n);
        joined.set(this.#pending.subarray(start));
        joined.set(this.#chunk.subarray(0, n), rest);
        this.#pending = joined;
        start = 0;
        continue;
      }
      const text = this.#cut ??
        decoder.decode(
          this.#pending.subarray(
            start,
            Math.min(newline, start + this.maxLine),
          ),
        );
      this.#cut = undefined;
      this.#offset += newline + 1 - start;
      lines.push({ text, end: this.#offset });
      start = newline + 1;
    }
    this.#pending = this.#pending.slice(start);
    return lines;
  }

  /** Goes back to `offset` in the same file (after a failure, to send again). */
  rewind(offset: number): void {
    this.#offset = offset;
    this.#cut = undefined;
    this.#pending = new Uint8Array(0);
    this.#file.seekSync(offset, Deno.SeekMode.Start);
  }

  /**
   * When logrotate gave the path a new file and this one is read to its end,
   * moves to the new one, from its start; true when it did.
   */
  nextFile(): boolean {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(this.path);
    } catch {
      return false; // moved away, not yet created again
    }
    const identity = `${info.dev}:${info.ino}`;
    const size = this.#file.statSync().size;
    if (identity === this.#identity) {
      if (size < this.#offset) { // truncated in place (copytruncate)
        this.rewind(0);
        return true;
      }
      return false;
    }
    if (this.#offset + this.#pending.length < size) return false; // finish this one
    this.#file.close();
    this.#file = Deno.openSync(this.path, { read: true });
    this.#identity =
      `${this.#file.statSync().dev}:${this.#file.statSync().ino}`;
    this.#offset = 0;
    this.#pending = new Uint8Array(0);
    return true;
  }

  [Symbol.dispose](): void {
    this.#file.close();
  }
}

/** A connection to the syslog server: RELP with acknowledgements, or plain TCP. */
interface Link {
  /** Sends messages; `done(count)` is called as they are acknowledged (TCP: written). */
  send(messages: string[]): Promise<void>;
  unacknowledged: number;
  failure?: Error;
  close(): Promise<void>;
}

/** Plain TCP with octet-counting framing (RFC 6587): `LENGTH SP MESSAGE`. */
class TcpLink implements Link {
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

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * `text` cut to at most `max` bytes of UTF-8, at a character's boundary.
 *
 * @example
 * ```ts
 * cutToBytes("héllo", 2); // "h"
 * ```
 */
export function cutToBytes(text: string, max: number): string {
  if (text.length * 3 <= max) return text; // cannot be longer
  const bytes = encoder.encode(text);
  if (bytes.length <= max) return text;
  let end = max;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--; // not mid-character
  return decoder.decode(bytes.subarray(0, end));
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

/** RELP, through lib/relp.ts. */
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

/** What a Forwarder needs to know. */
export interface ForwardOptions {
  file: string;
  target: ForwardTarget;
  /** Syslog facility number (`--facility`). */
  facility: number;
  /** The logger's largest message (`--max-message-size`): lines are no longer than it makes them. */
  maxMessageSize: number;
  program: string;
}

/**
 * Ships the log's lines to a syslog server in the background, from its saved
 * place, until disposed (which waits briefly for the last acknowledgements).
 */
export class Forwarder implements AsyncDisposable {
  readonly #options: ForwardOptions;
  readonly #places: PlaceFile;
  readonly #reader: LogReader;
  /** Offsets just past each sent, unacknowledged line, oldest first. */
  readonly #sentEnds: number[] = [];
  #acked: Place;
  #savedAt = 0;
  #link?: Link;
  /** Set when stopping: the time to give up on the last acknowledgements. */
  #stopBy?: number;
  #running: Promise<void>;
  #wake = () => {};
  #forwarded = 0;
  #maybeLost = 0;
  #skipped = 0;
  #refusals = 0;
  /** Why the server cannot be reached, while it cannot (said once on stderr). */
  #down?: string;
  /** When the server last acknowledged (or the session began). */
  #progressAt = 0;
  /** Failed attempts since the server last took a line: how long to wait. */
  #attempt = 0;
  /** Disposed: whatever the loop still meets does not matter. */
  #closed = false;

  private constructor(options: ForwardOptions) {
    this.#options = options;
    const { file, target, program } = options;
    this.#places = new PlaceFile(`${file}${STATE_SUFFIX}`);
    const info = Deno.statSync(file);
    const identity = `${info.dev}:${info.ino}`;
    const saved = this.#places.read();
    let offset: number;
    let from: string;
    if (saved === undefined || saved.url !== target.url) {
      offset = info.size;
      from = `from the end of ${file} (the lines already in it are not sent)`;
    } else if (saved.identity !== identity || saved.offset > info.size) {
      offset = 0;
      from = `from the start of ${file}, a new file since it last forwarded`;
    } else {
      offset = saved.offset;
      from = offset === info.size
        ? `from where it stopped (the end of ${file})`
        : `from where it stopped, ${plural(info.size - offset, "byte")} behind`;
    }
    // The longest line the logger writes: a message of the largest size, in
    // JSON with every byte a \u escape, and its fields.
    this.#reader = new LogReader(
      file,
      identity,
      offset,
      options.maxMessageSize * 6 + 4096,
    );
    this.#acked = { identity, offset, url: target.url };
    this.#save(true);
    console.error(`${program}: forwarding to ${target.url} (syslog), ${from}`);
    this.#running = this.#run();
  }

  /** Starts forwarding in the background. */
  static start(options: ForwardOptions): Forwarder {
    return new Forwarder(options);
  }

  /** What it has done, for `--status`. */
  status(): string {
    const { url, protocol } = this.#options.target;
    const state = this.#down ? `; cannot reach it now (${this.#down})` : "";
    const lost = protocol === "tcp" && this.#maybeLost > 0
      ? `; up to ${
        plural(this.#maybeLost, "line")
      } may be lost (plain TCP has no acknowledgement)`
      : "";
    const skipped = this.#skipped > 0
      ? `; ${
        plural(this.#skipped, "line")
      } skipped, refused by the server ${MAX_REFUSALS} times`
      : "";
    return `${
      plural(this.#forwarded, "line")
    } forwarded to ${url}${state}${lost}${skipped}`;
  }

  /** Looks at the log now (the logger wrote a batch). */
  nudge(): void {
    this.#wake();
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      const stopping = this.#stopBy !== undefined;
      if (
        stopping && (this.#link === undefined || Date.now() >= this.#stopBy!)
      ) {
        return;
      }
      if (this.#link === undefined) {
        // After a failure, wait before trying again: longer each time until
        // the server takes a line (a session that opens and fails at once
        // must not become a loop).
        if (this.#attempt > 0) {
          await this.#sleep(
            RETRY_MS[Math.min(this.#attempt - 1, RETRY_MS.length - 1)],
          );
          if (this.#stopBy !== undefined) return;
        }
        try {
          this.#link = await this.#connect();
          this.#progressAt = Date.now();
        } catch (err) {
          this.#attempt++;
          this.#problem(
            `cannot forward to ${this.#options.target.url}`,
            describe(err),
          );
        }
        continue;
      }
      try {
        const sent = await this.#sendSome();
        if (!sent) {
          if (
            this.#sentEnds.length > 0 &&
            Date.now() - this.#progressAt > ACK_TIMEOUT_MS
          ) {
            throw new Error(
              `the server acknowledged nothing for ${ACK_TIMEOUT_MS / 1000} s`,
            );
          }
          // Stopping: done once the last lines are acknowledged.
          if (stopping && this.#sentEnds.length === 0) return;
          await this.#sleep(stopping ? 20 : IDLE_MS);
        }
      } catch (err) {
        this.#lose(err);
      }
    }
  }

  /** Says once, until it works again, why forwarding cannot go on. */
  #problem(what: string, why: string): void {
    if (this.#down === undefined && !this.#closed) {
      console.error(
        `${this.#options.program}: ${what} (${why}); logging goes on, and forwarding catches up once it is back`,
      );
    }
    this.#down = why;
  }

  /** Sends what the window allows; false when there was nothing to send. */
  async #sendSome(): Promise<boolean> {
    const link = this.#link!;
    if (link.failure) throw link.failure;
    const room = WINDOW - this.#sentEnds.length;
    if (room <= 0) return false;
    const lines = this.#reader.lines(room);
    if (lines.length === 0) {
      if (this.#sentEnds.length === 0 && this.#reader.nextFile()) {
        this.#acked = {
          ...this.#acked,
          identity: this.#reader.identity,
          offset: 0,
        };
        this.#save(true);
        return true;
      }
      return false;
    }
    const messages = lines.map(({ text }) => {
      const line = parseLogLine(text);
      return cutToBytes(
        formatSyslog(line.message, {
          facility: this.#options.facility,
          received: line.received,
        }),
        MAX_SYSLOG_BYTES,
      );
    });
    for (const { end } of lines) this.#sentEnds.push(end);
    await link.send(messages);
    return true;
  }

  async #connect(): Promise<Link> {
    const done = (count: number) => this.#acknowledged(count);
    return this.#options.target.protocol === "relp"
      ? await RelpLink.connect(this.#options.target, done)
      : await TcpLink.connect(this.#options.target, done);
  }

  /** The server took the `count` oldest lines sent: the place moves past them. */
  #acknowledged(count: number): void {
    const ends = this.#sentEnds.splice(0, count);
    if (ends.length === 0) return;
    this.#forwarded += ends.length;
    this.#acked = { ...this.#acked, offset: ends[ends.length - 1] };
    this.#progressAt = Date.now();
    this.#attempt = 0;
    this.#refusals = 0;
    if (this.#down !== undefined) {
      console.error(
        `${this.#options.program}: forwarding to ${this.#options.target.url} again`,
      );
      this.#down = undefined;
    }
    this.#save(false);
    this.#wake();
  }

  /** The session failed: send again from the last acknowledged line. */
  #lose(err: unknown): void {
    if (this.#closed) return; // given up on at stop: the file is closed
    const link = this.#link;
    this.#link = undefined;
    if (link instanceof TcpLink) this.#maybeLost += link.atRisk();
    link?.close();
    // A line the server keeps refusing would stop forwarding for good: after
    // MAX_REFUSALS in a row it is passed over, and counted (--status).
    if (err instanceof RelpError && err.refused && this.#sentEnds.length > 0) {
      if (++this.#refusals >= MAX_REFUSALS) {
        this.#refusals = 0;
        this.#skipped++;
        this.#acked = { ...this.#acked, offset: this.#sentEnds[0] };
        this.#save(true);
        console.error(
          `${this.#options.program}: skipped a line that ${this.#options.target.url} refused ${MAX_REFUSALS} times (${
            describe(err)
          })`,
        );
      }
    }
    this.#sentEnds.length = 0;
    this.#reader.rewind(this.#acked.offset);
    this.#attempt++;
    this.#problem(
      `forwarding to ${this.#options.target.url} stopped`,
      describe(err),
    );
  }

  #save(now: boolean): void {
    const time = Date.now();
    if (!now && time - this.#savedAt < SAVE_EVERY_MS) return;
    this.#savedAt = time;
    this.#places.write(this.#acked);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  /**
   * Sends what is left, for up to STOP_WAIT_MS while the server takes it,
   * saves the place, and closes.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#stopBy = Date.now() + STOP_WAIT_MS;
    this.#wake();
    // A server that stopped answering must not hold up the stop.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#running,
      new Promise((resolve) => timer = setTimeout(resolve, STOP_WAIT_MS + 500)),
    ]);
    clearTimeout(timer);
    this.#closed = true;
    this.#running.catch(() => {}); // ended by the close below, if still running
    await this.#link?.close();
    this.#save(true);
    this.#places[Symbol.dispose]();
    this.#reader[Symbol.dispose]();
  }
}
