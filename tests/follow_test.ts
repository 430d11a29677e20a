/**
 * `--show --follow` across logrotate, and `--show` over a log a crash left
 * NUL bytes in. The real logger and follower through their shebangs, real
 * senders on loopback, Debian's logrotate (.ci/run installs it) rotating
 * while lines arrive: the follower prints every line, once, in order,
 * whether logrotate moves the file (and the logger goes on writing to it
 * until its --reopen) or copies and truncates it.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  Background,
  freePort,
  LOGGER,
  LOGROTATE,
  pacedSeqs,
  PEERS,
  PYTHON,
  readText,
  ROOT,
  run,
  send,
  SENDER,
  startLogger,
  Streaming,
  tempDir,
  waitForLines,
} from "./helpers.ts";

/** The lines each test's steady sender sends, and how many a second. */
const COUNT = 600;
const PER_SECOND = 100;
/** Rotations while they arrive, one each time the log holds this many lines. */
const ROTATIONS = 3;
const LINES_PER_FILE = 120;

/** Fails, naming the Debian package, when logrotate is missing. */
function needLogrotate(): void {
  try {
    Deno.statSync(LOGROTATE);
  } catch {
    throw new Error(`${LOGROTATE} is missing: apt-get install logrotate`);
  }
}

/** A tests/peers/steady_sender.py sending COUNT messages "NAME SEQ" at PER_SECOND. */
function steadySender(port: number, name = "p"): Background {
  return new Background(PYTHON, [
    `${PEERS}steady_sender.py`,
    String(port),
    name,
    String(COUNT),
    String(PER_SECOND),
  ]);
}

/** `text` with `from` replaced by `to`; `from` must be there once. */
function rewrite(text: string, from: string, to: string): string {
  assert.equal(text.split(from).length, 2, `${JSON.stringify(from)} not once`);
  return text.replace(from, to);
}

/** Writes a logrotate configuration where logrotate takes it (not writable by others). */
function writeConf(dir: string, conf: string): string {
  const path = `${dir}/logrotate.conf`;
  Deno.writeTextFileSync(path, conf, { mode: 0o644 });
  return path;
}

/**
 * deploy/zmq-logger.logrotate for `dir`/log.txt, as tests/deploy_test.ts
 * rewrites it: as this user, and the postrotate does what the unit's
 * ExecReload does, `logging_basic --reopen` in the log's directory.
 */
async function deployConf(dir: string): Promise<string> {
  const user = (await run("id", ["-un"])).stdout.trim();
  const group = (await run("id", ["-gn"])).stdout.trim();
  let conf = Deno.readTextFileSync(`${ROOT}deploy/zmq-logger.logrotate`);
  conf = rewrite(conf, "/var/log/zmq/log.txt {", `${dir}/log.txt {`);
  conf = rewrite(conf, "su zmqlog zmqlog", `su ${user} ${group}`);
  conf = rewrite(
    conf,
    "systemctl try-reload-or-restart zmq-logger",
    `cd '${dir}' && '${LOGGER}' --reopen`,
  );
  return writeConf(dir, conf);
}

/** Runs logrotate -f with `conf`; fails with what it said unless it worked. */
async function logrotate(dir: string, conf: string): Promise<string> {
  const out = await run(LOGROTATE, [
    "-f",
    "-s",
    `${dir}/logrotate.state`,
    conf,
  ], { cwd: dir });
  const output = out.stdout + out.stderr;
  assert.equal(out.code, 0, output);
  return output;
}

/**
 * Starts the logger in `dir`, a first line, a follower that has printed it,
 * and the steady sender; rotates the log ROTATIONS times with `rotate`, each
 * time the log holds LINES_PER_FILE lines, while the lines arrive; then a
 * last line. Returns what the follower printed and said.
 */
async function followRotations(
  dir: string,
  rotate: () => Promise<void>,
  follower: (dir: string) => Streaming,
): Promise<{ lines: string[]; stderr: string }> {
  const port = freePort();
  const log = `${dir}/log.txt`;
  await using logger = await startLogger(dir, port);
  assert.equal((await send(["--port", String(port), "first"])).code, 0);
  await waitForLines(log, 1);
  await using reader = follower(dir);
  await reader.waitFor("first");
  await using sender = steadySender(port);
  for (let rotation = 1; rotation <= ROTATIONS; rotation++) {
    await waitForLines(log, LINES_PER_FILE);
    await rotate();
  }
  const sent = await sender.finish();
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal((await send(["--port", String(port), "last"])).code, 0);
  await reader.waitFor("last", 15_000);
  const end = await reader.stop("SIGINT");
  assert.equal(end.code, 0, end.stderr);
  assert.equal((await logger.stop()).code, 0);
  return { lines: reader.lines, stderr: end.stderr };
}

