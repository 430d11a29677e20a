/**
 * `--forward`'s place in the log after a crash or a power cut, with
 * Debian's real rsyslogd over RELP: the place file is synced to disk each
 * time it is saved (strace), a place file a power cut left unreadable
 * starts from the start of the log (nothing logged is left unsent), a log
 * cut below the saved place starts again at its last line (not at the
 * start), and a run of NUL bytes in the log is passed over and said once.
 */

import assert from "node:assert/strict";
import {
  Background,
  freePort,
  LOGGER,
  readText,
  run,
  send,
  tempDir,
  waitFor,
  waitForPort,
} from "./helpers.ts";
import {
  burstSender,
  forwardingFlags,
  Rsyslog,
  seqs,
  startForwarding,
  waitForForwarded,
} from "./forward_helpers.ts";

/** A forwarding logger over RELP to `rsyslog`, in `dir`, listening on `port`. */
function forwardTo(dir: string, rsyslog: Rsyslog, port: number) {
  return startForwarding(dir, [rsyslog.relpPort], port, [
    "--forward",
    `relp://127.0.0.1:${rsyslog.relpPort}`,
  ]);
}

/** Sends NAME 0 .. NAME COUNT-1 and waits for the sender's end. */
async function sendSeqs(port: number, count: number, name: string) {
  assert.equal((await burstSender(port, count, name).finish()).code, 0);
}

/**
 * strace's lines (`strace -f`: "PID call(...) = RESULT"), with each call
 * that another thread's call cut in two ("PID call(... <unfinished ...>",
 * later "PID <... call resumed>...) = RESULT") joined into one line.
 */
function straceCalls(trace: string): string[] {
  const unfinished = new Map<string, string>();
  const calls: string[] = [];
  for (const line of trace.split("\n")) {
    const cut = /^(\d+) (.*) <unfinished \.\.\.>$/.exec(line);
    const resumed = /^(\d+) <\.\.\. \w+ resumed>(.*)$/.exec(line);
    if (cut) {
      unfinished.set(cut[1], cut[2]);
    } else if (resumed) {
      calls.push(`${resumed[1]} ${unfinished.get(resumed[1])}${resumed[2]}`);
      unfinished.delete(resumed[1]);
    } else {
      calls.push(line);
    }
  }
  return calls;
}

/**
 * How often strace's `trace` shows the place file synced. Deno syncs and
 * writes a file on a copy of its descriptor (F_DUPFD), so copies are
 * followed; a number taken again is the file it was last given to.
 */
function placeSyncs(trace: string): number {
  const place = new Set<string>();
  let syncs = 0;
  for (const line of straceCalls(trace)) {
    const opened =
      /(?:openat\(AT_FDCWD, "([^"]+)"|fcntl\((\d+), F_DUPFD(?:_CLOEXEC)?, \d+\)|dup[23]?\((\d+)[^)]*\)).* = (\d+)$/
        .exec(line);
    if (opened) {
      const [, path, from, dupOf, fd] = opened;
      const isPlace = path?.endsWith("/log.txt.forward") ||
        place.has(from ?? dupOf ?? "");
      if (isPlace) place.add(fd);
      else place.delete(fd);
    }
    const synced = /(?:fsync|fdatasync)\((\d+)\) += 0$/.exec(line);
    if (synced && place.has(synced[1])) syncs++;
  }
  return syncs;
}

Deno.test("--forward syncs its place file to disk each time it saves it (strace: fsync of LOG.forward)", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  const port = freePort();
  const trace = `${dir.path}/trace`;
  await using logger = new Background("strace", [
    "-f",
    "-qq",
    "-o",
    trace,
    "-e",
    "trace=openat,fsync,fdatasync,dup,dup2,dup3,fcntl",
    "deno",
    "run",
    ...forwardingFlags([rsyslog.relpPort]),
    LOGGER,
    "--port",
    String(port),
    "--forward",
    `relp://127.0.0.1:${rsyslog.relpPort}`,
  ], { cwd: dir.path });
  await waitForPort(port);
  const pid = Number(
    (await run("pgrep", ["-P", String(logger.pid)])).stdout.trim(),
  );
  assert.ok(pid > 0, "strace's child, the logger");
  // A test that fails before the logger's stop kills strace, which leaves
  // the logger running with strace's output open: it is killed first.
  let tracedRuns = true;
  using _killTraced = {
    [Symbol.dispose]: () => {
      try {
        if (tracedRuns) Deno.kill(pid, "SIGKILL");
      } catch {
        // Ended already.
      }
    },
  };
  // Synced at start (before the logger listens), then for each line taken.
  let syncs = placeSyncs(readText(trace));
  assert.ok(syncs >= 1, "the place file was not synced at start");
  for (const [n, text] of ["one", "two"].entries()) {
    const sent = await send(["--port", String(port), text], dir.path);
    assert.equal(sent.code, 0, sent.stderr);
    await waitForForwarded(rsyslog, n + 1);
    const before = syncs;
    syncs = await waitFor(
      () => {
        const now = placeSyncs(readText(trace));
        return now > before && now;
      },
      `a sync of the place file after "${text}" was taken; strace saw ${before}`,
      5000,
      50,
    );
  }
  Deno.kill(pid, "SIGTERM");
  const end = await logger.finish();
  tracedRuns = false;
  assert.equal(end.code, 0, end.stderr);
  // ... and at the stop.
  assert.ok(
    placeSyncs(readText(trace)) > syncs,
    `${placeSyncs(readText(trace))} syncs of the place file`,
  );
});

