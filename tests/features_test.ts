/**
 * What chapter 2 says the code still needs, through the real scripts and
 * real sockets: timestamps, levels, the wire format, dynamic levels,
 * filtering where logs are stored and where they are read, JSON Lines,
 * --stdin, and the long-lived LogSender for Deno programs.
 */

import assert from "node:assert/strict";
import {
  Background,
  Conversation,
  freePort,
  LOGGER,
  PEERS,
  PYTHON,
  readText,
  ROOT,
  run,
  send,
  SENDER,
  startBookLogger,
  startLogger,
  Streaming,
  tempDir,
  waitFor,
  waitForLines,
  waitForNoConnectionTo,
  waitForSize,
} from "./helpers.ts";

const RFC3339_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Runs the sender with `stdin` piped in. */
async function sendStdin(args: string[], input: string | Uint8Array) {
  await using child = new Deno.Command(SENDER, {
    args: ["--stdin", ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(
    typeof input === "string" ? new TextEncoder().encode(input) : input,
  );
  await writer.close();
  const out = await child.output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("logger --timestamps starts each line with the arrival time, RFC 3339 UTC with ms", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port, ["--timestamps"]);
  const before = Date.now();
  assert.equal((await send(["-p", String(port), "arg1", "arg2"])).code, 0);
  const text = await waitForLines(`${dir.path}/log.txt`, 1);
  await logger.stop();
  const [time, rest] = [text.slice(0, 24), text.slice(24)];
  assert.match(time, RFC3339_MS);
  assert.equal(rest, " arg1 arg2\n");
  const at = Date.parse(time);
  assert.ok(at >= before - 5 && at <= Date.now(), `${time} is when it arrived`);
});

Deno.test("sender -T stamps its own clock; with logger --timestamps both clocks are on the line", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port, ["--timestamps"]);
  const out = await send(
    [
      "-p",
      String(port),
      "-T",
      "--hostname",
      "pi3",
      "-t",
      "sensor",
      "-l",
      "WARNING",
      "hot",
      "in",
      "here",
    ],
  );
  assert.equal(out.code, 0, out.stderr);
  const line = (await waitForLines(`${dir.path}/log.txt`, 1)).trimEnd();
  await logger.stop();
  const match = /^(\S+) <warn> (\S+) pi3 sensor: hot in here$/.exec(line);
  assert.ok(match, line);
  assert.match(match[1], RFC3339_MS);
  assert.match(match[2], RFC3339_MS);
  // Same machine: the sender's clock reads no later than the logger's.
  assert.ok(Date.parse(match[2]) <= Date.parse(match[1]));
});

Deno.test("sender with options lands as one readable line in the book's own Python logger", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startBookLogger(dir.path, port);
  const out = await send(
    [
      "-p",
      String(port),
      "-l",
      "crit",
      "-t",
      "backup",
      "--hostname",
      "nas",
      "disk",
      "failed",
    ],
  );
  assert.equal(out.code, 0, out.stderr);
  const lines = await sendStdin(
    ["-p", String(port), "-l", "err"],
    "first\nsecond\n",
  );
  assert.equal(lines.code, 0, lines.stderr);
  const text = await waitForLines(`${dir.path}/log.txt`, 3);
  await logger.stop("SIGKILL");
  const hostname = Deno.hostname();
  assert.equal(
    text,
    "<critical> - nas backup: disk failed\n" +
      `<error> - ${hostname} log_cmd_basic: first\n` +
      `<error> - ${hostname} log_cmd_basic: second\n`,
  );
});

