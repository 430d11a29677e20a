/**
 * Unit tests: the options of the modes that read the log: `--context`,
 * `-B`, `-A` as grep's, `--capacity`, and each refused with another mode or
 * a bad value in one line.
 */

import assert from "node:assert/strict";
import { UsageError } from "../base/errors.ts";
import { MAX_CONTEXT, parseReadFlags } from "./read_options.ts";

Deno.test("parseReadFlags: -C gives both sides, -B and -A take its place on theirs", () => {
  assert.deepEqual(parseReadFlags({ context: "3" }, "show").context, {
    before: 3,
    after: 3,
  });
  assert.deepEqual(
    parseReadFlags({ context: "3", "after-context": "0" }, "show").context,
    { before: 3, after: 0 },
  );
  assert.deepEqual(
    parseReadFlags({ "before-context": "2" }, "show").context,
    { before: 2, after: 0 },
  );
  assert.deepEqual(parseReadFlags({}, "show"), {});
  assert.equal(
    parseReadFlags({ capacity: true }, "stats").stats?.capacity,
    true,
  );
});

Deno.test("parseReadFlags: a bad number, or a flag of another mode, is one clear refusal", () => {
  const refused = (
    flags: Record<string, unknown>,
    mode: string,
    text: string,
  ) =>
    assert.throws(() => parseReadFlags(flags, mode), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.equal(err.message, text);
      return true;
    });
  refused(
    { context: "three" },
    "show",
    `Cannot show the log as '--context' must be a whole number from 0 to ${MAX_CONTEXT}: current value is "three"`,
  );
  refused(
    { "after-context": "100001" },
    "show",
    `Cannot show the log as '--after-context' must be a whole number from 0 to ${MAX_CONTEXT}: current value is "100001"`,
  );
  refused(
    { "before-context": "2" },
    "stats",
    "'--before-context' goes with --show: add --show to read the log",
  );
  refused(
    { capacity: true },
    "show",
    "'--capacity' goes with --stats: add --stats to count the log",
  );
  refused(
    { capacity: true, by: "host" },
    "stats",
    `Cannot count as '--by' does not go with '--capacity', which counts by host and day: current value is "host"`,
  );
  refused(
    { capacity: true, every: "1h" },
    "stats",
    `Cannot count as '--every' goes with '--capacity' only for the page's charts (--format html): the tables are per day; current value is "1h"`,
  );
  assert.equal(
    parseReadFlags({ capacity: true, every: "1h", format: "html" }, "stats")
      .stats?.every,
    3_600_000,
  );
});
