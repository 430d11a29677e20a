/**
 * A seal file read record by record, for `--verify`: each line read as a
 * record (lib/seal/record.ts), with a look at the next one (to name the
 * line a difference is at, the next record's tags help), and a line cut
 * short at the end told apart from a line that is not a record.
 *
 * @example
 * ```ts
 * import { SealReader } from "./seal_reader.ts";
 * await using seal = await SealReader.open("./log.txt.seal");
 * for (let read = await seal.next(); read.record; read = await seal.next()) {}
 * ```
 *
 * @module
 */

import { ByteSource } from "./byte_source.ts";
import { MAX_RECORD_BYTES, parseRecord, type SealRecord } from "./record.ts";

/** A line of a seal file, read: its record, or why it is none. */
export interface ReadRecord {
  /** Its line number in the seal file, from 1. */
  line: number;
  record?: SealRecord;
  /** Set when the line is not a record: "cut" (the file ends in it) or "not a record". */
  problem?: "cut" | "not a record";
  /** Set when the file has no more lines. */
  end?: boolean;
}

const decoder = new TextDecoder();

/** Reads a seal file's records in order. */
export class SealReader implements AsyncDisposable {
  readonly #source: ByteSource;
  #line = 0;
  #ahead: ReadRecord | undefined;

  private constructor(source: ByteSource) {
    this.#source = source;
  }

  static async open(path: string): Promise<SealReader> {
    return new SealReader(await ByteSource.open(path));
  }

  /** The next line's record (or problem, or end), and on past it. */
  async next(): Promise<ReadRecord> {
    const read = this.#ahead ?? await this.#read();
    this.#ahead = undefined;
    return read;
  }

  /** The next line's record, if it is one, without going past it. */
  async peek(): Promise<SealRecord | undefined> {
    this.#ahead ??= await this.#read();
    return this.#ahead.record;
  }

  async #read(): Promise<ReadRecord> {
    const source = this.#source;
    let newline = -1;
    let looked = 0;
    while (newline === -1) {
      const held = await source.fill(looked + 4096);
      newline = source.peek(held).indexOf(0x0a, looked);
      if (newline !== -1 || held === looked) break;
      looked = held;
      if (looked > MAX_RECORD_BYTES) break;
    }
    if (newline === -1 && looked === 0) return { line: this.#line, end: true };
    const line = ++this.#line;
    if (newline === -1) {
      source.take(looked);
      return {
        line,
        problem: source.ended && looked <= MAX_RECORD_BYTES
          ? "cut"
          : "not a record",
      };
    }
    const record = parseRecord(decoder.decode(source.peek(newline)));
    source.take(newline + 1);
    return record ? { line, record } : { line, problem: "not a record" };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#source[Symbol.asyncDispose]();
  }
}

/**
 * The line of the seal file's last `open` record (a new log file begins
 * there: the records before it cover one rotated without its seal file),
 * or 1. Read once before the check, which goes onward only.
 *
 * @example
 * ```ts
 * await lastOpen("./log.txt.seal"); // 1, for a seal file of one log
 * ```
 */
export async function lastOpen(seal: string): Promise<number> {
  await using reader = await SealReader.open(seal);
  let line = 1;
  for (
    let read = await reader.next();
    read.record;
    read = await reader.next()
  ) {
    if (read.record.kind === "open") line = read.line;
  }
  return line;
}
