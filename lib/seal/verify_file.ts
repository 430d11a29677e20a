/**
 * `--verify` of one log against its seal file: each record's MAC with the
 * key of its number (derived from the verification key), its place in the
 * chain, and the log's bytes it covers; what differs is named by its first
 * line (lib/seal/diagnose.ts), what is not sealed by its lines, and what
 * was sealed late is noted. Both files are read once, from start to end.
 *
 * @example
 * ```ts
 * import { checkLog } from "./verify_file.ts";
 * const check = await checkLog("./log.txt", "./log.txt.seal", firstKey);
 * check.findings; // [] when all is verified
 * ```
 *
 * @module
 */

import { ByteSource } from "./byte_source.ts";
import { roughTime } from "../base/words.ts";
import { FIRST_PREV, keyAt, mac, nextKey, sha256Hex } from "./chain.ts";
import { describeDifference, findDifference, linesAre } from "./diagnose.ts";
import type { SealRecord } from "./record.ts";
import { lastOpen, type ReadRecord, SealReader } from "./seal_reader.ts";

/**
 * The most lines a crash can leave unsealed at the end: one write of the
 * logger (lib/seal/sealer.ts seals each before the next is taken), at most
 * 4096 messages (lib/logger/receive.ts), a line each (a message of several
 * frames is a line a frame: a flood of those can hold more), and the
 * logger's own notes. More unsealed lines than that at the end cannot be
 * what a crash left.
 */
const UNSEALED_BY_CRASH = 4096 + 64;

/**
 * A file's first record is checked with the key of its number, that many
 * steps of SHA-256 from the verification key (unless the file before gave
 * it): a long walk for a late file of a busy chain, and for a forged record
 * number, years. After KEY_WALK_QUIET_MS of it, `--verify` says on stderr
 * how long it will take, then how far it is every KEY_WALK_EVERY_MS.
 */
const KEY_WALK_QUIET_MS = 2000;
const KEY_WALK_EVERY_MS = 30_000;

/** What `--verify` found in one log and its seal file. */
export interface LogCheck {
  log: string;
  seal: string;
  /** What is wrong, a line each: empty when all is verified. */
  findings: string[];
  /** What a verified log holds that is worth knowing: lines sealed late. */
  notes: string[];
  /** Lines read and verified. */
  lines: number;
  first?: SealRecord;
  last?: SealRecord;
  /** The key of the record after the last. */
  keyAfter?: Uint8Array<ArrayBuffer>;
}

/** The key a file's first record is checked with, when the file before gave it. */
export interface CarriedKey {
  seq: number;
  key: Uint8Array<ArrayBuffer>;
}

/** Checks one log against one seal file. */
class Checker {
  readonly check: LogCheck;
  #key = new Uint8Array(0);
  /** The next line's number, and the sealed bytes' end (of the log as sealed). */
  #lineNo = 1;
  #sealedEnd = 0;
  #contentOk = true;
  /** The log ended within sealed lines: the last line there is. */
  #cutAfter?: number;
  /** The last line the seals read so far cover. */
  #sealedThrough = 0;
  #late?: { from: number; to: number; time: string };

  constructor(
    readonly log: ByteSource,
    readonly seal: SealReader,
    paths: { log: string; seal: string },
    readonly firstKey: Uint8Array<ArrayBuffer>,
    /** The seal file's line from which records cover this log: its last `open`. */
    readonly contentFrom: number,
    readonly carried?: CarriedKey,
    /** Where to say how a long walk to a key goes (see KEY_WALK_QUIET_MS). */
    readonly say?: (text: string) => void,
  ) {
    this.check = { ...paths, findings: [], notes: [], lines: 0 };
  }

  async run(): Promise<void> {
    for (;;) {
      const read = await this.seal.next();
      if (read.end) break;
      const record = read.record;
      if (record === undefined) return this.#problem(read);
      if (!this.#inChain(record, read)) return;
      if (read.line < this.contentFrom) {
        // An earlier log file's records, in the same seal file.
      } else if (this.#contentOk) {
        if (read.line === this.contentFrom && read.line > 1) {
          this.#sealFinding(
            `seal records ${this.check.first!.seq}-${
              record.seq - 1
            } cover another log file before ${this.check.log} (rotated without its seal file, or replaced): their lines are not in it; ${this.check.log} is checked against the records from ${record.seq} on`,
          );
        }
        await this.#checkContent(record);
      }
      this.#sealedThrough = this.#contentOk
        ? this.#lineNo - 1
        : this.#sealedThrough + record.lines;
      this.check.last = record;
    }
    this.#noteLate();
    if (this.check.last === undefined) {
      this.#sealFinding("is empty: nothing of the log is sealed");
    } else if (this.#cutAfter !== undefined) {
      this.check.findings.push(
        `${this.check.log}: cut short: it ends after line ${this.#cutAfter}, but its seals cover lines up to ${this.#sealedThrough} (the last sealed at ${this.check.last.time})`,
      );
    } else if (this.#contentOk) {
      await this.#checkEnd();
    }
    this.check.lines = this.#lineNo - 1;
    this.check.keyAfter = nextKey(this.#key);
  }

  #sealFinding(text: string): void {
    this.check.findings.push(`${this.check.seal}: ${text}`);
  }