/** `./logging_basic.ts --show --follow` in `dir`, through its shebang. */
function shebangFollower(dir: string): Streaming {
  return new Streaming(LOGGER, ["--show", "--follow"], { cwd: dir });
}

/** The steady sender's sequence numbers, 0 to COUNT - 1. */
const ALL = Array.from({ length: COUNT }, (_, i) => i);

Deno.test("--show --follow prints every line through three rotations by the real logrotate with deploy/'s configuration (moved, the logger writes the old file until its --reopen)", async () => {
  needLogrotate();
  using dir = tempDir();
  const conf = await deployConf(dir.path);
  const { lines, stderr } = await followRotations(dir.path, async () => {
    const output = await logrotate(dir.path, conf);
    assert.match(output, /^logging_basic: reopening \.\/log\.txt$/m);
  }, shebangFollower);
  assert.equal(stderr, "");
  // Each rotation came while lines arrived: every file has some of them.
  const files = ["log.txt.3.gz", "log.txt.2.gz", "log.txt.1", "log.txt"];
  for (const name of files) {
    assert.ok(Deno.statSync(`${dir.path}/${name}`).size > 0, name);
  }
  assert.deepEqual(pacedSeqs(lines.join("\n")), ALL);
  assert.deepEqual(lines, ["first", ...ALL.map((i) => `p ${i}`), "last"]);
});

Deno.test("--show --follow reads the moved file until the logger writes the new one: a line written to the old file after logrotate created the new one is printed, in order", async () => {
  needLogrotate();
  using dir = tempDir();
  const port = freePort();
  const log = `${dir.path}/log.txt`;
  // logrotate's "create" makes the new, empty file at once; the postrotate
  // is slow: a while later a line still reaches the old file, then the
  // logger reopens.
  const conf = writeConf(
    dir.path,
    `${log} {
    rotate 2
    create
    postrotate
        sleep 1
        cd '${dir.path}' && '${SENDER}' --port ${port} 'late, in the old file'
        cd '${dir.path}' && '${LOGGER}' --reopen
    endscript
}
`,
  );
  await using logger = await startLogger(dir.path, port);
  assert.equal((await send(["--port", String(port), "before"])).code, 0);
  await waitForLines(log, 1);
  await using follower = shebangFollower(dir.path);
  await follower.waitFor("before");
  const output = await logrotate(dir.path, conf);
  assert.match(output, /^logging_basic: reopening \.\/log\.txt$/m);
  assert.equal((await send(["--port", String(port), "after"])).code, 0);
  await follower.waitFor("after");
  const end = await follower.stop("SIGINT");
  assert.equal(end.code, 0, end.stderr);
  assert.equal(end.stderr, "");
  assert.equal((await logger.stop()).code, 0);
  assert.equal(readText(`${log}.1`), "before\nlate, in the old file\n");
  assert.equal(readText(log), "after\n");
  assert.deepEqual(follower.lines, [
    "before",
    "late, in the old file",
    "after",
  ]);
});

/** A logrotate configuration that copies the log and truncates it in place. */
function copytruncateConf(dir: string): string {
  return writeConf(
    dir,
    `${dir}/log.txt {
    rotate ${ROTATIONS}
    copytruncate
}
`,
  );
}

/**
 * `--show --follow` in `dir` as its shebang runs it, but also allowed to
 * read ./log.txt.1, where logrotate's copytruncate leaves the copy.
 */
function copyReadingFollower(dir: string): Streaming {
  const shebang = Deno.readTextFileSync(LOGGER).split("\n")[0];
  const [, command] = shebang.split("/usr/bin/env -S deno ");
  assert.ok(command, `not a deno shebang: ${shebang}`);
  const args = rewrite(
    command,
    "--allow-read=./log.txt,",
    "--allow-read=./log.txt,./log.txt.1,",
  ).split(" ");
  return new Streaming(
    Deno.execPath(),
    [...args, LOGGER, "--show", "--follow"],
    { cwd: dir },
  );
}

