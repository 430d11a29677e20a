/**
 * A CSV field made safe: `--stats` puts senders' host and tag names in
 * CSV, which a spreadsheet opens.
 *
 * @example
 * ```ts
 * import { csvField } from "./csv.ts";
 * csvField("=HYPERLINK(1)"); // "'=HYPERLINK(1)"
 * ```
 *
 * @module
 */

import { escapeControlText } from "../log/escape.ts";

/**
 * A CSV field: quoted when needed, never read as a formula, no control
 * characters.
 *
 * @example
 * ```ts
 * csvField('a,"b"'); // '"a,""b"""'
 * ```
 */
export function csvField(text: string): string {
  const shown = escapeControlText(text);
  // A spreadsheet runs a cell that starts with = + - @ (CWE-1236).
  const safe = /^[=+\-@\t\r]/.test(shown) ? `'${shown}` : shown;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
