/**
 * What the logger does with what it finds at its control socket's path
 * (`./log.txt.ctl`, which --status, --set-level and --reopen talk to), through
 * the real scripts: a socket left behind is taken over; a listener that does
 * not speak ZeroMQ stops the start in one line. Another user's socket there is
 * in tests/files_test.ts, which makes local users.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  Background,
  freePort,
  LOGGER,
  PYTHON,
  run,
  send,
  startLogger,
  tempDir,
  waitForLines,
} from "./helpers.ts";

/** A plain Unix socket at the path given: it takes connections, says nothing. */
const LISTENER = `
import socket, sys
listener = socket.socket(socket.AF_UNIX)
listener.bind(sys.argv[1])
listener.listen(8)
print("listening", flush=True)
held = []
while True:
    held.append(listener.accept())
`;

/** A Unix socket made at the path given, then closed, its file left. */
const LEFT_BEHIND = `
import socket, sys
listener = socket.socket(socket.AF_UNIX)
listener.bind(sys.argv[1])
listener.listen(1)
listener.close()
`;

/** The logger's line when something that is not ZeroMQ listens at ./log.txt.ctl. */
const FOREIGN =
  "logging_basic: Cannot log to ./log.txt: something that is not a ZeroMQ socket listens at ./log.txt.ctl, where its control socket (for --status, --set-level and --reopen) belongs: stop what listens there and remove it, or give --file another path\n";

Deno.test("a listener that does not speak ZeroMQ at log.txt.ctl: the logger refuses to start in one line, exit 1, and --reopen says what listens there", async () => {
  using dir = tempDir();
  const control = `${dir.path}/log.txt.ctl`;
  await using listener = new Background(PYTHON, ["-c", LISTENER, control]);
  await listener.waitForStdout("listening\n");
  const port = freePort();
  await using logger = new Background(LOGGER, ["--port", String(port)], {
    cwd: dir.path,
  });
  const out = await logger.finish(10_000);
  assert.equal(out.code, 1, out.stderr);
  assert.equal(out.stderr, FOREIGN);
  assert.equal(out.stdout, "");
  assert.throws(() => Deno.lstatSync(`${dir.path}/log.txt`), "no log left");
  const reopen = await run(LOGGER, ["--reopen"], { cwd: dir.path });
  assert.equal(reopen.code, 1);
  assert.equal(
    reopen.stderr,
    "logging_basic: No logger is running for ./log.txt: what listens at ./log.txt.ctl does not speak ZeroMQ, so it is no logger; nothing was sent\n",
  );
  assert.ok(Deno.lstatSync(control).isSocket, "the listener's socket is kept");
});

Deno.test("a socket left behind at log.txt.ctl, where nothing listens, is taken over: the logger starts and answers --reopen", async () => {
  using dir = tempDir();
  const control = `${dir.path}/log.txt.ctl`;
  // A socket closed without removing its file, as a killed logger leaves it.
  const made = await run(PYTHON, ["-c", LEFT_BEHIND, control]);
  assert.equal(made.code, 0, made.stderr);
  assert.ok(Deno.lstatSync(control).isSocket, "left behind");
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  assert.equal((await send(["--port", String(port), "hello"])).code, 0);
  assert.equal(await waitForLines(`${dir.path}/log.txt`, 1), "hello\n");
  const reopen = await run(LOGGER, ["--reopen"], { cwd: dir.path });
  assert.equal(reopen.code, 0, reopen.stderr);
  assert.equal(reopen.stdout, "logging_basic: reopening ./log.txt\n");
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
});
