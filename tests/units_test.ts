/**
 * The small pure pieces of both scripts, and a check that what both scripts
 * need alike (levels, the wire format, the libzmq binding, port parsing) is
 * the same, word for word, in each.
 */

import assert from "node:assert/strict";
import * as logger from "../logging_basic.ts";
import * as sender from "../log_cmd_basic.ts";
import { ROOT } from "./helpers.ts";

Deno.test("parsePort accepts 1-65535 and names the bad value otherwise", () => {
  assert.equal(logger.parsePort("1", "listen"), 1);
  assert.equal(logger.parsePort("65535", "listen"), 65535);
  for (
    const bad of ["0", "65536", "70000", "abc", "", "5555x", "-1", "1.5", " 80"]
  ) {
    assert.throws(
      () => logger.parsePort(bad, "listen"),
      (err: Error) =>
        err instanceof logger.UsageError &&
        err.message ===
          `Cannot listen as '--port' must be 1-65535: current value is ${
            JSON.stringify(bad)
          }`,
    );
  }
});

Deno.test("logger options default to the book: port 5555, all interfaces, ./log.txt, everything kept", () => {
  const defaults = logger.parseLoggerArgs([])!;
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
  const given = logger.parseLoggerArgs([
    "-p",
    "6000",
    "-b",
    "10.0.0.2",
    "-f",
    "x.log",
  ])!;
  assert.deepEqual([given.port, given.bind, given.file], [
    6000,
    "10.0.0.2",
    "x.log",
  ]);
  assert.equal(logger.parseLoggerArgs(["--help"]), undefined);
});

Deno.test("logger refuses options that do not go together", () => {
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
    assert.throws(() => logger.parseLoggerArgs([...args]), message);
  }
});

Deno.test("parseSize reads bytes, K and M", () => {
  assert.equal(logger.parseSize("100", "--max-message-size"), 100);
  assert.equal(logger.parseSize("64K", "--max-message-size"), 65536);
  assert.equal(logger.parseSize("1m", "--max-message-size"), 1048576);
  assert.throws(
    () => logger.parseSize("17M", "--max-message-size"),
    /current value is "17M"/,
  );
  assert.throws(
    () => logger.parseSize("1.5K", "--max-message-size"),
    /current value is "1.5K"/,
  );
});

Deno.test("parseLevel takes any case and the usual aliases, and nothing else", () => {
  const cases: [string, string][] = [
    ["debug", "debug"],
    ["INFO", "info"],
    ["Warning", "warn"],
    ["warn", "warn"],
    ["err", "error"],
    ["ERROR", "error"],
    ["crit", "critical"],
    ["critical", "critical"],
    ["fatal", "critical"],
    ["notice", "info"],
  ];
  for (const [text, level] of cases) {
    assert.equal(sender.parseLevel(text, "send"), level);
  }
  for (const bad of ["loud", "", "constructor", "__proto__", "warn "]) {
    assert.throws(
      () => sender.parseLevel(bad, "send"),
      new RegExp(
        `current value is ${JSON.stringify(JSON.stringify(bad)).slice(1, -1)}`,
      ),
    );
  }
});

Deno.test("the wire header round-trips, and plain text is an info message", () => {
  const message = {
    level: "warn" as const,
    sent: "2026-11-24T10:15:02.120Z",
    host: "raspberrypi",
    tag: "backup",
    text: "disk almost full: 91%",
  };
  const wire = sender.formatMessage(message);
  assert.equal(
    wire,
    "<warn> 2026-11-24T10:15:02.120Z raspberrypi backup: disk almost full: 91%",
  );
  assert.deepEqual(logger.parseMessage(wire), message);
  assert.deepEqual(
    logger.parseMessage(sender.formatMessage({ level: "error", text: "x" })),
    {
      level: "error",
      text: "x",
    },
  );
  for (
    const plain of [
      "arg1 arg2 arg3",
      "<warn> looks like a header but is not",
      "<loud> - pi tag: text",
      "<warn> yesterday pi tag: a bad time is no header",
      "",
    ]
  ) {
    assert.deepEqual(logger.parseMessage(plain), {
      level: "info",
      text: plain,
    });
  }
});

