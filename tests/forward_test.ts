/**
 * `--forward`: the logger's lines go on to Debian's real rsyslogd, started
 * by each test in the foreground on loopback ports with its own directory:
 * over RELP and plain TCP, with the right severity, facility, hostname,
 * app-name and text; over RELP nothing is lost when rsyslog is stopped in
 * the middle, or when the logger itself restarts; over TCP what rsyslog did
 * not read when it stopped reading is sent again. The rsyslog and the
 * logger's start are in tests/forward_helpers.ts.
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
  sleep,
  tempDir,
  waitFor,
  waitForLines,
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
import { LINEAR_ENGINE_FLAG } from "../lib/log/pattern.ts";

/** The newest record of a place file (it keeps two, numbered): "IDENTITY OFFSET URL". */
function savedPlace(path: string): string | undefined {
  const records = [
    ...readText(path).matchAll(
      /zmqlog-forward (\S+ \d+ \S+) (\d+) [0-9a-f]{8} *\n/g,
    ),
  ];
  return records.sort((a, b) => Number(b[2]) - Number(a[2]))[0]?.[1];
}

/** The ports of both of rsyslog's inputs: what the logger may connect to. */
function portsOf(rsyslog: Rsyslog): number[] {
  return [rsyslog.relpPort, rsyslog.tcpPort];
}

Deno.test("--forward relp:// and tcp:// give rsyslog each line with its severity, facility, host, app-name, time and text", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  for (const [protocol, facility] of [["relp", "user"], ["tcp", "local3"]]) {
    const port = freePort();
    const target = protocol === "relp" ? rsyslog.relpPort : rsyslog.tcpPort;
    const logger = await startForwarding(dir.path, portsOf(rsyslog), port, [
      "--timestamps",
      "--forward",
      `${protocol}://127.0.0.1:${target}`,
      ...(facility === "user" ? [] : ["--facility", facility]),
    ]);
    const sent = await send([
      "--port",
      String(port),
      "--level",
      "error",
      "--tag",
      "backup",
      "--hostname",
      "pi-garage",
      `disk failed over ${protocol}`,
    ], dir.path);
    assert.equal(sent.code, 0, sent.stderr);
    await send(["--port", String(port), "plain", protocol], dir.path);
    const before = protocol === "relp" ? 0 : 2;
    await waitForForwarded(rsyslog, before + 2);
    const stopped = await logger.stop();
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(
      stopped.stderr,
      new RegExp(
        `^logging_basic: forwarding to ${protocol}://127\\.0\\.0\\.1:${target} \\(syslog\\), from the end of \\./log\\.txt`,
      ),
    );
    const received = readText(`${dir.path}/log.txt`).split("\n")
      .filter((line) => line.includes(protocol)).map((line) =>
        line.slice(0, 24)
      );
    const lines = rsyslog.lines().slice(before);
    assert.equal(
      lines[0],
      `err ${facility} pi-garage backup ${
        received[0]
      } disk failed over ${protocol}`,
    );
    assert.equal(
      lines[1],
      `info ${facility} - - ${received[1]} plain ${protocol}`,
    );
  }
});

Deno.test("--forward relp:// loses none of 20,000 messages when rsyslog stops in the middle and a try to reach it again fails, and says so once", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  const port = freePort();
  await using logger = await startForwarding(dir.path, portsOf(rsyslog), port, [
    "--forward",
    `relp://127.0.0.1:${rsyslog.relpPort}`,
  ]);
  await using sender = burstSender(port, 20_000, "m");
  await waitForForwarded(rsyslog, 2000);
  await rsyslog.stop();
  const atStop = rsyslog.lines().length;
  // Away until the logger has said so and a try to connect again has failed.
  await logger.waitForStderr(
    /forwarding to relp:\/\/\S+ stopped|cannot forward/,
  );
  await waitForStatus(dir.path, /; cannot reach it now \(.*refused/);
  await rsyslog.start();
  assert.equal((await sender.finish()).code, 0);
  // Each once, or twice when an acknowledgement was lost as rsyslog stopped.
  let got = new Set<number>();
  await waitFor(
    () => (got = seqs(rsyslog.lines(), "m")).size === 20_000,
    () =>
      `each of the 20,000 messages at rsyslog; missing: ${
        [...Array(20_000).keys()].filter((n) => !got.has(n)).slice(0, 10)
      }, ${20_000 - got.size} in all`,
    60_000,
    100,
  );
  assert.ok(atStop < 20_000, `rsyslog was stopped after ${atStop} lines`);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  const notes = end.stderr.split("\n");
  assert.equal(
    notes.filter((line) => line.includes("stopped (")).length +
      notes.filter((line) => line.includes("cannot forward")).length,
    1,
    end.stderr,
  );
  // Lines sent but not acknowledged when it stopped go again, and it says so.
  assert.match(
    end.stderr,
    /forwarding to relp:\/\/\S+ again( \(\d+ lines? it had sent before the failure went again: they may have come twice\))?\n/,
  );
});

