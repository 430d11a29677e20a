/**
 * What a log line may not hold raw: characters that would start a line of
 * their own, drive a terminal, or hide and reorder what a person reads in a
 * terminal or an editor. Text lines escape them as rsyslog does, `#` and
 * three octal digits for each byte of the character (newline becomes `#012`,
 * NEL `#302#205`); JSON Lines keep them as `\uXXXX`, so the record stays
 * valid and lossless. Tab stays a tab.
 *
 * The characters: C0 controls but tab, and DEL; C1 controls (U+0080-U+009F,
 * NEL among them); the line and paragraph separators U+2028, U+2029; the bidi
 * controls U+202A-U+202E, U+2066-U+2069 and the marks U+200E, U+200F, U+061C.
 *
 * Escaping works on bytes as they came, without an allocation per byte: a
 * sender may send 64 KiB of control characters in every message.
 *
 * @example
 * ```ts
 * import { escapeControls } from "./escape.ts";
 * new TextDecoder().decode(escapeControls(new TextEncoder().encode("a\nb\u202e")));
 * // "a#012b#342#200#256"
 * ```
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * How many bytes at `bytes[i]` (before `end`) make a character a text line
 * may not hold raw, in UTF-8; 0 when the byte starts no such character.
 */
export function unsafeLength(
  bytes: Uint8Array,
  i: number,
  end: number,
): number {
  const b = bytes[i];
  if (b < 0x80) return (b < 0x20 && b !== 0x09) || b === 0x7f ? 1 : 0;
  if (i + 1 >= end) return 0;
  const c = bytes[i + 1];
  if (b === 0xc2) return c >= 0x80 && c <= 0x9f ? 2 : 0; // C1
  if (b === 0xd8) return c === 0x9c ? 2 : 0; // U+061C
  if (b !== 0xe2 || i + 2 >= end) return 0;
  const d = bytes[i + 2];
  if (c === 0x80) {
    return d === 0x8e || d === 0x8f || (d >= 0xa8 && d <= 0xae) ? 3 : 0;
  }
  return c === 0x81 && d >= 0xa6 && d <= 0xa9 ? 3 : 0; // U+2066-U+2069
}

/** Whether `bytes[i]` starts a character to escape (see {@link unsafeAt}). */
function isUnsafe(bytes: Uint8Array, i: number, end: number): boolean {
  const b = bytes[i];
  // Printable ASCII and tab: by far the most common, decided at once.
  if ((b >= 0x20 && b < 0x7f) || b === 0x09) return false;
  return unsafeLength(bytes, i, end) > 0;
}

/*
 * The word test in unsafeAt: whether one of four bytes is not printable
 * ASCII. A byte at 0x80 or above sets its high bit in `word`; one below 0x20
 * in `(word - 0x20202020) & ~word` (the "has less than" test of Sean
 * Anderson's Bit Twiddling Hacks, exact when no byte is 0x80 or above); 0x7f
 * alone becomes 0x80 when 1 is added to each byte. Tab counts too: its word
 * is then looked at byte by byte. The same whatever the byte order.
 */
const HIGH_BITS = 0x80808080 | 0;

/**
 * Writes `src[0, length)` escaped into `out` from `at`; returns where it
 * ended. `out` must have room for the worst case, 4 bytes for each byte.
 */
export function escapeInto(
  src: Uint8Array,
  length: number,
  out: Uint8Array,
  at: number,
): number {
  for (let i = 0; i < length;) {
    const unsafe = unsafeLength(src, i, length);
    if (unsafe === 0) {
      out[at++] = src[i++];
      continue;
    }
    for (const stop = i + unsafe; i < stop; i++) {
      const b = src[i];
      out[at++] = 0x23; // #
      out[at++] = 0x30 + (b >> 6);
      out[at++] = 0x30 + ((b >> 3) & 7);
      out[at++] = 0x30 + (b & 7);
    }
  }
  return at;
}

/**
 * What {@link escapeJsonInto} does with each byte: 0 copies it, 1 writes it
 * as `\u00XX`, 2 looks at the character it starts (0x80 and above), and
 * anything else is the letter of its short escape (`\n`, `\"`).
 */