Deno.test("dropReason applies the level, then text and host patterns", () => {
  const filters = {
    level: "warn" as const,
    include: [/disk|fan/],
    exclude: [/test/],
    includeHost: [/^pi/],
    excludeHost: [/^pi9$/],
  };
  const at = (level: "info" | "warn", text: string, host?: string) =>
    logger.dropReason({ level, text, host }, filters);
  assert.equal(at("info", "disk", "pi1"), "level");
  assert.equal(at("warn", "disk", "pi1"), undefined);
  assert.equal(at("warn", "cpu", "pi1"), "filter");
  assert.equal(at("warn", "disk test", "pi1"), "filter");
  assert.equal(at("warn", "fan", "desktop"), "filter");
  assert.equal(at("warn", "fan", "pi9"), "filter");
  assert.equal(
    at("warn", "fan"),
    "filter",
    "no host does not match --include-host",
  );
});

Deno.test("formatLine keeps text as it came, adds the arrival time, or writes JSON", () => {
  const raw = "<error> 2026-11-24T10:00:00.000Z pi app: boom";
  const message = logger.parseMessage(raw);
  const at = Date.parse("2026-11-24T10:00:00.250Z");
  assert.equal(
    logger.formatLine(raw, message, at, { timestamps: false, format: "text" }),
    raw,
  );
  assert.equal(
    logger.formatLine(raw, message, at, { timestamps: true, format: "text" }),
    `2026-11-24T10:00:00.250Z ${raw}`,
  );
  assert.deepEqual(
    JSON.parse(
      logger.formatLine(raw, message, at, {
        timestamps: false,
        format: "json",
      }),
    ),
    {
      received: "2026-11-24T10:00:00.250Z",
      sent: "2026-11-24T10:00:00.000Z",
      host: "pi",
      tag: "app",
      level: "error",
      message: "boom",
    },
  );
});

Deno.test("control characters are escaped as #ooo, tab and everything else kept", () => {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  assert.equal(
    dec.decode(logger.escapeControls(enc.encode("a\nb\rc\x1b[0m\td\x7f\x00é"))),
    "a#012b#015c#033[0m\td#177#000é",
  );
  assert.equal(logger.escapeControlText("x\ny\tz"), "x#012y\tz");
  const raw = "evil\n<critical> - pi app: forged";
  assert.equal(
    logger.formatLine(raw, logger.parseMessage(raw), 0, {
      timestamps: true,
      format: "text",
    }),
    "1970-01-01T00:00:00.000Z evil#012<critical> - pi app: forged",
  );
});

Deno.test("parseLogLine reads back text lines, timestamped lines and JSON Lines", () => {
  assert.deepEqual(logger.parseLogLine("arg1 arg2"), {
    message: { level: "info", text: "arg1 arg2" },
  });
  assert.deepEqual(
    logger.parseLogLine("2026-11-24T10:00:00.250Z <warn> - pi app: hot"),
    {
      received: "2026-11-24T10:00:00.250Z",
      message: { level: "warn", host: "pi", tag: "app", text: "hot" },
    },
  );
  const json = logger.jsonLine(
    { level: "error", text: "x", host: "h" },
    "2026-11-24T10:00:00.000Z",
  );
  assert.deepEqual(logger.parseLogLine(json), {
    received: "2026-11-24T10:00:00.000Z",
    message: { level: "error", text: "x", host: "h" },
  });
  assert.deepEqual(logger.parseLogLine("{not json"), {
    message: { level: "info", text: "{not json" },
  });
});