Deno.test("logger --level warn drops lower levels, counts plain messages as info, and says how many it dropped", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port, ["--level", "warn"]);
  for (
    const level of [
      "debug",
      "info",
      "warn",
      "error",
      "critical",
      "warning",
      "err",
    ]
  ) {
    assert.equal(
      (await send([
        "-p",
        String(port),
        "-l",
        level,
        "--hostname",
        "h",
        `at ${level}`,
      ])).code,
      0,
    );
  }
  // A plain ZeroMQ peer with no level: info, so dropped here.
  const plain = await run(PYTHON, [`${PEERS}book_sender.py`, "plain", "text"], {
    env: { PORT: String(port) },
  });
  assert.equal(plain.code, 0);
  await waitForLines(`${dir.path}/log.txt`, 5);
  const status = await run(LOGGER, ["--status"], { cwd: dir.path });
  assert.equal(
    status.stdout,
    "logging_basic: level warn; 5 messages logged to ./log.txt, 3 dropped below level warn\n",
  );
  const end = await logger.stop();
  assert.equal(
    readText(`${dir.path}/log.txt`),
    [
      "<warn> - h log_cmd_basic: at warn",
      "<error> - h log_cmd_basic: at error",
      "<critical> - h log_cmd_basic: at critical",
      "<warn> - h log_cmd_basic: at warning",
      "<error> - h log_cmd_basic: at err",
      "",
    ].join("\n"),
  );
  assert.equal(
    end.stderr,
    "logging_basic: stopped; 5 messages logged to ./log.txt, 3 dropped below level warn\n",
  );
});

Deno.test("--set-level changes a running logger's level without losing a message, and the change is logged", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port, ["--level", "error"]);
  assert.equal(
    (await send([
      "-p",
      String(port),
      "-l",
      "warn",
      "--hostname",
      "h",
      "hidden",
    ])).code,
    0,
  );
  // A steady stream of error messages runs while the level changes twice.
  const stream = run(PYTHON, [
    `${PEERS}bulk_sender.py`,
    String(port),
    "<error> - bulk x:",
    "20000",
  ]);
  await waitForLines(`${dir.path}/log.txt`, 1); // the stream is under way
  const lowered = await run(LOGGER, ["--set-level", "warn"], { cwd: dir.path });
  assert.equal(lowered.code, 0, lowered.stderr);
  assert.equal(
    lowered.stdout,
    "logging_basic: level changed from error to warn\n",
  );
  assert.equal(
    (await send(["-p", String(port), "-l", "warn", "--hostname", "h", "shown"]))
      .code,
    0,
  );
  const raised = await run(LOGGER, ["--set-level", "CRIT"], { cwd: dir.path });
  assert.equal(
    raised.stdout,
    "logging_basic: level changed from warn to critical\n",
  );
  assert.equal((await stream).code, 0);
  const status = await run(LOGGER, ["--status"], { cwd: dir.path });
  assert.equal(status.code, 0);
  assert.match(
    status.stdout,
    /^logging_basic: level critical; \d+ messages logged to \.\/log\.txt/,
  );
  const end = await logger.stop();
  assert.equal(end.code, 0);

  const lines = readText(`${dir.path}/log.txt`).split("\n");
  assert.ok(!lines.includes("<warn> - h log_cmd_basic: hidden"));
  assert.ok(lines.includes("<warn> - h log_cmd_basic: shown"));
  const changes = lines.filter((l) =>
    l.includes("logging_basic: level changed")
  );
  assert.equal(changes.length, 2);
  assert.match(
    changes[0],
    /^<info> \S+Z \S+ logging_basic: level changed from error to warn$/,
  );
  assert.match(changes[1], /level changed from warn to critical$/);
  // Error messages sent after the level went to critical are dropped by design;
  // every one before is there, in order, none twice.
  const bulk = lines.filter((l) => l.startsWith("<error> - bulk x: ")).map((
    l,
  ) => Number(l.split(" ").pop()));
  assert.deepEqual(bulk, Array.from({ length: bulk.length }, (_, i) => i));
  assert.ok(bulk.length > 0);
});

Deno.test("--set-level and --status with no logger running say so in one line, exit 1", async () => {
  using dir = tempDir();
  for (const args of [["--set-level", "debug"], ["--status"]]) {
    const out = await run(LOGGER, args, { cwd: dir.path });
    assert.equal(out.code, 1);
    assert.equal(
      out.stderr,
      "logging_basic: No logger is running for ./log.txt: nothing answers at ./log.txt.ctl\n",
    );
  }
  assert.deepEqual([...Deno.readDirSync(dir.path)], []);
});

