/**
 * `--forward`: the logger's lines go on to Debian's real rsyslogd, started
 * by each test in the foreground on loopback ports with its own directory:
 * over RELP and plain TCP, with the right severity, facility, hostname,
 * app-name and text; over RELP nothing is lost when rsyslog is stopped in
 * the middle, or when the logger itself restarts.
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
  waitForPort,
} from "./helpers.ts";
import { LINEAR_ENGINE_FLAG } from "../lib/log/pattern.ts";

const RSYSLOGD = "/usr/sbin/rsyslogd";

/** What rsyslog writes for each message: the fields a forwarded line maps to. */
const FIELDS =
  "%syslogseverity-text% %syslogfacility-text% %hostname% %app-name% %timereported:::date-rfc3339% %msg%\\n";

/** The README's rsyslog configuration for RELP ("Beyond one machine"): what users copy. */
function readmeRelpInput(): string {
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const block = /```text\n(module\(load="imrelp"\)\n[^`]*)```/.exec(readme)
    ?.[1];
  assert.ok(
    block?.includes('input(type="imrelp" port="2514")'),
    "the README's imrelp block",
  );
  return block!;
}

/** Debian's rsyslogd in the foreground, with a RELP and a TCP input on loopback. */
class Rsyslog implements AsyncDisposable {
  readonly relpPort = freePort();
  readonly tcpPort = freePort();
  readonly out: string;
  readonly #conf: string;
  readonly #pid: string;
  #process?: Background;

  constructor(readonly dir: string) {
    this.out = `${dir}/rsyslog.out`;
    this.#conf = `${dir}/rsyslog.conf`;
    this.#pid = `${dir}/rsyslog.pid`;
    Deno.mkdirSync(`${dir}/rsyslog-work`, { recursive: true });
    // A direct main queue: a RELP message is acknowledged only once written.
    // rsyslogd's own messages stay inside (not to the system's /dev/log) and
    // go nowhere: only the inputs' ruleset writes the file.
    Deno.writeTextFileSync(
      this.#conf,
      `global(workDirectory="${dir}/rsyslog-work" processInternalMessages="on")
main_queue(queue.type="direct")
${
        readmeRelpInput().replace(
          'port="2514"',
          `port="${this.relpPort}" address="127.0.0.1" ruleset="forwarded"`,
        )
      }
module(load="imtcp")
input(type="imtcp" port="${this.tcpPort}" address="127.0.0.1" ruleset="forwarded")
template(name="fields" type="string" string="${FIELDS}")
ruleset(name="forwarded") {
  action(type="omfile" file="${this.out}" template="fields")
}
`,
    );
  }

  async start(): Promise<void> {
    this.#process = new Background(RSYSLOGD, [
      "-n",
      "-f",
      this.#conf,
      "-i",
      this.#pid,
    ]);
    await waitForPort(this.relpPort);
    await waitForPort(this.tcpPort);
  }

  async stop(): Promise<void> {
    const out = await this.#process?.stop("SIGTERM");
    this.#process = undefined;
    assert.equal(out?.code ?? 0, 0, out?.stderr);
  }

  /** The messages rsyslog wrote so far. */
  lines(): string[] {
    try {
      return readText(this.out).split("\n").filter(Boolean);
    } catch {
      return [];
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#process?.stop("SIGKILL");
  }
}

/** Deno's flags for a forwarding logger in `dir`: the shebang's and what forwarding needs. */
function forwardingFlags(rsyslog: Rsyslog): string[] {
  const shebang = Deno.readTextFileSync(LOGGER).split("\n")[0];
  const flags = shebang.split(" ").filter((word) =>
    word.startsWith("-") && word !== "-S"
  );
  return [
    ...flags,
    `--allow-net=127.0.0.1:${rsyslog.relpPort},127.0.0.1:${rsyslog.tcpPort}`,
    "--allow-read=./log.txt.forward",
    "--allow-write=./log.txt.forward",
  ];
}

/** `deno run FLAGS logging_basic.ts ARGS` in `dir`, waited for until it listens. */
async function startForwarding(
  dir: string,
  rsyslog: Rsyslog,
  port: number,
  args: string[],
): Promise<Background> {
  const logger = new Background("deno", [
    "run",
    ...forwardingFlags(rsyslog),
    LOGGER,
    "--port",
    String(port),
    ...args,
  ], { cwd: dir });
  await waitForPort(port);
  return logger;
}

/** Waits until rsyslog has written `count` lines; fails at the deadline. */
async function waitForForwarded(rsyslog: Rsyslog, count: number, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (rsyslog.lines().length < count) {
    if (Date.now() > deadline) {
      throw new Error(
        `rsyslog has ${rsyslog.lines().length} of ${count} lines after ${ms} ms`,
      );
    }
    await sleep(100);
  }
}

/** A python3-zmq sender: COUNT messages "NAME SEQ", 100 at a time, 10 ms apart. */
function burstSender(port: number, count: number, name: string): Background {
  return new Background(PYTHON, [
    "-c",
    `import sys, time, zmq
