/**
 * The log file as `--forward` reads it: whole lines from a place, across
 * logrotate, without holding up the logger that shares its thread.
 *
 * - Reads are asynchronous and a call reads at most READ_BUDGET_BYTES, so
 *   the logger's loop runs between them whatever the size of a line.
 * - Each byte is read once and copied at most once: a line longer than
 *   what is forwarded of it keeps only its start (its head); the rest is
 *   passed over as it is read. A 96 MiB line costs 96 MiB of reading and
 *   `headBytes` of memory.
 * - A run of NUL bytes is not a line: the logger never writes a raw NUL
 *   (it escapes them), so a run is what a crash left (a file system that
 *   had grown the file but not yet written it). It ends the line before it
 *   and is passed over, and counted (`onNuls`).
 *
 * @example
 * ```ts
 * import { LogReader } from "./reader.ts";
 * using reader = new LogReader("./log.txt", "65024:2146440", 0, 65_536);
 * await reader.read(128); // [{ text: "...", cut: false, end: 140 }, ...]
 * ```
 *
 * @module
 */

import { openRegularFileToRead } from "../log/open_file.ts";
import { type LogLine, parseLogLine } from "../log/log_line.ts";

/** Bytes read from the log at a time. */
const BUFFER_BYTES = 256 * 1024;
/** Bytes one call of {@link LogReader.read} reads at most before it returns. */
const READ_BUDGET_BYTES = 1024 * 1024;

/** A line read: its text (its head when `cut`), and the offset just past it. */
export interface ReadLine {
  text: string;
  /** The line was longer than the reader keeps: `text` is its start. */
  cut: boolean;
  end: number;
}

const decoder = new TextDecoder();

/** The log file as forwarding reads it: whole lines from a place, across logrotate. */
export class LogReader implements Disposable {
  #file: Deno.FsFile;
  #identity: string;
  readonly #buffer = new Uint8Array(BUFFER_BYTES);
  /** What is read and not yet taken: `#buffer[#start, #end)`. */
  #start = 0;
  #end = 0;
  /** The file's offset of `#buffer[#start]`. */
  #offset: number;
  /** The start of a line that began in an earlier read, at most `headBytes`. */
  readonly #head: Uint8Array;
  #headLength = 0;
  /** The line being read is longer than `headBytes`. */
  #cut = false;
  /** Where the next NUL at or after `#start` is in the buffer (`#end` if none); below `#start`: not looked for yet. */
  #nulAt = -1;
  /** NUL bytes passed over in the run being read. */
  #nuls = 0;
  /** A run of NULs ended just before the line being read. */
  #afterNuls = false;
  /** Where the last run of NULs said ended: read again after a rewind, it is not said again. */
  #nulsSaidTo = -1;
  #caughtUp = false;
  /** Called once for each run of NUL bytes passed over (not again after a rewind), with its length and where it ended. */
  onNuls: (count: number, end: number) => void = () => {};

  constructor(
    readonly path: string,
    identity: string,
    offset: number,
    readonly headBytes: number,
  ) {
    this.#file = openRegularFileToRead(path);
    this.#identity = identity;
    this.#offset = offset;
    this.#head = new Uint8Array(headBytes);
    this.#file.seekSync(offset, Deno.SeekMode.Start);
  }

  get identity(): string {
    return this.#identity;
  }

  /** The last {@link read} reached the end of the file (it stopped for no other reason). */
  get caughtUp(): boolean {
    return this.#caughtUp;
  }

  /**
   * Up to `max` whole lines after the place, each with the offset just past
   * it; fewer when it reached the end of the file or read READ_BUDGET_BYTES
   * (then call again: `caughtUp` tells which).
   */
  async read(max: number): Promise<ReadLine[]> {
    const lines: ReadLine[] = [];
    let budget = READ_BUDGET_BYTES;
    this.#caughtUp = false;
    while (lines.length < max) {
      if (this.#start === this.#end) {
        if (budget <= 0) break;
        const n = await this.#file.read(this.#buffer) ?? 0;
        if (n === 0) {
          this.#caughtUp = true;
          break;
        }
        budget -= n;
        this.#start = 0;
        this.#end = n;
        this.#nulAt = -1;
        continue;
      }
      // A run of NULs at the start of a line; after a line's start, it ends the line first.
      const line = this.#buffer[this.#start] === 0 && this.#headLength === 0
        ? this.#passNuls()
        : this.#takeLine();
      if (line !== undefined) lines.push(line);
    }
    return lines;
  }

  /** Passes over the NULs at `#start` (the run may go on in the next read). */
  #passNuls(): undefined {
    let i = this.#start;
    while (i < this.#end && this.#buffer[i] === 0) i++;
    this.#nuls += i - this.#start;
    this.#offset += i - this.#start;
    this.#start = i;
    return undefined;
  }

