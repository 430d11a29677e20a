/**
 * Where `--forward` stands in the log: the saved place (`LOG.forward`, one
 * small record rewritten in place) and the reader that takes whole lines
 * from it, across logrotate.
 *
 * @example
 * ```ts
 * import { LogReader, PlaceFile } from "./place.ts";
 * using places = new PlaceFile("./log.txt.forward");
 * const place = places.read(); // { identity: "65024:2146440", offset: 99, url: "relp://..." }
 * using reader = new LogReader("./log.txt", place.identity, place.offset, 400_000);
 * reader.lines(128); // [{ text: "...", end: 140 }, ...]
 * ```
 *
 * @module
 */

import { describe } from "../base/errors.ts";
import { openRegularFile, openRegularFileToRead } from "../log/open_file.ts";

/** Bytes read from the log at a time. */
const CHUNK_BYTES = 64 * 1024;

/** Where forwarding stands in the log: which file (device:inode) and how far. */
export interface Place {
  identity: string;
  offset: number;
  url: string;
}

/** The saved place, kept in one small record rewritten in place. */
export class PlaceFile implements Disposable {
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
export class LogReader implements Disposable {
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
    this.#file = openRegularFileToRead(path);
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
      info = Deno.lstatSync(this.path);
    } catch {
      return false; // moved away, not yet created again
    }
    // A link or FIFO someone put there is not the log: the logger refuses it
    // too, so wait for a regular file.
    if (!info.isFile) return false;
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
    this.#offset = 0;
    this.#pending = new Uint8Array(0);
    return true;
  }

  [Symbol.dispose](): void {
    this.#file.close();
  }
}