context = zmq.Context()
socket = context.socket(zmq.PUSH)
socket.connect('tcp://127.0.0.1:%s' % sys.argv[1])
for seq in range(int(sys.argv[2])):
    socket.send(('%s %d' % (sys.argv[3], seq)).encode())
    if seq % 100 == 99:
        time.sleep(0.01)
socket.close()
context.term()`,
    String(port),
    String(count),
    name,
  ]);
}

/** The SEQ numbers rsyslog got of NAME's messages, each once. */
function seqs(lines: string[], name: string): Set<number> {
  return new Set(
    lines.map((line) => new RegExp(` ${name} (\\d+)$`).exec(line)?.[1])
      .filter((seq) => seq !== undefined).map(Number),
  );
}

Deno.test("--forward relp:// and tcp:// give rsyslog each line with its severity, facility, host, app-name, time and text", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  for (const [protocol, facility] of [["relp", "user"], ["tcp", "local3"]]) {
    const port = freePort();
    const target = protocol === "relp" ? rsyslog.relpPort : rsyslog.tcpPort;
    const logger = await startForwarding(dir.path, rsyslog, port, [
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

Deno.test("--forward relp:// loses none of 20,000 messages when rsyslog stops for 3 s in the middle, and says so once", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  const port = freePort();
  await using logger = await startForwarding(dir.path, rsyslog, port, [
    "--forward",
    `relp://127.0.0.1:${rsyslog.relpPort}`,
  ]);
  await using sender = burstSender(port, 20_000, "m");
  await waitForForwarded(rsyslog, 2000);
  await rsyslog.stop();
  const atStop = rsyslog.lines().length;
  await sleep(3000);
  await rsyslog.start();
  assert.equal((await sender.finish()).code, 0);
  await waitForForwarded(rsyslog, 20_000, 60_000);
  const got = seqs(rsyslog.lines(), "m");
  assert.equal(
    got.size,
    20_000,
    `missing: ${
      [...Array(20_000).keys()].filter((n) => !got.has(n)).slice(0, 10)
    }`,
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
  assert.match(end.stderr, /forwarding to relp:\/\/\S+ again\n/);
});

