/** Unit tests: `parseArgs` and its errors in one line. */

import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { parseArgsProblem, parseCommandLine } from "./command_line.ts";

/** What parseArgs throws for `args`, in one line by parseArgsProblem. */
function problemFor(args: string[]): string {
  const config = {
    args,
    options: {
      lines: { type: "string" as const, short: "n" },
      follow: { type: "boolean" as const, short: "F" },
      port: { type: "string" as const, short: "p" },
      timeout: { type: "string" as const },
    },
  };
  try {
    parseArgs(config);
  } catch (err) {
    return parseArgsProblem(err, config);
  }
  throw new Error(`parseArgs took ${JSON.stringify(args)}`);
}

Deno.test("parseArgsProblem names the long option of a short one, in one line", () => {
  const cases: [string[], string][] = [
    [["-n"], "Option '--lines' (-n) needs a value"],
    [["--lines"], "Option '--lines' (-n) needs a value"],
    [["--timeout"], "Option '--timeout' needs a value"],
    [
      ["-n", "-3"],
      "Option '-n' (--lines) needs a value (write --lines=VALUE for one that starts with '-')",
    ],
    [
      ["--lines", "-3"],
      "Option '--lines' needs a value (write --lines=VALUE for one that starts with '-')",
    ],
    [["-F=1"], "Option '--follow' (-F) does not take a value: write it alone"],
    [
      ["--follow=1"],
      "Option '--follow' (-F) does not take a value: write it alone",
    ],
    [
      ["-P", "6000"],
      "Unknown option '-P' (-p is --port; short options are case-sensitive)",
    ],
    [["-x"], "Unknown option '-x'"],
  ];
  for (const [args, line] of cases) {
    assert.equal(problemFor(args), line, JSON.stringify(args));
  }
});

Deno.test("parseCommandLine throws parseArgs's error as its one line", () => {
  assert.throws(
    () =>
      parseCommandLine({
        args: ["-n"],
        options: { lines: { type: "string", short: "n" } },
      }),
    { message: "Option '--lines' (-n) needs a value" },
  );
});
