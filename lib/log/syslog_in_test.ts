/** Unit tests: syslog frames in (RFC 5424 and 3164) read as log messages. */

import assert from "node:assert/strict";
import { SEVERITY } from "../forward/syslog_out.ts";
import { parseSyslog } from "./syslog_in.ts";
import { parseMessage } from "./message.ts";
import { LEVELS } from "./wire.ts";

/** What rsyslog's omczmq sends with RSYSLOG_SyslogProtocol23Format (seen from Debian's rsyslogd 8.2302). */
const FROM_RSYSLOG =
  '<11>1 2026-11-24T10:00:00.123456+00:00 pi-garage backup - - [timeQuality tzKnown="1" isSynced="0"] disk failed\n';

Deno.test("an RFC 5424 frame as rsyslog sends it: level, host, tag, sent time in UTC, text without its structured data and newline", () => {
  assert.deepEqual(parseSyslog(FROM_RSYSLOG), {
    level: "error",
    sent: "2026-11-24T10:00:00.123Z",
    host: "pi-garage",
    tag: "backup",
    text: "disk failed",
  });
  // And every reader gets it through parseMessage.
  assert.deepEqual(parseMessage(FROM_RSYSLOG), parseSyslog(FROM_RSYSLOG));
});

Deno.test("RFC 5424 without structured data, with several elements, and with escapes in values", () => {
  assert.deepEqual(
    parseSyslog("<14>1 2026-11-24T10:00:00Z pi app 42 ID7 - hello world"),
    {
      level: "info",
      sent: "2026-11-24T10:00:00.000Z",
      host: "pi",
      tag: "app",
      text: "hello world",
    },
  );
  const sd =
    '<12>1 - pi app - - [a@1 x="1"][b@2 y="q\\"u\\]o\\\\te" z=""] careful ] [x]';
  assert.deepEqual(parseSyslog(sd), {
    level: "warn",
    host: "pi",
    tag: "app",
    text: "careful ] [x]",
  });
  // No MSG at all, and an empty one.
  assert.deepEqual(parseSyslog("<15>1 - pi app - - -"), {
    level: "debug",
    host: "pi",
    tag: "app",
    text: "",
  });
  assert.equal(parseSyslog("<15>1 - pi app - - [a@1]\n")?.text, "");
});

Deno.test("RFC 5424 MSG: a UTF-8 BOM goes, one leading space goes, the rest stays", () => {
  assert.equal(
    parseSyslog("<13>1 - h a - - - \ufeffgrüße  aus Köln")?.text,
    "grüße  aus Köln",
  );
  // rsyslog keeps the space after a 3164 "TAG:" in MSG: one goes, not more.
  assert.equal(parseSyslog("<13>1 - h a - - -  hot\n")?.text, "hot");
  assert.equal(parseSyslog("<13>1 - h a - - -   two\n")?.text, " two");
  // A newline inside stays (the text log escapes it); only the last goes.
  assert.equal(parseSyslog("<13>1 - h a - - - a\nb\n")?.text, "a\nb");
  assert.equal(parseSyslog("<13>1 - h a - - - a\r\n")?.text, "a");
});

Deno.test("a text log line reads back the same: the escaped trailing newline (#012) goes too", () => {
  const line = FROM_RSYSLOG.replace("\n", "#012");
  assert.deepEqual(parseMessage(line), parseSyslog(FROM_RSYSLOG));
});

Deno.test("NILVALUE fields stay unknown", () => {
  assert.deepEqual(parseSyslog("<11>1 - - - - - - x"), {
    level: "error",
    text: "x",
  });
});

Deno.test("RFC 5424 times with offsets and fractions become the logger's UTC form", () => {
  const cases: [string, string][] = [
    ["2026-11-24T10:00:00.57+01:00", "2026-11-24T09:00:00.570Z"],
    ["2026-11-24T23:30:00-01:00", "2026-11-25T00:30:00.000Z"],
    ["2026-01-01T00:00:00.000001Z", "2026-01-01T00:00:00.000Z"],
    ["2028-02-29T12:00:00Z", "2028-02-29T12:00:00.000Z"],
  ];
  for (const [time, sent] of cases) {
    assert.equal(parseSyslog(`<13>1 ${time} h a - - - x`)?.sent, sent, time);
  }
});

Deno.test("RFC 3164 with and without a pid: the tag without [pid], this year's local time", () => {
  const now = new Date(2026, 10, 24, 12, 0, 0).getTime();
  assert.deepEqual(
    parseSyslog("<30>Nov 24 10:15:02 raspberrypi cron[1234]: job done", now),
    {
      level: "info",
      sent: new Date(2026, 10, 24, 10, 15, 2).toISOString(),
      host: "raspberrypi",
      tag: "cron",
      text: "job done",
    },
  );
  assert.deepEqual(
    parseSyslog("<164>Nov  3 01:02:03 pi systemd-logind: New session\n", now),
    {
      level: "warn",
      sent: new Date(2026, 10, 3, 1, 2, 3).toISOString(),
      host: "pi",
      tag: "systemd-logind",
      text: "New session",
    },
  );
});

Deno.test("RFC 3164 without a year: a date more than a day ahead is last year's", () => {
  const now = new Date(2027, 0, 1, 0, 5, 0).getTime();
  const lastYear = parseSyslog("<13>Dec 31 23:59:00 h t: x", now);
  assert.equal(lastYear?.sent, new Date(2026, 11, 31, 23, 59).toISOString());
  // Within a day ahead (a sender's clock a little fast): this year.
  const ahead = parseSyslog("<13>Jan  1 12:00:00 h t: x", now);
  assert.equal(ahead?.sent, new Date(2027, 0, 1, 12, 0).toISOString());
});

