/** Unit tests: what a log line may not hold raw. */

import assert from "node:assert/strict";
import {
  ByteEscaper,
  escapeControls,
  escapeControlText,
  escapeJson,
  escapeJsonInto,
  type GrowingBytes,
  unsafeLength,
} from "./escape.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

const escaper = new ByteEscaper();
const unsafeAt = (bytes: Uint8Array, start: number, end: number) =>
  escaper.unsafeAt(bytes, start, end);
const escapeTail = (out: GrowingBytes, to: number) =>
  escaper.escapeTail(out, to);

Deno.test("two escapers keep their own view of the buffer they look at", () => {
  const other = new ByteEscaper();
  const safe = enc.encode("abcdefgh".repeat(4));
  const unsafe = enc.encode("abcdefg\n".repeat(4));
  for (let round = 0; round < 3; round++) {
    assert.equal(escaper.unsafeAt(safe, 0, safe.length), safe.length);
    assert.equal(other.unsafeAt(unsafe, 0, unsafe.length), 7);
  }
});

/** Every character the module escapes, and what a text line holds instead. */
const UNSAFE: [string, string][] = [
  ["\x00", "#000"],
  ["\n", "#012"],
  ["\r", "#015"],
  ["\x1b", "#033"],
  ["\x7f", "#177"],
  ["\u0080", "#302#200"],
  ["\u0085", "#302#205"], // NEL
  ["\u009b", "#302#233"], // CSI
  ["\u009f", "#302#237"],
  ["\u061c", "#330#234"], // ARABIC LETTER MARK
  ["\u200e", "#342#200#216"], // LRM
  ["\u200f", "#342#200#217"], // RLM
  ["\u2028", "#342#200#250"], // LINE SEPARATOR
  ["\u2029", "#342#200#251"], // PARAGRAPH SEPARATOR
  ["\u202a", "#342#200#252"],
  ["\u202e", "#342#200#256"], // RIGHT-TO-LEFT OVERRIDE
  ["\u2066", "#342#201#246"],
  ["\u2069", "#342#201#251"], // POP DIRECTIONAL ISOLATE
];

/** Neighbours of those that stay as they are. */
const SAFE = [
  "\t",
  " ",
  "~",
  "é",
  "\u00a0",
  "\u00a9",
  "\u060c",
  "\u200d",
  "\u2027",
  "\u202f",
  "\u2065",
  "\u206a",
  "日本",
  "😀",
];

Deno.test("C0, DEL, C1, line separators and bidi controls are escaped as #ooo per byte, in bytes and in text alike", () => {
  for (const [char, escaped] of UNSAFE) {
    const text = `a${char}b`;
    assert.equal(dec.decode(escapeControls(enc.encode(text))), `a${escaped}b`);
    assert.equal(escapeControlText(text), `a${escaped}b`);
  }
  for (const char of SAFE) {
    assert.equal(dec.decode(escapeControls(enc.encode(char))), char);
    assert.equal(escapeControlText(char), char);
    assert.equal(
      unsafeAt(enc.encode(char), 0, enc.encode(char).length),
      enc.encode(char).length,
    );
  }
  assert.equal(
    dec.decode(escapeControls(enc.encode("a\nb\rc\x1b[0m\td\x7f\x00é"))),
    "a#012b#015c#033[0m\td#177#000é",
  );
});

Deno.test("a character cut at the end of a message is left as it came", () => {
  // The first bytes of U+202E and of NEL, without the rest: not those characters.
  for (const bytes of [[0x61, 0xe2, 0x80], [0x61, 0xc2]]) {
    const raw = new Uint8Array(bytes);
    assert.deepEqual(escapeControls(raw), raw);
    assert.equal(unsafeAt(raw, 0, raw.length), raw.length);
  }
});

Deno.test("the word-at-a-time look finds the same first unsafe byte as a look at each byte, at every alignment", () => {
  const byEachByte = (bytes: Uint8Array, start: number, end: number) => {
    for (let i = start; i < end; i++) {
      const b = bytes[i];
      if ((b >= 0x20 && b < 0x7f) || b === 0x09) continue;
      if (unsafeLength(bytes, i, end) > 0) return i;
    }
    return end;
  };
  // Mostly printable text with a few bytes of any value: every edge of the
  // word test (0x1f, 0x20, 0x7e, 0x7f, 0x80, tab) comes up many times.
  let seed = 1;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const edges = [0x09, 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0x9f, 0xc2, 0xe2, 0xff];
  const memory = new Uint8Array(80);
  for (let round = 0; round < 20000; round++) {
    for (let i = 0; i < memory.length; i++) {
      const r = random();
      memory[i] = r < 0.9
        ? 0x20 + Math.floor(random() * 95)
        : r < 0.95
        ? edges[Math.floor(random() * edges.length)]
        : Math.floor(random() * 256);
    }
    const offset = round % 5; // a view that starts between words, too
    const bytes = memory.subarray(offset);
    const start = Math.floor(random() * 12);
    const end = start + Math.floor(random() * 60);
    assert.equal(
      unsafeAt(bytes, start, end),
      byEachByte(bytes, start, end),
      `bytes ${[...bytes.subarray(start, end)]} at offset ${offset}`,
    );
  }
});

