/**
 * Real peers whose ZeroMQ library nobody here wrote: Debian's python3-zmq,
 * in scripts written like the book's own Python files.
 */

import assert from "node:assert/strict";
import {
  Background,
  freePort,
  PEERS,
  PYTHON,
  readText,
  run,
  send,
  SENDER,
  startBookLogger,
  startLogger,
  tempDir,
  waitForLines,
} from "./helpers.ts";

Deno.test("the book's Python sender logs into logging_basic.ts", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  for (
    const words of [["arg1", "arg2", "arg3"], [
      "Hello",
      "world",
      "from",
      "Python",
    ]]
  ) {
    const out = await run(PYTHON, [`${PEERS}book_sender.py`, ...words], {
      env: { PORT: String(port) },
    });
    assert.equal(out.code, 0, out.stderr);
  }
  assert.equal(
    await waitForLines(`${dir.path}/log.txt`, 2),
    "arg1 arg2 arg3\nHello world from Python\n",
  );
  assert.equal((await logger.stop()).code, 0);
});

Deno.test("log_cmd_basic.ts logs into the book's Python logger", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startBookLogger(dir.path, port);
  for (
    const words of [["arg1", "arg2", "arg3"], ["213", "32456", "dsf", "234"], [
      "ünïcode",
      "✓",
    ]]
  ) {
    const out = await send(["--port", String(port), ...words], dir.path);
    assert.equal(out.code, 0, out.stderr);
  }
  assert.equal(
    await waitForLines(`${dir.path}/log.txt`, 3),
    "arg1 arg2 arg3\n213 32456 dsf 234\nünïcode ✓\n",
  );
  await logger.stop("SIGKILL");
  assert.equal(readText(`${dir.path}/log.txt`).split("\n").length, 4);
});

Deno.test("log_cmd_basic.ts waits for the book's Python logger when started first", async () => {
  using dir = tempDir();
  const port = freePort();
  await using sending = new Background(
    SENDER,
    ["--port", String(port), "waited", "for", "Python"],
    { cwd: dir.path },
  );
  await sending.waitForStderr(/waiting for the logger at localhost:\d+/);
  await using logger = await startBookLogger(dir.path, port);
  const out = await sending.finish();
  assert.equal(out.code, 0, out.stderr);
  assert.equal(
    await waitForLines(`${dir.path}/log.txt`, 1),
    "waited for Python\n",
  );
  await logger.stop("SIGKILL");
});
