/**
 * `--timestamps` is the logger's clock, not the sender's: a sender whose
 * clock is an hour off (behind or ahead) still gets lines that start with the
 * time they arrived, and the time it sent stays on the line as it sent it.
 * On one machine both clocks agree, so the senders here are the book's
 * Python sender (tests/peers/book_sender.py) sending a header whose time is
 * an hour off, as a Pi without a real-time clock does after a reboot.
 */

import assert from "node:assert/strict";
import {
  freePort,
  PEERS,
  PYTHON,
  run,
  startLogger,
  tempDir,
  waitForLines,
} from "./helpers.ts";

const HOUR = 3_600_000;

/** Sends `message` as it is through the book's Python sender. */
async function sendRaw(port: number, message: string) {
  const out = await run(PYTHON, [`${PEERS}book_sender.py`, message], {
    env: { PORT: String(port) },
  });
  assert.equal(out.code, 0, out.stderr);
}

/** Messages from senders whose clocks are an hour behind and an hour ahead. */
function skewedMessages(now: number): string[] {
  return [
    `<warn> ${new Date(now - HOUR).toISOString()} pi-behind backup: behind`,
    `<info> ${new Date(now + HOUR).toISOString()} pi-ahead backup: ahead`,
  ];
}

/** Asserts `received` is a time between `from` and `to` (this test's clock). */
function assertArrival(received: string, from: number, to: number) {
  assert.match(received, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const at = Date.parse(received);
  assert.ok(
    at >= from - 5 && at <= to,
    `the line starts with ${received}: not the time it arrived (between ${
      new Date(from).toISOString()
    } and ${new Date(to).toISOString()})`,
  );
}

Deno.test("--timestamps starts each line with the logger's arrival time when the sender's clock is an hour behind or ahead; the sent time stays as sent", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port, ["--timestamps"]);
  const before = Date.now();
  const messages = skewedMessages(before);
  for (const message of messages) await sendRaw(port, message);
  const lines = (await waitForLines(`${dir.path}/log.txt`, 2)).split("\n");
  const after = Date.now();
  for (const [i, message] of messages.entries()) {
    const [received, ...rest] = lines[i].split(" ");
    assertArrival(received, before, after);
    assert.equal(rest.join(" "), message, "the message stays as it was sent");
  }
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
});

Deno.test("--format json: received is the logger's arrival time, sent the sender's own, an hour off", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port, ["--format", "json"]);
  const before = Date.now();
  const messages = skewedMessages(before);
  for (const message of messages) await sendRaw(port, message);
  const records = (await waitForLines(`${dir.path}/log.txt`, 2)).trimEnd()
    .split("\n").map((line) => JSON.parse(line));
  const after = Date.now();
  for (const [i, message] of messages.entries()) {
    assertArrival(records[i].received, before, after);
    assert.equal(records[i].sent, message.split(" ")[1]);
  }
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
});