Deno.test("escapeTail escapes where the bytes stand, growing the buffer for the worst case", () => {
  const message = enc.encode("ok\x01\u202ex");
  const out = {
    bytes: new Uint8Array(16),
    length: 0,
    reserve(size: number) {
      if (this.length + size <= this.bytes.length) return;
      const bigger = new Uint8Array(this.length + size);
      bigger.set(this.bytes.subarray(0, this.length));
      this.bytes = bigger;
    },
  };
  out.bytes.set(enc.encode(">>"));
  out.bytes.set(message, 2);
  out.length = 4; // ">>ok" is safe; the rest is not
  escapeTail(out, 2 + message.length);
  assert.equal(
    dec.decode(out.bytes.subarray(0, out.length)),
    ">>ok#001#342#200#256x",
  );
  // 64 KiB of control bytes: each becomes four.
  out.bytes = new Uint8Array(65536).fill(1);
  out.length = 0;
  escapeTail(out, 65536);
  assert.equal(out.length, 65536 * 4);
  assert.equal(dec.decode(out.bytes.subarray(0, 8)), "#001#001");
});

Deno.test("escapeJson writes what JSON.stringify leaves raw as \\uXXXX, and the value is the same", () => {
  for (const [char] of UNSAFE) {
    const json = escapeJson(JSON.stringify({ message: `a${char}b` }));
    assert.equal(JSON.parse(json).message, `a${char}b`);
    assert.doesNotMatch(
      json,
      new RegExp(
        "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]",
      ),
    );
  }
  assert.equal(escapeJson(JSON.stringify("a\u202eb")), '"a\\u202eb"');
});

/** escapeJsonInto's output for `text`, as text. */
function jsonInside(text: string): string {
  const bytes = enc.encode(text);
  const out = new Uint8Array(bytes.length * 6);
  return dec.decode(
    out.subarray(0, escapeJsonInto(bytes, bytes.length, out, 0)),
  );
}

Deno.test("escapeJsonInto writes in bytes what escapeJson(JSON.stringify(text)) writes between the quotes", () => {
  const special = [
    '"',
    "\\",
    "\b",
    "\t",
    "\n",
    "\f",
    "\r",
    "\x01",
    "\x1f",
    "/",
  ];
  for (const char of [...UNSAFE.map(([char]) => char), ...SAFE, ...special]) {
    const text = `a${char}b`;
    assert.equal(`"${jsonInside(text)}"`, escapeJson(JSON.stringify(text)));
  }
  // Any mix of them, as a sender may send.
  const pool = [...UNSAFE.map(([char]) => char), ...SAFE, ...special, "x"];
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 2000; round++) {
    let text = "";
    for (let i = Math.floor(random() * 40); i > 0; i--) {
      text += pool[Math.floor(random() * pool.length)];
    }
    assert.equal(`"${jsonInside(text)}"`, escapeJson(JSON.stringify(text)));
  }
});

Deno.test("frame makes a line of bytes where they stand: before, the bytes escaped for text or JSON, after", () => {
  const out = {
    bytes: new Uint8Array(8),
    length: 0,
    reserve(size: number) {
      if (this.length + size <= this.bytes.length) return;
      const bigger = new Uint8Array(this.length + size);
      bigger.set(this.bytes.subarray(0, this.length));
      this.bytes = bigger;
    },
  };
  for (
    const [json, want] of [
      [false, 'TIME <warn> h t: a#012"#001b'],
      [true, '{"message":"a\\n\\"\\u0001b"}'],
    ] as const
  ) {
    const message = enc.encode('<warn> h t: a\n"\x01b');
    out.length = 0;
    out.reserve(message.length + 4);
    out.bytes.set(enc.encode("kept"));
    out.bytes.set(message, 4);
    const from = 4 + (json ? "<warn> h t: ".length : 0);
    new ByteEscaper().frame(out, 4, from, 4 + message.length, {
      before: json ? '{"message":"' : "TIME ",
      after: json ? '"}' : "",
      json,
    });
    assert.equal(dec.decode(out.bytes.subarray(0, out.length)), `kept${want}`);
  }
});
