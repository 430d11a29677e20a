/**
 * A seal record: one line of the seal file (`LOG.seal`), written after the
 * bytes it covers are in the log. It is a line of the log's own format, a
 * message of its own tag, so `--show` reads a seal file and `--forward`
 * can send it on:
 *
 * ```text
 * <info> 2026-12-03T10:00:00.123Z pi zmq-logger-seal: seal=1 seq=5 kind=write offset=1200 length=400 lines=4 sha256=… prev=… mac=… tags=…
 * ```
 *
 * `seq` numbers the records of a chain from 0; `offset` and `length` are
 * the bytes of the log it covers, `lines` their lines, `sha256` their
 * digest and `tags` each line's tag (lib/seal/line_tags.ts); `prev` is the
 * record before's MAC, and `mac` the HMAC-SHA-256, with the key of `seq`,
 * of the whole line without its ` mac=…` field. The kinds: `open` begins a
 * seal file (or a new log file), `start` is a logger started again,
 * `late` more bytes found unsealed at either (what an `open` or `start`
 * covers was also found, not written, by the logger), `write` a batch the
 * logger wrote, `stop` a logger stopped cleanly.
 *
 * @example
 * ```ts
 * import { formatRecord, parseRecord } from "./record.ts";
 * const line = formatRecord(fields, "2026-12-03T10:00:00.123Z", "pi");
 * parseRecord(line)?.seq; // fields.seq
 * ```
 *
 * @module
 */

import { decodeTags, encodeTags } from "./line_tags.ts";

/** The tag of seal records, as a log line's tag and a syslog APP-NAME. */
export const SEAL_TAG = "zmq-logger-seal";

/** The longest record line: a record holds at most MAX_RECORD_LINES tags. */
export const MAX_RECORD_BYTES = 64 * 1024;

/** The most lines one record covers (the logger splits a longer batch). */
export const MAX_RECORD_LINES = 8192;

/** What a record is for. */
export type RecordKind = "open" | "start" | "late" | "write" | "stop";

/** What a record says, before its MAC. */
export interface RecordFields {
  seq: number;
  kind: RecordKind;
  offset: number;
  length: number;
  lines: number;
  sha256: string;
  prev: string;
  tags: Uint32Array;
}

/** A record read from a seal file. */
export interface SealRecord extends RecordFields {
  /** When it was sealed, RFC 3339 UTC. */
  time: string;
  mac: string;
  /** The line without its ` mac=…` field: what the MAC is of. */
  signed: string;
}

const HEX64 = "[0-9a-f]{64}";
const RECORD = new RegExp(
  `^<info> (\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z) \\S+ ${SEAL_TAG}: ` +
    `seal=1 seq=(\\d{1,15}) kind=(open|start|late|write|stop) ` +
    `offset=(\\d{1,15}) length=(\\d{1,15}) lines=(\\d{1,15}) ` +
    `sha256=(${HEX64}) prev=(${HEX64})( mac=(${HEX64})) tags=([A-Za-z0-9+/=]*)$`,
);

/**
 * The record line for `fields`, sealed at `time` on `host`, without its
 * MAC: what the MAC is made of. {@link withMac} adds it.
 *
 * @example
 * ```ts
 * formatRecord(fields, new Date().toISOString(), "pi"); // "<info> ... prev=... tags=..."
 * ```
 */
export function formatRecord(
  fields: RecordFields,
  time: string,
  host: string,
): string {
  const { seq, kind, offset, length, lines, sha256, prev, tags } = fields;
  return `<info> ${time} ${host} ${SEAL_TAG}: seal=1 seq=${seq} kind=${kind} offset=${offset} length=${length} lines=${lines} sha256=${sha256} prev=${prev} tags=${
    encodeTags(tags)
  }`;
}

/**
 * The record line with its MAC in place, before the tags (so a syslog
 * server that keeps only a line's head still has it).
 *
 * @example
 * ```ts
 * withMac(formatRecord(fields, time, "pi"), await mac(key, signed)); // "... prev=... mac=... tags=..."
 * ```
 */
export function withMac(signed: string, mac: string): string {
  const at = signed.lastIndexOf(" tags=");
  return `${signed.slice(0, at)} mac=${mac}${signed.slice(at)}`;
}

/**
 * Reads a record line; `undefined` when the line is not one (cut short,
 * changed out of shape, or something else).
 *
 * @example
 * ```ts
 * parseRecord("not a record"); // undefined
 * ```
 */
export function parseRecord(line: string): SealRecord | undefined {
  if (line.length > MAX_RECORD_BYTES) return undefined;
  const match = RECORD.exec(line);
  if (match === null) return undefined;
  const tags = decodeTags(match[11]);
  if (tags === undefined) return undefined;
  const number = (at: number) => Number(match[at]);
  return {
    time: match[1],
    seq: number(2),
    kind: match[3] as RecordKind,
    offset: number(4),
    length: number(5),
    lines: number(6),
    sha256: match[7],
    prev: match[8],
    mac: match[10],
    tags,
    // No field before it can hold " mac=": the host has no space.
    signed: line.replace(match[9], ""),
  };
}