Deno.test("--show --follow prints every line that was in the log through three copytruncate rotations by the real logrotate, reading the copy for what it had not read yet", async () => {
  needLogrotate();
  using dir = tempDir();
  const conf = copytruncateConf(dir.path);
  const { lines, stderr } = await followRotations(dir.path, async () => {
    await logrotate(dir.path, conf);
  }, copyReadingFollower);
  assert.equal(stderr, "");
  const files = ["log.txt.3", "log.txt.2", "log.txt.1", "log.txt"];
  const inFiles = pacedSeqs(
    files.map((name) => readText(`${dir.path}/${name}`)).join(""),
  );
  // logrotate itself loses what is written between its copy and its
  // truncate; the follower may have read those before the truncate.
  const printed = pacedSeqs(lines.join("\n"));
  assert.deepEqual(printed, [...new Set(printed)].sort((a, b) => a - b));
  const missing = inFiles.filter((seq) => !printed.includes(seq));
  assert.deepEqual(missing, [], "lines in the files the follower missed");
  assert.equal(lines[0], "first");
  assert.equal(lines.at(-1), "last");
  assert.equal(lines.length, printed.length + 2);
});

Deno.test("--show --follow through its shebang, which may not read the copy copytruncate makes: says so at the truncation, with the command that may", async () => {
  needLogrotate();
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  Deno.writeTextFileSync(log, "before\n");
  const conf = copytruncateConf(dir.path);
  await using follower = shebangFollower(dir.path);
  await follower.waitFor("before");
  await logrotate(dir.path, conf);
  assert.equal(readText(log), "");
  Deno.writeTextFileSync(log, "after\n", { append: true });
  await follower.waitFor("after");
  const end = await follower.stop("SIGINT");
  assert.equal(end.code, 0, end.stderr);
  assert.deepEqual(follower.lines, ["before", "after"]);
  const said = end.stderr.split("\n");
  assert.equal(said.length, 2, end.stderr);
  assert.match(
    said[0],
    /^logging_basic: \.\/log\.txt was truncated in place \(logrotate's copytruncate\?\) after byte 7 was read: .* only in \.\/log\.txt\.1, which Deno may not read; to follow them too, start as: deno run .*--allow-read=\.\/log\.txt,\.\/log\.txt\.1 .*logging_basic\.ts --show --follow$/,
  );
});

/** What many file systems leave after a crash: blocks of NUL bytes. */
const NULS = new Uint8Array(4096);

/** Appends `bytes` to the file at `path`. */
function append(path: string, bytes: Uint8Array | string): void {
  Deno.writeFileSync(
    path,
    typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes,
    { append: true },
  );
}

Deno.test("--show skips a run of NUL bytes with one note on stderr, and a line cut short by it ends there", async () => {
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  append(log, "one\ntwo\n");
  append(log, NULS);
  append(log, "three\nhalf a li");
  append(log, NULS.subarray(0, 100));
  append(log, "four\n");
  const out = await run(LOGGER, ["--show"], { cwd: dir.path });
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, "one\ntwo\nthree\nhalf a li\nfour\n");
  assert.equal(
    out.stderr,
    "logging_basic: skipped 4096 NUL bytes at byte 8 of ./log.txt (a crash or power cut can leave them)\n" +
      "logging_basic: skipped 100 NUL bytes at byte 4119 of ./log.txt (a crash or power cut can leave them)\n",
  );
});

Deno.test("--show --follow over a log that ends in NUL bytes: a note, then the lines the restarted logger writes after it cut them away, each once", async () => {
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  append(log, "one\ntwo\n");
  append(log, NULS);
  await using follower = shebangFollower(dir.path);
  await follower.waitFor("two");
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  assert.equal((await send(["--port", String(port), "three"])).code, 0);
  await follower.waitFor("three");
  const end = await follower.stop("SIGINT");
  assert.equal(end.code, 0, end.stderr);
  assert.equal((await logger.stop()).code, 0);
  assert.equal(
    end.stderr,
    "logging_basic: skipped 4096 NUL bytes at byte 8 of ./log.txt (a crash or power cut can leave them)\n",
  );
  // What the log holds now, NUL bytes cut away (and a notice, if the logger
  // writes one), each line once.
  const text = readText(log);
  assert.ok(!text.includes("\0"), JSON.stringify(text));
  assert.deepEqual(follower.lines, text.trimEnd().split("\n"));
});