const JSON_BYTE = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) JSON_BYTE[b] = 1;
JSON_BYTE[0x7f] = 1;
JSON_BYTE.fill(2, 0x80);
const JSON_SHORT = {
  "\b": "b",
  "\t": "t",
  "\n": "n",
  "\f": "f",
  "\r": "r",
  '"': '"',
  "\\": "\\",
};
for (const [char, letter] of Object.entries(JSON_SHORT)) {
  JSON_BYTE[char.charCodeAt(0)] = letter.charCodeAt(0);
}

const HEX = encoder.encode("0123456789abcdef");

/**
 * Writes `src[0, length)`, valid UTF-8, into `out` from `at` as the inside
 * of a JSON string: what `escapeJson(JSON.stringify(text))` writes between
 * its quotes (`\"`, `\\`, `\n`, `\u0001`, and `\u202e` for the characters
 * a text line escapes); returns where it ended. `out` must have room for the
 * worst case, 6 bytes for each byte.
 */
export function escapeJsonInto(
  src: Uint8Array,
  length: number,
  out: Uint8Array,
  at: number,
): number {
  for (let i = 0; i < length;) {
    const b = src[i];
    const kind = JSON_BYTE[b];
    if (kind === 0) {
      out[at++] = b;
      i++;
      continue;
    }
    if (kind > 2) {
      out[at++] = 0x5c; // \
      out[at++] = kind;
      i++;
      continue;
    }
    const unsafe = kind === 1 ? 1 : unsafeLength(src, i, length);
    if (unsafe === 0) {
      out[at++] = b;
      i++;
      continue;
    }
    const code = unsafe === 1
      ? b
      : unsafe === 2
      ? ((b & 0x1f) << 6) | (src[i + 1] & 0x3f)
      : ((b & 0x0f) << 12) | ((src[i + 1] & 0x3f) << 6) | (src[i + 2] & 0x3f);
    i += unsafe;
    out[at++] = 0x5c; // \u and four hex digits
    out[at++] = 0x75;
    out[at++] = HEX[code >> 12];
    out[at++] = HEX[(code >> 8) & 15];
    out[at++] = HEX[(code >> 4) & 15];
    out[at++] = HEX[code & 15];
  }
  return at;
}

/** A buffer that grows, such as the log file's lines. */
export interface GrowingBytes {
  bytes: Uint8Array;
  /** Bytes in use. */
  length: number;
  /** Makes room for `size` more bytes after `length` (keeping those before). */
  reserve(size: number): void;
}

/**
 * The fast look at every received message, and escaping where the bytes
 * stand. It keeps, between calls, a view of the buffer it last looked at (as
 * 32-bit words) and room for a copy; so each user of it (the logger's loop)
 * has one of its own.
 *
 * @example
 * ```ts
 * const escaper = new ByteEscaper();
 * escaper.unsafeAt(new TextEncoder().encode("ok\n"), 0, 3); // 2
 * ```
 */
export class ByteEscaper {
  #wordsFor: Uint8Array | undefined;
  #wordsBase = 0;
  #words: Int32Array<ArrayBufferLike> = new Int32Array(0);
  /** Room for a copy: grows to the largest message, once. */
  #scratch = new Uint8Array(0);

