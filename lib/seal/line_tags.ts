/**
 * A 32-bit tag for each line of a sealed range, so that `--verify` can name
 * the first line that differs (changed, removed, inserted, reordered) where
 * the range's SHA-256 only says that something in it does. The tags are not
 * what makes a seal hold (that is the SHA-256 and the MAC over the record
 * that carries them); they only find the line, so a fast hash is enough:
 * the bytes are read four at a time, and a word without a newline is mixed
 * in whole. Any one word changed changes its line's tag.
 *
 * A line's tag depends on its bytes and on where it starts within a
 * four-byte word of the range (0-3): {@link lineTags} takes the range as
 * the logger wrote it, and {@link lineTagsAt} gives the tags lines would
 * have at another start, for lines that moved.
 *
 * @example
 * ```ts
 * import { lineTags } from "./line_tags.ts";
 * lineTags(new TextEncoder().encode("a\nb\n")).length; // 2
 * ```
 *
 * @module
 */

const NEWLINE = 0x0a;
const NEWLINES = 0x0a0a0a0a;
const SEED = 0x9e3779b9 | 0;

/** Ends a line's hash (murmur3's finalizer): every input bit moves every output bit. */
function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The bytes' words, four at a time in little-endian order, as typed arrays read them here. */
function wordsOf(bytes: Uint8Array): Int32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const words = new Int32Array(
    aligned.buffer,
    aligned.byteOffset,
    aligned.length >>> 2,
  );
  if (LITTLE_ENDIAN) return words;
  const view = new DataView(aligned.buffer, aligned.byteOffset);
  return words.map((_, i) => view.getInt32(i * 4, true));
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Mixes a byte of a word that holds a newline into a line's hash. */
function mixByte(h: number, byte: number): number {
  return Math.imul(h ^ (byte | 0x100), 0x01000193);
}

/**
 * The tag of each line of `bytes`, a range that starts a line: one per
 * newline, and one for a last line without one.
 *
 * @example
 * ```ts
 * lineTags(new TextEncoder().encode("one\ntwo\n")); // Uint32Array [..., ...]
 * ```
 */
export function lineTags(bytes: Uint8Array): Uint32Array {
  const words = wordsOf(bytes);
  const count = words.length;
  const tags = new TagList();
  let h = SEED;
  let w = 0;
  while (w < count) {
    // Words without a newline (no byte of word ^ NEWLINES is zero: the
    // bit trick below finds one) are mixed in whole, a multiplication
    // each: a bijection of the hash, so a changed word always shows.
    for (; w < count; w++) {
      const word = words[w];
      const x = word ^ NEWLINES;
      if ((((x - 0x01010101) | 0) & ~x & 0x80808080) !== 0) break;
      h = Math.imul(h ^ word, 0x01000193);
    }
    if (w === count) break;
    const word = words[w++];
    for (let shift = 0; shift < 32; shift += 8) {
      const byte = (word >>> shift) & 0xff;
      if (byte === NEWLINE) {
        tags.add(finish(h));
        h = SEED;
      } else {
        h = mixByte(h, byte);
      }
    }
  }
  for (let i = count * 4; i < bytes.length; i++) {
    if (bytes[i] === NEWLINE) {
      tags.add(finish(h));
      h = SEED;
    } else {
      h = mixByte(h, bytes[i]);
    }
  }
  if (bytes.length > 0 && bytes[bytes.length - 1] !== NEWLINE) {
    tags.add(finish(h));
  }
  return tags.done();
}

/** Tags as they are found: a typed array that grows. */
class TagList {
  #tags = new Uint32Array(1024);
  #count = 0;

  add(tag: number): void {
    if (this.#count === this.#tags.length) {
      const bigger = new Uint32Array(this.#count * 2);
      bigger.set(this.#tags);
      this.#tags = bigger;
    }
    this.#tags[this.#count++] = tag;
  }

  done(): Uint32Array {
    return this.#tags.subarray(0, this.#count);
  }
}

/**
 * The tags the lines of `bytes` would have in a range where they started
 * `start` (0-3) bytes into a word: for lines that moved by a number of
 * bytes that is not a multiple of four.
 *
 * @example
 * ```ts
 * lineTagsAt(bytes, 0); // the same as lineTags(bytes)
 * ```
 */
export function lineTagsAt(bytes: Uint8Array, start: number): Uint32Array {
  if (start === 0) return lineTags(bytes);
  // Newlines before it: each ends an empty line, whose tag is dropped.
  const shifted = new Uint8Array(start + bytes.length);
  shifted.fill(NEWLINE, 0, start);
  shifted.set(bytes, start);
  return lineTags(shifted).subarray(start);
}

/**
 * The tags in the form a seal record carries them: base64 of their bytes,
 * little-endian.
 *
 * @example
 * ```ts
 * decodeTags(encodeTags(new Uint32Array([1, 2]))); // Uint32Array [1, 2]
 * ```
 */
export function encodeTags(tags: Uint32Array): string {
  if (LITTLE_ENDIAN) {
    return new Uint8Array(tags.buffer, tags.byteOffset, tags.length * 4)
      .toBase64();
  }
  const bytes = new Uint8Array(tags.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < tags.length; i++) view.setUint32(i * 4, tags[i], true);
  return bytes.toBase64();
}

/** Reads {@link encodeTags}' form back; undefined when it is not that. */
export function decodeTags(text: string): Uint32Array | undefined {
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.fromBase64(text);
  } catch {
    return undefined;
  }
  if (bytes.length % 4 !== 0) return undefined;
  const view = new DataView(bytes.buffer);
  const tags = new Uint32Array(bytes.length / 4);
  for (let i = 0; i < tags.length; i++) tags[i] = view.getUint32(i * 4, true);
  return tags;
}