Deno.test("parseTime reads RFC 3339, local times, dates, words and ages", () => {
  const now = Date.parse("2026-11-24T12:00:00Z");
  assert.equal(
    logger.parseTime("2026-11-24T10:00:00Z", "--since", now),
    Date.parse("2026-11-24T10:00:00Z"),
  );
  assert.equal(
    logger.parseTime("2026-11-24T10:00+01:00", "--since", now),
    Date.parse("2026-11-24T09:00:00Z"),
  );
  assert.equal(
    logger.parseTime("2026-11-24 10:00", "--since", now),
    new Date(2026, 10, 24, 10, 0).getTime(),
  );
  assert.equal(
    logger.parseTime("2026-11-24", "--since", now),
    new Date(2026, 10, 24).getTime(),
  );
  assert.equal(logger.parseTime("-90s", "--since", now), now - 90_000);
  assert.equal(logger.parseTime("-2h", "--since", now), now - 7_200_000);
  assert.equal(logger.parseTime("now", "--until", now), now);
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  assert.equal(logger.parseTime("today", "--since", now), midnight.getTime());
  assert.equal(
    logger.parseTime("yesterday", "--since", now),
    midnight.getTime() - 86_400_000,
  );
  for (const bad of ["soon", "2026-13-01", "1h", "2026-11-24T25:00"]) {
    assert.throws(
      () => logger.parseTime(bad, "--since", now),
      new RegExp(`'--since' must be a time .*current value is "${bad}"`),
    );
  }
});

Deno.test("bindEndpoint and connectEndpoint bracket IPv6 addresses", () => {
  assert.equal(logger.bindEndpoint("*", 5555), "tcp://*:5555");
  assert.equal(logger.bindEndpoint("::", 1), "tcp://[::]:1");
  assert.equal(logger.bindEndpoint("[::1]", 2), "tcp://[::1]:2");
  assert.equal(
    sender.connectEndpoint("localhost", 5555),
    "tcp://localhost:5555",
  );
  assert.equal(
    sender.connectEndpoint("fe80::1%eth0", 5),
    "tcp://[fe80::1%eth0]:5",
  );
});

Deno.test("sender joins its arguments with single spaces, options first", () => {
  const book = sender.parseSenderArgs(["arg1", "arg2", "arg3"])!;
  assert.deepEqual(
    [book.host, book.port, book.timeout, book.header, book.stdin, book.message],
    ["localhost", 5555, undefined, false, false, "arg1 arg2 arg3"],
  );
  const given = sender.parseSenderArgs(
    [
      "-H",
      "pi.local",
      "-p",
      "6000",
      "--timeout",
      "2.5",
      "it",
      "is",
      "-3",
      "--port",
    ],
  )!;
  assert.deepEqual(
    [given.host, given.port, given.timeout, given.header, given.message],
    ["pi.local", 6000, 2.5, false, "it is -3 --port"],
  );
  assert.equal(
    sender.parseSenderArgs(["--", "-3", "degrees"])?.message,
    "-3 degrees",
  );
  assert.equal(sender.parseSenderArgs([])?.message, "");
  assert.equal(sender.parseSenderArgs(["--help", "x"]), undefined);
});

Deno.test("sender options for levels, tags and times turn the header on", () => {
  const withLevel = sender.parseSenderArgs(["-l", "WARNING", "hot"])!;
  assert.deepEqual([withLevel.header, withLevel.level], [true, "warn"]);
  assert.equal(sender.parseSenderArgs(["-t", "backup", "x"])!.tag, "backup");
  assert.equal(sender.parseSenderArgs(["-T", "x"])!.timestamps, true);
  assert.equal(
    sender.parseSenderArgs(["--hostname", "pi3", "x"])!.hostname,
    "pi3",
  );
  assert.throws(
    () => sender.parseSenderArgs(["-t", "two words", "x"]),
    /'--tag' must be one word/,
  );
  assert.throws(
    () => sender.parseSenderArgs(["-t", "a:b", "x"]),
    /'--tag' must be one word/,
  );
  assert.throws(
    () => sender.parseSenderArgs(["--stdin", "x"]),
    /'--stdin' reads the messages/,
  );
  assert.throws(
    () => sender.parseSenderArgs(["x".repeat(70_000)]),
    /longer than the logger takes/,
  );
});