Deno.test("a second logger on the same log file refuses to start, and the first keeps its --status", async () => {
  using dir = tempDir();
  const port = freePort();
  await using first = await startLogger(dir.path, port);
  await using starting = new Background(LOGGER, ["-p", String(freePort())], {
    cwd: dir.path,
  });
  const second = await starting.finish(5000); // fails if it did not exit at once
  assert.equal(second.code, 1, "the second logger did not refuse");
  assert.equal(
    second.stderr,
    "logging_basic: Cannot log to ./log.txt: another logger is logging to it already (it answers at ./log.txt.ctl); stop that one, or give this one another --file\n",
  );
  assert.equal((await send(["-p", String(port), "still", "here"])).code, 0);
  assert.equal(await waitForLines(`${dir.path}/log.txt`, 1), "still here\n");
  const status = await run(LOGGER, ["--status"], { cwd: dir.path });
  assert.match(status.stdout, /: level debug; 1 message logged to/);
  assert.equal((await first.stop("SIGKILL")).signal, "SIGKILL");
  // Killed, it leaves its control socket behind: that does not count.
  assert.ok(Deno.lstatSync(`${dir.path}/log.txt.ctl`).isSocket);
  await using next = await startLogger(dir.path, port);
  assert.match(
    (await run(LOGGER, ["--status"], { cwd: dir.path })).stdout,
    /: level debug; 0 messages logged to/,
  );
  assert.equal((await next.stop()).code, 0);
});

Deno.test("logger --include/--exclude filter on text, --include-host/--exclude-host on the host", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port, [
    "--include",
    "disk|fan",
    "--exclude",
    "^test",
    "--include-host",
    "^pi",
    "--exclude-host",
    "^pi9$",
  ]);
  const cases: [string, string][] = [
    ["pi1", "disk full"],
    ["pi1", "cpu busy"],
    ["pi1", "test disk"],
    ["desktop", "fan loud"],
    ["pi9", "fan loud"],
    ["pi2", "fan loud"],
  ];
  for (const [host, text] of cases) {
    assert.equal(
      (await send(["-p", String(port), "--hostname", host, text])).code,
      0,
    );
  }
  await waitForLines(`${dir.path}/log.txt`, 2);
  const end = await logger.stop();
  assert.equal(
    readText(`${dir.path}/log.txt`),
    "<info> - pi1 log_cmd_basic: disk full\n<info> - pi2 log_cmd_basic: fan loud\n",
  );
  assert.match(
    end.stderr,
    /2 messages logged to \.\/log\.txt, 4 dropped by filters\n$/,
  );
});

Deno.test("logger --format json writes JSON Lines with both times, host, tag, level and message", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port, ["--format", "json"]);
  assert.equal(
    (await send([
      "-p",
      String(port),
      "-T",
      "-l",
      "error",
      "--hostname",
      "pi",
      "-t",
      "app",
      "it",
      '"broke"',
    ])).code,
    0,
  );
  assert.equal((await send(["-p", String(port), "plain"])).code, 0);
  const text = await waitForLines(`${dir.path}/log.txt`, 2);
  await logger.stop();
  const [first, second] = text.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(Object.keys(first), [
    "received",
    "sent",
    "host",
    "tag",
    "level",
    "message",
  ]);
  assert.match(first.received, RFC3339_MS);
  assert.match(first.sent, RFC3339_MS);
  assert.deepEqual(
    [first.host, first.tag, first.level, first.message],
    ["pi", "app", "error", 'it "broke"'],
  );
  assert.deepEqual(
    [second.sent, second.host, second.tag, second.level, second.message],
    [null, null, null, "info", "plain"],
  );
});

