/**
 * `--reopen`: the logrotate recipe that reaches one logger only. The real
 * scripts through their shebangs, real ZeroMQ on loopback, and Debian's
 * logrotate where it is installed (.ci/run installs it); without it the
 * move is done by hand, as logrotate does it. Also: `--show --follow` lives
 * through SIGHUP, which `pkill -HUP -f logging_basic.ts` used to send it.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  freePort,
  LOGGER,
  LOGROTATE,
  pacedSender,
  pacedSeqs,
  readText,
  run,
  send,
  startLogger,
  Streaming,
  tempDir,
  waitFor,
  waitForLines,
} from "./helpers.ts";

/** Whether Debian's logrotate is installed. */
function haveLogrotate(): boolean {
  try {
    return Deno.statSync(LOGROTATE).isFile;
  } catch {
    return false;
  }
}

/**
 * Rotates `dir`/log.txt to log.txt.1 as the README's recipe does: with
 * logrotate and a postrotate of `cd DIR && ./logging_basic.ts --reopen`, or,
 * without logrotate, the same move and the same command. Returns what the
 * postrotate printed and logrotate's exit status.
 */
async function rotate(dir: string): Promise<{ code: number; output: string }> {
  if (!haveLogrotate()) {
    Deno.renameSync(`${dir}/log.txt`, `${dir}/log.txt.1`);
    const out = await run(LOGGER, ["--reopen"], { cwd: dir });
    return { code: out.code, output: out.stdout + out.stderr };
  }
  const conf = `${dir}/logrotate.conf`;
  Deno.writeTextFileSync(
    conf,
    `${dir}/log.txt {
    rotate 2
    missingok
    postrotate
        cd '${dir}' && '${LOGGER}' --reopen
    endscript
}
`,
    { mode: 0o644 },
  );
  const out = await run(LOGROTATE, [
    "-f",
    "-s",
    `${dir}/logrotate.state`,
    conf,
  ], { cwd: dir });
  return { code: out.code, output: out.stdout + out.stderr };
}

Deno.test("logrotate with a postrotate of --reopen: the logger writes to a new file at the path, every message in exactly one of the two files", async () => {
  using dir = tempDir();
  const port = freePort();
  const log = `${dir.path}/log.txt`;
  await using logger = await startLogger(dir.path, port);
  assert.equal(
    (await send(["--port", String(port), "before rotation"])).code,
    0,
  );
  await waitForLines(log, 1);
  // A reader following the log, as a newcomer would have one open.
  await using follower = new Streaming(LOGGER, ["--show", "--follow"], {
    cwd: dir.path,
  });
  await follower.waitFor("before rotation");
  // Messages keep arriving while the file is rotated.
  const count = 3000;
  await using paced = pacedSender(port, count);
  await waitForLines(log, 300);
  const rotated = await rotate(dir.path);
  assert.equal(rotated.code, 0, rotated.output);
  assert.match(rotated.output, /^logging_basic: reopening \.\/log\.txt$/m);
  assert.equal(
    (await send(["--port", String(port), "after rotation"])).code,
    0,
  );
  const sent = await paced.finish();
  assert.equal(sent.code, 0, sent.stderr);
  // Every message is in one file or the other.
  let old = "", fresh = "", total = 0;
  await waitFor(() => {
    old = readText(`${log}.1`);
    fresh = readText(log);
    total = (old + fresh).split("\n").length - 1;
    return total >= count + 2;
  }, () => `${count + 2} lines in log.txt.1 and log.txt; only ${total}`);
  await follower.waitFor("after rotation");
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.equal(
    end.stderr,
    `logging_basic: stopped; ${count + 2} messages logged to ./log.txt\n`,
  );
  assert.ok(old.startsWith("before rotation\n"), old.slice(0, 80));
  assert.ok(
    !old.includes("after rotation"),
    "after rotation went to the old file",
  );
  assert.equal(
    fresh.split("\n").filter((l) => l === "after rotation").length,
    1,
  );
  // The paced sender's messages: the first ones in the old file (including
  // those that came between the move and the reopen), the rest in the new
  // one, each exactly once and in order.
  const inOld = pacedSeqs(old);
  const inNew = pacedSeqs(fresh);
  assert.ok(inOld.length >= 300, `old file has ${inOld.length} paced lines`);
  assert.ok(inNew.length > 0, "no paced line reached the new file");
  assert.deepEqual(
    [...inOld, ...inNew],
    Array.from({ length: count }, (_, i) => i),
  );
  assert.equal(
    (old + fresh).split("\n").length - 1,
    count + 2,
    "a line that is not a message",
  );
});

Deno.test("--reopen with no logger running: one line on stderr, exit 1", async () => {
  using dir = tempDir();
  const out = await run(LOGGER, ["--reopen"], { cwd: dir.path });
  assert.equal(out.code, 1, out.stderr);
  assert.equal(out.stdout, "");
  assert.equal(
    out.stderr,
    "logging_basic: No logger is running for ./log.txt: nothing answers at ./log.txt.ctl\n",
  );
  assert.equal(readText(`${dir.path}/log.txt`), "", "--reopen made a log file");
});

Deno.test("--show --follow keeps running through SIGHUP and prints the lines that come after", async () => {
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  Deno.writeTextFileSync(log, "first\n");
  await using follower = new Streaming(LOGGER, ["--show", "--follow"], {
    cwd: dir.path,
  });
  await follower.waitFor("first");
  // Had SIGHUP ended it, it would print nothing more and its exit status
  // would say so.
  follower.signal("SIGHUP");
  Deno.writeTextFileSync(log, "after the hangup\n", { append: true });
  await follower.waitFor("after the hangup");
  // A second one, and a rotation after it, as logrotate with the old recipe did.
  follower.signal("SIGHUP");
  Deno.renameSync(log, `${log}.1`);
  Deno.writeTextFileSync(log, "in the new file\n");
  await follower.waitFor("in the new file");
  const end = await follower.stop("SIGINT");
  assert.equal(end.code, 0, end.stderr);
  assert.equal(end.stderr, "");
  assert.deepEqual(follower.lines, [
    "first",
    "after the hangup",
    "in the new file",
  ]);
});