  /** A run of NULs ended at `#offset`: says so, once. */
  #nulsEnded(): void {
    if (this.#offset > this.#nulsSaidTo) this.onNuls(this.#nuls, this.#offset);
    this.#nulsSaidTo = Math.max(this.#nulsSaidTo, this.#offset);
    this.#nuls = 0;
    this.#afterNuls = true;
  }

  /**
   * Takes the line at `#start`, up to a newline or a NUL; undefined when
   * the buffer ends first (its start is kept), or when it is only the
   * newline after a run of NULs.
   */
  #takeLine(): ReadLine | undefined {
    if (this.#nuls > 0) this.#nulsEnded();
    const start = this.#start;
    const view = this.#buffer.subarray(0, this.#end);
    if (this.#nulAt < start) {
      const nul = view.indexOf(0, start);
      this.#nulAt = nul === -1 ? this.#end : nul;
    }
    let stop = view.indexOf(10, start);
    const newline = stop !== -1 && stop < this.#nulAt;
    if (!newline) stop = this.#nulAt;
    if (stop === this.#end) { // the line goes on in the next read
      this.#keep(start, stop);
      this.#offset += stop - start;
      this.#start = stop;
      return undefined;
    }
    let text: string;
    if (this.#headLength === 0) {
      this.#cut = stop - start > this.headBytes;
      text = decoder.decode(
        view.subarray(start, Math.min(stop, start + this.headBytes)),
      );
    } else {
      this.#keep(start, stop);
      text = decoder.decode(this.#head.subarray(0, this.#headLength));
    }
    const cut = this.#cut;
    const after = stop + (newline ? 1 : 0);
    this.#offset += after - start;
    this.#start = after;
    this.#headLength = 0;
    this.#cut = false;
    const afterNuls = this.#afterNuls;
    this.#afterNuls = false;
    if (text === "" && (afterNuls || !newline)) return undefined;
    return { text, cut, end: this.#offset };
  }

  /** Keeps `#buffer[from, to)` as more of the line's head, as far as there is room. */
  #keep(from: number, to: number): void {
    const room = this.headBytes - this.#headLength;
    const n = Math.min(room, to - from);
    this.#head.set(this.#buffer.subarray(from, from + n), this.#headLength);
    this.#headLength += n;
    if (to - from > n) this.#cut = true;
  }

  /** Goes back to `offset` in the same file (after a failure, to send again). */
  rewind(offset: number): void {
    this.#offset = offset;
    this.#start = this.#end = 0;
    this.#headLength = 0;
    this.#cut = false;
    this.#nuls = 0;
    this.#afterNuls = false;
    this.#file.seekSync(offset, Deno.SeekMode.Start);
  }

  /**
   * When logrotate gave the path a new file and this one is read to its end,
   * moves to the new one, from its start; true when it did.
   */
  nextFile(): boolean {
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(this.path);
    } catch {
      return false; // moved away, not yet created again
    }
    // A link or FIFO someone put there is not the log: the logger refuses it
    // too, so wait for a regular file.
    if (!info.isFile) return false;
    const identity = `${info.dev}:${info.ino}`;
    const size = this.#file.statSync().size;
    const position = this.#offset + this.#end - this.#start;
    if (identity === this.#identity) {
      if (size < this.#offset) { // truncated in place (copytruncate)
        this.rewind(0);
        return true;
      }
      return false;
    }
    if (position < size) return false; // finish this one
    let next: Deno.FsFile;
    try {
      next = openRegularFileToRead(this.path);
    } catch {
      return false; // swapped for something else meanwhile: look again later
    }
    this.#file.close();
    this.#file = next;
    const opened = next.statSync();
    this.#identity = `${opened.dev}:${opened.ino}`;
    this.#nulsSaidTo = -1;
    this.rewind(0);
    return true;
  }

  [Symbol.dispose](): void {
    this.#file.close();
  }
}

/**
 * A line read back as the logger wrote it. A JSON Lines record cut short
 * (`cut`) is closed where it was cut, so its level, host and tag stay and
 * its message is its start: the logger writes the message last.
 *
 * @example
 * ```ts
 * readLogLine({ text: '{"received":null,"sent":null,"host":"pi","tag":null,"level":"error","message":"ab', cut: true, end: 0 });
 * // { message: { level: "error", host: "pi", text: "ab" } }
 * ```
 */
export function readLogLine(line: ReadLine): LogLine {
  if (line.cut && line.text.startsWith("{")) {
    let text = line.text;
    // An escape cut in two (`\`, or `\u` and fewer than four digits) is dropped.
    const tail = /(\\+)(u[0-9a-fA-F]{0,3})?$/.exec(text);
    if (tail !== null && tail[1].length % 2 === 1) {
      text = text.slice(0, tail.index + tail[1].length - 1);
    }
    const closed = `${text}"}`;
    const parsed = parseLogLine(closed);
    if (parsed.message.text !== closed) return parsed; // read as JSON
  }
  return parseLogLine(line.text);
}