Deno.test("--forward relp:// picks up where it stopped when the logger restarts: lines logged while rsyslog was away are sent", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  const port = freePort();
  const args = ["--forward", `relp://127.0.0.1:${rsyslog.relpPort}`];
  let logger = await startForwarding(dir.path, portsOf(rsyslog), port, args);
  assert.equal(
    (await send(["--port", String(port), "first"], dir.path)).code,
    0,
  );
  await waitForForwarded(rsyslog, 1);
  await rsyslog.stop();
  for (const text of ["second", "third"]) {
    assert.equal(
      (await send(["--port", String(port), text], dir.path)).code,
      0,
    );
  }
  await waitForLines(`${dir.path}/log.txt`, 3);
  assert.equal((await logger.stop()).code, 0);
  await rsyslog.start();
  logger = await startForwarding(dir.path, portsOf(rsyslog), port, args);
  await waitForForwarded(rsyslog, 3);
  const end = await logger.stop();
  assert.match(end.stderr, /from where it stopped, \d+ bytes behind\n/);
  // Each once, or twice when an acknowledgement was lost as rsyslog stopped.
  const texts = rsyslog.lines().map((line) => line.split(" ").at(-1));
  assert.deepEqual([...new Set(texts)], ["first", "second", "third"]);
});

Deno.test("--forward without Deno's permission to connect, or a bad URL or facility, gets one line", async () => {
  using dir = tempDir();
  const port = freePort();
  // Through the shebang: it grants no network, and no LOG.forward.
  const out = await run(LOGGER, [
    "--port",
    String(port),
    "--forward",
    "relp://127.0.0.1:2514",
  ], { cwd: dir.path });
  assert.equal(out.code, 1);
  assert.equal(
    out.stderr,
    `logging_basic: Cannot forward to relp://127.0.0.1:2514 as Deno may not connect to it (--allow-net=127.0.0.1:2514 --allow-read=./log.txt.forward --allow-write=./log.txt.forward); start the logger as: deno run -q --no-prompt -P=logging_basic ${LINEAR_ENGINE_FLAG} --allow-write=./log.txt,./log.txt.forward --allow-read=./log.txt,./log.txt.forward,./keys --allow-net=127.0.0.1:2514 ${ROOT}logging_basic.ts --port ${port} --forward relp://127.0.0.1:2514\n`,
  );
  // Refused before anything was opened: no log file left behind.
  assert.throws(
    () => Deno.statSync(`${dir.path}/log.txt`),
    Deno.errors.NotFound,
  );
  for (
    const [args, message] of [
      [
        ["--forward", "udp://x:514"],
        "'--forward' must be tcp://HOST:PORT or relp://HOST:PORT: current value is \"udp://x:514\"",
      ],
      [["--forward", "tcp://x:0"], 'current value is "tcp://x:0"'],
      [
        ["--forward", "tcp://x:514", "--facility", "kitchen"],
        "'--facility' must be a syslog facility such as user, daemon or local0-local7 (or 0-23): current value is \"kitchen\"",
      ],
      [["--facility", "local0"], "'--facility' goes with --forward"],
      [
        ["--show", "--forward", "tcp://x:514"],
        "'--forward' goes with listening",
      ],
    ] as const
  ) {
    const bad = await run(LOGGER, [...args], { cwd: dir.path });
    assert.equal(bad.code, 2, bad.stderr);
    assert.ok(bad.stderr.includes(message), bad.stderr);
    assert.equal(bad.stderr.split("\n").length, 2, bad.stderr);
  }
});

