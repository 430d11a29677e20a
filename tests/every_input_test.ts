/**
 * Every input gets an answer: what a user or a hostile peer may give the
 * scripts that once met silence, a hang, a crash or a wrong hint, and now
 * gets one clear line (and nothing is lost).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  freePort,
  lines,
  LOGGER,
  PYTHON,
  readText,
  ROOT,
  run,
  send,
  SENDER,
  startLogger,
  tempDir,
  waitForLines,
} from "./helpers.ts";

Deno.test("a two-frame request on the control socket gets an answer, and the logger goes on logging and answering", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  const script = `
import zmq
context = zmq.Context()
socket = context.socket(zmq.REQ)
socket.setsockopt(zmq.LINGER, 0)
socket.setsockopt(zmq.RCVTIMEO, 5000)
socket.connect("ipc://./log.txt.ctl")
socket.send_multipart([b"status", b"x"])
print(socket.recv().decode())
socket.close()
context.term()
`;
  const asked = await run(PYTHON, ["-c", script], { cwd: dir.path });
  assert.equal(asked.code, 0, asked.stderr);
  assert.equal(
    asked.stdout,
    "unknown request: a request is one frame of text\n",
  );
  const status = await run(LOGGER, ["--status"], { cwd: dir.path });
  assert.equal(status.code, 0, status.stderr);
  assert.equal((await send(["-p", String(port), "still", "here"])).code, 0);
  assert.equal(await waitForLines(`${dir.path}/log.txt`, 1), "still here\n");
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
});

/** A sender's stderr and status for `args`, with no logger needed. */
async function refusedSend(args: string[]) {
  return await run(SENDER, ["--timeout", "1", ...args]);
}

Deno.test("a header too long for the logger's frame is refused in one line before anything is sent, whatever the text", async () => {
  const long = "h".repeat(70_000);
  for (
    const [args, flag, bytes] of [
      [["--hostname", long, "x7"], "--hostname", 70_000],
      [
        ["--hostname", "h".repeat(1000), "y".repeat(65_000)],
        "--hostname",
        1000,
      ],
      [["--tag", "t".repeat(1000), "y".repeat(65_000)], "--tag", 1000],
      [["--stdin", "--hostname", "h".repeat(2000)], "--hostname", 2000],
    ] as const
  ) {
    const out = await refusedSend([...args]);
    assert.equal(out.code, 2, `${flag}: ${out.stderr}`);
    assert.match(
      out.stderr,
      new RegExp(
        `^log_cmd_basic: Cannot send as '${flag}' must be at most \\d+ bytes: current value is ${bytes} bytes long\\n$`,
      ),
    );
  }
});

Deno.test("a long host name and tag within the limits reach the log whole", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  const host = "h".repeat(255);
  const tag = "t".repeat(128);
  const text = "y".repeat(65_024 - 1);
  const out = await send([
    "-p",
    String(port),
    "--hostname",
    host,
    "--tag",
    tag,
    text,
  ]);
  assert.equal(out.code, 0, out.stderr);
  const line = await waitForLines(`${dir.path}/log.txt`, 1);
  assert.equal(line, `<info> - ${host} ${tag}: ${text}\n`);
  await logger.stop();
});

/**
 * A new key pair for the logger in `dir`/keys/logger.key (made with
 * --keygen, mode 0600); returns its public key.
 */
async function loggerKeys(dir: string): Promise<string> {
  Deno.mkdirSync(`${dir}/keys`, { recursive: true });
  const made = await run(LOGGER, ["--keygen"], { cwd: dir });
  assert.equal(made.code, 0, made.stderr);
  Deno.writeTextFileSync(`${dir}/keys/logger.key`, made.stdout, {
    mode: 0o600,
  });
  return /public-key = "(.{40})"/.exec(made.stdout)![1];
}

