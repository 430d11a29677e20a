/** Unit tests: the tags that find a line that differs. */

import assert from "node:assert/strict";
import { decodeTags, encodeTags, lineTags, lineTagsAt } from "./line_tags.ts";

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

Deno.test("a tag per line, and one for a last line without its newline", () => {
  assert.equal(lineTags(bytes("")).length, 0);
  assert.equal(lineTags(bytes("a\nbb\n\nccc\n")).length, 4);
  assert.equal(lineTags(bytes("a\nbb")).length, 2);
});

Deno.test("changing any one byte of a line changes its tag and no other's", () => {
  const lines = [
    "short",
    "",
    "a line of some length, as a message would be",
    "<warn> 2026-12-03T10:00:00Z pi app: fan stopped",
  ];
  const text = lines.join("\n") + "\n";
  const before = lineTags(bytes(text));
  let line = 0;
  for (let at = 0; at < text.length; at++) {
    if (text[at] === "\n") {
      line++;
      continue;
    }
    const changed = bytes(text);
    changed[at] ^= 0x01;
    const after = lineTags(changed);
    for (let i = 0; i < lines.length; i++) {
      assert.equal(after[i] === before[i], i !== line, `byte ${at}, line ${i}`);
    }
  }
});

Deno.test("lineTagsAt gives the tags lines have when they start elsewhere in a word", () => {
  const lines = "one line\nanother, longer line\nx\n";
  for (const prefix of ["", "a\n", "ab\n", "abc\n", "abcd\n"]) {
    const tags = lineTags(bytes(prefix + lines));
    const start = prefix.length % 4;
    assert.deepEqual(
      [...lineTagsAt(bytes(lines), start)],
      [...tags.subarray(prefix === "" ? 0 : 1)],
      `after ${JSON.stringify(prefix)}`,
    );
  }
});

Deno.test("tags go into a record as base64 and come back; anything else is refused", () => {
  const tags = new Uint32Array([0, 1, 0xffffffff, 0x12345678]);
  assert.deepEqual([...decodeTags(encodeTags(tags))!], [...tags]);
  assert.equal(encodeTags(new Uint32Array()), "");
  assert.equal(decodeTags("!!"), undefined);
  assert.equal(decodeTags("AAA="), undefined); // three bytes: not whole tags
});
