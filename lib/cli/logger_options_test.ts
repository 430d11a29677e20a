/** Unit tests: The logger's command line. */

import assert from "node:assert/strict";
import { hasLinearEngine } from "../log/pattern.ts";
import { connectEndpoint } from "../sender/endpoint.ts";
import { bindEndpoint, parseLoggerArgs as parse } from "./logger_options.ts";
import { parseSize, parseTime } from "./values.ts";

/** The logger's command line with the book's defaults. */
function parseLoggerArgs(args: string[], now = Date.now()) {
  const defaults = {
    port: 5555,
    bind: "*",
    file: "./log.txt",
    maxMessageSize: 65536,
  };
  return parse(args, defaults, now);
}

Deno.test("logger options default to the book: port 5555, all interfaces, ./log.txt, everything kept", async () => {
  const defaults = (await parseLoggerArgs([]))!;
  assert.deepEqual(
    [
      defaults.mode,
      defaults.port,
      defaults.bind,
      defaults.file,
      defaults.timestamps,
    ],
    ["serve", 5555, "*", "./log.txt", false],
  );
  assert.deepEqual([defaults.format, defaults.maxMessageSize], ["text", 65536]);
  assert.deepEqual(defaults.filters, {
    level: "debug",
    include: [],
    exclude: [],
    includeHost: [],
    excludeHost: [],
  });
  const given = (await parseLoggerArgs([
    "-p",
    "6000",
    "-b",
    "10.0.0.2",
    "-f",
    "x.log",
  ]))!;
  assert.deepEqual([given.port, given.bind, given.file], [
    6000,
    "10.0.0.2",
    "x.log",
  ]);
  assert.equal(await parseLoggerArgs(["--help"]), undefined);
});

Deno.test("no argument gives the options the defaults written out give, without parseArgs", async () => {
  const now = Date.now();
  // No argument skips node:util's parseArgs (args.ts's defaultValues).
  assert.deepEqual(
    await parseLoggerArgs([], now),
    await parseLoggerArgs(["--port", "5555", "--file", "./log.txt"], now),
  );
});

Deno.test("logger refuses options that do not go together", async () => {
  for (
    const [args, message] of [
      [["--show", "--status"], /Cannot do --show and --status at once/],
      [["--follow"], /'--follow' goes with --show/],
      [["--since", "today"], /'--since' goes with --show/],
      [
        ["--format", "xml"],
        /'--format' must be text or json: current value is "xml"/,
      ],
      [
        ["--include", "("],
        /'--include' must be a regular expression: current value is "\("/,
      ],
      [
        ["--max-message-size", "0"],
        /'--max-message-size' must be 1 byte to 16M/,
      ],
      [
        ["--show", "--lines", "x"],
        /'--lines' must be a whole number: current value is "x"/,
      ],
      [
        ["--set-level", "loud"],
        /'--set-level' must be one of debug, info, warn, error, critical/,
      ],
    ] as const
  ) {
    await assert.rejects(() => parseLoggerArgs([...args]), message);
  }
});

Deno.test("--reopen asks the logger of --file to open its log again, and goes alone", async () => {
  const plain = (await parseLoggerArgs(["--reopen"]))!;
  assert.deepEqual([plain.mode, plain.request, plain.file], [
    "control",
    "reopen",
    "./log.txt",
  ]);
  const named = (await parseLoggerArgs(["--reopen", "--file", "other.log"]))!;
  assert.deepEqual([named.mode, named.request, named.file], [
    "control",
    "reopen",
    "other.log",
  ]);
  for (
    const [args, message] of [
      [
        ["--reopen", "--set-level", "warn"],
        /Cannot do --set-level and --reopen at once: pick one/,
      ],
      [
        ["--status", "--reopen"],
        /Cannot do --status and --reopen at once: pick one/,
      ],
      [
        ["--show", "--reopen"],
        /Cannot do --show and --reopen at once: pick one/,
      ],
      [
        ["--reopen", "--keygen"],
        /Cannot do --reopen and --keygen at once: pick one/,
      ],
      [["--reopen", "--follow"], /'--follow' goes with --show/],
      [
        ["--reopen", "--curve-key", "k"],
        /'--curve-key' goes with listening: remove it from --show, --stats, --set-level, --status, --reopen or --keygen/,
      ],
    ] as const
  ) {
    await assert.rejects(
      () => parseLoggerArgs([...args]),
      message,
      args.join(" "),
    );
  }
});