  /**
   * The index of the first byte of `bytes[start, end)` that starts a character
   * to escape, or `end`: the fast look at every message. It looks at four bytes
   * at a time (the word test below); only a word that holds a byte outside
   * printable ASCII is looked at byte by byte. That halves its time for a
   * 100-byte message (bench/results.md).
   */
  unsafeAt(
    bytes: Uint8Array,
    start: number,
    end: number,
  ): number {
    if (bytes !== this.#wordsFor) this.#viewWords(bytes);
    const base = this.#wordsBase;
    const words = this.#words;
    let i = start;
    // The index arithmetic below is 32-bit: past 2 GiB, byte by byte.
    if (base + end > 0x7ffffff0) {
      for (; i < end; i++) if (isUnsafe(bytes, i, end)) return i;
      return end;
    }
    // Byte by byte up to the first whole word, then word by word.
    for (
      const stop = Math.min(end, ((base + i + 3) & ~3) - base);
      i < stop;
      i++
    ) {
      if (isUnsafe(bytes, i, end)) return i;
    }
    for (let w = (base + i) >> 2, last = (base + end) >> 2; w < last; w++) {
      // Inline (not a call): this line is most of the logger's work per byte.
      const word = words[w];
      if (
        ((word | ((word - 0x20202020) & ~word) | (word + 0x01010101)) &
          HIGH_BITS) === 0
      ) continue;
      for (let j = (w << 2) - base, stop = j + 4; j < stop; j++) {
        if (isUnsafe(bytes, j, end)) return j;
      }
    }
    for (i = Math.max(i, ((base + end) & ~3) - base); i < end; i++) {
      if (isUnsafe(bytes, i, end)) return i;
    }
    return end;
  }

  /**
   * Escapes the bytes from `out.length` to `to`, where they stand: they are
   * copied aside once (into memory kept between calls), room is made for the
   * worst case (4 bytes for each byte), and they are written back escaped;
   * `out.length` then ends after them.
   */
  escapeTail(out: GrowingBytes, to: number): void {
    const length = to - out.length;
    if (this.#scratch.length < length) this.#scratch = new Uint8Array(length);
    this.#scratch.set(out.bytes.subarray(out.length, to));
    out.reserve(length * 4);
    out.length = escapeInto(this.#scratch, length, out.bytes, out.length);
  }

  /**
   * Makes a line of the bytes of `out` from `from` to `to`, where they
   * stand: `before`, those bytes escaped (for a text line, or as the inside
   * of a JSON string with `json`), then `after`, written from `start` on
   * (`start` <= `from`); `out.length` then ends after it. No string of the
   * line's size is made: a flood of large messages leaves no garbage.
   */
  frame(
    out: GrowingBytes,
    start: number,
    from: number,
    to: number,
    parts: { before: string; after: string; json: boolean },
  ): void {
    const length = to - from;
    if (this.#scratch.length < length) this.#scratch = new Uint8Array(length);
    this.#scratch.set(out.bytes.subarray(from, to));
    out.length = start;
    const { before, after, json } = parts;
    out.reserve((before.length + after.length) * 3 + length * (json ? 6 : 4));
    out.length += encoder.encodeInto(before, out.bytes.subarray(out.length))
      .written;
    out.length = json
      ? escapeJsonInto(this.#scratch, length, out.bytes, out.length)
      : escapeInto(this.#scratch, length, out.bytes, out.length);
    out.length += encoder.encodeInto(after, out.bytes.subarray(out.length))
      .written;
  }

  /** Makes the word view an Int32Array over the memory of `bytes`, once per array. */
  #viewWords(bytes: Uint8Array): void {
    this.#wordsFor = bytes;
    this.#wordsBase = bytes.byteOffset;
    this.#words = new Int32Array(
      bytes.buffer,
      0,
      Math.floor(bytes.buffer.byteLength / 4),
    );
  }
}

/**
 * Escapes the characters a text line may not hold raw, as a new array.
 *
 * @example
 * ```ts
 * new TextDecoder().decode(escapeControls(new TextEncoder().encode("a\nb")));
 * // "a#012b"
 * ```
 */
export function escapeControls(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length * 4);
  return out.slice(0, escapeInto(bytes, bytes.length, out, 0));
}

/** The characters above, in text. */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const UNSAFE = new RegExp(
  "[\\x00-\\x08\\x0a-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069]",
  "g",
);

/**
 * {@link escapeControls} for a string.
 *
 * @example
 * ```ts
 * escapeControlText("a\rb\u0085"); // "a#015b#302#205"
 * ```
 */
export function escapeControlText(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** Each character's escape, made once: a flood repeats the same few. */
const escapes = new Map<string, string>();

function escapeChar(char: string): string {
  let escaped = escapes.get(char);
  if (escaped === undefined) {
    escaped = "";
    for (const b of encoder.encode(char)) {
      escaped += `#${b.toString(8).padStart(3, "0")}`;
    }
    escapes.set(char, escaped);
  }
  return escaped;
}

/** What JSON.stringify leaves raw of the characters above. */
const UNSAFE_IN_JSON =
  /[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/**
 * JSON text with the characters above written as `\uXXXX` (JSON.stringify
 * already writes the C0 controls so): the same value, nothing hidden.
 *
 * @example
 * ```ts
 * escapeJson(JSON.stringify("a\u202eb")); // '"a\\u202eb"'
 * ```
 */
export function escapeJson(json: string): string {
  return json.replace(
    UNSAFE_IN_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
