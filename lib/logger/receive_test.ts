/** Unit tests: long messages become lines where their bytes stand, as formatLine would write them. */

import assert from "node:assert/strict";
import { ByteEscaper } from "../log/escape.ts";
import { LineBuffer } from "../log/log_file.ts";
import { type Filters, formatLine } from "../log/log_line.ts";
import { parseMessage } from "../log/message.ts";
import { transformFor } from "./receive.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

const KEEP_ALL: Filters = {
  level: "debug",
  include: [],
  exclude: [],
  includeHost: [],
  excludeHost: [],
};

const TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/;

/** The line the transform makes of `bytes`, as the logger's receive does. */
function lineOf(
  bytes: Uint8Array,
  options: { format: "text" | "json"; timestamps: boolean },
): { text: string; framed: boolean } {
  const transform = transformFor({ ...options, filters: KEEP_ALL }, "debug")!;
  const out = new LineBuffer();
  out.reserve(bytes.length);
  out.bytes.set(bytes);
  out.length = bytes.length;
  const line = transform(out.bytes.subarray(0, bytes.length));
  if (line === "level" || line === "filter") throw new Error(line);
  if (typeof line === "string") return { text: line, framed: false };
  new ByteEscaper().frame(out, 0, line.from, bytes.length, line);
  return {
    text: dec.decode(out.bytes.subarray(0, out.length)),
    framed: true,
  };
}

Deno.test("a long message's line, made where its bytes stand, is the line formatLine writes, in each format", () => {
  const pool = [
    "a",
    " ",
    "\t",
    "\n",
    "\x01",
    "\x1b",
    "\x7f",
    '"',
    "\\",
    "é",
    "\u0085",
    "\u061c",
    "\u200e",
    "\u2028",
    "\u202e",
    "\u2069",
    "😀",
  ];
  let seed = 3;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 300; round++) {
    let raw = round % 2 === 0 ? "<warn> 2026-01-01T00:00:00Z hôst tag: " : "";
    while (raw.length < 1100 + round * 3) {
      raw += pool[Math.floor(random() * pool.length)];
    }
    for (const format of ["text", "json"] as const) {
      for (const timestamps of format === "json" ? [false, true] : [true]) {
        const options = { format, timestamps };
        const made = lineOf(enc.encode(raw), options);
        assert.ok(made.framed, `${format}: framed`);
        const want = formatLine(raw, parseMessage(raw), 0, options);
        assert.equal(
          made.text.replace(TIME, new Date(0).toISOString()),
          want,
          `${format} ${timestamps}: ${JSON.stringify(raw.slice(0, 60))}`,
        );
      }
    }
  }
});

Deno.test("a long message with invalid UTF-8 is written as text, with U+FFFD, as before", () => {
  const bytes = new Uint8Array(2000).fill(0x61);
  bytes[10] = 0xff;
  for (const format of ["text", "json"] as const) {
    const made = lineOf(bytes, { format, timestamps: true });
    assert.equal(made.framed, false);
    assert.ok(made.text.includes("\ufffd"), format);
  }
});
