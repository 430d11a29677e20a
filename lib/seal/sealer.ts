/**
 * `--seal`: the seal file writer. After each batch the logger writes, it
 * appends one record (lib/seal/record.ts) to `LOG.seal`, MACed with the
 * current key, then moves the key on and overwrites the state
 * (lib/seal/state.ts), so the key that sealed a record is gone once the
 * record is written.
 *
 * At start it takes the chain up from the state and the seal file's last
 * record: a record written just before a crash, with the state not yet
 * moved on, is taken up (its key is derived forward); bytes of the log not
 * sealed yet (the batch of a crash between write and seal, or a log that
 * was there before sealing began) are sealed then, as such. A new log file
 * (after logrotate and `--reopen`) gets a new seal file, whose first record
 * carries the last MAC of the one before.
 *
 * @example
 * ```ts
 * import { Sealer } from "./sealer.ts";
 * using sealer = await Sealer.start({ file: "./log.txt", program: "logging_basic" });
 * logFile.onWritten = (bytes, file, stopping) => sealer.sealWritten(bytes, file, stopping);
 * // ... the logger's loop ...
 * await sealer.stop();
 * ```
 *
 * @module
 */

import { describe } from "../base/errors.ts";
import { plural } from "../base/words.ts";
import { hostName } from "../log/wire.ts";
import { mac, nextKey, sha256Hex } from "./chain.ts";
import { lineTags } from "./line_tags.ts";
import {
  formatRecord,
  MAX_RECORD_LINES,
  type RecordFields,
  type RecordKind,
  type SealRecord,
  withMac,
} from "./record.ts";
import {
  exists,
  identityOf,
  openSealFile,
  openState,
  sameFile,
} from "./seal_files.ts";
import { sealPath } from "./seal_options.ts";
import type { StateFile } from "./state.ts";
import { TAKEN_UP, takeUp } from "./take_up.ts";

/** How often a logger that cannot write its seal tries again. */
const WRITE_RETRY_MS = 1000;

/** The most bytes of the log read at once to seal what was found unsealed. */
const LATE_CHUNK_BYTES = 1 << 20;

const encoder = new TextEncoder();

/** What the sealer needs to know. */
export interface SealerOptions {
  /** The log file's path. */
  file: string;
  program: string;
}

/** Seals what the logger writes, batch by batch. */
export class Sealer implements Disposable {
  readonly #options: SealerOptions;
  readonly #state: StateFile;
  readonly #host = hostName() ?? "-";
  /** The seal file being written; made with the first record it gets. */
  #sealFile: Deno.FsFile | undefined;
  #seq = 0;
  #key = new Uint8Array(0);
  #chain = "";
  /** The log file the last record covered, and where its sealed bytes end. */
  #log = "-";
  #end = 0;
  #warnedUnmoved = false;

  private constructor(options: SealerOptions, state: StateFile) {
    this.#options = options;
    this.#state = state;
  }

  /**
   * Opens the state and the seal file, takes the chain up, and seals what
   * the log holds that is not sealed yet; throws, in one line, when the
   * seal file does not continue the state's chain.
   */
  static async start(options: SealerOptions): Promise<Sealer> {
    const state = openState(options.file, options.program);
    let sealer: Sealer;
    try {
      sealer = new Sealer(options, state);
    } catch (err) {
      state[Symbol.dispose]();
      throw err;
    }
    try {
      const last = sealer.#takeUp();
      await sealer.#sealFound(last);
      return sealer;
    } catch (err) {
      sealer[Symbol.dispose]();
      throw err;
    }
  }

  /** Takes the chain up from the state and the seal file's last record. */
  #takeUp(): SealRecord | undefined {
    const path = sealPath(this.#options.file);
    if (exists(path)) this.#sealFile = openSealFile(path);
    const taken = takeUp(
      this.#state.read(),
      this.#sealFile,
      this.#options.file,
      (text) => this.#say(text),
    );
    this.#seq = taken.seq;
    this.#key = taken.key;
    this.#chain = taken.chain;
    this.#log = taken.log;
    this.#end = taken.end;
    return taken.last;
  }