Deno.test("--forward follows logrotate: it finishes the moved file, then sends the new one from its start", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  const port = freePort();
  await using logger = await startForwarding(dir.path, portsOf(rsyslog), port, [
    "--forward",
    `relp://127.0.0.1:${rsyslog.relpPort}`,
  ]);
  const sendAll = async (names: string[]) => {
    for (const name of names) {
      const out = await send(["--port", String(port), name], dir.path);
      assert.equal(out.code, 0, out.stderr);
    }
  };
  // rsyslog away while the file is moved: the old file's last lines wait.
  await sendAll(["one", "two"]);
  await waitForForwarded(rsyslog, 2);
  await rsyslog.stop();
  await sendAll(["three"]);
  Deno.renameSync(`${dir.path}/log.txt`, `${dir.path}/log.txt.1`);
  const reopened = await run(LOGGER, ["--reopen"], { cwd: dir.path });
  assert.equal(reopened.code, 0, reopened.stderr);
  await sendAll(["four", "five"]);
  await rsyslog.start();
  await waitForForwarded(rsyslog, 5);
  const texts = rsyslog.lines().map((line) => line.split(" ").at(-1));
  assert.deepEqual([...new Set(texts)], [
    "one",
    "two",
    "three",
    "four",
    "five",
  ]);
  assert.equal(readText(`${dir.path}/log.txt`), "four\nfive\n");
  assert.equal((await logger.stop()).code, 0);
  const info = Deno.statSync(`${dir.path}/log.txt`);
  assert.equal(
    savedPlace(`${dir.path}/log.txt.forward`),
    `${info.dev}:${info.ino} 10 relp://127.0.0.1:${rsyslog.relpPort}`,
  );
});

Deno.test("--forward does not follow a symbolic link put where it keeps its place", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path); // not started: never reached
  Deno.writeTextFileSync(`${dir.path}/victim`, "precious\n");
  Deno.symlinkSync("victim", `${dir.path}/log.txt.forward`);
  const out = await run("deno", [
    "run",
    ...forwardingFlags(portsOf(rsyslog)),
    LOGGER,
    "--port",
    String(freePort()),
    "--forward",
    `relp://127.0.0.1:${rsyslog.relpPort}`,
  ], { cwd: dir.path });
  assert.equal(out.code, 1);
  assert.equal(
    out.stderr,
    "logging_basic: Cannot keep the forwarding place in './log.txt.forward': it is a symbolic link (to victim); the logger writes only to a regular file\n",
  );
  assert.equal(readText(`${dir.path}/victim`), "precious\n");
});

Deno.test("--forward neither follows a symbolic link nor opens a FIFO put where the log was: nothing else is sent, the logger still answers and stops", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  const port = freePort();
  await using logger = await startForwarding(dir.path, portsOf(rsyslog), port, [
    "--forward",
    `relp://127.0.0.1:${rsyslog.relpPort}`,
  ]);
  const sent = await send(["--port", String(port), "one"], dir.path);
  assert.equal(sent.code, 0, sent.stderr);
  await waitForForwarded(rsyslog, 1);
  // Another local user swaps the log for a link to a file of theirs.
  Deno.writeTextFileSync(`${dir.path}/secret`, "secret-text\n");
  Deno.renameSync(`${dir.path}/log.txt`, `${dir.path}/log.txt.1`);
  Deno.symlinkSync("secret", `${dir.path}/log.txt`);
  await sleep(500); // the span in which the forwarder, looking every 100 ms, must not send the link's file
  assert.deepEqual(rsyslog.lines().map((line) => line.split(" ").at(-1)), [
    "one",
  ]);
  // ... then for a FIFO, which an open for reading would wait on for ever.
  Deno.removeSync(`${dir.path}/log.txt`);
  const fifo = await run("mkfifo", [`${dir.path}/log.txt`]);
  assert.equal(fifo.code, 0, fifo.stderr);
  await sleep(500); // the span in which the forwarder, looking every 100 ms, meets the FIFO
  const status = await run(LOGGER, ["--status"], { cwd: dir.path });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /1 message logged/);
  const started = Date.now();
  assert.equal((await logger.stop()).code, 0);
  assert.ok(Date.now() - started < 5_000, `${Date.now() - started} ms`);
});

