/**
 * The ARM proof (`deno task test:arm64`, also run by CI): the scripts run by
 * the aarch64 Deno from npm under qemu-user, loading the real arm64 libzmq
 * from npm:zeromq, with x86_64 peers on the other end. The task first runs
 * scripts/arm64.sh, which fetches @deno/linux-arm64-glibc into .tools/arm64/
 * and names the Debian packages it needs (qemu-user, libc6-arm64-cross,
 * libstdc++6-arm64-cross) when they are missing; .ci/run installs those.
 */

import assert from "node:assert/strict";
import {
  Background,
  freePort,
  LOGGER,
  PEERS,
  PYTHON,
  readText,
  ROOT,
  run,
  send,
  SENDER,
  startLogger,
  tempDir,
  waitForLines,
  waitForPort,
} from "./helpers.ts";

const ARM_DENO = `${ROOT}.tools/arm64/package/deno`;
const SYSROOT = "/usr/aarch64-linux-gnu";

/** `deno run ...` by the aarch64 Deno, under emulation. */
function arm64Deno(args: string[]): [string, string[]] {
  try {
    Deno.statSync(ARM_DENO);
    Deno.statSync(`${SYSROOT}/lib/ld-linux-aarch64.so.1`);
  } catch {
    throw new Error(
      `no aarch64 Deno at ${ARM_DENO} or no ${SYSROOT}: run it as deno task test:arm64, which fetches the one and names the packages for the other`,
    );
  }
  return ["qemu-aarch64", ["-L", SYSROOT, ARM_DENO, "run", ...args]];
}

Deno.test("arm64: the logger runs on aarch64 and logs x86_64 senders, ours and the book's Python", async () => {
  using dir = tempDir();
  const port = freePort();
  const [qemu, args] = arm64Deno([
    "-q",
    "--no-prompt",
    "-P=logging_basic",
    "--allow-write=./log.txt",
    "--allow-read=./log.txt",
    LOGGER,
    "--port",
    String(port),
  ]);
  await using logger = new Background(qemu, args, { cwd: dir.path });
  await waitForPort(port, 120_000); // start-up under emulation takes seconds
  const { stdout: arch } = await run("file", ["-L", ARM_DENO]);
  assert.match(arch, /ARM aarch64/);
  for (
    const words of [["arg1", "arg2", "arg3"], ["213", "32456", "dsf", "234"]]
  ) {
    const out = await send([
      "--port",
      String(port),
      "--timeout",
      "60",
      ...words,
    ]);
    assert.equal(out.code, 0, out.stderr);
  }
  const python = await run(
    PYTHON,
    [`${PEERS}book_sender.py`, "from", "python"],
    {
      env: { PORT: String(port) },
    },
  );
  assert.equal(python.code, 0, python.stderr);
  const bulk = await run(PYTHON, [
    `${PEERS}bulk_sender.py`,
    String(port),
    "bulk",
    "5000",
  ]);
  assert.equal(bulk.code, 0, bulk.stderr);
  const text = await waitForLines(`${dir.path}/log.txt`, 5003, 60_000);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  const lines = text.split("\n");
  assert.deepEqual(lines.slice(0, 3), [
    "arg1 arg2 arg3",
    "213 32456 dsf 234",
    "from python",
  ]);
  assert.deepEqual(
    lines.slice(3, -1),
    Array.from({ length: 5000 }, (_, i) => `bulk ${i}`),
  );
  assert.equal(
    end.stderr,
    "logging_basic: stopped; 5003 messages logged to ./log.txt\n",
  );
});

Deno.test("arm64: the sender runs on aarch64 and delivers to an x86_64 logger", async () => {
  using dir = tempDir();
  const port = freePort();
  const [qemu, args] = arm64Deno([
    "-q",
    "--no-prompt",
    "-P=log_cmd_basic",
    SENDER,
    "--port",
    String(port),
    "-l",
    "warn",
    "-t",
    "pi",
    "--hostname",
    "arm64",
    "Hello",
    "from",
    "a",
    "remote",
    "system",
  ]);
  // Started before the logger, as in the book.
  await using sender = new Background(qemu, args, { cwd: dir.path });
  await using logger = await startLogger(dir.path, port);
  const sent = await sender.finish();
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal(
    await waitForLines(`${dir.path}/log.txt`, 1, 30_000),
    "<warn> - arm64 pi: Hello from a remote system\n",
  );
  await logger.stop();
  assert.equal(readText(`${dir.path}/log.txt`).split("\n").length, 2);
});