  /** Seals, at start, what the log holds beyond the last seal. */
  async #sealFound(last: SealRecord | undefined): Promise<void> {
    const log = this.#options.file;
    const info = Deno.statSync(log);
    const identity = identityOf(info);
    let kind: RecordKind = "start";
    if (last === undefined) {
      // A new seal file, made with the first record; an empty log has none yet.
      if (info.size === 0) {
        this.#log = "-"; // the first batch begins it
        return;
      }
      kind = "open";
      this.#end = 0;
      this.#sealFile ??= openSealFile(sealPath(log));
    } else if (identity !== this.#log && this.#log !== TAKEN_UP) {
      this.#say(
        `${log} is not the log file the chain last sealed (it was replaced, or rotated without ${
          sealPath(log)
        }): sealing it as a new log file`,
      );
      kind = "open";
      this.#end = 0;
    } else if (info.size < this.#end) {
      this.#say(
        `${log} is shorter (${info.size} bytes) than what was sealed of it (${this.#end} bytes): it was cut while the logger was stopped`,
      );
      this.#end = info.size;
    }
    this.#log = identity;
    await this.#sealLate(kind, info.size);
  }

  /** Seals the bytes of the log from the sealed end to `size`, read back. */
  async #sealLate(kind: RecordKind, size: number): Promise<void> {
    using file = Deno.openSync(this.#options.file, { read: true });
    do {
      const want = Math.min(LATE_CHUNK_BYTES, size - this.#end);
      const bytes = new Uint8Array(want);
      file.seekSync(this.#end, Deno.SeekMode.Start);
      let got = 0;
      while (got < want) {
        const n = file.readSync(bytes.subarray(got));
        if (n === null) break;
        got += n;
      }
      // Whole lines, unless one line is longer than a chunk.
      let piece = bytes.subarray(0, got);
      const lastNewline = piece.lastIndexOf(0x0a);
      if (this.#end + got < size && lastNewline >= 0) {
        piece = piece.subarray(0, lastNewline + 1);
      }
      await this.#sealRange(piece, this.#end, kind, () => true);
      this.#end += piece.length;
      kind = "late";
    } while (this.#end < size);
  }

  /**
   * Seals a batch just written to `file` (the hook of LogFile.flush), in
   * one record (or several of MAX_RECORD_LINES lines), before the logger
   * takes the next: a crash leaves one batch at most unsealed. A seal file
   * that cannot be written (disk full) holds the logger up, as the log file
   * does; when `stopping()` meanwhile, it throws.
   */
  async sealWritten(
    bytes: Uint8Array,
    file: Deno.FsFile,
    stopping: () => boolean,
  ): Promise<void> {
    const info = file.statSync();
    const identity = identityOf(info);
    if (identity !== this.#log) await this.#newLogFile(identity, stopping);
    await this.#sealRange(bytes, info.size - bytes.length, "write", stopping);
    this.#end = info.size;
  }

  /** The log was opened again (logrotate): a new seal file, linked to the last. */
  async #newLogFile(identity: string, stopping: () => boolean) {
    const path = sealPath(this.#options.file);
    const open = this.#sealFile;
    if (open === undefined || !exists(path) || !sameFile(path, open)) {
      const fresh = openSealFile(path);
      open?.close();
      this.#sealFile = fresh;
    } else if (open.statSync().size > 0 && !this.#warnedUnmoved) {
      this.#warnedUnmoved = true;
      this.#say(
        `${this.#options.file} was opened again, but ${path} was not moved with it: rotate both together (see deploy/zmq-logger.logrotate); the new log file is sealed in the same seal file`,
      );
    }
    this.#log = identity;
    this.#end = 0;
    await this.#sealRange(new Uint8Array(0), 0, "open", stopping);
  }

  /** Seals `bytes`, at `offset` in the log, in records of at most MAX_RECORD_LINES lines. */
  async #sealRange(
    bytes: Uint8Array,
    offset: number,
    kind: RecordKind,
    stopping: () => boolean,
  ): Promise<void> {
    const tags = lineTags(bytes);
    let start = 0;
    let line = 0;
    do {
      let end = bytes.length;
      const lines = Math.min(tags.length - line, MAX_RECORD_LINES);
      if (line + lines < tags.length) {
        end = start;
        for (let n = 0; n < lines; n++) end = bytes.indexOf(0x0a, end) + 1;
      }
      const piece = bytes.subarray(start, end);
      await this.#append({
        seq: this.#seq,
        kind,
        offset: offset + start,
        length: piece.length,
        lines,
        sha256: sha256Hex(piece),
        prev: this.#chain,
        tags: tags.subarray(line, line + lines),
      }, stopping);
      start = end;
      line += lines;
    } while (line < tags.length);
  }

  /** Appends one record, then moves the key on: the old one is gone. */
  async #append(fields: RecordFields, stopping: () => boolean): Promise<void> {
    const signed = formatRecord(fields, new Date().toISOString(), this.#host);
    const sealed = mac(this.#key, signed);
    const record = `${withMac(signed, sealed)}\n`;
    await this.#writeSeal(encoder.encode(record), fields, stopping);
    this.#chain = sealed;
    this.#seq = fields.seq + 1;
    this.#key = nextKey(this.#key);
    this.#state.write({
      seq: this.#seq,
      key: this.#key,
      chain: this.#chain,
      log: this.#log,
    });
  }

  /** Writes a record to the seal file, trying again while it cannot. */
  async #writeSeal(
    bytes: Uint8Array,
    fields: RecordFields,
    stopping: () => boolean,
  ): Promise<void> {
    const path = sealPath(this.#options.file);
    let written = 0;
    let failing = false;
    while (written < bytes.length) {
      try {
        written += this.#sealFile!.writeSync(bytes.subarray(written));
      } catch (err) {
        const held = plural(fields.lines, "line");
        if (stopping()) {
          throw new Error(
            `stopped with ${held} not sealed: cannot write to '${path}': ${
              describe(err)
            }`,
          );
        }
        if (!failing) {
          this.#say(
            `Cannot write to '${path}': ${
              describe(err)
            }; holding the seal of ${held} and trying again every ${
              WRITE_RETRY_MS / 1000
            } s (senders wait meanwhile)`,
          );
          failing = true;
        }
        await new Promise((resolve) => setTimeout(resolve, WRITE_RETRY_MS));
      }
    }
    if (failing) this.#say(`sealing to '${path}' again`);
  }

  /**
   * Makes the seal file now if it is not there yet, empty (its first record
   * comes with the first batch): `--forward` reads it from its start.
   */
  makeFile(): void {
    this.#sealFile ??= openSealFile(sealPath(this.#options.file));
  }

  /** A clean stop: a last record says so, and the state is synced. */
  async stop(): Promise<void> {
    if (this.#sealFile !== undefined) {
      await this.#sealRange(new Uint8Array(0), this.#end, "stop", () => true);
    }
    this.#state.sync();
  }

  /** Says something on stderr. */
  #say(text: string): void {
    console.error(`${this.#options.program}: ${text}`);
  }

  [Symbol.dispose](): void {
    try {
      this.#sealFile?.close();
    } finally {
      this.#state[Symbol.dispose]();
    }
  }
}
