/** Unit tests: Levels and the wire format. */

import assert from "node:assert/strict";
import { parseMessage } from "./message.ts";
import { formatMessage, parseLevel } from "./wire.ts";

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
    assert.equal(parseLevel(text, "send"), level);
  }
  for (const bad of ["loud", "", "constructor", "__proto__", "warn "]) {
    assert.throws(
      () => parseLevel(bad, "send"),
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
  const wire = formatMessage(message);
  assert.equal(
    wire,
    "<warn> 2026-11-24T10:15:02.120Z raspberrypi backup: disk almost full: 91%",
  );
  assert.deepEqual(parseMessage(wire), message);
  assert.deepEqual(
    parseMessage(formatMessage({ level: "error", text: "x" })),
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
    assert.deepEqual(parseMessage(plain), {
      level: "info",
      text: plain,
    });
  }
});
