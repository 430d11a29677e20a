/**
 * SIGTERM with a large backlog queued: README's "Stopping under a flood"
 * promises that the logger goes on writing what is queued until the socket
 * has been empty for 50 ms (for at most a second), and says how many it
 * logged. Built so that the outcome is exact, not a race: the logger's main
 * thread is held still (tests/peers/thread_holder.py) while nine senders hand
 * over everything they have (libzmq's I/O thread and the kernel keep it) and
 * end; then it is let go and sent SIGTERM at once, with the whole backlog
 * still queued. Whenever it hears SIGTERM, before it has written much of the
 * backlog or after, every message is then in the file, each sender's in
 * order, once, and the stop line gives that count, with nothing said to be
 * left untaken.
 */

import assert from "node:assert/strict";
import { within } from "./waits.ts";
import {
  assertInOrderNoGaps,
  Conversation,
  freePort,
  LOGGER,
  PEERS,
  PYTHON,
  readText,
  tempDir,
  waitForLines,
  waitForPort,
} from "./helpers.ts";

/** Senders of small messages ("NAME SEQ"), and how many each sends. */
const SMALL_SENDERS = 8;
const SMALL_EACH = 20_000;
/** One sender of large messages: more bytes than a batch holds (1 MiB). */
const LARGE_SIZE = 65_536;
const LARGE_COUNT = 20;
/** All the messages: each sender's, and the large sender's "ready" first. */
const TOTAL = SMALL_SENDERS * SMALL_EACH + 1 + LARGE_COUNT;
/** How many times the whole is done. */
const ROUNDS = 3;

/**
 * One logger, its backlog queued while it is held, then SIGTERM: asserts
 * that every message is written once, in order, and counted on stderr.
 */
async function stopWithBacklog(): Promise<void> {
  using dir = tempDir();
  const port = freePort();
  const log = `${dir.path}/log.txt`;
  // The logger as the holder's child: a process may trace its descendants.
  await using logger = new Conversation(PYTHON, [
    `${PEERS}thread_holder.py`,
    LOGGER,
    "--port",
    String(port),
  ], { cwd: dir.path });
  const pid = Number(await logger.ask("pid"));
  await waitForPort(port);
  assert.equal(await logger.ask("hold"), "held");

  // Its "ready" first, then LARGE_COUNT numbered messages.
  await using large = new Conversation(PYTHON, [
    `${PEERS}queue_probe.py`,
    String(port),
    String(LARGE_SIZE),
    String(LARGE_COUNT),
    "20000",
  ]);
  const small = Array.from(
    { length: SMALL_SENDERS },
    (_, i) =>
      new Conversation(PYTHON, [
        `${PEERS}gated_sender.py`,
        String(port),
        `s${i}`,
        String(SMALL_EACH),
      ]),
  );
  try {
    assert.equal(await large.ask("go"), String(LARGE_COUNT));
    for (const sender of [large, ...small]) {
      const sent = await within(
        20_000,
        "a sender to hand over all its messages to the held logger",
        sender.finish(),
      );
      assert.equal(sent.code, 0, sent.stderr);
    }
  } finally {
    for (const sender of small) await sender[Symbol.asyncDispose]();
  }
  assert.equal(readText(log), "", "a held logger writes nothing");

  // Let go and SIGTERM at once: the backlog takes it longer to write than
  // SIGTERM takes to come.
  assert.equal(await logger.ask("release"), "released");
  Deno.kill(pid, "SIGTERM");
  const end = await within(
    60_000,
    "the logger to end after SIGTERM",
    logger.finish(),
  );
  assert.equal(end.code, 0, end.stderr);

  assert.equal(
    end.stderr,
    `logging_basic: stopped; ${TOTAL} messages logged to ./log.txt\n`,
  );
  const lines = (await waitForLines(log, TOTAL, 1000)).split("\n");
  assert.equal(lines.pop(), "", "the file ends with a whole line");
  assert.equal(lines.length, TOTAL);
  const isLarge = (line: string) => line.length === LARGE_SIZE;
  assert.deepEqual(
    lines.filter(isLarge).map((line) => line.slice(0, 9)),
    Array.from(
      { length: LARGE_COUNT },
      (_, seq) => `${String(seq).padStart(8, "0")} `,
    ),
    "each large message once, in order",
  );
  assert.equal(lines.filter((line) => line === "ready").length, 1);
  const counts = assertInOrderNoGaps(
    lines.filter((line) => !isLarge(line) && line !== "ready").join("\n"),
  );
  assert.deepEqual(
    Object.fromEntries(counts),
    Object.fromEntries(
      Array.from({ length: SMALL_SENDERS }, (_, i) => [`s${i}`, SMALL_EACH]),
    ),
    "each small message once, each sender's in order",
  );
}

Deno.test(
  `SIGTERM with a backlog of ${TOTAL} messages from senders that have finished: every one is written, in order, and the stop line counts them (${ROUNDS} times)`,
  async () => {
    // Whether the logger hears SIGTERM before it has written the backlog or
    // after varies from one run to the next: each must end the same.
    for (let round = 1; round <= ROUNDS; round++) {
      try {
        await stopWithBacklog();
      } catch (err) {
        throw new Error(
          `round ${round} of ${ROUNDS}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
  },
);
