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
import type { Level } from "../log/wire.ts";
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
 * How a received message becomes a line: a function that returns its line,
 * or the reason it is dropped. `undefined` where no option needs to read it:
 * it is then written as it came.
 */
export type Transform = (bytes: Uint8Array) => string | "level" | "filter";

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
    return dropped ?? formatLine(raw, message, Date.now(), options);
  };
}

/**
 * Takes the messages queued on the socket, without waiting, and adds their
 * lines to `out`. ZeroMQ writes each message straight into `out`; with no
 * transform it stays there as it came (less one newline at its end),
 * followed by a newline. Each frame of a
 * multi-frame message is a message of its own, as the book's recv() loop
 * reads them. Returns how many messages it took (at most MAX_BATCH).
 */
export function receiveQueued(
  socket: Socket,
  maxSize: number,
  transform: Transform | undefined,
  out: LineBuffer,
  counts: Counts,
  escaper: ByteEscaper,
): number {
  let taken = 0;
  let received = 0;
  while (taken < MAX_BATCH && received < MAX_BATCH_BYTES) {
    out.reserve(maxSize + 1);
    const start = out.length;
    const size = socket.receiveAt(out.bytes, start, maxSize);
    if (size === -1) break;
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
      out.addLine(line);
      counts.logged++;
    }
  }
  return taken;
}