Deno.test("wireText sends the bare message unless a header was asked for", () => {
  const plain = sender.parseSenderArgs(["arg1", "arg2"])!;
  assert.equal(sender.wireText(plain, plain.message), "arg1 arg2");
  const tagged = sender.parseSenderArgs([
    "-l",
    "err",
    "-t",
    "cron",
    "--hostname",
    "pi",
    "failed",
  ])!;
  assert.equal(
    sender.wireText(tagged, tagged.message),
    "<error> - pi cron: failed",
  );
  const timed = sender.parseSenderArgs(["-T", "--hostname", "pi", "x"])!;
  assert.match(
    sender.wireText(timed, timed.message),
    /^<info> \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z pi log_cmd_basic: x$/,
  );
});

Deno.test("splitOptions joins option values so they may start with '-'", () => {
  assert.deepEqual(sender.splitOptions(["--timeout", "-1", "x"]), {
    options: ["--timeout=-1"],
    words: ["x"],
  });
  assert.deepEqual(sender.splitOptions(["-t", "-x", "y"]), {
    options: ["--tag=-x"],
    words: ["y"],
  });
  assert.deepEqual(sender.splitOptions(["--port"]), {
    options: ["--port"],
    words: [],
  });
  assert.deepEqual(sender.splitOptions(["-", "x"]), {
    options: [],
    words: ["-", "x"],
  });
});

Deno.test("splitText cuts long text at whole characters within the byte limit", () => {
  assert.deepEqual(sender.splitText("abcdef", 4), ["abcd", "ef"]);
  assert.deepEqual(sender.splitText("short", 100), ["short"]);
  const pieces = sender.splitText("é".repeat(5), 4); // 2 bytes each
  assert.deepEqual(pieces, ["éé", "éé", "é"]);
});

/** The text of a section that both scripts must hold word for word. */
function section(file: string, start: string, end: string): string {
  const text = Deno.readTextFileSync(`${ROOT}${file}`);
  const from = text.indexOf(start);
  const to = text.indexOf(end, from);
  assert.ok(from >= 0 && to > from, `${file} has the section "${start}"`);
  return text.slice(from, to);
}

/** The source of a top-level function. */
function fn(file: string, name: string): string {
  const text = Deno.readTextFileSync(`${ROOT}${file}`);
  const start = text.search(new RegExp(`^(export )?function ${name}\\(`, "m"));
  assert.ok(start >= 0, `${file} defines ${name}`);
  return text.slice(start, text.indexOf("\n}\n", start) + 3).replace(
    /^export /,
    "",
  );
}

Deno.test("both scripts agree, word for word, on what they share", () => {
  assert.equal(logger.PORT, sender.PORT);
  assert.equal(logger.MAX_MESSAGE_SIZE, sender.MAX_MESSAGE_SIZE);
  assert.deepEqual(logger.LEVELS, sender.LEVELS);
  for (
    const [start, end] of [
      ["// ---- Levels and the wire format", "// ---- end of levels"],
      ["// ---- CurveZMQ keys", "// ---- end of CurveZMQ keys"],
      ["// ---- libzmq through Deno FFI", "// ---- end of libzmq"],
    ]
  ) {
    assert.equal(
      section("logging_basic.ts", start, end),
      section("log_cmd_basic.ts", start, end),
      `the section "${start}" differs between the two scripts`,
    );
  }
  for (
    const name of ["parsePort", "parseArgsProblem", "describe", "hostName"]
  ) {
    assert.equal(
      fn("logging_basic.ts", name),
      fn("log_cmd_basic.ts", name),
      `${name} differs between the two scripts`,
    );
  }
});

// The example key pair of libzmq's zmq_curve(7) page (pyzmq agrees they match).
const PUBLIC_KEY = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
const SECRET_KEY = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";

