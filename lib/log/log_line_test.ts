/** Unit tests: Log lines: filters, escaping, JSON Lines, reading back. */

import assert from "node:assert/strict";
import { escapeControls, escapeControlText } from "./escape.ts";
import { dropReason, formatLine, jsonLine, parseLogLine } from "./log_line.ts";
import { parseMessage } from "./message.ts";

Deno.test("dropReason applies the level, then text and host patterns", () => {
  const filters = {
    level: "warn" as const,
    include: [/disk|fan/],
    exclude: [/test/],
    includeHost: [/^pi/],
    excludeHost: [/^pi9$/],
  };
  const at = (level: "info" | "warn", text: string, host?: string) =>
    dropReason({ level, text, host }, filters);
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
  const message = parseMessage(raw);
  const at = Date.parse("2026-11-24T10:00:00.250Z");
  assert.equal(
    formatLine(raw, message, at, { timestamps: false, format: "text" }),
    raw,
  );
  assert.equal(
    formatLine(raw, message, at, { timestamps: true, format: "text" }),
    `2026-11-24T10:00:00.250Z ${raw}`,
  );
  assert.deepEqual(
    JSON.parse(
      formatLine(raw, message, at, {
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
    dec.decode(escapeControls(enc.encode("a\nb\rc\x1b[0m\td\x7f\x00é"))),
    "a#012b#015c#033[0m\td#177#000é",
  );
  assert.equal(escapeControlText("x\ny\tz"), "x#012y\tz");
  const raw = "evil\n<critical> - pi app: forged";
  assert.equal(
    formatLine(raw, parseMessage(raw), 0, {
      timestamps: true,
      format: "text",
    }),
    "1970-01-01T00:00:00.000Z evil#012<critical> - pi app: forged",
  );
});

Deno.test("parseLogLine reads back text lines, timestamped lines and JSON Lines", () => {
  assert.deepEqual(parseLogLine("arg1 arg2"), {
    message: { level: "info", text: "arg1 arg2" },
  });
  assert.deepEqual(
    parseLogLine("2026-11-24T10:00:00.250Z <warn> - pi app: hot"),
    {
      received: "2026-11-24T10:00:00.250Z",
      message: { level: "warn", host: "pi", tag: "app", text: "hot" },
    },
  );
  const json = jsonLine(
    { level: "error", text: "x", host: "h" },
    "2026-11-24T10:00:00.000Z",
  );
  assert.deepEqual(parseLogLine(json), {
    received: "2026-11-24T10:00:00.000Z",
    message: { level: "error", text: "x", host: "h" },
  });
  assert.deepEqual(parseLogLine("{not json"), {
    message: { level: "info", text: "{not json" },
  });
});
