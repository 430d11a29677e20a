/**
 * From queued messages to lines: each message ZeroMQ has queued is received
 * straight into the log file's buffer and kept as it came (escaped where it
 * must be), or, where an option needs to read it, turned into its line or
 * dropped; with the counts of what was logged and dropped.
 *
 * @example
 * ```ts
 * import { receiveQueued, transformFor } from "./receive.ts";
 * const taken = receiveQueued(socket, 65536, transformFor(options, "debug"), file.lines, counts, new ByteEscaper());
 * ```
 *
 * @module
 */

import { plural } from "../base/words.ts";
import type { ByteEscaper } from "../log/escape.ts";
import type { LineBuffer } from "../log/log_file.ts";
import {
  dropReason,
  type Filters,
  formatLine,
  keepsAll,
} from "../log/log_line.ts";
import { parseMessage } from "../log/message.ts";
import type { Level, LogMessage } from "../log/wire.ts";
import type { Socket } from "../zmq/sockets.ts";

/** Most messages taken in one go before they are written to the file. */
const MAX_BATCH = 4096;

/**
 * Bytes received after which a batch is written (and the control socket and
 * signals are heard), whatever the count: with large messages a batch of
 * 4096 would hold gigabytes once escaped, and the lines behind it would wait
 * for all of them.
 */
const MAX_BATCH_BYTES = 1 << 20;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** What the logger has done so far. */
export interface Counts {
  logged: number;
  droppedLevel: number;
  droppedFilter: number;
  /** Of droppedLevel, how many under each level that was set (`--set-level`). */
  droppedBelow?: Map<Level, number>;
}

/**
 * One line on what the logger has logged and dropped, naming the level that
 * dropped each (the level may have changed since).
 *
 * @example
 * ```ts
 * summary({ logged: 3, droppedLevel: 1, droppedFilter: 0 }, "./log.txt", "warn");
 * // "3 messages logged to ./log.txt, 1 dropped below level warn"
 * ```
 */
export function summary(counts: Counts, file: string, level: Level): string {
  let text = `${plural(counts.logged, "message")} logged to ${file}`;
  const below = counts.droppedBelow ?? new Map([[level, counts.droppedLevel]]);
  const dropped = [...below].filter(([, n]) => n > 0)
    .map(([at, n]) => `${n} dropped below level ${at}`);
  if (dropped.length > 0) text += `, ${dropped.join(", ")}`;
  if (counts.droppedFilter > 0) {
    text += `, ${counts.droppedFilter} dropped by filters`;
  }
  return text;
}

/**
 * A line made of a message's bytes where they stand: `before`, its bytes
 * from byte `from` on, escaped for a text line (or, with `json`, as the
 * inside of a JSON string), then `after`.
 */
export interface FramedLine {
  before: string;
  from: number;
  after: string;
  json: boolean;
}

/**
 * How a received message becomes a line: a function that returns its line
 * (as text, or framed around its bytes), or the reason it is dropped.
 * `undefined` where no option needs to read it: it is then written as it
 * came.
 */
export type Transform = (
  bytes: Uint8Array,
) => string | FramedLine | "level" | "filter";

/**
 * Messages from this many bytes on become lines where their bytes stand
 * (see {@link FramedLine}): a line of 64 KiB of control characters is 256 KiB
 * escaped, 384 KiB in JSON, and a string of that size per message would
 * leave the garbage collector behind under a flood. Shorter ones are made as
 * text, which is quicker for them.
 */
const FRAMED_FROM = 1024;

/** The transform for these options and the level now (see {@link Transform}). */
export function transformFor(
  options: {
    filters: Filters;
    format: "text" | "json";
    timestamps: boolean;
  },
  level: Level,
): Transform | undefined {
  const filters = { ...options.filters, level };
  const plain = options.format === "text" && !options.timestamps;
  if (plain && keepsAll(filters)) return undefined;
  return (bytes) => {
    const raw = decoder.decode(bytes);
    const message = parseMessage(raw);
    const dropped = dropReason(message, filters);
    if (dropped !== undefined) return dropped;
    const received = Date.now();
    if (bytes.length >= FRAMED_FROM) {
      const framed = framedLine(raw, message, received, options);
      if (framed !== undefined) return framed;
    }
    return formatLine(raw, message, received, options);
  };
}

/**
 * The line {@link formatLine} makes, framed around the message's bytes; or
 * undefined when those bytes are not the text as read (invalid UTF-8, which
 * the text gives as U+FFFD; a syslog frame whose text was changed).
 */
function framedLine(
  raw: string,
  message: LogMessage,
  received: number,
  style: { timestamps: boolean; format: "text" | "json" },
): FramedLine | undefined {
  if (raw.includes("\uFFFD")) return undefined;
  if (style.format === "text") {
    return {
      before: formatLine("", message, received, style),
      from: 0,
      after: "",
      json: false,
    };
  }
  if (!raw.endsWith(message.text)) return undefined;
  const empty = formatLine("", { ...message, text: "" }, received, style);
  const head = raw.slice(0, raw.length - message.text.length);
  return {
    before: empty.slice(0, -2), // `..."message":"`
    from: encoder.encode(head).length,
    after: empty.slice(-2), // `"}`
    json: true,
  };
}

/**
 * Takes the messages queued on the socket, without waiting, and adds their
 * lines to `out`. ZeroMQ writes each message straight into `out`; with no
 * transform it stays there as it came (less one newline at its end),
 * followed by a newline. Each frame of a
 * multi-frame message is a message of its own, as the book's recv() loop
 * reads them. Returns how many messages it took (at most MAX_BATCH), and
 * whether it took all there were (it stopped as the queue was empty, not at
 * a batch's bound).
 */
export function receiveQueued(
  socket: Socket,
  maxSize: number,
  transform: Transform | undefined,
  out: LineBuffer,
  counts: Counts,
  escaper: ByteEscaper,
): { taken: number; emptied: boolean } {
  let taken = 0;
  let emptied = false;
  let received = 0;
  while (taken < MAX_BATCH && received < MAX_BATCH_BYTES) {
    out.reserve(maxSize + 1);
    const start = out.length;
    const size = socket.receiveAt(out.bytes, start, maxSize);
    if (size === -1) {
      emptied = true;
      break;
    }
    taken++;
    received += size;
    // One newline at the end of a frame ends it (rsyslog's omczmq adds
    // one to each): the line's own newline stands for it.
    const end = size > 0 && out.bytes[start + size - 1] === 0x0a
      ? start + size - 1
      : start + size;
    if (transform === undefined) {
      // Rare: a character that could forge a line or fool a terminal.
      out.length = escaper.unsafeAt(out.bytes, start, end);
      if (out.length < end) escaper.escapeTail(out, end);
      out.reserve(1);
      out.bytes[out.length++] = 0x0a;
      counts.logged++;
      continue;
    }
    const line = transform(out.bytes.subarray(start, end));
    if (line === "level") counts.droppedLevel++;
    else if (line === "filter") counts.droppedFilter++;
    else {
      if (typeof line === "string") out.addLine(line);
      else {
        escaper.frame(out, start, start + line.from, end, line);
        out.reserve(1);
        out.bytes[out.length++] = 0x0a;
      }
      counts.logged++;
    }
  }
  return { taken, emptied };
}
