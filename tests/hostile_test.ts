/**
 * Hostile senders: anything on the network can send to the logger. A flood
 * of large messages made of control characters (each grows fourfold when
 * escaped) must not take the logger's memory, delay a good line, or keep it
 * from stopping; characters that could hide or reorder what a person reads
 * are escaped. Floods are bounded in count and stay on loopback.
 */

import assert from "node:assert/strict";
import { queuedPerSender } from "../lib/logger/pull_socket.ts";
import {
  Background,
  freePort,
  LOGGER,
  PEERS,
  PYTHON,
  readText,
  run,
  SENDER,
  startLogger,
  tempDir,
  waitFor,
  waitForLines,
  waitForPort,
  waitForSize,
} from "./helpers.ts";

/** The logger's peak resident memory so far, in MiB (VmHWM). */
async function peakMiB(pid: number): Promise<number> {
  // Deno reads /proc only with --allow-all; cat needs just --allow-run.
  const status = (await run("cat", [`/proc/${pid}/status`])).stdout;
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/**
 * Whether `text` has been written to the file at `path` yet. Each call reads
 * only what was added since the last: a flood makes the file large.
 */
function watchFor(path: string, text: string): () => boolean {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  let carry = new Uint8Array(0); // the end of the last read, for a match across reads
  return () => {
    using file = Deno.openSync(path);
    file.seekSync(offset, Deno.SeekMode.Start);
    const chunk = new Uint8Array(1 << 20);
    for (let n; (n = file.readSync(chunk)) !== null;) {
      offset += n;
      const seen = new Uint8Array(carry.length + n);
      seen.set(carry);
      seen.set(chunk.subarray(0, n), carry.length);
      if (indexOf(seen, bytes) >= 0) return true;
      carry = seen.slice(Math.max(0, seen.length - bytes.length + 1));
    }
    return false;
  };
}

/** Where `needle` starts in `haystack`, or -1. */
function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  for (
    let at = haystack.indexOf(needle[0]);
    at >= 0 && at <= haystack.length - needle.length;
    at = haystack.indexOf(needle[0], at + 1)
  ) {
    if (needle.every((byte, i) => haystack[at + i] === byte)) return at;
  }
  return -1;
}

/**
 * Reads from `conn` until the logger hangs up (the end of the stream, or a
 * reset), then closes it; fails if it has not after `timeoutMs`.
 */
async function hungUp(conn: Deno.Conn, timeoutMs = 10_000): Promise<void> {
  const buffer = new Uint8Array(4096);
  const reading = (async () => {
    try {
      while ((await conn.read(buffer)) !== null) continue;
    } catch (err) {
      if (!(err instanceof Deno.errors.ConnectionReset)) throw err;
    }
    return "hung up" as const;
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    // The deadline, not a wait: cleared as soon as the logger hangs up.
    timer = setTimeout(() => resolve("late"), timeoutMs);
  });
  const first = await Promise.race([reading, late]);
  clearTimeout(timer);
  conn.close();
  await reading.catch(() => {}); // a read cut short by the close above
  if (first === "late") {
    throw new Error(`the logger did not hang up within ${timeoutMs} ms`);
  }
}

/** `senders` connections, each sending `count` messages of 64 KiB of \x01. */
function flood(port: number, senders: number, count: number): Background[] {
  return Array.from(
    { length: senders },
    () =>
      new Background(PYTHON, [
        `${PEERS}flood_sender.py`,
        String(port),
        String(count),
        "65536",
        "1",
      ]),
  );
}

for (const args of [[], ["--format", "json"], ["--timestamps"]]) {
  Deno.test(
    `a flood of 64 KiB control-character messages from 8 connections${
      args.length ? ` (${args.join(" ")})` : ""
    }: a good line is in the file within 3 s and memory stays under 400 MiB`,
    async () => {
      using dir = tempDir();
      const port = freePort();
      const log = `${dir.path}/log.txt`;
      await using logger = await startLogger(dir.path, port, args);
      const flooders = flood(port, 8, 150);
      try {
        // The flood is under way: its lines (each 64 KiB escaped) reach the file.
        await waitForSize(log, 4 * 65536, 30_000);
        const sent = Date.now();
        const good = await run(SENDER, [
          "--port",
          String(port),
          "GOOD",
          "line",
        ]);
        assert.equal(good.code, 0, good.stderr);
        await waitFor(
          watchFor(log, "GOOD line"),
          () =>
            `the good line in the log within 3 s of sending it (${
              Date.now() - sent
            } ms now)`,
          Math.max(0, 3000 - (Date.now() - sent)),
        );
        for (const flooder of flooders) await flooder.finish();
        const peak = await peakMiB(logger.pid);
        assert.ok(peak < 400, `peak RSS ${peak.toFixed(0)} MiB`);
      } finally {
        for (const flooder of flooders) await flooder.stop("SIGKILL");
      }
      const end = await logger.stop();
      assert.equal(end.code, 0, end.stderr);
    },
  );
}