Deno.test("--forward after a power cut left its place file unreadable (zeros) starts from the start of the log: the lines rsyslog had not taken are sent", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  const port = freePort();
  let logger = await forwardTo(dir.path, rsyslog, port);
  await sendSeqs(port, 10, "a");
  await waitForForwarded(rsyslog, 10);
  await rsyslog.stop();
  await sendSeqs(port, 1000, "z"); // logged, not yet forwarded
  assert.equal((await logger.stop()).code, 0);
  const place = `${dir.path}/log.txt.forward`;
  Deno.writeFileSync(place, new Uint8Array(Deno.statSync(place).size));
  await rsyslog.start();
  logger = await forwardTo(dir.path, rsyslog, port);
  await waitForForwarded(rsyslog, 1010);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.match(
    end.stderr,
    /^logging_basic: forwarding to relp:\/\/\S+ \(syslog\), from the start of \.\/log\.txt: its saved place cannot be read \(lines already forwarded come again\)\n/,
  );
  assert.equal(seqs(rsyslog.lines(), "z").size, 1000);
});

Deno.test("--forward after a power cut cut the log below its saved place starts again at the log's last line: only that line comes twice", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  const port = freePort();
  let logger = await forwardTo(dir.path, rsyslog, port);
  await sendSeqs(port, 200, "m");
  await waitForForwarded(rsyslog, 200);
  assert.equal((await logger.stop()).code, 0);
  // The disk had the log up to line m 149 when the power went.
  const log = `${dir.path}/log.txt`;
  const kept = readText(log).indexOf("m 150\n");
  Deno.truncateSync(log, kept);
  logger = await forwardTo(dir.path, rsyslog, port);
  await sendSeqs(port, 1, "after");
  // "after 0" is the log's last line: once it is there, all before it is.
  await waitFor(
    () => rsyslog.lines().at(-1)?.endsWith(" after 0"),
    () => `"after 0" as rsyslog's last line; it has ${rsyslog.lines().length}`,
  );
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  const texts = rsyslog.lines().map((line) =>
    line.split(" ").slice(-2).join(" ")
  );
  assert.deepEqual(texts.slice(200), ["m 149", "after 0"]);
  assert.match(
    end.stderr,
    new RegExp(
      `^logging_basic: forwarding to relp://\\S+ \\(syslog\\), from the start of its last line: \\./log\\.txt is ${kept} bytes, shorter than where forwarding stopped \\(\\d+\\), so it was cut; 6 bytes are sent again\\n`,
    ),
  );
});

Deno.test("--forward passes over a run of NUL bytes in the log (what a crash leaves), says so once, and sends the next line whole", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  const port = freePort();
  const logger = await forwardTo(dir.path, rsyslog, port);
  assert.equal(
    (await send(["--port", String(port), "before"], dir.path)).code,
    0,
  );
  await waitForForwarded(rsyslog, 1);
  const log = `${dir.path}/log.txt`;
  const size = Deno.statSync(log).size;
  Deno.writeFileSync(log, new Uint8Array(4096), { append: true });
  assert.equal(
    (await send(["--port", String(port), "after"], dir.path)).code,
    0,
  );
  await waitForForwarded(rsyslog, 2);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.deepEqual(rsyslog.lines().map((line) => line.split(" ").at(-1)), [
    "before",
    "after",
  ]);
  const notes = end.stderr.split("\n").filter((line) => line.includes("NUL"));
  assert.deepEqual(notes, [
    `logging_basic: passed over 4096 NUL bytes in ./log.txt, before offset ${
      size + 4096
    } (what a crash leaves in a file); they are not forwarded`,
  ]);
});
