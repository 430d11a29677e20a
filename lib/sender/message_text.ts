/**
 * The text a sender sends: the message bare, or after the header the
 * options ask for (lib/log/wire.ts), and cut to what the logger takes.
 *
 * @example
 * ```ts
 * import { wireText } from "./message_text.ts";
 * wireText({ header: true, level: "warn", timestamps: false, tag: "backup" }, "disk");
 * // "<warn> - HOST backup: disk"
 * ```
 *
 * @module
 */

import { formatMessage, hostName, type Level } from "../log/wire.ts";

/** Room kept for the header when a message's text is measured or cut. */
export const HEADER_ROOM = 512;

/** The tag of a message whose sender names none: the book's sender. */
const DEFAULT_TAG = "log_cmd_basic";

const encoder = new TextEncoder();

/** What the header of a sent message says, as the command line gives it. */
export interface HeaderOptions {
  /** Send a header at all (any of level, tag, host or time was given). */
  header: boolean;
  level: Level;
  /** Put the sending time in the header. */
  timestamps: boolean;
  /** This machine's name as sent (default: asked of the system). */
  hostname?: string;
  tag?: string;
}

/**
 * The message as the command sends it: bare, or with the header the options
 * ask for.
 *
 * @example
 * ```ts
 * wireText({ ...options, header: true, level: "warn", tag: "backup" }, "disk"); // "<warn> - pi backup: disk"
 * ```
 */
export function wireText(options: HeaderOptions, text: string): string {
  if (!options.header) return text;
  return formatMessage({
    level: options.level,
    sent: options.timestamps ? new Date().toISOString() : undefined,
    host: options.hostname ?? hostName(),
    tag: options.tag ?? DEFAULT_TAG,
    text,
  });
}

/**
 * Cuts text into pieces of at most `maxBytes` bytes of UTF-8, whole
 * characters each.
 *
 * @example
 * ```ts
 * splitText("abcdef", 4); // ["abcd", "ef"]
 * ```
 */
export function splitText(text: string, maxBytes: number): string[] {
  if (text.length * 3 <= maxBytes || encoder.encode(text).length <= maxBytes) {
    return [text];
  }
  const pieces: string[] = [];
  let piece = "";
  let size = 0;
  for (const char of text) {
    const bytes = encoder.encode(char).length;
    if (size + bytes > maxBytes) {
      pieces.push(piece);
      piece = "";
      size = 0;
    }
    piece += char;
    size += bytes;
  }
  pieces.push(piece);
  return pieces;
}
