/**
 * `--forward` and text in multi-byte UTF-8 (accents, symbols, CJK, 4-byte
 * emoji, a line made mostly of them, one right at the size a syslog
 * message is cut to and one past it): each arrives whole at Debian's real
 * rsyslogd, over `tcp://` and over `relp://`, and so does the record after
 * it. Both framings count bytes (the octet count of RFC 6587, RELP's
 * DATALEN): a count in UTF-16 units would be short for such a line, and
 * rsyslog would cut the message and read its rest as the next record (TCP)
 * or end the session on a frame without its newline (RELP).
 */

import assert from "node:assert/strict";
import {
  freePort,
  readText,
  run,
  SENDER,
  tempDir,
  waitFor,
} from "./helpers.ts";
import { Rsyslog, startForwarding } from "./forward_helpers.ts";
import { MAX_SYSLOG_BYTES } from "../lib/forward/forward.ts";
import { formatSyslog } from "../lib/forward/syslog_out.ts";

const encoder = new TextEncoder();

/** The header every UTF-8 line is sent with: `<LEVEL> SENT-TIME HOST TAG:`. */
const HEADER = "<warn> - pi utf8:";

/** The RFC 5424 header a HEADER line is forwarded with, in bytes: what is left of MAX_SYSLOG_BYTES is the text's. */
const SYSLOG_HEADER_BYTES = encoder.encode(
  formatSyslog({ level: "warn", host: "pi", tag: "utf8", text: "" }, {
    facility: 1,
  }),
).length;

/** `text` cut as forwarding cuts it: whole characters, at most `max` bytes of UTF-8. */
function firstBytes(text: string, max: number): string {
  let out = "";
  let bytes = 0;
  for (const character of text) {
    bytes += encoder.encode(character).length;
    if (bytes > max) break;
    out += character;
  }
  return out;
}

/** Room for the text in a syslog message that is not cut. */
const ROOM = MAX_SYSLOG_BYTES - SYSLOG_HEADER_BYTES;

/** Each text sent, and what rsyslog must write of it. */
const TEXTS: { sent: string; arrives: string }[] = [
  "café, déjà vu, naïve résumé, Zürich, señor, Ærøskøbing",
  "5 € ≈ 4,30 £ ≈ 5,40 $; ‰ ™ ✓ → ∞",
  "日本語のログ 中文日志 한국어 로그",
  "party 🎉 rocket 🚀 family 👨‍👩‍👧 flag 🇫🇷 𝄞 😀",
  // Mostly multi-byte: 2, 3, 3 and 4 bytes in each group of five UTF-16 units.
  "é€日🎉".repeat(400),
  // Exactly the largest message sent whole: a 2-byte character, then emoji.
  `é${"🎉".repeat((ROOM - 2) / 4)}`,
  // Past it: cut to whole characters.
  `€${"🎉".repeat(3000)}`,
].map((sent) => ({ sent, arrives: firstBytes(sent, ROOM) }));

/**
 * The records sent: each UTF-8 text, each followed by an ASCII record with
 * another level, host and tag, then "last".
 */
const RECORDS = TEXTS.flatMap(({ sent }, i) => [
  `${HEADER} ${sent}`,
  `<error> - host${i} after: record ${i} after it`,
]).concat("last");

/**
 * What rsyslog writes of RECORDS (forward_helpers' FIELDS: severity,
 * facility, host, app-name, time, message), with the time as TIME.
 */
const EXPECTED = TEXTS.flatMap(({ arrives }, i) => [
  `warning user pi utf8 TIME ${arrives}`,
  `err user host${i} after TIME record ${i} after it`,
]).concat("info user - - TIME last");

/** rsyslog's line with its time (RFC 3339, rsyslog's receive time when none was sent) as TIME. */
function withoutTime(line: string): string {
  return line.replace(
    /^((?:\S+ ){4})\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) /,
    "$1TIME ",
  );
}

/**
 * The records rsyslog has written whole: omfile may write a long one in more
 * than one piece, and the last line read may be only its start.
 */
function writtenWhole(rsyslog: Rsyslog): string[] {
  const text = readText(rsyslog.out);
  return text.slice(0, text.lastIndexOf("\n") + 1).split("\n").slice(0, -1);
}

/** Forwards RECORDS, sent through `./log_cmd_basic.ts --stdin`, over `protocol` to rsyslog; returns what it wrote. */
async function forwarded(protocol: "tcp" | "relp"): Promise<string[]> {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  const target = protocol === "tcp" ? rsyslog.tcpPort : rsyslog.relpPort;
  const port = freePort();
  await using logger = await startForwarding(dir.path, [target], port, [
    "--forward",
    `${protocol}://127.0.0.1:${target}`,
  ]);
  const input = `${dir.path}/records.txt`;
  Deno.writeTextFileSync(input, `${RECORDS.join("\n")}\n`);
  const sent = await run("sh", [
    "-c",
    'exec "$0" --port "$1" --stdin < "$2"',
    SENDER,
    String(port),
    input,
  ]);
  assert.equal(sent.code, 0, sent.stderr);
  // Until every record came, or one came other than expected (then at once).
  const lines = await waitFor(
    () => {
      const lines = writtenWhole(rsyslog).map(withoutTime);
      const wrong = lines.some((line, i) => line !== EXPECTED[i]);
      return (wrong || lines.length >= EXPECTED.length) && lines;
    },
    () =>
      `rsyslog to write ${EXPECTED.length} records; it wrote ${rsyslog.lines().length}, the last: ${
        JSON.stringify(rsyslog.lines().at(-1)?.slice(0, 120))
      }; the logger said: ${logger.stderrSoFar}`,
  );
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  return lines;
}

/** Fails naming the first record that differs, and its neighbours. */
function assertRecords(lines: string[]): void {
  const at = EXPECTED.findIndex((want, i) => lines[i] !== want);
  const show = (line?: string) =>
    line === undefined
      ? "nothing"
      : `${JSON.stringify(line.slice(0, 120))}${
        line.length > 120 ? `... (${encoder.encode(line).length} bytes)` : ""
      }`;
  assert.ok(
    at === -1 && lines.length === EXPECTED.length,
    at === -1
      ? `rsyslog wrote ${lines.length} records, not ${EXPECTED.length}; the last: ${
        show(lines.at(-1))
      }`
      : `record ${at}: rsyslog wrote ${show(lines[at])}, not ${
        show(EXPECTED[at])
      }; the one after: ${show(lines[at + 1])}`,
  );
}

Deno.test("the texts are what the test means them to be: multi-byte, one exactly the largest message, one cut", () => {
  for (const { sent } of TEXTS) {
    assert.ok(encoder.encode(sent).length > sent.length, sent);
  }
  const [whole, cut] = TEXTS.slice(-2);
  assert.equal(
    SYSLOG_HEADER_BYTES + encoder.encode(whole.arrives).length,
    MAX_SYSLOG_BYTES,
  );
  assert.equal(whole.arrives, whole.sent);
  assert.ok(cut.arrives.length < cut.sent.length);
  assert.ok(cut.arrives.endsWith("🎉🎉"));
});

Deno.test("--forward tcp:// gives rsyslog multi-byte UTF-8 text whole, up to the largest message, and the record after it intact", async () => {
  assertRecords(await forwarded("tcp"));
});

Deno.test("--forward relp:// gives rsyslog multi-byte UTF-8 text whole, up to the largest message, and the record after it intact", async () => {
  assertRecords(await forwarded("relp"));
});
