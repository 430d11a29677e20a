/**
 * The book's chapter 2, as its reader would try it: the demo transcript, the
 * sender that waits for a missing logger, and logging to another machine.
 */

import assert from "node:assert/strict";
import {
  Background,
  freePort,
  LOGGER,
  readAfter,
  readText,
  send,
  SENDER,
  startLogger,
  tempDir,
  waitForLines,
} from "./helpers.ts";

Deno.test("the chapter's demo transcript gives exactly the chapter's three lines", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  for (
    const args of [
      ["arg1", "arg2", "arg3"],
      ["213", "32456", "dsf", "234"],
      ["args", "get", "logged", "into", "log.txt"],
    ]
  ) {
    const sent = await send(["--port", String(port), ...args], dir.path);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(sent.stdout + sent.stderr, "");
  }
  const expected =
    "arg1 arg2 arg3\n213 32456 dsf 234\nargs get logged into log.txt\n";
  // Each line is in the file while the logger runs (the book's flush).
  assert.equal(await waitForLines(`${dir.path}/log.txt`, 3), expected);
  const end = await logger.stop("SIGINT");
  assert.equal(end.code, 0, end.stderr);
  assert.equal(readText(`${dir.path}/log.txt`), expected);
});

Deno.test("logger appends to an existing log.txt and never truncates it", async () => {
  using dir = tempDir();
  const port = freePort();
  Deno.writeTextFileSync(`${dir.path}/log.txt`, "from yesterday\n");
  await using logger = await startLogger(dir.path, port);
  assert.equal(
    (await send(["--port", String(port), "today"], dir.path)).code,
    0,
  );
  await waitForLines(`${dir.path}/log.txt`, 2);
  await logger.stop();
  // Started again: still appending.
  await using again = await startLogger(dir.path, port);
  assert.equal(
    (await send(["--port", String(port), "tomorrow"], dir.path)).code,
    0,
  );
  await waitForLines(`${dir.path}/log.txt`, 3);
  await again.stop();
  assert.equal(
    readText(`${dir.path}/log.txt`),
    "from yesterday\ntoday\ntomorrow\n",
  );
});

Deno.test("logger writes message bytes exactly as received, one line each", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  const words = ["héllo", "wörld", "✓", "tab\there", "", "end"];
  assert.equal(
    (await send(["--port", String(port), ...words], dir.path)).code,
    0,
  );
  // No arguments at all: the book sends an empty message, an empty line.
  assert.equal((await send(["--port", String(port)], dir.path)).code, 0);
  await waitForLines(`${dir.path}/log.txt`, 2);
  await logger.stop();
  assert.equal(
    readText(`${dir.path}/log.txt`),
    "héllo wörld ✓ tab\there  end\n\n",
  );
});

Deno.test("sender started before the logger waits, says so, and delivers when it comes up", async () => {
  using dir = tempDir();
  const port = freePort();
  await using sender = new Background(
    SENDER,
    ["--port", String(port), "Is", "this", "cool", "or", "not?"],
    { cwd: dir.path },
  );
  await sender.waitForStderr("waiting for the logger");
  assert.equal(readText(`${dir.path}/log.txt`), "");
  await using logger = await startLogger(dir.path, port);
  const sent = await sender.finish();
  assert.equal(sent.code, 0);
  // Exactly this line: no zeromq.js node-style warning either.
  assert.equal(
    sent.stderr,
    `log_cmd_basic: waiting for the logger at localhost:${port} (Ctrl-C to give up)\n`,
  );
  assert.equal(
    await waitForLines(`${dir.path}/log.txt`, 1),
    "Is this cool or not?\n",
  );
  await logger.stop();
});

Deno.test("sender gives up after --timeout with a clear message and sends nothing", async () => {
  using dir = tempDir();
  const port = freePort();
  const started = Date.now();
  const sent = await send(
    ["--port", String(port), "--timeout", "1", "never", "sent"],
    dir.path,
  );
  const took = Date.now() - started;
  assert.equal(sent.code, 1);
  assert.equal(
    sent.stderr,
    `log_cmd_basic: waiting for the logger at localhost:${port} (giving up after 1 s)\n` +
      `log_cmd_basic: no logger at localhost:${port} after 1 s; message not sent\n`,
  );
  assert.ok(took >= 1000, `gave up after ${took} ms`);
  // A logger that comes up afterwards gets nothing: the message was not queued anywhere.
  await using logger = await startLogger(dir.path, port);
  assert.equal(
    (await send(["--port", String(port), "later"], dir.path)).code,
    0,
  );
  assert.equal(await waitForLines(`${dir.path}/log.txt`, 1), "later\n");
  assert.equal(await readAfter(`${dir.path}/log.txt`, 300), "later\n");
  await logger.stop();
});

Deno.test("sender with --timeout delivers at once when the logger is there", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  const sent = await send(
    ["--port", String(port), "--timeout", "5", "quick"],
    dir.path,
  );
  assert.equal(sent.code, 0);
  assert.equal(sent.stderr, "");
  assert.equal(await waitForLines(`${dir.path}/log.txt`, 1), "quick\n");
  await logger.stop();
});

Deno.test("remote logging: --bind and --host with an IP address, a host name and IPv6", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port, [
    "--bind",
    "127.0.0.1",
  ]);
  const byIp = await send(
    ["--host", "127.0.0.1", "--port", String(port), "Hello", "by", "IP"],
    dir.path,
  );
  assert.equal(byIp.code, 0, byIp.stderr);
  // A name goes through the system resolver, as a DHCP name or raspberrypi.local would.
  const byName = await send(
    ["-H", "localhost", "-p", String(port), "Hello", "by", "name"],
    dir.path,
  );
  assert.equal(byName.code, 0, byName.stderr);
  assert.equal(
    await waitForLines(`${dir.path}/log.txt`, 2),
    "Hello by IP\nHello by name\n",
  );
  assert.equal((await logger.stop()).code, 0);

  const port6 = freePort();
  await using logger6 = new Background(
    LOGGER,
    ["--bind", "::1", "--port", String(port6)],
    { cwd: dir.path },
  );
  const by6 = await send(
    [
      "--host",
      "::1",
      "--port",
      String(port6),
      "--timeout",
      "10",
      "Hello",
      "over",
      "IPv6",
    ],
    dir.path,
  );
  assert.equal(by6.code, 0, by6.stderr);
  assert.match(
    await waitForLines(`${dir.path}/log.txt`, 3),
    /Hello over IPv6\n$/,
  );
  assert.equal((await logger6.stop()).code, 0);
});