Deno.test("a FIFO where a key file or the allow-list should be is refused in one line: no hang at start, on --reopen, or in the sender", async () => {
  using dir = tempDir();
  const publicKey = await loggerKeys(dir.path);
  Deno.writeTextFileSync(`${dir.path}/keys/allowed.txt`, `${publicKey} me\n`);
  const fifo = (path: string) => run("mkfifo", [path]);
  assert.equal((await fifo(`${dir.path}/keys/pipe.key`)).code, 0);
  // At start: the logger's key pair.
  const start = await run(LOGGER, [
    "-p",
    String(freePort()),
    "--curve-key",
    "keys/pipe.key",
  ], { cwd: dir.path });
  assert.equal(start.code, 1);
  assert.match(
    start.stderr,
    /^logging_basic: Cannot read '--curve-key' keys\/pipe\.key: it is a FIFO, not a regular file\n$/,
  );
  // The sender's --curve-server-key, with --timeout 3: no hang.
  const sender = await run(SENDER, [
    "--timeout",
    "3",
    "--curve-server-key",
    "keys/pipe.key",
    "hi",
  ], { cwd: dir.path });
  assert.equal(sender.code, 1);
  assert.match(
    sender.stderr,
    /^log_cmd_basic: Cannot read '--curve-server-key' keys\/pipe\.key: it is a FIFO, not a regular file\n$/,
  );
  // On --reopen: the allow-list replaced by a FIFO keeps the list it had.
  const port = freePort();
  await using logger = await startLogger(dir.path, port, [
    "--curve-key",
    "keys/logger.key",
    "--curve-allow",
    "keys/allowed.txt",
  ]);
  Deno.removeSync(`${dir.path}/keys/allowed.txt`);
  assert.equal((await fifo(`${dir.path}/keys/allowed.txt`)).code, 0);
  const reopen = await run(LOGGER, ["--reopen"], { cwd: dir.path });
  assert.equal(reopen.code, 0, reopen.stderr);
  const status = await run(LOGGER, ["--status"], { cwd: dir.path });
  assert.equal(status.code, 0, status.stderr);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.match(
    end.stderr,
    /logging_basic: Cannot read '--curve-allow' keys\/allowed\.txt: it is a FIFO, not a regular file; still using the allow-list it had\n/,
  );
  assert.equal(readText(`${dir.path}/log.txt`).includes("\0"), false);
});

/** Whether the tests run as root (chown to another user needs it). */
const AS_ROOT = (await run("id", ["-u"])).stdout.trim() === "0";

Deno.test({
  name:
    "an allow-list another user owns is refused in one line, as a log file of another user is" +
    (AS_ROOT ? "" : " (skipped: chown needs root)"),
  ignore: !AS_ROOT,
  async fn() {
    using dir = tempDir();
    const publicKey = await loggerKeys(dir.path);
    const allowed = `${dir.path}/keys/allowed.txt`;
    Deno.writeTextFileSync(allowed, `${publicKey} me\n`);
    Deno.chownSync(allowed, 54321, null);
    const out = await run(LOGGER, [
      "-p",
      String(freePort()),
      "--curve-key",
      "keys/logger.key",
      "--curve-allow",
      "keys/allowed.txt",
    ], { cwd: dir.path });
    assert.equal(out.code, 1);
    assert.equal(
      out.stderr,
      "logging_basic: Cannot read '--curve-allow' keys/allowed.txt: it belongs to another user (uid 54321; this runs as uid 0), who could change the keys it holds: give it to this user (chown), or remove it\n",
    );
  },
});

Deno.test("refusals held back to keep the log short are still counted in it when the logger stops within the minute", async () => {
  using dir = tempDir();
  const publicKey = await loggerKeys(dir.path);
  // Allowed: a key no sender below has.
  const allowedKey = await loggerKeys(`${dir.path}/other`);
  Deno.writeTextFileSync(`${dir.path}/keys/allowed.txt`, `${allowedKey} x\n`);
  const port = freePort();
  await using logger = await startLogger(dir.path, port, [
    "--curve-key",
    "keys/logger.key",
    "--curve-allow",
    "keys/allowed.txt",
  ]);
  // 15 senders, each with a key of its own: each waits until it is refused.
  const script = `
import sys, zmq
from zmq.utils.monitor import recv_monitor_message
context = zmq.Context()
refused = 0
for i in range(15):
    socket = context.socket(zmq.PUSH)
    socket.setsockopt(zmq.LINGER, 0)
    socket.curve_serverkey = sys.argv[2].encode()
    socket.curve_publickey, socket.curve_secretkey = zmq.curve_keypair()
    monitor = socket.get_monitor_socket()
    monitor.setsockopt(zmq.RCVTIMEO, 10000)
    socket.connect("tcp://127.0.0.1:%s" % sys.argv[1])
    while True:
        event = recv_monitor_message(monitor)["event"]
        if event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            refused += 1
            break
    socket.disable_monitor()
    monitor.close()
    socket.close()
print(refused)
context.term()
`;
  const senders = await run(PYTHON, ["-c", script, String(port), publicKey]);
  assert.equal(senders.stdout, "15\n", senders.stderr);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  const log = readText(`${dir.path}/log.txt`);
  assert.equal(log.match(/ refused a sender at /g)?.length, 10, log);
  assert.match(
    log,
    / refused 5 more senders with other keys not in keys\/allowed\.txt \(not logged one by one: over 10 refusals in 60 s\)\n$/,
  );
});

