/**
 * A safety net of end-to-end checks for what is easy to break when the
 * scripts change shape: stopping under load and with a backlog, many one-shot
 * senders of large messages at once, time ranges in a zone other than UTC, a
 * logger that comes up late, --follow across an in-place truncation, and the
 * control socket's file on a clean stop. Real scripts through their
 * shebangs, real ZeroMQ sockets on loopback, python3-zmq peers.
 */

import assert from "node:assert/strict";
import {
  assertInOrderNoGaps,
  Background,
  Conversation,
  freePort,
  LOGGER,
  PEERS,
  PYTHON,
  readAfter,
  readText,
  run,
  send,
  SENDER,
  sleep,
  startLogger,
  Streaming,
  tempDir,
  waitFor,
  waitForLines,
  waitForPort,
  waitForSize,
} from "./helpers.ts";

/** A bulk_sender.py peer sending `count` messages "NAME SEQ", in the background. */
function bulkSender(port: number, name: string, count: number): Background {
  return new Background(PYTHON, [
    `${PEERS}bulk_sender.py`,
    String(port),
    name,
    String(count),
  ]);
}

Deno.test("stopped by SIGTERM under load, the logger's count matches the file, and each sender's messages are a prefix, none twice", async () => {
  using dir = tempDir();
  const port = freePort();
  const log = `${dir.path}/log.txt`;
  await using logger = await startLogger(dir.path, port);
  // More than the logger takes in the second it goes on draining after SIGTERM.
  const each = 1_000_000;
  // Killed at the end: with the logger gone they wait forever to deliver.
  await using _s0 = bulkSender(port, "s0", each);
  await using _s1 = bulkSender(port, "s1", each);
  // Mid-stream: a few tens of thousands of the 400,000 lines are in, from
  // both senders (on a busy machine one may start well after the other).
  await waitForSize(log, 300_000, 30_000, 10);
  const both = (text: string) => /^s0 /m.test(text) && /^s1 /m.test(text);
  await waitFor(
    () => both(readText(log)),
    "lines of both senders in the log",
    30_000,
    10,
  );
  const end = await logger.stop("SIGTERM");
  assert.equal(end.code, 0, end.stderr);
  assert.equal(end.signal, null);

  const text = readText(log);
  assert.ok(text.endsWith("\n"), "the file ends with a whole line");
  const counts = assertInOrderNoGaps(text);
  const inFile = text.split("\n").length - 1;
  assert.match(
    end.stderr,
    new RegExp(
      `^logging_basic: stopped; ${inFile} messages logged to \\./log\\.txt(; after 1 s of writing, messages were still queued or arriving, and those were not taken \\(their senders may count them as delivered\\))?\n$`,
    ),
    "the count on stderr is the number of lines in the file",
  );
  assert.deepEqual([...counts.keys()].sort(), ["s0", "s1"]);
  assert.ok(
    inFile < 2 * each,
    `all ${inFile} messages were logged: the senders had finished before SIGTERM, so this did not test stopping under load`,
  );
});

Deno.test("stopped with a backlog waiting for it, the logger writes the whole backlog first", async () => {
  using dir = tempDir();
  const port = freePort();
  const log = `${dir.path}/log.txt`;
  await using logger = await startLogger(dir.path, port);
  // Two senders connect now and send when their standard input closes.
  await using f = new Conversation(PYTHON, [
    `${PEERS}gated_sender.py`,
    String(port),
    "f",
    "200",
  ]);
  await using b = new Conversation(PYTHON, [
    `${PEERS}gated_sender.py`,
    String(port),
    "b",
    "20000",
  ]);
  // Each says "connected" once its handshake with the logger is done.
  for (const sender of [f, b]) {
    assert.equal(await sender.nextLine(), "connected");
  }
  // Frozen (as on a stalled machine), the logger takes nothing: what the
  // senders hand over waits in the network's buffers and its own queues.
  logger.kill("SIGSTOP");
  try {
    for (const sender of [f, b]) {
      const sent = await sender.finish();
      assert.equal(sent.code, 0, sent.stderr);
    }
    assert.equal(readText(log), "", "a frozen logger wrote nothing");
    // SIGTERM arrives while it is frozen; it sees it as soon as it runs again.
    logger.kill("SIGTERM");
  } finally {
    logger.kill("SIGCONT");
  }
  const end = await logger.finish();
  assert.equal(end.code, 0, end.stderr);
  const counts = assertInOrderNoGaps(readText(log));
  assert.deepEqual(
    Object.fromEntries(counts),
    { f: 200, b: 20_000 },
    "every message waiting when SIGTERM came is written",
  );
  assert.equal(
    end.stderr,
    "logging_basic: stopped; 20200 messages logged to ./log.txt\n",
  );
});

