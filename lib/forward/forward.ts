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
 * import { Forwarder } from "./forward.ts";
 * import { parseForwardUrl } from "./target.ts";
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

import { describe } from "../base/errors.ts";
import { plural } from "../base/words.ts";
import { parseLogLine } from "../log/log_line.ts";
import { connectLink, type Link, TcpLink } from "./link.ts";
import { LogReader, type Place, PlaceFile } from "./place.ts";
import { RelpError } from "./relp.ts";
import { formatSyslog } from "./syslog_out.ts";
import { type ForwardTarget, STATE_SUFFIX } from "./target.ts";

/** Messages sent and not yet acknowledged, at most (RELP's window). */
const WINDOW = 128;
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
/** On stop, how long it waits for the last lines to be acknowledged. */
const STOP_WAIT_MS = 2000;
/** Lines sent and none acknowledged for this long: the session is stuck. */
const ACK_TIMEOUT_MS = 10_000;
/** A line the server refuses this many times in a row is skipped, and counted. */
const MAX_REFUSALS = 3;

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

  #connect(): Promise<Link> {
    return connectLink(
      this.#options.target,
      (count) => this.#acknowledged(count),
    );
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
