/**
 * A line of the log file: which messages become one (the filters), how a
 * message is written as one (as it came, escaped, or as JSON Lines), and how
 * a line is read back.
 *
 * @example
 * ```ts
 * import { formatLine, parseLogLine } from "./log_line.ts";
 * import { parseMessage } from "./message.ts";
 * const line = formatLine("<warn> - pi app: hot", parseMessage("<warn> - pi app: hot"), 0, { timestamps: true, format: "text" });
 * parseLogLine(line).message.level; // "warn"
 * ```
 *
 * @module
 */

import { escapeControlText, escapeJson } from "./escape.ts";
import { parseMessage } from "./message.ts";
import { type Level, LEVELS, type LogMessage } from "./wire.ts";

/** Which messages are kept: where logs are stored, and where they are read. */
export interface Filters {
  /** Drop messages below this level. */
  level: Level;
  /** Keep only messages whose text matches one of these (if any). */
  include: RegExp[];
  /** Drop messages whose text matches one of these. */
  exclude: RegExp[];
  /** Keep only messages whose host matches one of these (if any). */
  includeHost: RegExp[];
  /** Drop messages whose host matches one of these. */
  excludeHost: RegExp[];
}

/**
 * Why the filters drop a message, or `undefined` when they keep it. A message
 * with no host has the host "" for the host patterns.
 *
 * @example
 * ```ts
 * const filters = { level: "warn", include: [], exclude: [/tick/], includeHost: [], excludeHost: [] };
 * dropReason({ level: "info", text: "hi" }, filters); // "level"
 * dropReason({ level: "error", text: "tick" }, filters); // "filter"
 * ```
 */
export function dropReason(
  message: LogMessage,
  filters: Filters,
): "level" | "filter" | undefined {
  if (LEVELS.indexOf(message.level) < LEVELS.indexOf(filters.level)) {
    return "level";
  }
  const { text } = message;
  const host = message.host ?? "";
  const { include, exclude, includeHost, excludeHost } = filters;
  if (include.length > 0 && !include.some((re) => re.test(text))) {
    return "filter";
  }
  if (exclude.some((re) => re.test(text))) return "filter";
  if (includeHost.length > 0 && !includeHost.some((re) => re.test(host))) {
    return "filter";
  }
  if (excludeHost.some((re) => re.test(host))) return "filter";
  return undefined;
}

/** True when the filters keep everything, so messages need not be parsed. */
export function keepsAll(filters: Filters): boolean {
  return filters.level === "debug" && filters.include.length === 0 &&
    filters.exclude.length === 0 && filters.includeHost.length === 0 &&
    filters.excludeHost.length === 0;
}

/**
 * A log file line for a message: in text, the message as it came (`raw`),
 * after the time it arrived with `--timestamps`; in JSON, every field.
 *
 * @example
 * ```ts
 * formatLine("arg1 arg2", parseMessage("arg1 arg2"), 0, { timestamps: true, format: "text" });
 * // "1970-01-01T00:00:00.000Z arg1 arg2"
 * ```
 */
export function formatLine(
  raw: string,
  message: LogMessage,
  received: number,
  style: { timestamps: boolean; format: "text" | "json" },
): string {
  const time = new Date(received).toISOString();
  if (style.format === "json") return jsonLine(message, time);
  const text = escapeControlText(raw);
  return style.timestamps ? `${time} ${text}` : text;
}

/**
 * A JSON Lines record for a message, with every field (null when unknown).
 *
 * @example
 * ```ts
 * jsonLine({ level: "info", text: "hi" }, null);
 * // '{"received":null,"sent":null,"host":null,"tag":null,"level":"info","message":"hi"}'
 * ```
 */
export function jsonLine(message: LogMessage, received: string | null): string {
  return escapeJson(JSON.stringify({
    received,
    sent: message.sent ?? null,
    host: message.host ?? null,
    tag: message.tag ?? null,
    level: message.level,
    message: message.text,
  }));
}

/** A line of a log file, read back. */
export interface LogLine {
  /** When the logger received it, if the line says. */
  received?: string;
  message: LogMessage;
}

const RECEIVED_PREFIX = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) /;

/**
 * Reads back a line the logger wrote, in either format.
 *
 * @example
 * ```ts
 * parseLogLine("2026-11-24T10:00:00.000Z <warn> - pi app: hot").message.level; // "warn"
 * ```
 */
export function parseLogLine(line: string): LogLine {
  if (line.startsWith("{")) {
    try {
      const json = JSON.parse(line);
      if (typeof json?.message === "string" && LEVELS.includes(json.level)) {
        const message: LogMessage = { level: json.level, text: json.message };
        if (typeof json.sent === "string") message.sent = json.sent;
        if (typeof json.host === "string") message.host = json.host;
        if (typeof json.tag === "string") message.tag = json.tag;
        return typeof json.received === "string"
          ? { received: json.received, message }
          : { message };
      }
    } catch {
      // Not JSON after all: a text line that starts with "{".
    }
  }
  const prefix = RECEIVED_PREFIX.exec(line);
  if (prefix === null) return { message: parseMessage(line) };
  return {
    received: prefix[1],
    message: parseMessage(line.slice(prefix[0].length)),
  };
}
