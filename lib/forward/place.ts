/**
 * Where `--forward` stands in the log: the saved place (`LOG.forward`), and
 * where to start from it when the logger starts.
 *
 * The place file holds two records of 256 bytes, each with a sequence
 * number and a checksum; a save writes the older one and syncs it to disk
 * before the next save may write the other. A power cut in the middle of a
 * save leaves the record it was writing torn (its checksum says so) and the
 * other whole: the place read back is the old one or the new one, never
 * neither. No temporary file and no rename: it needs no more than its own
 * file, and no access to the directory.
 *
 * @example
 * ```ts
 * import { PlaceFile } from "./place.ts";
 * await using places = new PlaceFile("./log.txt.forward");
 * places.read().place; // { identity: "65024:2146440", offset: 99, url: "relp://..." }
 * places.save({ identity: "65024:2146440", offset: 140, url: "relp://..." });
 * ```
 *
 * @module
 */

import { describe } from "../base/errors.ts";
import { plural } from "../base/words.ts";
import { openRegularFile, openRegularFileToRead } from "../log/open_file.ts";

/** Where forwarding stands in the log: which file (device:inode) and how far. */
export interface Place {
  identity: string;
  offset: number;
  url: string;
}

/** The bytes of one record, its newline included. */
const RECORD_BYTES = 256;
/** Saves are written at most this often (the last one always). */
const SAVE_EVERY_MS = 200;

const RECORD =
  /^zmqlog-forward (\d+:\d+) (\d+) (\S+)(?: (\d+) ([0-9a-f]{8}))? *\n/;

