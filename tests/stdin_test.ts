/**
 * Integration tests: a `./log_cmd_basic.ts --stdin` sender, fed through a
 * pipe, whose real logger is killed (SIGKILL) mid-stream: it says it waits,
 * gives up after --timeout, and on SIGTERM says what may be lost.
 */

import assert from "node:assert/strict";
import {
  type Background,
  freePort,
  readText,
  SENDER,
  startLogger,
  tempDir,
  waitFor,
  waitForLines,
} from "./helpers.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Lines the logger takes before it is killed, and lines sent after. */
const BEFORE = 100;
const AFTER = 5;

/** `count` numbered lines, `name 1` to `name COUNT`. */
function numbered(name: string, count: number): string {
  return Array.from({ length: count }, (_, i) => `${name} ${i + 1}\n`).join(
    "",
  );
}

/** A `--stdin` sender whose standard input stays open, and its stderr as it comes. */
function stdinSender(args: string[]) {
  const child = new Deno.Command(SENDER, {
    args: ["--stdin", ...args],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  let stderr = "";
  const reading = (async () => {
    for await (const chunk of child.stderr) {
      stderr += decoder.decode(chunk, { stream: true });
    }
  })();
  return {
    child,
    write: (text: string) => writer.write(encoder.encode(text)),
    endInput: () => writer.close(),
    stderr: () => stderr,
    /** Waits for stderr to hold `text`; fails with what it holds. */
    async waitFor(text: string): Promise<void> {
      await waitFor(
        () => stderr.includes(text),
        () =>
          `${JSON.stringify(text)} on stderr; it holds ${
            JSON.stringify(stderr)
          }`,
      );
    },
    /** Waits for the sender to end; fails if it still runs after 15 s. */
    async ended(): Promise<Deno.CommandStatus> {
      let ended: Deno.CommandStatus | undefined;
      child.status.then((status) => ended = status);
      await waitFor(
        () => ended !== undefined,
        () => `the sender to end; its stderr: ${JSON.stringify(stderr)}`,
      );
      await reading;
      return ended!;
    },
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await writer.close().catch(() => {});
      await child.status;
      await reading;
    },
  };
}

/**
 * A logger in `dir` takes BEFORE lines from a `--stdin` sender and is then
 * killed (SIGKILL); AFTER more lines are sent to where it was. `killedAt` is
 * when it was killed.
 */
async function loggerKilledMidStream(
  dir: string,
  port: number,
  args: string[] = [],
): Promise<ReturnType<typeof stdinSender> & { killedAt: number }> {
  const logger: Background = await startLogger(dir, port);
  const sender = stdinSender(["-p", String(port), ...args]);
  try {
    await sender.write(numbered("before", BEFORE));
    await waitForLines(`${dir}/log.txt`, BEFORE);
    const killedAt = Date.now();
    await logger.stop("SIGKILL");
    await sender.write(numbered("after", AFTER));
    return Object.assign(sender, { killedAt });
  } catch (err) {
    await sender[Symbol.asyncDispose]();
    await logger.stop("SIGKILL");
    throw err;
  }
}

/** What --stdin says once a logger it had stops answering. */
function stalledNotice(port: number, limit: string): string {
  return `log_cmd_basic: waiting for the logger at localhost:${port}, which stopped answering; ${
    BEFORE + AFTER
  } lines sent, the rest wait (${limit})\n`;
}

Deno.test("--stdin says once that the logger it had stopped answering, and delivers again when it is back", async () => {
  using dir = tempDir();
  const port = freePort();
  await using sender = await loggerKilledMidStream(dir.path, port);
  const notice = stalledNotice(port, "Ctrl-C to give up");
  await sender.waitFor(notice);
  assert.equal(sender.stderr(), notice, "said once, and nothing else");
  // The logger comes back: what is sent now reaches it, and nothing more is said.
  await using logger = await startLogger(dir.path, port);
  await sender.write("back again\n");
  const log = `${dir.path}/log.txt`;
  await waitFor(
    () => readText(log).includes("back again\n"),
    () => `"back again" in ${log}; it holds ${readText(log).slice(-200)}`,
  );
  await sender.endInput();
  const status = await sender.ended();
  assert.equal(status.code, 0, sender.stderr());
  assert.equal(sender.stderr(), notice, "said once, and nothing else");
  await logger.stop();
});

Deno.test("--stdin stopped by SIGTERM while its logger is gone says what may be lost in one line, exit 143", async () => {
  using dir = tempDir();
  const port = freePort();
  await using sender = await loggerKilledMidStream(dir.path, port);
  const notice = stalledNotice(port, "Ctrl-C to give up");
  await sender.waitFor(notice); // by now every line was read
  sender.child.kill("SIGTERM");
  const status = await sender.ended();
  assert.equal(status.code, 143);
  assert.equal(
    status.signal,
    null,
    "it handled SIGTERM instead of dying of it",
  );
  const read = BEFORE + AFTER;
  assert.equal(
    sender.stderr(),
    notice +
      `log_cmd_basic: stopped by SIGTERM: ${read} lines read, up to ${read} not delivered (ZeroMQ cannot tell how many the logger at localhost:${port} received)\n`,
  );
});

Deno.test("--stdin with --timeout gives up on a logger that stopped answering, says what was not delivered, exit 1", async () => {
  using dir = tempDir();
  const port = freePort();
  await using sender = await loggerKilledMidStream(dir.path, port, [
    "--timeout",
    "1",
  ]);
  const status = await sender.ended();
  const waited = Date.now() - sender.killedAt;
  assert.equal(status.code, 1, sender.stderr());
  assert.equal(
    sender.stderr(),
    `log_cmd_basic: no answer from the logger at localhost:${port} for 1 s; up to ${
      BEFORE + AFTER
    } lines were not delivered\n`,
  );
  // A look at the logger that began just before the kill may count from then.
  assert.ok(waited >= 950, `gave up ${waited} ms after the logger was killed`);
});
