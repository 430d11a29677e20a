/**
 * What a received message says, whoever sent it: our wire format
 * (lib/log/wire.ts) or a syslog frame, as rsyslog's omczmq sends them
 * (lib/log/syslog_in.ts). The logger, `--show` and `--stats` read messages
 * through here.
 *
 * @example
 * ```ts
 * import { parseMessage } from "./message.ts";
 * parseMessage("<error> - pi backup: failed"); // { level: "error", host: "pi", tag: "backup", text: "failed" }
 * parseMessage("<11>1 - pi backup - - - failed\n"); // the same
 * parseMessage("arg1 arg2 arg3"); // { level: "info", text: "arg1 arg2 arg3" }
 * ```
 *
 * @module
 */

import { parseSyslog } from "./syslog_in.ts";
import { type LogMessage, parseWire } from "./wire.ts";

/**
 * Reads a received message. Text that starts with `<` and a digit may be
 * syslog (RFC 5424 or 3164: see {@link parseSyslog}); text that only looks
 * like syslog, or has no header, is an info message.
 *
 * @example
 * ```ts
 * parseMessage("<11>1 - pi backup - - - failed\n").level; // "error"
 * ```
 */
export function parseMessage(raw: string): LogMessage {
  if (raw.charCodeAt(0) === 60 && isDigit(raw.charCodeAt(1))) {
    return parseSyslog(raw) ?? { level: "info", text: raw };
  }
  return parseWire(raw);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