const SAMPLE_LOG = [
  "2026-11-24T09:00:00.000Z <info> - pi1 app: boot",
  "2026-11-24T10:00:00.000Z <warn> - pi1 app: disk 90%",
  "2026-11-24T10:30:00.000Z <error> - desktop cron: backup failed",
  "2026-11-24T11:00:00.000Z plain text from the book's sender",
  '{"received":"2026-11-24T11:30:00.000Z","sent":null,"host":"pi2","tag":"fan","level":"critical","message":"fan stopped"}',
  "2026-11-24T12:00:00.000Z <debug> - pi2 app: tick",
  "",
].join("\n");

Deno.test("--show filters an existing log by level, time range, host and text", async () => {
  using dir = tempDir();
  Deno.writeTextFileSync(`${dir.path}/log.txt`, SAMPLE_LOG);
  const show = async (...args: string[]) => {
    const out = await run(LOGGER, ["--show", ...args], { cwd: dir.path });
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stderr, "");
    return out.stdout.split("\n").filter(Boolean).map((l) =>
      l.includes("fan stopped") ? "fan stopped" : l.slice(11, 16)
    );
  };
  assert.deepEqual(await show(), [
    "09:00",
    "10:00",
    "10:30",
    "11:00",
    "fan stopped",
    "12:00",
  ]);
  assert.deepEqual(await show("--level", "warn"), [
    "10:00",
    "10:30",
    "fan stopped",
  ]);
  assert.deepEqual(
    await show(
      "--since",
      "2026-11-24T10:00:00Z",
      "--until",
      "2026-11-24T11:00:00Z",
    ),
    ["10:00", "10:30", "11:00"],
  );
  assert.deepEqual(await show("--include-host", "^pi"), [
    "09:00",
    "10:00",
    "fan stopped",
    "12:00",
  ]);
  assert.deepEqual(await show("--exclude-host", "^pi"), ["10:30", "11:00"]);
  assert.deepEqual(await show("--include", "disk|fan"), [
    "10:00",
    "fan stopped",
  ]);
  assert.deepEqual(await show("--exclude", "book"), [
    "09:00",
    "10:00",
    "10:30",
    "fan stopped",
    "12:00",
  ]);
  assert.deepEqual(await show("-n", "2"), ["fan stopped", "12:00"]);
  const json = await run(LOGGER, [
    "--show",
    "--format",
    "json",
    "--level",
    "error",
  ], { cwd: dir.path });
  assert.deepEqual(
    json.stdout.trimEnd().split("\n").map((l) => JSON.parse(l).message),
    ["backup failed", "fan stopped"],
  );
});

Deno.test("--show --follow prints new matching lines as the logger writes them, like tail -f | grep", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port, ["--timestamps"]);
  for (let i = 0; i < 15; i++) {
    assert.equal(
      (await send([
        "-p",
        String(port),
        "-l",
        i % 2 ? "error" : "info",
        "--hostname",
        "h",
        `old ${i}`,
      ])).code,
      0,
    );
  }
  await waitForLines(`${dir.path}/log.txt`, 15);
  await using follower = new Background(LOGGER, [
    "--show",
    "--follow",
    "--level",
    "error",
  ], { cwd: dir.path });
  await follower.waitForStdout("old 13"); // the last line there: now following
  for (const i of [100, 101, 102]) {
    assert.equal(
      (await send([
        "-p",
        String(port),
        "-l",
        i === 101 ? "info" : "error",
        "--hostname",
        "h",
        `new ${i}`,
      ])).code,
      0,
    );
  }
  // The last one sent: "new 101" would have come before it.
  await follower.waitForStdout("new 102");
  const out = await follower.stop("SIGINT");
  await logger.stop();
  assert.equal(out.code, 0, out.stderr);
  const texts = out.stdout.trimEnd().split("\n").map((l) =>
    l.split(": ").pop()
  );
  // The last 10 matching lines of what was there (7 errors), then the new ones.
  assert.deepEqual(texts, [
    "old 1",
    "old 3",
    "old 5",
    "old 7",
    "old 9",
    "old 11",
    "old 13",
    "new 100",
    "new 102",
  ]);
});