/** FNV-1a, 32 bits, of `text`'s UTF-16 code units, as 8 hex digits. */
function checksum(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/** Reads into `buffer` from where `file` stands, until it is full or the file ends; returns how much. */
function readInto(file: Deno.FsFile, buffer: Uint8Array): number {
  let length = 0;
  while (length < buffer.length) {
    const n = file.readSync(buffer.subarray(length)) ?? 0;
    if (n === 0) break;
    length += n;
  }
  return length;
}

/** What the place file holds: the newest whole record, and whether it held bytes that are not one. */
export interface SavedPlace {
  place?: Place;
  /** The file is not empty, yet holds no whole record. */
  damaged: boolean;
}

/**
 * A record of the place file: `place` with its sequence number and
 * checksum, padded to RECORD_BYTES; it goes at `(sequence % 2) * RECORD_BYTES`.
 *
 * @example
 * ```ts
 * placeRecord({ identity: "1:2", offset: 10, url: "relp://h:1" }, 1);
 * // "zmqlog-forward 1:2 10 relp://h:1 1 1d886ac4      ...\n" (256 bytes)
 * ```
 */
export function placeRecord(place: Place, sequence: number): Uint8Array {
  const text =
    `zmqlog-forward ${place.identity} ${place.offset} ${place.url} ${sequence}`;
  const record = `${text} ${checksum(text)}`.padEnd(RECORD_BYTES - 1);
  return new TextEncoder().encode(`${record}\n`);
}

/**
 * What the bytes of a place file hold: the whole record with the highest
 * sequence number; a torn record (its checksum wrong) is passed over.
 *
 * @example
 * ```ts
 * parsePlaces(placeRecord({ identity: "1:2", offset: 10, url: "relp://h:1" }, 2));
 * // { place: { identity: "1:2", offset: 10, url: "relp://h:1" }, damaged: false, sequence: 2 }
 * ```
 */
export function parsePlaces(
  bytes: Uint8Array,
): SavedPlace & { sequence: number } {
  let newest: Place | undefined;
  let newestSequence = 0;
  for (let at = 0; at < bytes.length; at += RECORD_BYTES) {
    const text = new TextDecoder().decode(
      bytes.subarray(at, at + RECORD_BYTES),
    );
    const match = RECORD.exec(text);
    if (match === null) continue;
    const [, identity, offset, url, sequence, check] = match;
    const whole = sequence === undefined
      ? bytes.length <= RECORD_BYTES
      : check ===
        checksum(`zmqlog-forward ${identity} ${offset} ${url} ${sequence}`);
    if (!whole || Number(sequence ?? 0) < newestSequence) continue;
    newestSequence = Number(sequence ?? 0);
    newest = { identity, offset: Number(offset), url };
  }
  return {
    place: newest,
    damaged: newest === undefined && bytes.length > 0,
    sequence: newestSequence,
  };
}

/** The saved place: two records, written in turn, each synced to disk. */
export class PlaceFile implements AsyncDisposable {
  readonly #file: Deno.FsFile;
  /** The sequence number of the newest record. */
  #sequence = 0;
  #pending?: Place;
  #writing?: Promise<void>;
  #lastWrite = 0;
  #wake = () => {};
  #closing = false;
  /** Called once when a save fails, with why. */
  onError: (why: string) => void = () => {};
  #failed = false;

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

  /**
   * The newest whole record. A file of one record without a checksum (as
   * the logger wrote it before it kept two) is read as it is.
   */
  read(): SavedPlace {
    const bytes = new Uint8Array(RECORD_BYTES * 2);
    this.#file.seekSync(0, Deno.SeekMode.Start);
    const saved = parsePlaces(bytes.subarray(0, readInto(this.#file, bytes)));
    this.#sequence = saved.sequence;
    return { place: saved.place, damaged: saved.damaged };
  }

  /** The record of `place` with the next sequence number, and where it goes. */
  #next(place: Place): { bytes: Uint8Array; at: number } {
    const sequence = ++this.#sequence;
    return {
      bytes: placeRecord(place, sequence),
      at: (sequence % 2) * RECORD_BYTES,
    };
  }

  /** Writes `place` and syncs it to disk, before anything else (at start). */
  writeNow(place: Place): void {
    const { bytes, at } = this.#next(place);
    this.#file.seekSync(at, Deno.SeekMode.Start);
    for (let done = 0; done < bytes.length;) {
      done += this.#file.writeSync(bytes.subarray(done));
    }
    this.#file.syncSync();
  }

  /**
   * Saves `place` in the background: written and synced off the event
   * loop, at most every SAVE_EVERY_MS; a newer place replaces one still
   * waiting.
   */
  save(place: Place): void {
    this.#pending = place;
    this.#writing ??= this.#writeAll();
  }

  async #writeAll(): Promise<void> {
    while (this.#pending !== undefined) {
      const wait = this.#lastWrite + SAVE_EVERY_MS - Date.now();
      if (wait > 0 && !this.#closing) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      const place = this.#pending!;
      this.#pending = undefined;
      this.#lastWrite = Date.now();
      try {
        const { bytes, at } = this.#next(place);
        await this.#file.seek(at, Deno.SeekMode.Start);
        for (let done = 0; done < bytes.length;) {
          done += await this.#file.write(bytes.subarray(done));
        }
        await this.#file.sync();
      } catch (err) {
        if (!this.#failed) this.onError(describe(err));
        this.#failed = true;
      }
    }
    this.#writing = undefined;
  }

  /** Writes what is waiting at once, and closes. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#closing = true;
    this.#wake();
    await this.#writing;
    this.#file.close();
  }
}

/** Where forwarding starts in the log, and the words that say so. */
export interface Start {
  offset: number;
  from: string;
}

/**
 * Where to start forwarding `file` (now `size` bytes, its identity
 * `identity`) to `url`, from what the place file held.
 *
 * @example
 * ```ts
 * startFrom("./log.txt", { size: 10, identity: "1:2" }, "tcp://h:1", { damaged: false });
 * // { offset: 10, from: "from the end of ./log.txt (the lines already in it are not sent)" }
 * ```
 */
export function startFrom(
  file: string,
  now: { size: number; identity: string },
  url: string,
  saved: SavedPlace,
): Start {
  const { place, damaged } = saved;
  const { size, identity } = now;
  if (damaged) {
    return {
      offset: 0,
      from:
        `from the start of ${file}: its saved place cannot be read (lines already forwarded come again)`,
    };
  }
  if (place === undefined || place.url !== url) {
    return {
      offset: size,
      from: `from the end of ${file} (the lines already in it are not sent)`,
    };
  }
  if (place.identity !== identity) {
    return {
      offset: 0,
      from: `from the start of ${file}, a new file since it last forwarded`,
    };
  }
  if (place.offset > size) return startAfterCut(file, size, place.offset);
  return {
    offset: place.offset,
    from: place.offset === size
      ? `from where it stopped (the end of ${file})`
      : `from where it stopped, ${plural(size - place.offset, "byte")} behind`,
  };
}

/**
 * The log is shorter than where forwarding stopped: it was cut (a power
 * cut loses the end of a file the disk had not yet written). All that is
 * left was forwarded; what was written at its end since may not have been.
 * It starts again at its last line: only that line may come twice.
 */
function startAfterCut(file: string, size: number, stopped: number): Start {
  const offset = lastLineStart(file, size);
  return {
    offset,
    from: `from the start of its last line: ${file} is ${
      plural(size, "byte")
    }, shorter than where forwarding stopped (${stopped}), so it was cut; ${
      plural(size - offset, "byte")
    } are sent again`,
  };
}

/** Where the last line of `file` (its first `size` bytes, NULs at its end passed over) starts. */
function lastLineStart(file: string, size: number): number {
  using reader = openRegularFileToRead(file);
  const chunk = new Uint8Array(64 * 1024);
  let end = size; // the end of the last line: after its newline, before NULs
  let seenText = false;
  for (let to = size; to > 0;) {
    const from = Math.max(0, to - chunk.length);
    reader.seekSync(from, Deno.SeekMode.Start);
    const length = readInto(reader, chunk.subarray(0, to - from));
    for (let i = length - 1; i >= 0; i--) {
      const b = chunk[i];
      if (!seenText) {
        if (b === 0) end = from + i;
        else if (b !== 10 || from + i + 1 < end) seenText = true;
      }
      if (seenText && b === 10 && from + i + 1 < end) return from + i + 1;
    }
    to = from;
  }
  return 0;
}