/** Asks the logger in `dir` for `--status` until its answer matches `re`; fails at the deadline with the last one. */
async function waitForStatus(dir: string, re: RegExp, ms = 30_000) {
  let answer = "";
  return await waitFor(
    async () => {
      const out = await run(LOGGER, ["--status"], { cwd: dir });
      assert.equal(out.code, 0, out.stderr);
      answer = out.stdout;
      return re.test(answer) && answer;
    },
    () => `--status to match ${re}; it said ${JSON.stringify(answer)}`,
    ms,
    100,
  );
}

Deno.test("--status tells what was forwarded, that the server is away, and over plain TCP what it sent again when rsyslog stopped reading", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  const port = freePort();
  const url = `tcp://127.0.0.1:${rsyslog.tcpPort}`;
  await using logger = await startForwarding(dir.path, portsOf(rsyslog), port, [
    "--forward",
    url,
  ]);
  const sendAll = async (names: string[]) => {
    for (const name of names) {
      const out = await send(["--port", String(port), name], dir.path);
      assert.equal(out.code, 0, out.stderr);
    }
  };
  await sendAll(["a1", "a2", "a3"]);
  await waitForForwarded(rsyslog, 3);
  await waitForStatus(dir.path, new RegExp(`; 3 lines forwarded to ${url}\n$`));
  // rsyslog stops reading: b1 is written, never confirmed, and sent again.
  rsyslog.signal("SIGSTOP");
  await sendAll(["b1"]);
  await waitForStatus(
    dir.path,
    new RegExp(
      `; 3 lines forwarded to ${url}; cannot reach it now \\(the server did not confirm 1 line within 10 s: it stopped reading\\); [1-9]\\d* lines? sent again after a connection failed before the server took them \\(they may have come twice\\)\n$`,
    ),
  );
  rsyslog.signal("SIGCONT");
  await waitForStatus(dir.path, new RegExp(`; 4 lines forwarded to ${url};`));
  const texts = rsyslog.lines().map((line) => line.split(" ").at(-1));
  assert.deepEqual([...new Set(texts)], ["a1", "a2", "a3", "b1"]);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.match(
    end.stderr,
    /\nlogging_basic: forwarding to tcp:\/\/\S+ stopped \(the server did not confirm 1 line within 10 s: it stopped reading\); logging goes on, and forwarding catches up once it is back\nlogging_basic: forwarding to tcp:\/\/\S+ again \([1-9]\d* lines? it had sent before the failure went again: they may have come twice\)\n/,
  );
});