Deno.test("--stdin sends each line as a message, skips empty lines, and cuts over-long lines", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  const long = "x".repeat(70_000);
  const out = await sendStdin(
    ["-p", String(port)],
    `one\n\n  two  \r\n\nthree\n${long}\nlast without newline`,
  );
  assert.equal(out.code, 0, out.stderr);
  const text = await waitForLines(`${dir.path}/log.txt`, 6);
  await logger.stop();
  const lines = text.split("\n");
  assert.deepEqual(lines.slice(0, 3), ["one", "  two  ", "three"]);
  assert.equal(lines[3] + lines[4], long);
  assert.ok(lines[3].length <= 65536 && lines[4].length > 0);
  assert.equal(lines[5], "last without newline");
});

Deno.test("--stdin keeps memory bounded on endless input while the logger is away, then delivers it all", async () => {
  using dir = tempDir();
  const port = freePort();
  const total = 1_000_000;
  // 1,000,000 lines of 200 bytes: 200 MB that must not pile up in the sender.
  await using generator = new Deno.Command(PYTHON, {
    args: [
      "-c",
      `import sys\nfor i in range(${total}): sys.stdout.write('%09d %s\\n' % (i, 'y' * 189))`,
    ],
    stdout: "piped",
  }).spawn();
  await using sender = new Deno.Command(SENDER, {
    args: ["--stdin", "-p", String(port)],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const reading = (async () => {
    for await (
      const text of sender.stderr.pipeThrough(new TextDecoderStream())
    ) {
      stderr += text;
    }
  })();
  const piping = generator.stdout.pipeTo(sender.stdin);
  piping.catch(() => {}); // awaited below; fails only if the test does
  // Its buffer full, it reads no more input: its memory is what it keeps.
  const full =
    /waiting for the logger at localhost:\d+; \d+ lines sent, the rest wait/;
  await waitFor(
    () => full.test(stderr),
    () => `the sender to say its buffer is full; its stderr: ${stderr}`,
    30_000,
  );
  const ps = await run("ps", ["-o", "rss=", "-p", String(sender.pid)]);
  const rss = Number(ps.stdout.trim()) * 1024;
  assert.ok(rss > 0, `ps found the sender: ${ps.stdout}${ps.stderr}`);
  assert.ok(
    rss < 150 * 1024 * 1024,
    `sender holds ${Math.round(rss / 1048576)} MiB while the logger is away`,
  );
  await using logger = await startLogger(dir.path, port);
  await piping;
  const end = await sender.status;
  await reading;
  assert.equal(end.code, 0, stderr);
  assert.equal(
    await waitForSize(`${dir.path}/log.txt`, total * 200),
    total * 200,
  );
  await logger.stop();
  const lines = readText(`${dir.path}/log.txt`).split("\n");
  assert.equal(lines.length, total + 1);
  for (const i of [0, 1, 9999, 10_000, 500_000, total - 1]) {
    assert.equal(lines[i].slice(0, 9), String(i).padStart(9, "0"));
  }
});

/** The API fixture, as a Deno program would run it. */
function apiUser(port: number, bufferSize?: number) {
  return new Conversation(
    "deno",
    [
      "run",
      "-q",
      "--no-prompt",
      "-P=log_cmd_basic",
      `${ROOT}tests/fixtures/api_user.ts`,
      String(port),
      ...(bufferSize ? [String(bufferSize)] : []),
    ],
    { cwd: ROOT },
  );
}

Deno.test("LogSender: open once, log many, reconnect after a logger restart, lose nothing given while it was down", async () => {
  using dir = tempDir();
  const port = freePort();
  await using first = await startLogger(dir.path, port);
  await using program = apiUser(port);
  assert.equal(await program.ask("log 100 before"), "logged 100 dropped 0");
  await waitForLines(`${dir.path}/log.txt`, 100);
  assert.equal((await first.stop()).code, 0);
  // Once its connection is closed, what it sends waits in its buffer
  // instead of going to a connection that is gone.
  await waitForNoConnectionTo(port);
  // The logger is down: these wait in the buffer.
  assert.equal(await program.ask("log 500 during"), "logged 500 dropped 0");
  await using second = await startLogger(dir.path, port);
  assert.equal(await program.ask("log 100 after"), "logged 100 dropped 0");
  assert.equal(await program.ask("close"), "closed");
  assert.equal((await program.finish()).code, 0);
  const text = await waitForLines(`${dir.path}/log.txt`, 700);
  await second.stop();
  const expected = [
    ...Array.from({ length: 100 }, (_, i) => `before ${i}`),
    ...Array.from({ length: 500 }, (_, i) => `during ${i}`),
    ...Array.from({ length: 100 }, (_, i) => `after ${i}`),
  ].map((t) => `<info> - testhost api_user: ${t}`);
  assert.deepEqual(text.trimEnd().split("\n"), expected);
});

Deno.test("LogSender: past its buffer it drops, counts, and says so in the log and on stderr", async () => {
  using dir = tempDir();
  const port = freePort();
  await using program = apiUser(port, 50);
  const answer = await program.ask("log 80 early");
  const [, ok, dropped] = /^logged (\d+) dropped (\d+)$/.exec(answer)!.map(
    Number,
  );
  assert.equal(ok + dropped, 80);
  assert.ok(ok >= 50 && dropped > 0, answer);
  await using logger = await startLogger(dir.path, port);
  assert.equal(await program.ask("send 1 later"), "sent 1");
  assert.equal(await program.ask("close"), "closed");
  const end = await program.finish();
  assert.match(
    end.stderr,
    /the logger at 127\.0\.0\.1:\d+ is unreachable and the buffer of 50 messages is full; dropping messages \(counted\)/,
  );
  const text = await waitForLines(`${dir.path}/log.txt`, ok + 2);
  await logger.stop();
  const lines = text.trimEnd().split("\n");
  assert.deepEqual(
    lines.slice(0, ok),
    Array.from(
      { length: ok },
      (_, i) => `<info> - testhost api_user: early ${i}`,
    ),
  );
  assert.equal(
    lines[ok],
    `<warn> - testhost api_user: ${dropped} messages dropped: the logger at 127.0.0.1:${port} was unreachable and the buffer of 50 was full`,
  );
  assert.equal(lines[ok + 1], "<warn> - testhost api_user: later 0");
});

Deno.test("--show --follow finishes the rotated file, then starts over on the new one", async () => {
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  Deno.writeTextFileSync(log, "old 1\nold 2\n");
  await using follower = new Streaming(LOGGER, ["--show", "--follow"], {
    cwd: dir.path,
  });
  await follower.waitFor("old 2");
  Deno.renameSync(log, `${log}.1`); // what logrotate does
  Deno.writeTextFileSync(`${log}.1`, "late line in the old file\n", {
    append: true,
  });
  // The new file at once: the old one is still read to its end first.
  Deno.writeTextFileSync(log, "new 1\n");
  await follower.waitFor("new 1");
  Deno.writeTextFileSync(log, "new 2\n", { append: true });
  await follower.waitFor("new 2");
  const end = await follower.stop("SIGINT");
  assert.equal(end.code, 0, end.stderr);
  // Like tail -F: what still reaches the old file is shown, then the new file.
  assert.deepEqual(follower.lines, [
    "old 1",
    "old 2",
    "late line in the old file",
    "new 1",
    "new 2",
  ]);
});

Deno.test("--stdin with --timeout and no logger says the lines were not delivered, exit 1", async () => {
  const port = freePort();
  const started = Date.now();
  const out = await sendStdin(
    ["-p", String(port), "--timeout", "1"],
    "one\ntwo\nthree\n",
  );
  assert.equal(out.code, 1);
  assert.equal(
    out.stderr,
    // Since the --stdin "waiting" notice (tests/messages_test.ts), it comes first.
    `log_cmd_basic: waiting for the logger at localhost:${port} (giving up after 1 s)\n` +
      `log_cmd_basic: no logger at localhost:${port} after 1 s; up to 3 lines were not delivered\n`,
  );
  assert.ok(Date.now() - started >= 1000);
});