Deno.test("SIGTERM during a flood that never pauses ends the logger within 3 s, and it says what it did not take", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  const flooders = flood(port, 8, 2000); // far more than it writes in 3 s
  try {
    // By size: the file grows by gigabytes, more than a string can hold.
    await waitForSize(`${dir.path}/log.txt`, 20 * 65536);
    const asked = Date.now();
    const end = await logger.stop("SIGTERM");
    const took = Date.now() - asked;
    assert.equal(end.code, 0, end.stderr);
    assert.ok(took < 3000, `stopping took ${took} ms`);
    // Counted in chunks of bytes: the logger may write more in these seconds
    // than one string (512 MiB), or one buffer, can hold.
    let lines = 0;
    using log = Deno.openSync(`${dir.path}/log.txt`);
    const chunk = new Uint8Array(1 << 20);
    for (let n; (n = log.readSync(chunk)) !== null;) {
      const bytes = chunk.subarray(0, n);
      for (let at = -1; (at = bytes.indexOf(0x0a, at + 1)) !== -1;) lines++;
    }
    assert.equal(
      end.stderr,
      `logging_basic: stopped; ${lines} messages logged to ./log.txt; after 1 s of writing, messages were still queued or arriving, and those were not taken (their senders may count them as delivered)\n`,
    );
  } finally {
    for (const flooder of flooders) await flooder.stop("SIGKILL");
  }
});

Deno.test("C1 controls, line separators and bidi controls are escaped in text lines and written as \\uXXXX in JSON", async () => {
  using dir = tempDir();
  const text = "pay \u202e0001$ \u2066x\u2069 a\u2028b c\u0085d \u009b31m";
  for (const args of [[], ["--format", "json"]]) {
    const port = freePort();
    // Only ./log.txt may be written through the shebang: one after the other.
    const file = args.length ? "json.log" : "text.log";
    await using logger = await startLogger(dir.path, port, args);
    const sent = await run(SENDER, ["--port", String(port), text]);
    assert.equal(sent.code, 0, sent.stderr);
    const line = (await waitForLines(`${dir.path}/log.txt`, 1)).trimEnd();
    assert.equal((await logger.stop()).code, 0);
    Deno.renameSync(`${dir.path}/log.txt`, `${dir.path}/${file}`);
    if (args.length === 0) {
      assert.equal(
        line,
        "pay #342#200#2560001$ #342#201#246x#342#201#251 a#342#200#250b c#302#205d #302#23331m",
      );
    } else {
      assert.equal(JSON.parse(line).message, text, "JSON keeps the text");
      assert.match(
        line,
        /pay \\u202e0001\$ \\u2066x\\u2069 a\\u2028b c\\u0085d \\u009b31m/,
      );
    }
  }
});

Deno.test("out of file descriptors, the logger says so with its limit and the fix, and takes senders again once connections close", async () => {
  using dir = tempDir();
  const port = freePort();
  // prlimit runs the logger with a hard limit of 48 open files.
  await using logger = new Background("prlimit", [
    "--nofile=48:48",
    LOGGER,
    "--port",
    String(port),
  ], { cwd: dir.path });
  await waitForPort(port);
  const held: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 80; i++) {
      held.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    }
    await logger.waitForStderr(
      "Cannot accept new senders: out of file descriptors",
    );
  } finally {
    for (const conn of held) conn.close();
  }
  const sent = await run(SENDER, [
    "--port",
    String(port),
    "--timeout",
    "10",
    "after",
  ]);
  assert.equal(sent.code, 0, sent.stderr);
  await waitForLines(`${dir.path}/log.txt`, 1);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.match(
    end.stderr,
    /^logging_basic: Cannot accept new senders: out of file descriptors \(\d+ failed accepts? so far; this process may open 48 files\): raise the limit \(LimitNOFILE= in its systemd unit, ulimit -n in a shell\)/,
  );
  assert.equal(readText(`${dir.path}/log.txt`), "after\n");
});

Deno.test("raw bytes sent to the port are not taken as messages (ZeroMQ 2's greeting-less protocol is refused)", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  // Bytes that do not start with 0xff are how a ZMTP 1.0 peer would begin.
  for (let i = 0; i < 50; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const bytes = crypto.getRandomValues(new Uint8Array(2000));
    bytes[0] = 1 + (i % 0xfe);
    await conn.write(bytes).catch(() => {}); // the logger may hang up first
    await hungUp(conn);
  }
  const sent = await run(SENDER, ["--port", String(port), "GOOD"]);
  assert.equal(sent.code, 0, sent.stderr);
  await waitForLines(`${dir.path}/log.txt`, 1);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.equal(readText(`${dir.path}/log.txt`), "GOOD\n");
});

Deno.test("libzmq queues at most 4 MiB of the largest messages per sender, but never fewer than 16 nor more than 1,000: 64 of 64 KiB, 1,000 of 4 KiB, 16 of 1 MiB or 16 MiB", () => {
  assert.equal(queuedPerSender(65536), 64);
  assert.equal(queuedPerSender(4096), 1000);
  assert.equal(queuedPerSender(100), 1000);
  assert.equal(queuedPerSender(1024 * 1024), 16);
  assert.equal(queuedPerSender(16 * 1024 * 1024), 16);
});