// ---- One-shot senders of large messages ----

/** A distinct message of 60 KB: under the sender's limit of 65536 - 512 bytes. */
function largeMessage(id: number): string {
  const head = `m${String(id).padStart(3, "0")} `;
  return head + String.fromCharCode(97 + id % 26).repeat(60_000 - head.length);
}

/**
 * Runs ./log_cmd_basic.ts once for each of `count` large messages, at most
 * `inFlight` at a time, to `port`; returns what went wrong, if anything.
 */
async function sendLarge(
  port: number,
  count: number,
  inFlight: number,
): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const id = next++;
      const out = await send(["--port", String(port), largeMessage(id)]);
      // On a busy machine a sender may wait over half a second for its
      // connection and say so: that is not a failure to deliver.
      const said = out.stderr.replace(
        /^log_cmd_basic: waiting for the logger at \S+ \(Ctrl-C to give up\)\n/,
        "",
      );
      if (out.code !== 0 || said !== "") {
        failures.push(`m${id}: exit ${out.code}: ${out.stderr}`);
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return failures;
}

/** Checks that the log holds each of `count` large messages exactly once. */
function assertEachLargeOnce(text: string, count: number): void {
  // Line by line, so that a failure names messages, not megabytes of text.
  const seen = new Map<number, number>();
  const garbled: string[] = [];
  for (const line of text.split("\n").slice(0, -1)) {
    const id = Number(line.slice(1, 4));
    if (line === largeMessage(id)) seen.set(id, (seen.get(id) ?? 0) + 1);
    else garbled.push(`${line.slice(0, 20)}... (${line.length} bytes)`);
  }
  const ids = Array.from({ length: count }, (_, id) => id);
  assert.deepEqual(
    {
      missing: ids.filter((id) => !seen.has(id)),
      twice: ids.filter((id) => (seen.get(id) ?? 0) > 1),
      garbled,
    },
    { missing: [], twice: [], garbled: [] },
  );
}

Deno.test("150 concurrent one-shot senders of 60 KB messages all exit 0, and each message is logged exactly once", async () => {
  using dir = tempDir();
  const port = freePort();
  const log = `${dir.path}/log.txt`;
  await using logger = await startLogger(dir.path, port);
  const count = 150;
  // 30 in flight at a time: enough to overlap, bounded for a 2-core machine.
  assert.deepEqual(await sendLarge(port, count, 30), []);
  // Every sender has exited 0: the logger has every message already.
  const text = await waitForLines(log, count, 10_000);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.equal(
    end.stderr,
    `logging_basic: stopped; ${count} messages logged to ./log.txt\n`,
  );
  assertEachLargeOnce(text, count);
  assert.equal(readText(log), text, "nothing more arrived after");
});

Deno.test("over a slow link, one-shot senders of 60 KB messages exit 0 only once the message is out: each is logged", async () => {
  using dir = tempDir();
  const port = freePort();
  const log = `${dir.path}/log.txt`;
  await using logger = await startLogger(dir.path, port);
  // A relay with small TCP buffers that passes data on slowly: the message
  // leaves the sender in pieces, so one that exits early loses its message.
  const link = freePort();
  await using _relay = new Background(PYTHON, [
    `${PEERS}slow_relay.py`,
    String(link),
    String(port),
  ]);
  await waitForPort(link);
  const count = 30;
  assert.deepEqual(await sendLarge(link, count, 10), []);
  const text = await waitForLines(log, count, 10_000);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.equal(
    end.stderr,
    `logging_basic: stopped; ${count} messages logged to ./log.txt\n`,
  );
  assertEachLargeOnce(text, count);
});

