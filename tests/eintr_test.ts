/**
 * Interrupted system calls: a signal that lands while libzmq is inside a
 * system call makes that call fail with EINTR, and libzmq hands that on.
 * Waiting for signals to land at the right moment is luck; strace's fault
 * injection makes every third poll() fail with EINTR, so the libzmq calls
 * that poll (bind, connect, send and receive all do, to read their commands)
 * meet them, every run. Before every call was retried, the logger failed to
 * start here every time ("Cannot listen on ...: Interrupted system call").
 */

import assert from "node:assert/strict";
import {
  Background,
  freePort,
  LOGGER,
  readText,
  run,
  SENDER,
  tempDir,
  waitForLines,
  waitForPort,
} from "./helpers.ts";

/** `deno run ARGS` under strace, with every third poll() failing with EINTR. */
function interrupted(cwd: string, permissions: string[], args: string[]) {
  return new Background("strace", [
    "-f",
    "-o",
    "/dev/null",
    "-e",
    "trace=poll",
    "-e",
    "inject=poll:error=EINTR:when=2+3",
    "deno",
    "run",
    "-q",
    "--no-prompt",
    ...permissions,
    ...args,
  ], { cwd });
}

Deno.test("with libzmq's system calls interrupted (EINTR), the logger starts, logs, answers --status and stops", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = interrupted(dir.path, [
    "-P=logging_basic",
    "--allow-write=./log.txt",
    "--allow-read=./log.txt",
  ], [LOGGER, "--port", String(port)]);
  await waitForPort(port).catch(async (err) => {
    throw new Error(`${err.message}: ${(await logger.stop()).stderr}`);
  });
  const sent = await run(SENDER, ["--port", String(port), "hello", "EINTR"]);
  assert.equal(sent.code, 0, sent.stderr);
  await waitForLines(`${dir.path}/log.txt`, 1);
  const status = await run(LOGGER, ["--status"], { cwd: dir.path });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /1 message logged/);
  // Stop the logger itself: strace does not pass SIGTERM on.
  const pid = (await run("pgrep", ["-P", String(logger.pid)])).stdout.trim();
  Deno.kill(Number(pid), "SIGTERM");
  const end = await logger.finish();
  assert.equal(end.code, 0, end.stderr);
  assert.match(end.stderr, /stopped; 1 message logged/);
  assert.equal(readText(`${dir.path}/log.txt`), "hello EINTR\n");
});

Deno.test("with libzmq's system calls interrupted (EINTR), the sender connects and delivers", async () => {
  using dir = tempDir();
  const port = freePort();
  await using _logger = new Background(LOGGER, ["--port", String(port)], {
    cwd: dir.path,
  });
  await waitForPort(port);
  for (
    const words of [["one", "shot"], ["--level", "warn", "with", "header"]]
  ) {
    const sender = interrupted(dir.path, ["-P=log_cmd_basic"], [
      SENDER,
      "--port",
      String(port),
      "--timeout",
      "10",
      ...words,
    ]);
    const out = await sender.finish();
    assert.equal(out.code, 0, out.stderr);
  }
  const text = await waitForLines(`${dir.path}/log.txt`, 2);
  assert.match(text, /^one shot\n<warn> - \S+ log_cmd_basic: with header\n$/);
});