Deno.test("a logger that fails to start leaves no empty log behind, keeps a log that was there, and one that started keeps its log even empty", async () => {
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    const inUse = await run(LOGGER, ["-p", String(port)], { cwd: dir.path });
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, /port \d+ is already in use/);
    assert.deepEqual([...Deno.readDirSync(dir.path)], [], "nothing left");
  } finally {
    taken.close();
  }
  const badBind = await run(LOGGER, [
    "-p",
    String(freePort()),
    "--bind",
    "nosuch.invalid",
  ], { cwd: dir.path });
  assert.equal(badBind.code, 1);
  assert.equal(
    badBind.stderr,
    `logging_basic: Cannot listen on tcp://nosuch.invalid:${
      /:(\d+):/.exec(badBind.stderr)?.[1]
    }: nosuch.invalid is neither an address of this machine nor the name of one of its interfaces (--bind takes those, or * for all)\n`,
  );
  assert.deepEqual([...Deno.readDirSync(dir.path)], [], "nothing left");
  // A log that was there stays, even empty.
  Deno.writeTextFileSync(log, "");
  const again = await run(LOGGER, ["-p", "1", "--bind", "nosuch.invalid"], {
    cwd: dir.path,
  });
  assert.equal(again.code, 1);
  assert.equal(readText(log), "");
  Deno.removeSync(log);
  // Started, then stopped with nothing logged: the book keeps an empty log.
  await using logger = await startLogger(dir.path, freePort());
  await logger.stop();
  assert.equal(Deno.statSync(log).size, 0);
});

Deno.test("--host with a port in it is refused in one line naming --port", async () => {
  const out = await run(SENDER, ["--host", "localhost:31931", "hi"]);
  assert.equal(out.code, 2);
  assert.equal(
    out.stderr,
    `log_cmd_basic: Cannot send as '--host' must be a host name or IP address, without a port (give that with --port 31931): current value is "localhost:31931"\n`,
  );
  // IPv6 addresses keep their colons.
  const v6 = await run(SENDER, ["--host", "::1", "--timeout", "0.2", "hi"]);
  assert.doesNotMatch(v6.stderr, /without a port/);
});

Deno.test("--show and --stats of a file the shebang does not allow suggest reading it only; a log.txt that is a symbolic link is named as one", async () => {
  using dir = tempDir();
  Deno.writeTextFileSync(`${dir.path}/other.txt`, "a line\n");
  for (const mode of ["--show", "--stats"]) {
    const out = await run(LOGGER, [mode, "--file", "other.txt"], {
      cwd: dir.path,
    });
    assert.equal(out.code, 1);
    const hint = /start it as: (.*)$/m.exec(out.stderr)?.[1];
    assert.ok(hint, out.stderr);
    assert.doesNotMatch(hint, /--allow-write/);
    assert.match(hint, / --allow-read=other\.txt /);
    // The hint works as given.
    const shell = await run("bash", ["-c", `exec ${hint}`], {
      cwd: dir.path,
      env: {
        PATH: `${Deno.execPath().replace(/\/[^/]*$/, "")}:${
          Deno.env.get("PATH")
        }`,
      },
    });
    assert.equal(shell.code, 0, shell.stderr);
  }
  Deno.symlinkSync("other.txt", `${dir.path}/log.txt`);
  const shown = await run(LOGGER, ["--show"], { cwd: dir.path });
  assert.equal(shown.code, 1);
  assert.equal(
    shown.stderr,
    "logging_basic: Cannot read log file './log.txt': it is a symbolic link (to other.txt), and the logger reads and writes only a regular file, never through a link: give --file the file itself\n",
  );
});

/** Whether this machine has IPv6 on loopback (::1). */
const HAS_IPV6 = (await run("ip", ["-6", "addr", "show", "lo"])).stdout
  .includes("::1");

Deno.test({
  name: "the default logger (*) takes senders over IPv6 and IPv4 alike" +
    (HAS_IPV6 ? "" : " (skipped: no ::1 on this machine)"),
  ignore: !HAS_IPV6,
  async fn() {
    using dir = tempDir();
    const port = freePort();
    await using logger = await startLogger(dir.path, port);
    for (const host of ["::1", "127.0.0.1", "localhost"]) {
      const out = await send([
        "--host",
        host,
        "-p",
        String(port),
        "--timeout",
        "5",
        "via",
        host,
      ]);
      assert.equal(out.code, 0, `${host}: ${out.stderr}`);
    }
    assert.equal(
      await waitForLines(`${dir.path}/log.txt`, 3),
      "via ::1\nvia 127.0.0.1\nvia localhost\n",
    );
    await logger.stop();
  },
});