// ---- Time ranges in a zone other than UTC ----

/** India: UTC+05:30 all year, no daylight saving, a half-hour offset. */
const ZONE = "Asia/Kolkata";
const OFFSET = "+05:30";
const OFFSET_MS = 5.5 * 3_600_000;
const HOUR = 3_600_000;

/** The local date (YYYY-MM-DD) in ZONE at `time`. */
function zoneDate(time: number): string {
  return new Date(time + OFFSET_MS).toISOString().slice(0, 10);
}

/** Midnight in ZONE that starts the local day of `time`. */
function zoneMidnight(time: number): number {
  return Date.parse(`${zoneDate(time)}T00:00:00${OFFSET}`);
}

/** Midnight UTC that starts the UTC day of `time`. */
function utcMidnight(time: number): number {
  return Date.parse(`${new Date(time).toISOString().slice(0, 10)}T00:00:00Z`);
}

Deno.test(`--show with TZ=${ZONE}: --since/--until local times, today and yesterday, by the arrival time`, async () => {
  // Not across a midnight in the zone or in UTC while the test runs.
  const closeTo = (midnight: number) => midnight + 86_400_000 - Date.now();
  for (const midnight of [zoneMidnight(Date.now()), utcMidnight(Date.now())]) {
    if (closeTo(midnight) < 20_000) await sleep(closeTo(midnight) + 1000); // the clock is the condition: a second past midnight
  }
  const now = Date.now();
  const today = zoneMidnight(now); // M
  const yesterday = today - 24 * HOUR; // Y: no daylight saving in this zone
  const iso = (t: number) => new Date(t).toISOString();
  // The arrival time (--timestamps prefix) and the sender's own time (in the
  // header) differ, so a range taken from the wrong one shows other lines.
  const entries: { name: string; arrival?: number; sent?: number }[] = [
    { name: "a-before", arrival: yesterday - 2 * HOUR, sent: yesterday + HOUR },
    { name: "b-yday", arrival: yesterday + 2 * HOUR, sent: yesterday - HOUR },
    { name: "c-lateyday", arrival: today - HOUR, sent: today + HOUR },
    { name: "d-today", arrival: today + HOUR, sent: today - HOUR },
    { name: "e-plain", arrival: today + 2 * HOUR },
    { name: "f-sentonly", sent: today + 3 * HOUR },
    { name: "g-notime" },
  ];
  const lineOf = ({ name, arrival, sent }: typeof entries[number]) =>
    (arrival === undefined ? "" : `${iso(arrival)} `) +
    (sent === undefined ? name : `<info> ${iso(sent)} pi1 app: ${name}`);
  using dir = tempDir();
  Deno.writeTextFileSync(
    `${dir.path}/log.txt`,
    entries.map((e) => `${lineOf(e)}\n`).join(""),
  );
  const show = async (tz: string, ...args: string[]) => {
    const out = await run(LOGGER, ["--show", ...args], {
      cwd: dir.path,
      env: { TZ: tz },
    });
    assert.equal(out.code, 0, out.stderr);
    // g-notime has no time: --since and --until say they left it out.
    assert.equal(
      out.stderr,
      "logging_basic: left out 1 line without a time (logged without --timestamps, sent without one), as --since and --until need one\n",
    );
    return out.stdout.split("\n").slice(0, -1).map((line) =>
      entries.find((e) => lineOf(e) === line)?.name ?? `unknown: ${line}`
    );
  };

  assert.deepEqual(await show(ZONE, "--since", "yesterday"), [
    "b-yday",
    "c-lateyday",
    "d-today",
    "e-plain",
    "f-sentonly",
  ]);
  assert.deepEqual(await show(ZONE, "--since", "today"), [
    "d-today",
    "e-plain",
    "f-sentonly",
  ]);
  assert.deepEqual(
    await show(ZONE, "--since", "yesterday", "--until", "today"),
    ["b-yday", "c-lateyday"],
  );
  // Local times without a zone: 23:30 yesterday to 02:00 today, in India.
  assert.deepEqual(
    await show(
      ZONE,
      "--since",
      `${zoneDate(yesterday)}T23:30`,
      "--until",
      `${zoneDate(today)}T02:00:00`,
    ),
    ["d-today", "e-plain"],
  );
  // The same file in UTC gives another "today": the zone is what counts.
  const utcToday = utcMidnight(now);
  const utcExpected = entries.filter((e) =>
    (e.arrival ?? e.sent ?? -Infinity) >= utcToday
  ).map((e) => e.name);
  const inUtc = await show("UTC", "--since", "today");
  assert.deepEqual(inUtc, utcExpected);
  assert.notDeepEqual(inUtc, ["d-today", "e-plain", "f-sentonly"]);
});

