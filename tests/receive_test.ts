/**
 * The logger keeps receiving: many separate senders with pauses (the case
 * Deno issue 36317 stalls on), heavy concurrent load, and a clean stop on
 * Ctrl-C and SIGTERM.
 */

import assert from "node:assert/strict";
import {
  assertEachOnceInOrder,
  Background,
  freePort,
  LOGGER,
  PEERS,
  PYTHON,
  readText,
  run,
  send,
  sendBulk,
  SENDER,
  sleep,
  startLogger,
  tempDir,
  waitFor,
  waitForLines,
  waitForPath,
  waitForPort,
} from "./helpers.ts";

Deno.test("logger keeps logging across many separate sender processes with pauses", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  const expected: string[] = [];
  for (let i = 1; i <= 12; i++) {
    // Ours and the book's Python sender, in turns; a bare TCP peer that
    // connects and goes in between, so the socket's fd fires for non-messages.
    const ours = i % 2 === 1;
    const text = `sender ${i} ${ours ? "deno" : "python"}`;
    const out = ours
      ? await send(["--port", String(port), text], dir.path)
      : await run(PYTHON, [`${PEERS}book_sender.py`, text], {
        env: { PORT: String(port) },
      });
    assert.equal(out.code, 0, out.stderr);
    expected.push(text);
    assert.equal(
      await waitForLines(`${dir.path}/log.txt`, i, 5000),
      expected.map((line) => `${line}\n`).join(""),
      `message ${i} is in the file before the next sender starts`,
    );
    await waitForPort(port);
    await sleep(100 + 30 * i); // the idle span under test, longer each time: not a stand-in for a condition
  }
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.equal(
    end.stderr,
    "logging_basic: stopped; 12 messages logged to ./log.txt\n",
  );
});

Deno.test("one-shot senders in quick succession each deliver their message", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  const count = 40;
  for (let i = 0; i < count; i++) {
    const out = await send(
      ["--port", String(port), "quick", String(i)],
      dir.path,
    );
    assert.equal(out.code, 0, out.stderr);
  }
  const text = await waitForLines(`${dir.path}/log.txt`, count);
  await logger.stop();
  assert.equal(
    text,
    Array.from({ length: count }, (_, i) => `quick ${i}\n`).join(""),
  );
});

Deno.test("100,000 messages from 4 concurrent senders: each exactly once, each sender's order kept", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  await sendBulk(port, 4, 25_000);
  const text = await waitForLines(`${dir.path}/log.txt`, 100_000, 60_000);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.ok(text.endsWith("\n"), "the file ends with a newline");
  assert.equal(assertEachOnceInOrder(text, 4, 25_000), 100_000);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test(`logger stops cleanly on ${signal}: everything received is written, exit 0`, async () => {
    using dir = tempDir();
    const port = freePort();
    await using logger = await startLogger(dir.path, port);
    const out = await run(PYTHON, [
      `${PEERS}bulk_sender.py`,
      String(port),
      "x",
      "5000",
    ]);
    assert.equal(out.code, 0, out.stderr);
    // The Python sender has handed over all 5000; stop the logger right away.
    const end = await logger.stop(signal);
    assert.equal(end.code, 0, end.stderr);
    assert.equal(end.signal, null);
    const lines = readText(`${dir.path}/log.txt`).split("\n");
    assert.equal(lines.pop(), "");
    // What the logger had received is all there; the count it reports matches the file.
    assert.equal(
      end.stderr,
      `logging_basic: stopped; ${lines.length} messages logged to ./log.txt\n`,
    );
    assert.deepEqual(
      lines,
      Array.from({ length: lines.length }, (_, i) => `x ${i}`),
    );
  });
}

Deno.test("logger started while a sender is already waiting gets its message", async () => {
  using dir = tempDir();
  const port = freePort();
  await using senders = new AsyncDisposableStack();
  const waiting = [1, 2, 3].map((i) =>
    senders.use(
      new Background(SENDER, ["--port", String(port), `early ${i}`], {
        cwd: dir.path,
      }),
    )
  );
  for (const sender of waiting) {
    await sender.waitForStderr("waiting for the logger");
  }
  await using logger = await startLogger(dir.path, port);
  for (const sender of waiting) assert.equal((await sender.finish()).code, 0);
  const text = await waitForLines(`${dir.path}/log.txt`, 3);
  await logger.stop();
  assert.deepEqual(text.split("\n").sort(), [
    "",
    "early 1",
    "early 2",
    "early 3",
  ]);
});

