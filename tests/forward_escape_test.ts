/**
 * What `--forward` sends is escaped the same way whatever the log's format:
 * no raw control character, C1 control or bidi override reaches the syslog
 * server. Debian's real rsyslogd, with its own escaping turned off, writes
 * what it receives as it is: a raw newline in a message would write a
 * forged record of its own.
 */

import assert from "node:assert/strict";
import { freePort, PYTHON, run, tempDir } from "./helpers.ts";
import {
  Rsyslog,
  startForwarding,
  waitForForwarded,
} from "./forward_helpers.ts";

/** A forged record after a newline, and every kind of character a line may not hold raw. */
const NASTY =
  "hello\n<13>1 2026-12-03T07:44:41Z FORGEDHOST forgedapp - - - injected\r\x1b[31mred\x00nul\u202eevil\u0085nel\u2028sep\x7fdel";
/** NASTY as a text line escapes it: what rsyslog must write. */
const ESCAPED =
  "hello#012<13>1 2026-12-03T07:44:41Z FORGEDHOST forgedapp - - - injected#015#033[31mred#000nul#342#200#256evil#302#205nel#342#200#250sep#177del";

/** Sends each of `messages` (bytes as UTF-8) to the logger on `port`, with python3-zmq. */
async function sendRaw(port: number, messages: string[]): Promise<void> {
  const out = await run(PYTHON, [
    "-c",
    `import json, sys, zmq
context = zmq.Context()
socket = context.socket(zmq.PUSH)
socket.connect('tcp://127.0.0.1:%s' % sys.argv[1])
for message in json.loads(sys.argv[2]):
    socket.send(message.encode())
socket.close(linger=5000)
context.term()`,
    String(port),
    JSON.stringify(messages),
  ]);
  assert.equal(out.code, 0, out.stderr);
}

/** Forwards `messages` from a log in `format` over `protocol` to an rsyslog that escapes nothing; returns what it wrote. */
async function forwarded(
  format: "text" | "json",
  protocol: "tcp" | "relp",
  messages: string[],
): Promise<string[]> {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path, { escapeControls: false });
  await rsyslog.start();
  const target = protocol === "tcp" ? rsyslog.tcpPort : rsyslog.relpPort;
  const port = freePort();
  await using logger = await startForwarding(dir.path, [target], port, [
    "--format",
    format,
    "--forward",
    `${protocol}://127.0.0.1:${target}`,
  ]);
  await sendRaw(port, [...messages, "last"]);
  await waitForForwarded(rsyslog, messages.length + 1);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  const lines = rsyslog.lines();
  assert.equal(lines.at(-1)?.split(" ").at(-1), "last", lines.join("\n"));
  return lines.slice(0, -1);
}

Deno.test("--format json --forward tcp:// escapes control characters, C1, separators and bidi controls: rsyslog writes no forged record", async () => {
  const lines = await forwarded("json", "tcp", [
    `<error> - pi app: ${NASTY}`,
  ]);
  assert.equal(lines.length, 1, lines.join("\n"));
  assert.ok(lines[0].startsWith("err user pi app "), lines[0]);
  assert.ok(lines[0].endsWith(` ${ESCAPED}`), lines[0]);
});

Deno.test("--forward relp:// from a text log escapes a message that looks like a JSON line all the same", async () => {
  // A text line is the message as it came; this one reads back as JSON.
  const lines = await forwarded("text", "relp", [
    JSON.stringify({ level: "error", host: "pi", message: NASTY }),
    NASTY,
  ]);
  assert.equal(lines.length, 2, lines.join("\n"));
  assert.ok(lines[0].startsWith("err user pi - "), lines[0]);
  for (const line of lines) {
    assert.ok(line.endsWith(` ${ESCAPED}`), line);
  }
});