Deno.test("a sender started 4 s before the logger delivers once it is up, and exits 0", async () => {
  using dir = tempDir();
  const port = freePort();
  const log = `${dir.path}/log.txt`;
  await using sender = new Background(SENDER, [
    "--port",
    String(port),
    "late",
    "logger",
  ], { cwd: dir.path });
  // It waits: it does not end while there is no logger.
  const early = await Promise.race([
    sender.finish(),
    sleep(4000).then(() => undefined), // the span under test, in which it must not end
  ]);
  assert.equal(early, undefined, `the sender ended: ${JSON.stringify(early)}`);
  await using logger = await startLogger(dir.path, port);
  const up = Date.now();
  const sent = await sender.finish();
  assert.equal(sent.code, 0, sent.stderr);
  assert.ok(
    Date.now() - up < 5000,
    `the sender took ${Date.now() - up} ms to deliver once the logger was up`,
  );
  assert.equal(
    sent.stderr,
    `log_cmd_basic: waiting for the logger at localhost:${port} (Ctrl-C to give up)\n`,
  );
  assert.equal(await waitForLines(log, 1), "late logger\n");
  assert.equal(await readAfter(log, 300), "late logger\n", "delivered once");
  assert.equal((await logger.stop()).code, 0);
});

Deno.test("--show --follow after the log is truncated in place (copytruncate) prints only the new lines", async () => {
  using dir = tempDir();
  const port = freePort();
  const log = `${dir.path}/log.txt`;
  await using logger = await startLogger(dir.path, port);
  const sendLine = async (text: string) => {
    const out = await send(["--port", String(port), text]);
    assert.equal(out.code, 0, out.stderr);
  };
  for (const text of ["old 1", "old 2", "old 3"]) await sendLine(text);
  await waitForLines(log, 3);
  await using follower = new Streaming(LOGGER, ["--show", "--follow"], {
    cwd: dir.path,
  });
  await follower.waitForLines(3);
  await sendLine("old 4");
  await follower.waitForLines(4);
  // logrotate's copytruncate: copy the file, then cut it to nothing; the
  // logger goes on appending at the (new) end.
  Deno.copyFileSync(log, `${log}.1`);
  Deno.truncateSync(log, 0);
  await sendLine("new 1");
  await follower.waitForLines(5);
  await sendLine("new 2");
  await follower.waitForLines(6);
  await sleep(600); // the span in which nothing more may come: three of --follow's looks at the file
  const end = await follower.stop("SIGINT");
  assert.equal(end.code, 0, end.stderr);
  assert.deepEqual(follower.lines, [
    "old 1",
    "old 2",
    "old 3",
    "old 4",
    "new 1",
    "new 2",
  ]);
  assert.equal(readText(log), "new 1\nnew 2\n");
  assert.equal((await logger.stop()).code, 0);
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`a logger stopped by ${signal} removes its control socket ./log.txt.ctl`, async () => {
    using dir = tempDir();
    const port = freePort();
    const control = `${dir.path}/log.txt.ctl`;
    await using logger = await startLogger(dir.path, port);
    const status = await run(LOGGER, ["--status"], { cwd: dir.path });
    assert.equal(status.code, 0, status.stderr);
    assert.ok(Deno.lstatSync(control).isSocket, `${control} is a socket`);
    const end = await logger.stop(signal);
    assert.equal(end.code, 0, end.stderr);
    assert.throws(
      () => Deno.lstatSync(control),
      Deno.errors.NotFound,
      `${control} is still there after ${signal}`,
    );
    assert.deepEqual(
      [...Deno.readDirSync(dir.path)].map((e) => e.name),
      ["log.txt"],
    );
  });
}