Deno.test("a Deno program in another directory logs through LogSender as the README says to run it", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  using elsewhere = tempDir();
  Deno.writeTextFileSync(
    `${elsewhere.path}/app.ts`,
    `import { LogSender } from "${ROOT}lib/sender/log_sender.ts";
const log = new LogSender({ port: ${port}, tag: "app", hostname: "h", timestamps: false });
log.info("from elsewhere");
if (!(await log.close(10_000))) Deno.exit(1);
`,
  );
  const readme = [
    `${ROOT}README.md`,
    ...[...Deno.readDirSync(`${ROOT}docs`)].map((e) => `${ROOT}docs/${e.name}`),
  ].map(readText).join("\n");
  const command = /`(deno run -q --config PATH\/TO\/deno\.json [^`]*app\.ts)`/
    .exec(readme)?.[1];
  assert.ok(command, "README shows no command for a program elsewhere");
  const [deno, ...args] = command.replaceAll("PATH/TO/", ROOT).split(" ");
  const out = await run(deno, args, { cwd: elsewhere.path });
  assert.equal(out.code, 0, out.stderr);
  assert.equal(
    await waitForLines(`${dir.path}/log.txt`, 1),
    "<info> - h app: from elsewhere\n",
  );
  await logger.stop();
});

Deno.test("--stdin keeps its queue bounded in bytes while the logger is away: 12,000 lines of 65,000 bytes", async () => {
  const port = freePort(); // no logger there
  const feed =
    "import sys\nline = b'x' * 64999 + b'\\n'\ntry:\n    for _ in range(12000): sys.stdout.buffer.write(line)\nexcept BrokenPipeError:\n    pass";
  const child = new Deno.Command("bash", {
    args: [
      "-c",
      `exec '${SENDER}' -p ${port} --stdin < <(${PYTHON} -c "$FEED")`,
    ],
    env: { FEED: feed },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const said: string[] = [];
  try {
    // The deadline, not a wait: cleared once it says so.
    const deadline = setTimeout(() => child.kill("SIGKILL"), 30_000); // the deadline
    for await (const line of lines(child.stderr)) {
      said.push(line);
      if (/lines sent, the rest wait/.test(line)) break;
    }
    clearTimeout(deadline);
    assert.match(said.join("\n"), /; 256 lines sent, the rest wait/);
    const status = (await run("cat", [`/proc/${child.pid}/status`])).stdout;
    const peakMiB = Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)![1]) / 1024;
    // With a queue counted in lines only, this was about 1 GB.
    assert.ok(peakMiB < 150, `peak RSS ${peakMiB.toFixed(0)} MiB`);
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
});

Deno.test("--show --since on a log written without --timestamps says why nothing shows; a reversed range is refused in one line", async () => {
  using dir = tempDir();
  Deno.writeTextFileSync(`${dir.path}/log.txt`, "arg1 arg2 arg3\n213 32456\n");
  const shown = await run(LOGGER, ["--show", "--since", "-1h"], {
    cwd: dir.path,
  });
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(shown.stdout, "");
  assert.equal(
    shown.stderr,
    "logging_basic: left out 2 lines without a time (logged without --timestamps, sent without one), as --since and --until need one\n",
  );
  for (const mode of ["--show", "--stats"]) {
    const reversed = await run(LOGGER, [
      mode,
      "--since",
      "2026-11-25",
      "--until",
      "2026-11-24",
    ], { cwd: dir.path });
    assert.equal(reversed.code, 2);
    assert.equal(
      reversed.stderr,
      `logging_basic: Cannot ${
        mode === "--stats" ? "count" : "show the log"
      } as '--since' is after '--until': current values are "2026-11-25" and "2026-11-24"\n`,
    );
  }
});

Deno.test("an argument that is not valid UTF-8 is refused by Deno before either script runs: its error line, exit 1, no backtrace", async () => {
  // Deno.Command takes only strings; the shell passes the bytes as they are.
  // RUST_BACKTRACE unset, as a user has it (this environment sets it).
  const withBadBytes =
    `exec env -u RUST_BACKTRACE "$0" "$(printf '\\377\\376')" x`;
  for (const script of [LOGGER, SENDER]) {
    for (const place of ["first", "as an option's value"]) {
      const shell = place === "first"
        ? withBadBytes
        : withBadBytes.replace('"$0"', '"$0" --tag');
      const out = await run("sh", ["-c", shell, script]);
      // deno prints its error in colour even into a pipe.
      const stderr = out.stderr.replace(new RegExp("\x1b\\[[0-9;]*m", "g"), "");
      const what = `${script} (the bad bytes ${place})`;
      assert.equal(out.code, 1, `${what}: ${stderr}`);
      assert.equal(out.stdout, "", what);
      const said = stderr.split("\n").filter((line) => line !== "");
      assert.equal(
        said[0],
        "error: invalid UTF-8 was detected in one or more arguments",
        what,
      );
      // Beyond the error, only deno's usage line: no backtrace, no panic.
      assert.deepEqual(said.slice(1), [
        "Usage: deno run [OPTIONS] [SCRIPT_ARG]...",
      ], what);
    }
  }
});