Deno.test("options without a pattern need no linear regexp engine; patterns are compiled for it", async () => {
  // deno task test starts Deno without the V8 flag the logger's shebang gives.
  const options = (await parseLoggerArgs([
    "--level",
    "warn",
    "-T",
    "--format",
    "json",
  ]))!;
  assert.equal(options.filters.level, "warn");
  assert.equal(
    (await parseLoggerArgs(["--show", "--since", "today"]))!.mode,
    "show",
  );
  const patterns = ["--include", "a", "--exclude", "b", "--include-host", "c"];
  if (hasLinearEngine()) {
    const { filters } =
      (await parseLoggerArgs([...patterns, "--exclude-host", "d"]))!;
    assert.deepEqual(
      [
        filters.include,
        filters.exclude,
        filters.includeHost,
        filters.excludeHost,
      ]
        .flat().map((re) => `${re}`),
      ["/a/l", "/b/l", "/c/l", "/d/l"],
    );
  } else {
    await assert.rejects(
      () => parseLoggerArgs(patterns),
      /^Error: Cannot filter as '--include' needs V8's linear-time regular expressions/,
    );
  }
});

Deno.test("parseSize reads bytes, K and M", () => {
  assert.equal(parseSize("100", "--max-message-size"), 100);
  assert.equal(parseSize("64K", "--max-message-size"), 65536);
  assert.equal(parseSize("1m", "--max-message-size"), 1048576);
  assert.throws(
    () => parseSize("17M", "--max-message-size"),
    /current value is "17M"/,
  );
  assert.throws(
    () => parseSize("1.5K", "--max-message-size"),
    /current value is "1.5K"/,
  );
});

Deno.test("parseTime reads RFC 3339, local times, dates, words and ages", () => {
  const now = Date.parse("2026-11-24T12:00:00Z");
  assert.equal(
    parseTime("2026-11-24T10:00:00Z", "--since", now),
    Date.parse("2026-11-24T10:00:00Z"),
  );
  assert.equal(
    parseTime("2026-11-24T10:00+01:00", "--since", now),
    Date.parse("2026-11-24T09:00:00Z"),
  );
  assert.equal(
    parseTime("2026-11-24 10:00", "--since", now),
    new Date(2026, 10, 24, 10, 0).getTime(),
  );
  assert.equal(
    parseTime("2026-11-24", "--since", now),
    new Date(2026, 10, 24).getTime(),
  );
  assert.equal(parseTime("-90s", "--since", now), now - 90_000);
  assert.equal(parseTime("-2h", "--since", now), now - 7_200_000);
  assert.equal(parseTime("now", "--until", now), now);
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  assert.equal(parseTime("today", "--since", now), midnight.getTime());
  assert.equal(
    parseTime("yesterday", "--since", now),
    midnight.getTime() - 86_400_000,
  );
  for (const bad of ["soon", "2026-13-01", "1h", "2026-11-24T25:00"]) {
    assert.throws(
      () => parseTime(bad, "--since", now),
      new RegExp(`'--since' must be a time .*current value is "${bad}"`),
    );
  }
});

Deno.test("bindEndpoint and connectEndpoint bracket IPv6 addresses", () => {
  assert.equal(bindEndpoint("*", 5555), "tcp://*:5555");
  assert.equal(bindEndpoint("::", 1), "tcp://[::]:1");
  assert.equal(bindEndpoint("[::1]", 2), "tcp://[::1]:2");
  assert.equal(
    connectEndpoint("localhost", 5555),
    "tcp://localhost:5555",
  );
  assert.equal(
    connectEndpoint("fe80::1%eth0", 5),
    "tcp://[fe80::1%eth0]:5",
  );
});
