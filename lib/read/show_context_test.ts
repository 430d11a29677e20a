/**
 * Unit tests: `--show --context`'s lines around each match, from its host
 * and tag: the lines before and after, groups that touch made one, `--`
 * between lines that do not follow, JSON's fields, `--lines N` as the last N
 * matches, and the bounds on hosts and tags kept and on their lines.
 */

import assert from "node:assert/strict";
import { parseLogLine } from "../log/log_line.ts";
import { ContextLines, MAX_KEPT_CHARS, MAX_KEYS } from "./show_context.ts";

/** A log line of `host` and `tag` at second `at`; errors match. */
function logLine(at: number, host: string, tag: string, level: string) {
  const time = new Date(Date.UTC(2026, 10, 24, 10) + at * 1000).toISOString();
  return `${time} <${level}> - ${host} ${tag}: line ${at}`;
}

/** What `context` prints for `lines`, errors matching, with the end of the file. */
function shown(context: ContextLines, lines: string[]): string[] {
  let output = "";
  for (const text of lines) {
    output += context.add(text, parseLogLine(text), text.includes("<error>"));
  }
  output += context.endOfFile();
  return output.split("\n").slice(0, -1);
}

/** The line number (`line N`) of each line shown, "--" as it is. */
function numbers(lines: string[]): string[] {
  return lines.map((line) => line === "--" ? "--" : line.split(" line ")[1]);
}

Deno.test("ContextLines: -B 2 prints the two lines before each error from its host and tag only, a new group after a gap", () => {
  const log = [
    logLine(0, "a", "app", "info"),
    logLine(1, "b", "app", "info"),
    logLine(2, "a", "cron", "info"), // same host, other tag: not context
    logLine(3, "a", "app", "info"),
    logLine(4, "b", "app", "info"),
    logLine(5, "a", "app", "info"),
    logLine(6, "a", "app", "error"),
    logLine(7, "b", "app", "error"),
    logLine(8, "a", "app", "info"),
    logLine(9, "a", "app", "info"),
    logLine(10, "a", "app", "info"),
    logLine(11, "a", "app", "error"),
  ];
  const context = new ContextLines({ before: 2, after: 0 }, "text");
  assert.deepEqual(numbers(shown(context, log)), [
    "3",
    "5",
    "6",
    "--",
    "1",
    "4",
    "7",
    "--",
    "9",
    "10",
    "11",
  ]);
});

Deno.test("ContextLines: groups that touch are one, as grep's; -A lines come as they are read", () => {
  const log = [0, 1, 2, 3, 4, 5, 6, 7].map((at) =>
    logLine(at, "a", "app", at === 2 || at === 5 ? "error" : "info")
  );
  // -C 1: 1,2,3 and 4,5,6 touch (3 then 4): one group, no separator.
  const touching = new ContextLines({ before: 1, after: 1 }, "text");
  assert.deepEqual(numbers(shown(touching, log)), [
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
  ]);
  // -A 1 only: 2,3 and 5,6 do not touch.
  const apart = new ContextLines({ before: 0, after: 1 }, "text");
  assert.deepEqual(numbers(shown(apart, log)), ["2", "3", "--", "5", "6"]);
  // -C 0 separates matches that are not next to each other, as grep -C 0.
  const none = new ContextLines({ before: 0, after: 0 }, "text");
  assert.deepEqual(numbers(shown(none, log)), ["2", "--", "5"]);
  // Another host's lines between a match and its -A lines: "--" around them.
  const mixed = [
    logLine(0, "a", "app", "error"),
    logLine(1, "b", "app", "error"),
    logLine(2, "a", "app", "info"),
  ];
  const turns = new ContextLines({ before: 0, after: 1 }, "text");
  assert.deepEqual(numbers(shown(turns, mixed)), ["0", "--", "1", "--", "2"]);
});

Deno.test("ContextLines: JSON says which line matched and its group, with no -- lines", () => {
  const log = [
    logLine(0, "a", "app", "info"),
    logLine(1, "a", "app", "error"),
    logLine(2, "b", "app", "info"),
    logLine(3, "b", "app", "error"),
  ];
  const context = new ContextLines({ before: 1, after: 0 }, "json");
  const records = shown(context, log).map((line) => JSON.parse(line));
  assert.deepEqual(
    records.map((r) => [r.host, r.message, r.match, r.group]),
    [
      ["a", "line 0", false, 1],
      ["a", "line 1", true, 1],
      ["b", "line 2", false, 2],
      ["b", "line 3", true, 2],
    ],
  );
  assert.equal(records[0].received, "2026-11-24T10:00:00.000Z");
});

Deno.test("ContextLines: --lines N keeps the last N matches with their context until the end of the file, then prints as it reads", () => {
  const context = new ContextLines({ before: 1, after: 1 }, "text", 2);
  const log = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((at) =>
    logLine(at, "a", "app", at % 3 === 1 ? "error" : "info")
  );
  let output = "";
  for (const text of log) {
    output += context.add(text, parseLogLine(text), text.includes("<error>"));
  }
  assert.equal(output, "", "nothing before the end of the file");
  // Matches 1, 4, 7, 10: the last two with their context, as one group.
  assert.deepEqual(numbers(context.endOfFile().split("\n").slice(0, -1)), [
    "6",
    "7",
    "8",
    "9",
    "10",
  ]);
  const next = logLine(11, "a", "app", "info");
  assert.equal(context.add(next, parseLogLine(next), false), `${next}\n`);
});

Deno.test(`ContextLines: past ${MAX_KEYS} hosts and tags the least recently seen are forgotten, and counted`, () => {
  const context = new ContextLines({ before: 1, after: 0 }, "text");
  const log = [logLine(0, "first", "app", "info")];
  for (let i = 0; i < MAX_KEYS; i++) {
    log.push(logLine(1, `h${i}`, "app", "info"));
  }
  log.push(logLine(2, "first", "app", "error")); // its line before: forgotten
  log.push(logLine(3, `h${MAX_KEYS - 1}`, "app", "error")); // seen lately: kept
  assert.deepEqual(numbers(shown(context, log)), ["2", "--", "1", "3"]);
  assert.ok(context.forgotten >= 1, `${context.forgotten} forgotten`);
});

Deno.test(`ContextLines: at most ${MAX_KEPT_CHARS >> 20} MiB of lines are kept; one host's long lines lose their oldest first`, () => {
  const context = new ContextLines({ before: 100, after: 0 }, "text");
  const long = "x".repeat(1 << 20);
  const log: string[] = [];
  for (let at = 0; at < 40; at++) {
    log.push(`${logLine(at, "a", "app", "info")} ${long}`);
  }
  log.push(logLine(40, "a", "app", "error"));
  const lines = shown(context, log);
  // 16 MiB holds 15 of these lines with what each costs besides.
  assert.ok(lines.length > 10 && lines.length < 18, `${lines.length} lines`);
  assert.match(lines.at(-2)!, /line 39 x/);
  assert.match(lines.at(-1)!, /line 40$/);
});

Deno.test("ContextLines: with --lines N, a line after an old match that comes after newer matches is left out too", () => {
  const context = new ContextLines({ before: 0, after: 1 }, "text", 1);
  const log = [
    logLine(0, "a", "app", "error"), // match 1
    logLine(1, "b", "app", "error"), // match 2: the last one
    logLine(2, "a", "app", "info"), // after match 1
  ];
  assert.deepEqual(numbers(shown(context, log)), ["1"]);
});
