/**
 * The log as `--show` reads it: its text as it comes and, for `--follow`,
 * across logrotate, with nothing left unread at a rotation. A run of NUL
 * bytes (what a crash can leave) is taken out and reported once.
 *
 * - Moved away (logrotate's default): the logger writes to the moved file
 *   until its `--reopen`, and then only to the new one. So the moved file is
 *   read for as long as the new one is empty (logrotate's `create` makes it
 *   at once); once the new one has a byte, the moved one is read to its end,
 *   then the new one from its start.
 * - Truncated in place (`copytruncate`): what was written since the last
 *   look is gone from the file, so it is read from the copy at
 *   `PATH.1` where Deno may read it (checked: it must hold the bytes read
 *   last at the same place), then the file from its start; where it may
 *   not, or there is no such copy, a note says what may be missing.
 * - Cut back to where a run of NUL bytes began (the logger does that when it
 *   starts after a crash): read on from there.
 *
 * @example
 * ```ts
 * import { FollowedLog } from "./followed_log.ts";
 * using log = new FollowedLog("./log.txt", console.error);
 * for (let text; (text = log.read()) !== undefined;) console.log(text);
 * log.look(); // after a pause: did logrotate move or truncate it?
 * ```
 *
 * @module
 */

import { describe } from "../base/errors.ts";
import { plural } from "../base/words.ts";
import { loggerRunCommand } from "../log/file_hints.ts";
import { openRegularFileToRead } from "../log/open_file.ts";

/** How much is read at a time. */
const CHUNK_BYTES = 1 << 16;
/** How many of the last bytes read are kept, to tell a file rewritten under the reader. */
const TAIL_BYTES = 256;
const NEWLINE = 0x0a;

/** One file being read, and how far. */
interface Source {
  file: Deno.FsFile;
  /** Its name, for notes. */
  path: string;
  /** Where the next read starts. */
  offset: number;
  /** device:inode, to tell another file at the path. */
  identity: string;
}

/** device:inode of a file's info. */
function identityOf(info: Deno.FileInfo): string {
  return `${info.dev}:${info.ino}`;
}

/** Opens `path` to read from its start. */
function openSource(path: string): Source {
  const file = Deno.openSync(path, { read: true });
  return { file, path, offset: 0, identity: identityOf(file.statSync()) };
}

/** Reads exactly `into.length` bytes from where the file is; false when it ends first. */
function readFully(file: Deno.FsFile, into: Uint8Array): boolean {
  for (let got = 0; got < into.length;) {
    const n = file.readSync(into.subarray(got));
    if (n === null || n === 0) return false;
    got += n;
  }
  return true;
}

/** Whether `file` holds `bytes` just before `offset`; it is left at `offset`. */
function holdsBefore(
  file: Deno.FsFile,
  offset: number,
  bytes: Uint8Array,
): boolean {
  const found = new Uint8Array(bytes.length);
  file.seekSync(offset - bytes.length, Deno.SeekMode.Start);
  const whole = readFully(file, found);
  file.seekSync(offset, Deno.SeekMode.Start);
  return whole && found.every((byte, i) => byte === bytes[i]);
}

/**
 * The log file `--show` reads: {@link read} gives its text as it comes,
 * {@link look} (after a pause, with `--follow`) notices logrotate. Each run
 * of NUL bytes is one "\0" in the text, and `note` is told of it.
 */
export class FollowedLog implements Disposable {
  /** The file read now. */
  #source: Source;
  /** Read from its start once the file read now is read to its end. */
  #next: Source | undefined;
  /** Text to give before reading on (the end of a file that was left). */
  #carry = "";
  #decoder = new TextDecoder();
  readonly #chunk = new Uint8Array(CHUNK_BYTES);
  /** The last bytes read (up to TAIL_BYTES) of the file read now. */
  #tail = new Uint8Array(0);
  /** The last byte read of the file read now; -1 before the first. */
  #lastByte = -1;
  /** Where the run of NUL bytes the last bytes read are in began. */
  #nulRunStart: number | undefined;
  /** NUL bytes of that run not yet noted, from where. */
  #unnoted = 0;
  #unnotedFrom = 0;

  /**
   * Opens the log at `path` (throws if it cannot); `note` gets each line to
   * say on stderr.
   */
  constructor(readonly path: string, readonly note: (text: string) => void) {
    this.#source = openSource(path);
  }