Deno.test("--forward to a server that never answers says so once, and the logger still stops at once", async () => {
  using dir = tempDir();
  const rsyslog = new Rsyslog(dir.path); // only for its ports: never started
  await using server = new Background(PYTHON, [
    `${PEERS}bad_relp_server.py`,
    String(rsyslog.relpPort),
    "silent",
  ]);
  await waitForPort(rsyslog.relpPort);
  const port = freePort();
  const logger = await startForwarding(dir.path, portsOf(rsyslog), port, [
    "--forward",
    `relp://127.0.0.1:${rsyslog.relpPort}`,
  ]);
  assert.equal((await send(["--port", String(port), "hi"], dir.path)).code, 0);
  // The first session gave up after 5 s, and the next one is being opened:
  // waitForPort's connection, the logger's first and its second.
  await logger.waitForStderr(
    /cannot forward to relp:\/\/\S+ \(the server did not open/,
  );
  await server.waitForStdout(/(connection\n){3}/);
  const started = Date.now();
  const end = await logger.stop();
  assert.ok(
    Date.now() - started < 5000,
    `stopping took ${Date.now() - started} ms`,
  );
  assert.equal(end.code, 0, end.stderr);
  assert.match(
    end.stderr,
    /\nlogging_basic: cannot forward to relp:\/\/\S+ \(the server did not open a RELP session within 5 s\); logging goes on/,
  );
  assert.equal(end.stderr.split("cannot forward").length, 2, end.stderr);
  assert.equal(readText(`${dir.path}/log.txt`), "hi\n");
  await server.stop();
});

Deno.test("--forward: a line the server keeps refusing is skipped after 3 tries and counted; retries back off; its text is escaped", async () => {
  using dir = tempDir();
  const rsyslog = new Rsyslog(dir.path); // only for its ports: never started
  await using server = new Background(PYTHON, [
    `${PEERS}bad_relp_server.py`,
    String(rsyslog.relpPort),
    "refuse",
  ]);
  await waitForPort(rsyslog.relpPort);
  const port = freePort();
  const logger = await startForwarding(dir.path, portsOf(rsyslog), port, [
    "--forward",
    `relp://127.0.0.1:${rsyslog.relpPort}`,
  ]);
  assert.equal((await send(["--port", String(port), "one"], dir.path)).code, 0);
  await logger.waitForStderr(/forwarding to relp:\/\/\S+ stopped/);
  const firstRefusal = Date.now();
  // waitForPort's connection, the first session, the tries 250 and 500 ms
  // after a refusal, and the one 1000 ms after the third, once it skipped it.
  await server.waitForStdout(/(connection\n){5}/);
  const backedOff = Date.now() - firstRefusal;
  const status = await run(LOGGER, ["--status"], { cwd: dir.path });
  const end = await logger.stop();
  const connections = (await server.stop()).stdout.split("\n").filter(Boolean);
  assert.equal(end.code, 0, end.stderr);
  // One notice while it fails, however often; the server's escapes shown, not sent to the terminal.
  assert.equal(end.stderr.split("forwarding to relp").length, 3, end.stderr); // "forwarding to ... (syslog)" and one "stopped"
  assert.match(
    end.stderr,
    /refused a message: "500 no\\u001b\[31m red\\u0007"/,
  );
  assert.ok(
    !end.stderr.includes("\x1b") && !end.stderr.includes("\x07"),
    "no raw escape or bell on stderr",
  );
  assert.match(end.stderr, /skipped a line that relp:\/\/\S+ refused 3 times/);
  assert.match(
    status.stdout,
    /; 1 line skipped, refused by the server 3 times\n$/,
  );
  // Tries 250, 500, 1000 ms apart: a handful, not a loop.
  assert.ok(
    backedOff >= 1500,
    `the tries after the first refusal came within ${backedOff} ms, not 250 + 500 + 1000`,
  );
  assert.ok(connections.length <= 6, `${connections.length} connections`);
});

Deno.test("--forward sends a line longer than it forwards whole as one message, cut: its level and host stay", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  const port = freePort();
  await using logger = await startForwarding(dir.path, portsOf(rsyslog), port, [
    "--format",
    "json",
    "--forward",
    `tcp://127.0.0.1:${rsyslog.tcpPort}`,
  ]);
  // 65,000 control characters: a JSON line of 390 KB (\u0001 each).
  const sent = await run(PYTHON, [
    "-c",
    `import sys, zmq
context = zmq.Context()
socket = context.socket(zmq.PUSH)
socket.connect('tcp://127.0.0.1:%s' % sys.argv[1])
socket.send(b'<critical> - evilhost eviltag: ' + b'\\x01' * 65000)
socket.send(b'<info> - pi app: after')
socket.close(linger=2000)
context.term()`,
    String(port),
  ]);
  assert.equal(sent.code, 0, sent.stderr);
  // "after" comes last over the same connection: all before it is written.
  await waitFor(
    () => rsyslog.lines().at(-1)?.endsWith(" after"),
    () => `"after" as rsyslog's last line; it has ${rsyslog.lines().length}`,
  );
  const lines = rsyslog.lines();
  assert.equal(
    lines.length,
    2,
    lines.map((line) => line.slice(0, 80)).join("\n"),
  );
  assert.match(lines[0], /^crit user evilhost eviltag /);
  assert.match(lines[1], /^info user pi app \S+ after$/);
  assert.ok(Deno.statSync(`${dir.path}/log.txt`).size > 300_000);
  assert.equal((await logger.stop()).code, 0);
});