Deno.test("--forward relp:// picks up where it stopped when the logger restarts: lines logged while rsyslog was away are sent", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  const port = freePort();
  const args = ["--forward", `relp://127.0.0.1:${rsyslog.relpPort}`];
  let logger = await startForwarding(dir.path, rsyslog, port, args);
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
  await sleep(300);
  assert.equal((await logger.stop()).code, 0);
  await rsyslog.start();
  logger = await startForwarding(dir.path, rsyslog, port, args);
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
  await using logger = await startForwarding(dir.path, rsyslog, port, [
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
  assert.match(
    readText(`${dir.path}/log.txt.forward`),
    new RegExp(`^zmqlog-forward ${info.dev}:${info.ino} 10 relp://`),
  );
});

Deno.test("--forward does not follow a symbolic link put where it keeps its place", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path); // not started: never reached
  Deno.writeTextFileSync(`${dir.path}/victim`, "precious\n");
  Deno.symlinkSync("victim", `${dir.path}/log.txt.forward`);
  const out = await run("deno", [
    "run",
    ...forwardingFlags(rsyslog),
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
  await using logger = await startForwarding(dir.path, rsyslog, port, [
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
  await sleep(1_500); // the forwarder looks for a new file when idle
  assert.deepEqual(rsyslog.lines().map((line) => line.split(" ").at(-1)), [
    "one",
  ]);
  // ... then for a FIFO, which an open for reading would wait on for ever.
  Deno.removeSync(`${dir.path}/log.txt`);
  const fifo = await run("mkfifo", [`${dir.path}/log.txt`]);
  assert.equal(fifo.code, 0, fifo.stderr);
  await sleep(1_500);
  const status = await run(LOGGER, ["--status"], { cwd: dir.path });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /1 message logged/);
  const started = Date.now();
  assert.equal((await logger.stop()).code, 0);
  assert.ok(Date.now() - started < 5_000, `${Date.now() - started} ms`);
});

Deno.test("--status tells what was forwarded, that the server is away, and over plain TCP how many lines may be lost", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  const port = freePort();
  const url = `tcp://127.0.0.1:${rsyslog.tcpPort}`;
  await using logger = await startForwarding(dir.path, rsyslog, port, [
    "--forward",
    url,
  ]);
  const sendAll = async (names: string[]) => {
    for (const name of names) {
      const out = await send(["--port", String(port), name], dir.path);
      assert.equal(out.code, 0, out.stderr);
    }
  };
  const status = async () => {
    const out = await run(LOGGER, ["--status"], { cwd: dir.path });
    assert.equal(out.code, 0, out.stderr);
    return out.stdout;
  };
  await sendAll(["a1", "a2", "a3"]);
  await waitForForwarded(rsyslog, 3);
  assert.match(await status(), new RegExp(`; 3 lines forwarded to ${url}\n$`));
  await rsyslog.stop();
  await sendAll(["b1"]);
  // The closed connection is noticed, and what was written just before it counted.
  let away = "";
  for (let tries = 0; tries < 50 && !/cannot reach/.test(away); tries++) {
    await sleep(100);
    away = await status();
  }
  assert.match(
    away,
    new RegExp(
      `; 3 lines forwarded to ${url}; cannot reach it now \\(.+\\); up to [1-4] lines? may be lost \\(plain TCP has no acknowledgement\\)\n$`,
    ),
  );
  await rsyslog.start();
  await waitForForwarded(rsyslog, 4);
  assert.equal(rsyslog.lines().at(-1)?.split(" ").at(-1), "b1");
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
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
  const logger = await startForwarding(dir.path, rsyslog, port, [
    "--forward",
    `relp://127.0.0.1:${rsyslog.relpPort}`,
  ]);
  assert.equal((await send(["--port", String(port), "hi"], dir.path)).code, 0);
  await sleep(6000); // past the 5 s a session may take to open
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
  const logger = await startForwarding(dir.path, rsyslog, port, [
    "--forward",
    `relp://127.0.0.1:${rsyslog.relpPort}`,
  ]);
  assert.equal((await send(["--port", String(port), "one"], dir.path)).code, 0);
  await sleep(4000);
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
  // waitForPort's connection, then tries 250, 500, 1000 ms apart: a handful, not a loop.
  assert.ok(
    connections.length <= 6,
    `${connections.length} connections in 4 s`,
  );
});

Deno.test("--forward sends a line longer than it forwards whole as one message, cut: its level and host stay", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  const port = freePort();
  await using logger = await startForwarding(dir.path, rsyslog, port, [
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
  await waitForForwarded(rsyslog, 2);
  await sleep(500);
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