Deno.test("severity to level: 0-2 critical, 3 error, 4 warn, 5-6 info, 7 debug, for every facility; SEVERITY maps back", () => {
  const expected = [
    "critical",
    "critical",
    "critical",
    "error",
    "warn",
    "info",
    "info",
    "debug",
  ];
  for (let pri = 0; pri <= 191; pri++) {
    assert.equal(
      parseSyslog(`<${pri}>1 - h a - - - x`)?.level,
      expected[pri % 8],
      `PRI ${pri}`,
    );
  }
  for (const level of LEVELS) assert.equal(expected[SEVERITY[level]], level);
});

Deno.test("PRI boundaries: 0 and 191 are syslog; 192, leading zeros, four digits and none are plain text", () => {
  assert.equal(parseSyslog("<0>1 - h a - - - x")?.level, "critical");
  assert.equal(parseSyslog("<191>1 - h a - - - x")?.level, "debug");
  for (const pri of ["192", "999", "00", "01", "0191", "1000", "", "-1"]) {
    const raw = `<${pri}>1 - h a - - - x`;
    assert.equal(parseSyslog(raw), undefined, raw);
    assert.deepEqual(parseMessage(raw), { level: "info", text: raw }, raw);
  }
});

Deno.test("frames that only start like syslog are plain text, whole", () => {
  const now = new Date(2026, 10, 24).getTime();
  const malformed = [
    "<13>hello",
    "<13>",
    "<13",
    "<13>1",
    "<13>1 ",
    "<13>0 - h a - - - x", // version 0
    "<13>01 - h a - - - x",
    "<13>1a - h a - - - x",
    "<13>1 2026-11-24 10:00:00Z h a - - - x", // a space, not T
    "<13>1 2026-13-24T10:00:00Z h a - - - x",
    "<13>1 2026-02-30T10:00:00Z h a - - - x",
    "<13>1 2026-11-24T24:00:00Z h a - - - x",
    "<13>1 2026-11-24T10:00:00.1234567Z h a - - - x",
    "<13>1 2026-11-24T10:00:00+25:00 h a - - - x",
    "<13>1 2026-11-24T10:00:00 h a - - - x", // no zone
    "<13>1 - h a - -", // no SD
    "<13>1 - h a - - x", // SD neither - nor [
    "<13>1 - h a - - [ x] y",
    "<13>1 - h a - - [a b] y",
    '<13>1 - h a - - [a b="1] y',
    "<13>1 - h a - - -x",
    "<13>1 -  h a - - - x", // an empty field
    `<13>1 - ${"h".repeat(256)} a - - - x`,
    `<13>1 - h ${"a".repeat(49)} - - - x`,
    "<13>1 - hö a - - - x", // HOSTNAME is ASCII
    "<13>Nov 24 10:00:00 h",
    "<13>Nov 24 10:00:00 h tag",
    "<13>Nov 24 10:00:00 h tag[]: x",
    "<13>Nov 24 10:00:00 h tag[1: x",
    "<13>Nov 24 10:00:00 h tag:x",
    "<13>Nov 31 10:00:00 h t: x",
    "<13>Nov 24 25:00:00 h t: x",
    "<13>Nov 24 10:00 h t: x",
    "<13>nov 24 10:00:00 h t: x",
    "<13>Nov 24 10:00:00 h a message with no tag",
  ];
  for (const raw of malformed) {
    assert.equal(parseSyslog(raw, now), undefined, raw);
    assert.deepEqual(parseMessage(raw), { level: "info", text: raw }, raw);
  }
});

Deno.test("hostile input: 64 KiB frames built to make a parser backtrack each take under 5 ms (about 0.3 ms here)", () => {
  const size = 64 * 1024;
  const hostile = [
    `<13>1 - h a - - ${"[a".repeat(size / 2)}`,
    `<13>1 - h a - - [a x="${"\\".repeat(size)}`,
    `<13>1 - h a - - ${'[a x="1"]'.repeat(size / 9)}x`,
    `<13>1 - h a - - [a${' x="1"'.repeat(size / 6)}`,
    `<13>1 ${"1".repeat(size)}`,
    `<13>Nov 24 10:00:00 h ${"t".repeat(size)}`,
    `<13>Nov 24 10:00:00 h t[${"1".repeat(size)}`,
    `<1>${" ".repeat(size)}`,
    `<13>1 2026-11-24T10:00:00.${"1".repeat(size)}`,
    `<13>1 - h a - - - ${"#012".repeat(size / 4)}`,
  ];
  const rounds = 20;
  const start = performance.now();
  for (let i = 0; i < rounds; i++) {
    for (const raw of hostile) parseMessage(raw);
  }
  const each = (performance.now() - start) / rounds / hostile.length;
  assert.ok(each < 5, `${each.toFixed(3)} ms a message`);
});

Deno.test("parseSyslog keeps years 0000-0099 as they are, not 1900-1999", () => {
  assert.equal(
    parseSyslog("<14>1 0001-01-01T00:00:00Z h a - - - x")?.sent,
    "0001-01-01T00:00:00.000Z",
  );
  assert.equal(
    parseSyslog("<14>1 0099-06-30T12:00:00.5+01:00 h a - - - x")?.sent,
    "0099-06-30T11:00:00.500Z",
  );
});
