/**
 * `--forward`: every line the logger writes is also sent on, as an RFC 5424
 * syslog message, to a syslog server such as rsyslog, the way log shippers
 * do it: by reading the log file behind the logger, with a saved place.
 *
 * - The file stays the record: forwarding reads what was written, so it never
 *   slows or blocks writing, and a server that is down or stops reading only
 *   makes it wait. It reads in slices and asynchronously (lib/forward/reader.ts),
 *   so the logger's loop, on the same thread, runs between them.
 * - The place in the file (saved in `LOG.forward`) moves only past lines the
 *   server took: `relp://HOST:PORT` (RELP) acknowledges every message;
 *   `tcp://HOST:PORT` (octet-counted syslog over TCP, RFC 6587) confirms
 *   them each second by closing the connection the logger ended
 *   (lib/forward/link.ts). What was not taken is sent again after a failure,
 *   or a restart (a message may then come twice), and counted (`--status`).
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
 *   maxMessageSize: 65_536,
 *   program: "logging_basic",
 * });
 * ```
 *
 * @module
 */

import { describe } from "../base/errors.ts";
import { plural } from "../base/words.ts";
import { connectLink, type Link } from "./link.ts";
import { type Place, PlaceFile, startFrom } from "./place.ts";
import { LogReader, type ReadLine, readLogLine } from "./reader.ts";
import { RelpError } from "./relp.ts";
import { formatSyslog } from "./syslog_out.ts";
import { type ForwardTarget, STATE_SUFFIX } from "./target.ts";

/**
 * Bytes a syslog message is cut to: under rsyslog's default maxMessageSize
 * (8096). rsyslog does not cut a longer octet-counted frame: it takes its
 * rest for more messages.
 */
export const MAX_SYSLOG_BYTES = 8000;
/**
 * The most of a line read: enough for MAX_SYSLOG_BYTES of message in JSON,
 * where a character may take six bytes, and the fields before it.
 */
const LINE_HEAD_BYTES = 64 * 1024;
/** How often it looks for new lines when it has caught up. */
const IDLE_MS = 100;
/** Waits between attempts to reach the server: from the first to the last. */
const RETRY_MS = [250, 500, 1000, 2000, 5000];
/** On stop, how long it waits for the last lines to be taken. */
const STOP_WAIT_MS = 2000;
/** Lines sent and none taken for this long: the session is stuck. */
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
 * place, until disposed (which waits briefly for the last to be taken).
 */
export class Forwarder implements AsyncDisposable {
  readonly #options: ForwardOptions;
  readonly #places: PlaceFile;
  readonly #reader: LogReader;
  /** Offsets just past each sent line not yet taken, oldest first. */
  readonly #sentEnds: number[] = [];
  #acked: Place;
  #link?: Link;
  /** Set when stopping: the time to give up on the last lines. */
  #stopBy?: number;
  #running: Promise<void>;
  #wake = () => {};
  #forwarded = 0;
  /** Lines sent on a connection that failed before the server took them: sent again. */
  #sentAgain = 0;
  /** ... since the server was last reached: said when it is reached again. */
  #sentAgainWhileDown = 0;
  #skipped = 0;
  #refusals = 0;
  /** Why the server cannot be reached, while it cannot (said once on stderr). */
  #down?: string;
  /** When the server last took a line (or the session began). */
  #progressAt = 0;
  /** Failed attempts since the server last took a line: how long to wait. */
  #attempt = 0;
  /** Disposed: whatever the loop still meets does not matter. */
  #closed = false;