  /** The next text of the log; undefined at its end, for now. */
  read(): string | undefined {
    if (this.#carry !== "") {
      const text = this.#carry;
      this.#carry = "";
      return text;
    }
    const source = this.#source;
    const n = source.file.readSync(this.#chunk);
    if (n !== null && n > 0) {
      const bytes = this.#chunk.subarray(0, n);
      source.offset += n;
      this.#keepTail(bytes);
      return this.#take(bytes, source.offset - n);
    }
    this.#noteNuls();
    if (this.#next === undefined) return undefined;
    const next = this.#next;
    this.#next = undefined;
    if (source.file !== next.file) source.file.close();
    return this.#moveTo(next);
  }

  /**
   * Looks at the path after a pause: a new file there with something in it
   * is read next, once this one is read to its end; a file truncated in
   * place is read again from its start, after what its copy holds.
   */
  look(): void {
    if (this.#next !== undefined) return; // already moving on
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(this.path);
    } catch {
      return; // moved away and not yet created again
    }
    if (!info.isFile) return;
    if (identityOf(info) === this.#source.identity) return this.#checkInPlace();
    // The logger writes to the new file only once it is done with this one:
    // until then (it may be empty for a while), this one may still grow.
    if (info.size === 0) return;
    try {
      this.#next = openSource(this.path);
    } catch {
      // Gone again, or not ours to read: look again later.
    }
  }

  /** The text of the last bytes of the file left, then `next` from its start. */
  #moveTo(next: Source): string {
    this.#noteNuls();
    let text = this.#decoder.decode();
    if (this.#lastByte !== -1 && this.#lastByte !== NEWLINE) text += "\n";
    this.#source = next;
    this.#decoder = new TextDecoder();
    this.#tail = new Uint8Array(0);
    this.#lastByte = -1;
    this.#nulRunStart = undefined;
    return text;
  }

  /** Keeps the last TAIL_BYTES bytes read, and the last byte. */
  #keepTail(bytes: Uint8Array): void {
    this.#lastByte = bytes[bytes.length - 1];
    if (bytes.length >= TAIL_BYTES) {
      this.#tail = bytes.slice(bytes.length - TAIL_BYTES);
      return;
    }
    const joined = new Uint8Array(this.#tail.length + bytes.length);
    joined.set(this.#tail);
    joined.set(bytes, this.#tail.length);
    this.#tail = joined.slice(Math.max(0, joined.length - TAIL_BYTES));
  }

  /** `bytes` read at `at` as text, each run of NUL bytes one "\0", counted. */
  #take(bytes: Uint8Array, at: number): string {
    let text = "";
    let from = 0;
    while (from < bytes.length) {
      const nul = bytes.indexOf(0, from);
      const end = nul === -1 ? bytes.length : nul;
      if (end > from) {
        this.#noteNuls();
        this.#nulRunStart = undefined;
        text += this.#decoder.decode(bytes.subarray(from, end), {
          stream: true,
        });
      }
      if (nul === -1) break;
      let after = nul;
      while (after < bytes.length && bytes[after] === 0) after++;
      if (this.#nulRunStart === undefined) {
        this.#nulRunStart = at + nul;
        text += "\0";
      }
      if (this.#unnoted === 0) this.#unnotedFrom = at + nul;
      this.#unnoted += after - nul;
      from = after;
    }
    return text;
  }

  /** Says how many NUL bytes were skipped, if any since the last note. */
  #noteNuls(): void {
    if (this.#unnoted === 0) return;
    this.note(
      `skipped ${
        plural(this.#unnoted, "NUL byte")
      } at byte ${this.#unnotedFrom} of ${this.#source.path} (a crash or power cut can leave them)`,
    );
    this.#unnoted = 0;
  }

  /**
   * The same file is at the path: whether it shrank below what was read, or
   * the bytes read last are no longer there (truncated, then written again).
   */
  #checkInPlace(): void {
    const source = this.#source;
    const size = source.file.statSync().size;
    if (
      size >= source.offset &&
      holdsBefore(source.file, source.offset, this.#tail)
    ) {
      return;
    }
    const nulRunStart = this.#nulRunStart;
    if (nulRunStart !== undefined && size >= nulRunStart) {
      // The NUL bytes at its end were cut away (and lines written after).
      source.file.seekSync(nulRunStart, Deno.SeekMode.Start);
      source.offset = nulRunStart;
      this.#tail = new Uint8Array(0);
      this.#nulRunStart = undefined;
      return;
    }
    const copy = this.#openCopy(source.offset);
    source.file.seekSync(0, Deno.SeekMode.Start);
    const fromStart = { ...source, offset: 0 };
    if (copy === undefined) {
      this.#carry = this.#moveTo(fromStart);
      return;
    }
    // The copy goes on from where the file was read to: the same text.
    this.#source = copy;
    this.#next = fromStart;
  }

  /**
   * The copy logrotate's copytruncate made at PATH.1, open at `offset`, when
   * Deno may read it and it holds the bytes read last just before `offset`;
   * otherwise a note says what may be missing, and undefined.
   */
  #openCopy(offset: number): Source | undefined {
    const path = `${this.path}.1`;
    const cut =
      `${this.path} was truncated in place (logrotate's copytruncate?) after byte ${offset} was read: what was written to it just before (if anything)`;
    if (
      Deno.permissions.querySync({ name: "read", path }).state !== "granted"
    ) {
      this.note(
        `${cut} is only in ${path}, which Deno may not read; ${
          this.#readingHint(path)
        }`,
      );
      return undefined;
    }
    let copy: Source;
    try {
      const file = openRegularFileToRead(path);
      copy = { file, path, offset, identity: identityOf(file.statSync()) };
    } catch (err) {
      this.note(
        `${cut} may be missing: its copy ${path} cannot be read: ${
          describe(err)
        }`,
      );
      return undefined;
    }
    // What was read may go on past the copy's end: written between
    // logrotate's copy and its truncate, not in the copy, but not missed.
    const end = Math.min(offset, copy.file.statSync().size);
    const known = this.#tail.subarray(
      0,
      Math.max(0, this.#tail.length - (offset - end)),
    );
    if (known.length === 0 || !holdsBefore(copy.file, end, known)) {
      copy.file.close();
      this.note(
        `${cut} may be missing: ${path} does not hold what was read before it`,
      );
      return undefined;
    }
    copy.offset = end;
    return copy;
  }

  /** How to let Deno read `path` too. */
  #readingHint(path: string): string {
    if (Deno.build.standalone) {
      return `this binary may read only the log file it was built for`;
    }
    return `to follow them too, start as: ${
      loggerRunCommand({ write: [], read: [this.path, path] }, Deno.args)
    }`;
  }

  [Symbol.dispose](): void {
    this.#source.file.close();
    if (this.#next !== undefined && this.#next.file !== this.#source.file) {
      this.#next.file.close();
    }
  }
}
