/**
 * What differs between the lines a record sealed and the lines there now,
 * told from the lines' tags (lib/seal/line_tags.ts): the first line that
 * changed, was removed, inserted or reordered. `--verify` calls it once a
 * record's SHA-256 says its bytes differ.
 *
 * @example
 * ```ts
 * import { findDifference } from "./diagnose.ts";
 * findDifference(bytesNow, sealedTags, true); // { kind: "changed", line: 3 }
 * ```
 *
 * @module
 */

import { plural } from "../base/words.ts";
import { lineTagsAt } from "./line_tags.ts";
import type { SealRecord } from "./record.ts";

/** How many lines apart a removal or an insertion is looked for. */
const MOST_LINES_APART = 16;

/** How many lines after a difference must agree (or all, to the end) to call it what it is. */
const AGREEING_LINES = 4;

/**
 * The first difference, by line index from the start of the window (0 for
 * its first line): `count` lines removed or inserted there, a line changed,
 * two lines swapped, a line that was sealed as line `sealedAs`, or the
 * window ended (`cut`) before the sealed lines did. `undefined` when every
 * line's tag agrees (the difference is then within a line's tag's reach
 * only: a collision, vanishingly rare).
 */
export type Difference =
  | { kind: "changed" | "swapped" | "cut"; line: number }
  | { kind: "removed" | "inserted"; line: number; count: number }
  | { kind: "reordered"; line: number; sealedAs: number };

/**
 * Compares the lines of `now` (the log from where the sealed lines start)
 * with the tags they were sealed with, `sealed` (a record's, then the next
 * record's). `ended` says `now` runs to the end of the log: fewer lines are
 * then a cut, not just the end of what was read.
 *
 * @example
 * ```ts
 * findDifference(encoder.encode("a\nX\nc\n"), lineTags(encoder.encode("a\nb\nc\n")), true);
 * // { kind: "changed", line: 1 }
 * ```
 */
export function findDifference(
  now: Uint8Array,
  sealed: Uint32Array,
  ended: boolean,
): Difference | undefined {
  // Lines after an insertion or removal of a length that is not a multiple
  // of four start elsewhere in a word: each line is tagged at all four.
  const tagged = [0, 1, 2, 3].map((start) => lineTagsAt(now, start));
  const count = tagged[0].length;
  const same = (line: number, sealedLine: number) =>
    line < count && sealedLine < sealed.length &&
    tagged.some((tags) => tags[line] === sealed[sealedLine]);
  let line = 0;
  while (line < count && line < sealed.length && same(line, line)) line++;
  if (line >= sealed.length) return undefined;
  if (line >= count) return ended ? { kind: "cut", line } : undefined;
  // How the lines after the difference line up again, if they do.
  const run = (from: number, sealedFrom: number) =>
    agreeing(from, sealedFrom, count, sealed.length, same);
  if (same(line, line + 1) && same(line + 1, line)) {
    return { kind: "swapped", line };
  }
  // Two lines further apart swapped: each where the other was sealed.
  for (let other = line + 2; other < sealed.length; other++) {
    if (same(line, other) && same(other, line)) {
      if (run(line + 1, line + 1).lines >= other - line - 1) {
        return { kind: "reordered", line, sealedAs: other };
      }
    }
  }
  const candidates: [Difference, number, number][] = [
    [{ kind: "changed", line }, line + 1, line + 1],
  ];
  for (let apart = 1; apart <= MOST_LINES_APART; apart++) {
    candidates.push(
      [{ kind: "removed", line, count: apart }, line, line + apart],
      [{ kind: "inserted", line, count: apart }, line + apart, line],
    );
  }
  // The one after which most lines agree again; the first of equals.
  let best: Difference = { kind: "changed", line };
  let bestLines = -1;
  for (const [difference, from, sealedFrom] of candidates) {
    const { lines, toEnd } = run(from, sealedFrom);
    if ((toEnd || lines >= AGREEING_LINES) && lines > bestLines) {
      best = difference;
      bestLines = lines;
    }
  }
  return best;
}

/**
 * How many lines from `line` on agree with the sealed ones from
 * `sealedLine` on, and whether they do up to the end of either.
 */
function agreeing(
  line: number,
  sealedLine: number,
  count: number,
  sealedCount: number,
  same: (line: number, sealedLine: number) => boolean,
): { lines: number; toEnd: boolean } {
  let lines = 0;
  while (line + lines < count && sealedLine + lines < sealedCount) {
    if (!same(line + lines, sealedLine + lines)) {
      return { lines, toEnd: false };
    }
    lines++;
  }
  return { lines, toEnd: true };
}

/**
 * Lines from `from` to `to`, as a reader counts them.
 *
 * @example
 * ```ts
 * lineRange(5, 5); // "line 5"
 * lineRange(5, 7); // "lines 5-7"
 * ```
 */
export function lineRange(from: number, to: number): string {
  return from === to ? `line ${from}` : `lines ${from}-${to}`;
}

/**
 * {@link lineRange} with its verb.
 *
 * @example
 * ```ts
 * linesAre(5, 7); // "lines 5-7 are"
 * linesAre(5, 5, true); // "line 5 was"
 * ```
 */
export function linesAre(from: number, to: number, past = false): string {
  const one = from === to;
  return `${lineRange(from, to)} ${
    past ? (one ? "was" : "were") : (one ? "is" : "are")
  }`;
}

/**
 * A difference in words, with the line numbers of the log: `lineNo` is
 * the line the record's first line is now.
 *
 * @example
 * ```ts
 * describeDifference({ kind: "changed", line: 2 }, 100, record);
 * // "line 102 changed since it was sealed (seal record 3, sealed at ...)"
 * ```
 */
export function describeDifference(
  difference: Difference | undefined,
  lineNo: number,
  record: SealRecord,
): string {
  const sealed = `(seal record ${record.seq}, sealed at ${record.time})`;
  if (difference === undefined) {
    return `${
      lineRange(lineNo, lineNo + record.lines - 1)
    } differ from what was sealed ${sealed}`;
  }
  const at = lineNo + difference.line;
  switch (difference.kind) {
    case "changed":
      return `line ${at} changed since it was sealed ${sealed}`;
    case "swapped":
      return `lines ${at} and ${
        at + 1
      } reordered: they were sealed the other way round ${sealed}`;
    case "reordered":
      return `line ${at} reordered: it was sealed as line ${
        lineNo + difference.sealedAs
      } ${sealed}`;
    case "removed": {
      const range = lineRange(at, at + difference.count - 1);
      return `${range} removed: the ${
        difference.count === 1 ? "line" : plural(difference.count, "line")
      } sealed as ${range} ${
        difference.count === 1 ? "is" : "are"
      } missing ${sealed}`;
    }
    case "inserted":
      return `${lineRange(at, at + difference.count - 1)} inserted: ${
        difference.count === 1 ? "it was" : "they were"
      } not there when the lines around were sealed ${sealed}`;
    case "cut":
      return `cut short after line ${at - 1} ${sealed}`;
  }
}