Deno.test("a message over --max-message-size is refused at the socket; other senders go on", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port, [
    "--max-message-size",
    "1K",
  ]);
  const script = `
import sys, zmq
c = zmq.Context()
big = c.socket(zmq.PUSH)
hung_up = big.get_monitor_socket(zmq.EVENT_DISCONNECTED)
big.connect('tcp://127.0.0.1:${port}')
big.send(b'a' * 1024)          # exactly the limit: logged
big.send(b'b' * 1025)          # one byte over: the logger hangs up on this sender
ok = c.socket(zmq.PUSH); ok.connect('tcp://127.0.0.1:${port}')
for i in range(3): ok.send(b'fine %d' % i)
if not hung_up.poll(15000):
    sys.exit('the logger did not hang up on the sender of 1025 bytes within 15 s')
big.disable_monitor(); hung_up.close()
ok.close(); big.setsockopt(zmq.LINGER, 500); big.close(); c.term()
`;
  // It ends once the logger has hung up on the sender of the large message.
  const out = await run(PYTHON, ["-c", script]);
  assert.equal(out.code, 0, out.stderr);
  const text = await waitForLines(`${dir.path}/log.txt`, 4);
  assert.equal((await send(["--port", String(port), "still", "here"])).code, 0);
  await waitForLines(`${dir.path}/log.txt`, 5);
  const end = await logger.stop();
  assert.equal(end.code, 0);
  const lines = readText(`${dir.path}/log.txt`).split("\n");
  assert.equal(lines.pop(), "");
  // Before "still here": the message at the limit and the other sender's.
  assert.deepEqual(text.split("\n").slice(0, -1).toSorted(), [
    "a".repeat(1024),
    "fine 0",
    "fine 1",
    "fine 2",
  ]);
  assert.deepEqual(lines.toSorted(), [
    "a".repeat(1024),
    "fine 0",
    "fine 1",
    "fine 2",
    "still here",
  ]);
});

Deno.test("signals that interrupt libzmq calls (the CPU profiler's SIGPROF) lose nothing and stop nothing", async () => {
  using dir = tempDir();
  const port = freePort();
  // The profiler sends SIGPROF to the main thread every 100 µs, so many land
  // while libzmq is inside a system call there, which then fails with EINTR.
  await using logger = new Background(
    "deno",
    [
      "run",
      "-q",
      "--no-prompt",
      "-P=logging_basic",
      "--allow-write=./log.txt",
      "--cpu-prof",
      "--cpu-prof-interval=100",
      `--cpu-prof-dir=${dir.path}/profile`,
      LOGGER,
      "--port",
      String(port),
    ],
    { cwd: dir.path },
  );
  await waitForPort(port).catch(async (err) => {
    throw new Error(`${err.message}: ${(await logger.stop()).stderr}`);
  });
  const count = 300_000;
  await using sender = new Background(PYTHON, [
    `${PEERS}bulk_sender.py`,
    String(port),
    "x",
    String(count),
  ]);
  const text = await waitForLines(`${dir.path}/log.txt`, count, 20_000);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.equal((await sender.finish()).code, 0);
  const lines = text.split("\n");
  assert.equal(lines.length, count + 1);
  assert.equal(lines[count - 1], `x ${count - 1}`);
});

Deno.test("hostile input: 10,000 random byte strings forge no line, stop nothing, lose no good message", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  const [fuzz, good] = await Promise.all([
    run(PYTHON, [`${PEERS}fuzz_sender.py`, String(port), "10000", "2026"]),
    run(PYTHON, [`${PEERS}bulk_sender.py`, String(port), "good", "2000"]),
  ]);
  assert.equal(fuzz.code, 0, fuzz.stderr);
  assert.equal(good.code, 0, good.stderr);
  const frames = Number(fuzz.stdout.trim());
  assert.ok(frames >= 10_000);
  // Still up and logging after all that.
  assert.equal(
    (await send(["--port", String(port), "after", "the", "fuzz"])).code,
    0,
  );
  await waitForLines(`${dir.path}/log.txt`, frames + 2001);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);

  const bytes = Deno.readFileSync(`${dir.path}/log.txt`);
  // One line per frame: no message made a line of its own.
  assert.equal(bytes.filter((b) => b === 0x0a).length, frames + 2001);
  // No control character but tab and the line ends is left in the file.
  assert.ok(
    bytes.every((b) => b >= 0x20 || b === 0x0a || b === 0x09) &&
      !bytes.includes(0x7f),
  );
  const lines = new TextDecoder().decode(bytes).split("\n");
  const goods = lines.filter((l) => l.startsWith("good "));
  assert.deepEqual(goods, Array.from({ length: 2000 }, (_, i) => `good ${i}`));
  assert.equal(lines.at(-2), "after the fuzz");
});