Deno.test("key files round-trip: formatKeyFile writes what parseKeyFile reads", () => {
  const text = logger.formatKeyFile(
    { publicKey: PUBLIC_KEY, secretKey: SECRET_KEY },
    "2026-11-24T10:00:00Z",
  );
  assert.deepEqual(sender.parseKeyFile(text), {
    publicKey: PUBLIC_KEY,
    secretKey: SECRET_KEY,
  });
  // czmq's public certificate, and a bare key on a line, hold the public key only.
  assert.deepEqual(
    logger.parseKeyFile(`metadata\ncurve\n    public-key = "${PUBLIC_KEY}"\n`),
    { publicKey: PUBLIC_KEY },
  );
  // The README's `grep -v secret-key` of a key pair file: its public key.
  assert.deepEqual(
    sender.parseKeyFile(
      text.split("\n").filter((line) => !line.includes("secret-key")).join(
        "\n",
      ),
    ),
    { publicKey: PUBLIC_KEY },
  );
  assert.deepEqual(logger.parseKeyFile(`${PUBLIC_KEY}\n`), {
    publicKey: PUBLIC_KEY,
  });
  for (
    const bad of [
      "",
      "curve\n",
      `public-key = "${PUBLIC_KEY.slice(1)}"`,
      `public-key = "${PUBLIC_KEY}"\nsecret-key = "short"`,
    ]
  ) {
    assert.equal(logger.parseKeyFile(bad), undefined, bad);
  }
});

Deno.test("isKey takes 40 characters of Z85 and nothing else", () => {
  assert.ok(logger.isKey(PUBLIC_KEY));
  assert.ok(logger.isKey(SECRET_KEY));
  for (
    const bad of [
      "",
      PUBLIC_KEY.slice(1),
      `${PUBLIC_KEY}x`,
      "x".repeat(39) + '"',
      "x".repeat(39) + " ",
    ]
  ) {
    assert.ok(!logger.isKey(bad), bad);
  }
});

Deno.test("parseAllowList reads one key per line with an optional name, and # comments", () => {
  const keys = logger.parseAllowList(
    `# senders let in\n\n${PUBLIC_KEY} pi kitchen\n  ${SECRET_KEY}\n`,
  );
  assert.deepEqual([...keys], [
    [PUBLIC_KEY, "pi kitchen"],
    [SECRET_KEY, SECRET_KEY],
  ]);
  assert.throws(
    () => logger.parseAllowList(`${PUBLIC_KEY}\nnot-a-key\n`),
    /^Error: Cannot use '--curve-allow' as its line 2 is not a public key \(40 characters of Z85\): current value is "not-a-key"$/,
  );
});

Deno.test("RefusalLog logs a key once a minute, and at most 10 keys a minute in all", () => {
  let now = 1_000_000;
  const refusals = new logger.RefusalLog("keys/allowed.txt", () => now);
  const key = (i: number) => `${i}`.padStart(40, "k");
  assert.equal(
    refusals.refused(key(0), "10.0.0.7"),
    `refused a sender at 10.0.0.7: its CurveZMQ key ${
      key(0)
    } is not in keys/allowed.txt`,
  );
  now += 1000;
  assert.equal(refusals.refused(key(0), "10.0.0.7"), undefined);
  assert.equal(refusals.refused(key(0), "10.0.0.7"), undefined);
  // A peer that makes a new key for each try: 9 more lines, then held back.
  for (let i = 1; i <= 9; i++) {
    assert.match(refusals.refused(key(i), "10.0.0.8")!, /^refused a sender/);
  }
  assert.equal(refusals.refused(key(10), "10.0.0.8"), undefined);
  assert.equal(refusals.refused(key(11), "10.0.0.8"), undefined);
  assert.equal(refusals.heldBack(), undefined, "not before the minute is up");
  now += 60_000;
  assert.equal(
    refusals.heldBack(),
    "refused 2 more senders with other keys not in keys/allowed.txt (not logged one by one: over 10 refusals in 60 s)",
  );
  assert.equal(refusals.heldBack(), undefined);
  assert.equal(
    refusals.refused(key(0), "10.0.0.7"),
    `refused a sender at 10.0.0.7: its CurveZMQ key ${
      key(0)
    } is not in keys/allowed.txt (and 2 more times since)`,
  );
});