  /** The record's MAC and place in the chain; false (and why) when wrong. */
  #inChain(record: SealRecord, read: ReadRecord): boolean {
    const before = this.check.last;
    const where =
      `seal record ${record.seq} (line ${read.line} of the seal file)`;
    if (before !== undefined && record.seq !== before.seq + 1) {
      this.#sealFinding(
        record.seq > before.seq + 1
          ? `seal records ${before.seq + 1}-${
            record.seq - 1
          } are missing: ${where} follows record ${before.seq}`
          : `${where} is out of order: it follows record ${before.seq}`,
      );
      return false;
    }
    if (before !== undefined) {
      this.#key = nextKey(this.#key);
    } else {
      const carried = this.carried;
      this.#key = carried?.seq === record.seq
        ? carried.key
        : keyAt(this.firstKey, record.seq, this.#walkReport(record.seq, where));
      this.check.first = record;
    }
    if (mac(this.#key, record.signed) !== record.mac) {
      this.#sealFinding(
        `${where} was not sealed with the key of record ${record.seq}: it was forged, or changed after it was sealed`,
      );
      return false;
    }
    const prev = before?.mac ?? (record.seq === 0 ? FIRST_PREV : record.prev);
    if (record.prev !== prev) {
      this.#sealFinding(
        `${where} does not continue the chain: the record before it was replaced`,
      );
      return false;
    }
    return true;
  }

  /**
   * What keyAt is told as it walks to the key of record `seq`: after a few
   * seconds, how long the walk will take; then, now and then, how far it is.
   */
  #walkReport(
    seq: number,
    where: string,
  ): ((done: number) => void) | undefined {
    const say = this.say;
    if (say === undefined) return undefined;
    const began = performance.now();
    let saidAt: number | undefined;
    return (done) => {
      const now = performance.now();
      if (
        now - (saidAt ?? began) <
          (saidAt ? KEY_WALK_EVERY_MS : KEY_WALK_QUIET_MS)
      ) return;
      const perSecond = done / ((now - began) / 1000);
      const left = roughTime((seq - done) / perSecond);
      say(
        saidAt === undefined
          ? `${this.check.seal}: the key of ${where} is ${
            seq.toLocaleString("en")
          } steps of SHA-256 from the verification key: about ${left} more at ${
            Math.round(perSecond).toLocaleString("en")
          } a second (Ctrl-C stops; a record number this chain's logger cannot have reached means the seal file was forged)`
          : `${this.check.seal}: ${
            Math.floor(100 * done / seq)
          }% of the way to the key of ${where}, about ${left} more`,
      );
      saidAt = now;
    };
  }

  /** A line of the seal file that is no record (or the file cut in one). */
  #problem(read: ReadRecord): void {
    this.#sealFinding(
      read.problem === "cut"
        ? `cut: its last line (${read.line}) is a seal record cut short`
        : `line ${read.line} is not a seal record`,
    );
  }

  /** The log's bytes the record covers, and any not sealed before them. */
  async #checkContent(record: SealRecord): Promise<void> {
    if (record.offset < this.#sealedEnd) {
      this.#sealFinding(
        `seal record ${record.seq} covers bytes of the log sealed before it (from byte ${record.offset}): the log was cut while the logger was stopped`,
      );
      this.#contentOk = false;
      return;
    }
    if (record.offset > this.#sealedEnd) {
      if (!await this.#unsealedBetween(record)) return;
    }
    const got = await this.log.fill(record.length);
    const bytes = this.log.peek(got);
    if (got === record.length && sha256Hex(bytes) === record.sha256) {
      this.log.take(got);
      this.#sealedEnd = record.offset + record.length;
      if (record.lines > 0 && record.kind !== "write") {
        // Found unsealed (at start, or at a new log file) and sealed then.
        this.#late ??= { from: this.#lineNo, to: 0, time: record.time };
        this.#late.to = this.#lineNo + record.lines - 1;
      } else if (record.lines > 0) {
        this.#noteLate();
      }
      this.#lineNo += record.lines;
      return;
    }
    this.#contentOk = false;
    await this.#differs(record);
  }

  /** Bytes of the log between two records, which nothing sealed. */
  async #unsealedBetween(record: SealRecord): Promise<boolean> {
    const count = await this.#takeLines(record.offset - this.#sealedEnd);
    if (count.short) {
      this.#cutAfter = this.#lineNo + count.lines - 1;
      this.#contentOk = false;
      return false;
    }
    const before = this.check.last;
    this.check.findings.push(
      `${this.check.log}: ${
        linesAre(this.#lineNo, this.#lineNo + count.lines - 1)
      } not sealed: they came between seal records ${before?.seq} and ${record.seq} (sealed at ${before?.time} and ${record.time}), not written by the logger`,
    );
    this.#lineNo += count.lines;
    this.#sealedEnd = record.offset;
    return true;
  }

  /** Goes past `bytes` bytes of the log, counting their lines. */
  async #takeLines(bytes: number): Promise<{ lines: number; short: boolean }> {
    let lines = 0;
    let left = bytes;
    while (left > 0) {
      const got = await this.log.fill(Math.min(left, 1 << 16));
      if (got === 0) return { lines, short: true };
      const chunk = this.log.peek(got);
      for (
        let i = chunk.indexOf(0x0a);
        i !== -1;
        i = chunk.indexOf(0x0a, i + 1)
      ) {
        lines++;
      }
      this.log.take(got);
      left -= got;
    }
    return { lines, short: false };
  }

  /** Names the first line that differs from what the record sealed. */
  async #differs(record: SealRecord): Promise<void> {
    const next = await this.seal.peek();
    const follows = next?.offset === record.offset + record.length;
    const window = record.length + (follows ? next!.length : 0);
    const got = await this.log.fill(window);
    const sealed = new Uint32Array(record.lines + (follows ? next!.lines : 0));
    sealed.set(record.tags);
    if (follows) sealed.set(next!.tags, record.lines);
    const difference = findDifference(
      this.log.peek(got),
      sealed,
      this.log.ended && got < window,
    );
    if (difference?.kind === "cut") {
      this.#cutAfter = this.#lineNo + difference.line - 1;
      return;
    }
    this.check.findings.push(
      `${this.check.log}: ${
        describeDifference(difference, this.#lineNo, record)
      }`,
    );
  }

  /** What the log holds after the last seal, if anything. */
  async #checkEnd(): Promise<void> {
    const from = this.#lineNo;
    let bytes = 0;
    let lines = 0;
    for (;;) {
      const got = await this.log.fill(1 << 16);
      if (got === 0) break;
      const chunk = this.log.peek(got);
      for (
        let i = chunk.indexOf(0x0a);
        i !== -1;
        i = chunk.indexOf(0x0a, i + 1)
      ) {
        lines++;
      }
      if (chunk[got - 1] !== 0x0a && this.log.ended && got === this.log.held) {
        lines++; // a last line without its newline
      }
      bytes += got;
      this.log.take(got);
    }
    if (bytes === 0) return;
    const last = this.check.last!;
    const why = last.kind === "stop"
      ? `added after the logger stopped, at ${last.time}`
      : lines <= UNSEALED_BY_CRASH
      ? `written after the last seal, at ${last.time} (the logger was stopped or killed between writing and sealing them, or is writing them now)`
      : `more than one write of the logger after the last seal, at ${last.time}: the seal file ends early (cut, or replaced by an older copy)`;
    this.check.findings.push(
      `${this.check.log}: ${
        linesAre(from, from + lines - 1)
      } not sealed: ${why}`,
    );
    this.#lineNo += lines;
  }

  /** Says, once a run of lines sealed late ends, that they were. */
  #noteLate(): void {
    const late = this.#late;
    if (late === undefined) return;
    this.check.notes.push(
      `${this.check.log}: note: ${
        linesAre(late.from, late.to, true)
      } found unsealed and sealed at ${late.time}, when the logger started or opened the file (written before sealing began, or before the logger was stopped without sealing them)`,
    );
    this.#late = undefined;
  }
}

/**
 * Checks the log at `log` against the seal file at `seal` with the
 * verification key `firstKey`; `carried` is the key the file before left.
 */
export async function checkLog(
  log: string,
  seal: string,
  firstKey: Uint8Array<ArrayBuffer>,
  carried?: CarriedKey,
  say?: (text: string) => void,
): Promise<LogCheck> {
  const contentFrom = await lastOpen(seal);
  await using logSource = await ByteSource.open(log);
  await using sealSource = await SealReader.open(seal);
  const checker = new Checker(
    logSource,
    sealSource,
    { log, seal },
    firstKey,
    contentFrom,
    carried,
    say,
  );
  await checker.run();
  return checker.check;
}