Deno.test("after logrotate moves the file, SIGHUP makes the logger write to a new file at the path", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  assert.equal(
    (await send(["--port", String(port), "before", "rotation"])).code,
    0,
  );
  await waitForLines(`${dir.path}/log.txt`, 1);
  Deno.renameSync(`${dir.path}/log.txt`, `${dir.path}/log.txt.1`);
  assert.equal(
    (await send(["--port", String(port), "still", "old", "file"])).code,
    0,
  );
  await waitForLines(`${dir.path}/log.txt.1`, 2);
  logger.kill("SIGHUP");
  // The logger made the new file: it has reopened.
  await waitForPath(`${dir.path}/log.txt`);
  assert.equal(
    (await send(["--port", String(port), "after", "rotation"])).code,
    0,
  );
  await waitForLines(`${dir.path}/log.txt`, 1);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.equal(
    readText(`${dir.path}/log.txt.1`),
    "before rotation\nstill old file\n",
  );
  assert.equal(readText(`${dir.path}/log.txt`), "after rotation\n");
});

Deno.test("a write error is reported, nothing is dropped, and logging resumes once the file can be written", async () => {
  using dir = tempDir();
  const port = freePort();
  // A 2 KiB file size limit makes writes fail with EFBIG, as a full disk would.
  await using logger = new Background("bash", [
    "-c",
    `trap '' XFSZ; ulimit -f 2; exec ${LOGGER} --port ${port}`,
  ], { cwd: dir.path });
  await waitForPort(port);
  const line = (i: number) =>
    `message ${String(i).padStart(2, "0")} ${"x".repeat(88)}`; // 100 bytes
  // 25 lines of 101 bytes do not fit in 2048: the last ones are held.
  const sent = await Promise.all(
    Array.from(
      { length: 25 },
      (_, i) => send(["--port", String(port), line(i)]),
    ),
  );
  for (const out of sent) assert.equal(out.code, 0, out.stderr);
  await logger.waitForStderr("Cannot write to './log.txt': File too large");
  // Rotate the full file away and tell the logger: the held lines follow.
  Deno.renameSync(`${dir.path}/log.txt`, `${dir.path}/log.txt.1`);
  logger.kill("SIGHUP");
  await logger.waitForStderr("writing to './log.txt' again");
  const both = () =>
    readText(`${dir.path}/log.txt.1`) + readText(`${dir.path}/log.txt`);
  await waitFor(
    () => both().split("\n").length - 1 >= 25,
    () => `25 lines in log.txt.1 and log.txt; they hold ${both()}`,
  );
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.match(
    end.stderr,
    /^logging_basic: Cannot write to '\.\/log\.txt': File too large \(os error 27\); keeping \d+ lines? and trying again every 1 s \(senders wait meanwhile\)\nlogging_basic: writing to '\.\/log\.txt' again\n/,
  );
  // Every message is in one file or the other (a line cut by the failure
  // continues in the new file), none twice.
  const all =
    (readText(`${dir.path}/log.txt.1`) + readText(`${dir.path}/log.txt`))
      .split("\n");
  assert.equal(all.pop(), "");
  assert.deepEqual(
    all.toSorted(),
    Array.from({ length: 25 }, (_, i) => line(i)),
  );
});

Deno.test("stopped while it cannot write, the logger says how many lines were not written, exit 1", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = new Background("bash", [
    "-c",
    `trap '' XFSZ; ulimit -f 1; exec ${LOGGER} --port ${port}`,
  ], { cwd: dir.path });
  await waitForPort(port);
  Deno.writeTextFileSync(`${dir.path}/log.txt`, "y".repeat(1024)); // already full
  assert.equal(
    (await send(["--port", String(port), "cannot", "be", "written"])).code,
    0,
  );
  await logger.waitForStderr("Cannot write to './log.txt'");
  const end = await logger.stop();
  assert.equal(end.code, 1);
  assert.match(
    end.stderr,
    /logging_basic: stopped with 1 line not written to '\.\/log\.txt': File too large \(os error 27\)\n$/,
  );
});