  private constructor(options: ForwardOptions) {
    this.#options = options;
    const { file, target, program } = options;
    this.#places = new PlaceFile(`${file}${STATE_SUFFIX}`);
    this.#places.onError = (why) =>
      console.error(
        `${program}: cannot save the forwarding place in ${this.#places.path} (${why}); forwarding goes on, and a restart may send lines again`,
      );
    const info = Deno.statSync(file);
    const identity = `${info.dev}:${info.ino}`;
    const { offset, from } = startFrom(
      file,
      { size: info.size, identity },
      target.url,
      this.#places.read(),
    );
    // No line is longer than the longest message makes it, in JSON with
    // every byte a \u escape, and its fields.
    this.#reader = new LogReader(
      file,
      identity,
      offset,
      Math.min(LINE_HEAD_BYTES, options.maxMessageSize * 6 + 4096),
    );
    this.#reader.onNuls = (count, end) =>
      console.error(
        `${program}: passed over ${
          plural(count, "NUL byte")
        } in ${file}, before offset ${end} (what a crash leaves in a file); they are not forwarded`,
      );
    this.#acked = { identity, offset, url: target.url };
    this.#places.writeNow(this.#acked);
    console.error(`${program}: forwarding to ${target.url} (syslog), ${from}`);
    this.#running = this.#run();
  }

  /** Starts forwarding in the background. */
  static start(options: ForwardOptions): Forwarder {
    return new Forwarder(options);
  }

  /** What it has done, for `--status`. */
  status(): string {
    const { url } = this.#options.target;
    const state = this.#down ? `; cannot reach it now (${this.#down})` : "";
    const again = this.#sentAgain > 0
      ? `; ${
        plural(this.#sentAgain, "line")
      } sent again after a connection failed before the server took them (they may have come twice)`
      : "";
    const skipped = this.#skipped > 0
      ? `; ${
        plural(this.#skipped, "line")
      } skipped, refused by the server ${MAX_REFUSALS} times`
      : "";
    return `${
      plural(this.#forwarded, "line")
    } forwarded to ${url}${state}${again}${skipped}`;
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
        if (!await this.#reconnect()) return;
        continue;
      }
      try {
        if (!await this.#sendSome()) {
          await this.#link.settle(stopping);
          if (
            this.#sentEnds.length > 0 &&
            Date.now() - this.#progressAt > ACK_TIMEOUT_MS
          ) {
            throw new Error(
              `the server took nothing for ${ACK_TIMEOUT_MS / 1000} s`,
            );
          }
          // Stopping: done once the last lines are taken.
          if (stopping && this.#sentEnds.length === 0) return;
          await this.#sleep(stopping ? 20 : IDLE_MS);
        }
      } catch (err) {
        this.#lose(err);
      }
    }
  }

  /**
   * After a failure, waits (longer each time until the server takes a line:
   * a session that opens and fails at once must not become a loop), then
   * connects; false when it was told to stop meanwhile.
   */
  async #reconnect(): Promise<boolean> {
    if (this.#attempt > 0) {
      await this.#sleep(
        RETRY_MS[Math.min(this.#attempt - 1, RETRY_MS.length - 1)],
      );
      if (this.#stopBy !== undefined) return false;
    }
    try {
      this.#link = await connectLink(
        this.#options.target,
        (count) => this.#acknowledged(count),
      );
      this.#progressAt = Date.now();
    } catch (err) {
      this.#attempt++;
      this.#problem(
        `cannot forward to ${this.#options.target.url}`,
        describe(err),
      );
    }
    return true;
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
    const room = link.window - this.#sentEnds.length;
    if (room <= 0) { // the window is full: go on once some is taken
      await link.settle(true);
      return this.#sentEnds.length < link.window;
    }
    const lines = await this.#reader.read(Math.min(room, 128));
    if (lines.length === 0) {
      if (!this.#reader.caughtUp) return true; // a long line: read on
      if (this.#sentEnds.length === 0 && this.#reader.nextFile()) {
        this.#acked = {
          ...this.#acked,
          identity: this.#reader.identity,
          offset: 0,
        };
        this.#places.save(this.#acked);
        return true;
      }
      return false;
    }
    const messages = lines.map((line) => this.#syslogMessage(line));
    for (const { end } of lines) this.#sentEnds.push(end);
    await link.send(messages);
    await link.settle(false);
    return true;
  }

  /** A line as the syslog message it is forwarded as. */
  #syslogMessage(line: ReadLine): string {
    const { message, received } = readLogLine(line);
    return cutToBytes(
      formatSyslog(message, { facility: this.#options.facility, received }),
      MAX_SYSLOG_BYTES,
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
      const again = this.#sentAgainWhileDown > 0
        ? ` (${
          plural(this.#sentAgainWhileDown, "line")
        } it had sent before the failure went again: they may have come twice)`
        : "";
      console.error(
        `${this.#options.program}: forwarding to ${this.#options.target.url} again${again}`,
      );
      this.#down = undefined;
      this.#sentAgainWhileDown = 0;
    }
    this.#places.save(this.#acked);
    this.#wake();
  }

  /** The session failed: send again from the last line taken. */
  #lose(err: unknown): void {
    if (this.#closed) return; // given up on at stop: the file is closed
    const link = this.#link;
    this.#link = undefined;
    const unsure = link?.unacknowledged ?? 0;
    this.#sentAgain += unsure;
    this.#sentAgainWhileDown += unsure;
    link?.close();
    // A line the server keeps refusing would stop forwarding for good: after
    // MAX_REFUSALS in a row it is passed over, and counted (--status).
    if (err instanceof RelpError && err.refused && this.#sentEnds.length > 0) {
      if (++this.#refusals >= MAX_REFUSALS) {
        this.#refusals = 0;
        this.#skipped++;
        this.#acked = { ...this.#acked, offset: this.#sentEnds[0] };
        this.#places.save(this.#acked);
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
    this.#places.save(this.#acked);
    await this.#places[Symbol.asyncDispose]();
    this.#reader[Symbol.dispose]();
  }
}
