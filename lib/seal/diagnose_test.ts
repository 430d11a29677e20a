/** Unit tests: naming the first line that differs from what was sealed. */

import assert from "node:assert/strict";
import { findDifference } from "./diagnose.ts";
import { lineTags } from "./line_tags.ts";

const encoder = new TextEncoder();
const LINES = Array.from(
  { length: 40 },
  (_, i) => `message number ${i} ${"x".repeat(i % 7)}`,
);

/** The difference between LINES, sealed, and `now`. */
function differenceTo(now: string[], ended = true) {
  const sealed = lineTags(encoder.encode(LINES.join("\n") + "\n"));
  return findDifference(encoder.encode(now.join("\n") + "\n"), sealed, ended);
}

Deno.test("one byte changed: that line", () => {
  const now = [...LINES];
  now[10] = now[10].replace("number", "numbe!");
  assert.deepEqual(differenceTo(now), { kind: "changed", line: 10 });
  now.splice(0, 40, ...LINES);
  now[39] = "changed last";
  assert.deepEqual(differenceTo(now), { kind: "changed", line: 39 });
});

Deno.test("lines removed or inserted: where, and how many, whatever their lengths", () => {
  for (const count of [1, 3]) {
    const removed = LINES.toSpliced(12, count);
    assert.deepEqual(differenceTo(removed), {
      kind: "removed",
      line: 12,
      count,
    });
    const inserted = LINES.toSpliced(12, 0, ...Array(count).fill("evil"));
    assert.deepEqual(differenceTo(inserted), {
      kind: "inserted",
      line: 12,
      count,
    });
  }
});

Deno.test("two lines swapped, and a line moved further", () => {
  const swapped = [...LINES];
  [swapped[5], swapped[6]] = [swapped[6], swapped[5]];
  assert.deepEqual(differenceTo(swapped), { kind: "swapped", line: 5 });
  const moved = [...LINES];
  [moved[5], moved[30]] = [moved[30], moved[5]];
  assert.deepEqual(differenceTo(moved), {
    kind: "reordered",
    line: 5,
    sealedAs: 30,
  });
});

Deno.test("the log ends before the sealed lines do: cut, where it ends", () => {
  assert.deepEqual(differenceTo(LINES.slice(0, 30)), { kind: "cut", line: 30 });
  // What was read ends there, not the log: no verdict yet.
  assert.equal(differenceTo(LINES.slice(0, 30), false), undefined);
});

Deno.test("among lines that repeat, a changed line is still a changed line", () => {
  const sealed = Array.from({ length: 30 }, () => "heartbeat");
  const now = [...sealed];
  now[10] = "heartbeaT";
  const tags = lineTags(encoder.encode(sealed.join("\n") + "\n"));
  assert.deepEqual(
    findDifference(encoder.encode(now.join("\n") + "\n"), tags, true),
    { kind: "changed", line: 10 },
  );
});
