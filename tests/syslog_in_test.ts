/**
 * Syslog in over ZeroMQ, with Debian's real rsyslogd: messages go in by TCP
 * (util-linux `logger`, and frames written here for other hosts), and out
 * through rsyslog's omczmq, PUSHed as RFC 5424 (RSYSLOG_SyslogProtocol23Format)
 * to our loggers. The JSON log has the levels, hosts, tags, times and texts
 * rsyslog saw; the plain log keeps each message's bytes as they came, and
 * `--show` and `--stats` read it the same way. Frames that only look like
 * syslog, sent straight over ZeroMQ, are plain text.
 *
 * rsyslogd runs in the foreground (`-n`) with its own config, pid file and
 * work directory in a temporary directory, loading only imtcp and omczmq and
 * keeping its own messages in: it does not touch /dev/log or the system's
 * files (checked with strace: no /dev/log; under /var and /run only glibc's
 * look for nscd when it resolves a name).
 */

import assert from "node:assert/strict";
import {
  Background,
  docsText,
  freePort,
  LOGGER,
  type Outcome,
  PYTHON,
  readText,
  run,
  startLogger,
  tempDir,
  waitForLines,
  waitForPort,
} from "./helpers.ts";

/** Debian's rsyslog and rsyslog-czmq (.ci/run installs them). */
const RSYSLOGD = "/usr/sbin/rsyslogd";
const MODULES = "/usr/lib/x86_64-linux-gnu/rsyslog";
/** util-linux's logger (Debian's bsdutils, always there). */
const LOGGER_CMD = "/usr/bin/logger";

/** After SIGTERM, how long rsyslogd may take before it is killed. */
const STOP_TIMEOUT_MS = 10_000;

/** Why the rsyslog test cannot run here, or undefined when it can. */
function missing(): string | undefined {
  for (
    const path of [
      RSYSLOGD,
      `${MODULES}/imtcp.so`,
      `${MODULES}/omczmq.so`,
      LOGGER_CMD,
    ]
  ) {
    try {
      Deno.statSync(path);
    } catch {
      return `no ${path}: install rsyslog and rsyslog-czmq`;
    }
  }
  return undefined;
}

/**
 * The configuration under test: TCP in on `tcpPort`, and for each logger
 * port an omczmq action that PUSHes every message to it as RFC 5424
 * (omczmq connects a PUSH socket: no ">" needed), from its own queue so a
 * logger that is away holds up nothing else. rsyslogd's own messages stay
 * inside (processInternalMessages: not to the system's /dev/log) and go
 * nowhere (only the input's ruleset has actions), so the log holds what the
 * test sent.
 */
function rsyslogConfig(work: string, tcpPort: number, ports: number[]) {
  const { load, action } = readmeOmczmq();
  return [
    `global(workDirectory="${work}" processInternalMessages="on")`,
    `module(load="imtcp")`,
    load,
    `input(type="imtcp" address="127.0.0.1" port="${tcpPort}" ruleset="toLogger")`,
    `ruleset(name="toLogger") {`,
    ...ports.map((port) =>
      action.replace("tcp://desktop.local:5555", `tcp://127.0.0.1:${port}`)
    ),
    "}",
    "",
  ].join("\n");
}

/** The README's omczmq configuration ("Beyond one machine"): what users copy. */
function readmeOmczmq(): { load: string; action: string } {
  const readme = docsText();
  const block = /```text\n(module\(load="omczmq"\))\n(action\([^`]*\))\n```/
    .exec(readme);
  assert.ok(block, "the README shows the omczmq configuration");
  assert.ok(
    block[2].includes('endpoints="tcp://desktop.local:5555"'),
    block[2],
  );
  return { load: block[1], action: block[2] };
}

/** rsyslogd in the foreground; ended with SIGTERM (then SIGKILL) by `await using`. */
class Rsyslogd implements AsyncDisposable {
  readonly #process: Background;

  constructor(dir: string, conf: string) {
    Deno.mkdirSync(`${dir}/work`);
    Deno.writeTextFileSync(`${dir}/rsyslog.conf`, conf);
    // Its cwd is the temporary directory: a core dump (omczmq may abort on
    // shutdown) goes with it.
    this.#process = new Background(RSYSLOGD, [
      "-n",
      "-f",
      `${dir}/rsyslog.conf`,
      "-i",
      `${dir}/rsyslogd.pid`,
    ], { cwd: dir });
  }

  /**
   * SIGTERM, and waits. Debian's omczmq 8.2302 may abort ("double free") as
   * it shuts down after sending: how it ends is not what is tested here.
   */
  stop(): Promise<Outcome> {
    return this.#process.stop("SIGTERM").catch(() => this.#process.finish());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#process.kill("SIGTERM");
    await this.#process.finish(STOP_TIMEOUT_MS).catch(() => {});
  }
}

/** Sends one octet-counted frame (RFC 6587) to rsyslog's imtcp. */
async function sendTcp(port: number, frames: string[]): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    for (const frame of frames) {
      const bytes = new TextEncoder().encode(frame);
      await conn.write(new TextEncoder().encode(`${bytes.length} `));
      await conn.write(bytes);
    }
  } finally {
    conn.close();
  }
}

/** util-linux logger, as a Pi's script would call it, to rsyslog over TCP. */
async function logger(port: number, args: string[]): Promise<void> {
  const out = await run(LOGGER_CMD, [
    "--tcp",
    "--octet-count",
    "--server",
    "127.0.0.1",
    "--port",
    String(port),
    ...args,
  ]);
  assert.equal(out.code, 0, `logger ${args.join(" ")}: ${out.stderr}`);
}

/** Sends each of `frames` as one ZeroMQ message, straight to the logger. */
async function pushRaw(port: number, frames: string[]): Promise<void> {
  const out = await run(PYTHON, [
    "-c",
    `import json, sys, zmq
context = zmq.Context()
socket = context.socket(zmq.PUSH)
socket.setsockopt(zmq.LINGER, 5000)
socket.connect('tcp://127.0.0.1:%s' % sys.argv[1])
for frame in json.loads(sys.argv[2]):
    socket.send(frame.encode())
socket.close()
context.term()`,
    String(port),
    JSON.stringify(frames),
  ]);
  assert.equal(out.code, 0, out.stderr);
}

/** A JSON log line, as --format json writes it. */
interface Record {
  received: string;
  sent: string | null;
  host: string | null;
  tag: string | null;
  level: string;
  message: string;
}

/** The frames that only look like syslog: the logger takes them as plain text. */
const MALFORMED = [
  "<13>hello, only like syslog",
  "<999>1 - pi app - - - a PRI too big",
  "<13>1 2026-13-40T00:00:00Z pi app - - - a bad timestamp",
  "<13>Nov 24 10:00:00 pi no tag here",
];

const why = missing();

Deno.test({
  name:
    "rsyslog's omczmq delivers to the logger: levels, hosts, tags, times and texts come out right in --format json, the plain log keeps the bytes, --show and --stats read them; malformed frames are plain text" +
    (why === undefined ? "" : ` (skipped: ${why})`),
  ignore: why !== undefined,
  async fn() {
    using dir = tempDir();
    const jsonDir = `${dir.path}/json`;
    const plainDir = `${dir.path}/plain`;
    Deno.mkdirSync(jsonDir);
    Deno.mkdirSync(plainDir);
    const jsonPort = freePort();
    const plainPort = freePort();
    const tcpPort = freePort();
    await using jsonLogger = await startLogger(jsonDir, jsonPort, [
      "--format",
      "json",
    ]);
    await using plainLogger = await startLogger(plainDir, plainPort);
    await using rsyslogd = new Rsyslogd(
      dir.path,
      rsyslogConfig(`${dir.path}/work`, tcpPort, [jsonPort, plainPort]),
    );
    await waitForPort(tcpPort);

    const here = Deno.hostname();
    // As a Pi's scripts would log, through util-linux logger.
    await logger(tcpPort, [
      "--rfc5424",
      "-p",
      "user.err",
      "-t",
      "backup",
      "--",
      "disk failed",
    ]);
    await logger(tcpPort, [
      "--rfc5424",
      "-p",
      "daemon.warning",
      "-t",
      "sensor",
      "--sd-id",
      "reading@32473",
      "--sd-param",
      'celsius="71"',
      "--",
      "too hot",
    ]);
    await logger(tcpPort, [
      "--rfc5424",
      "-p",
      "local0.debug",
      "-t",
      "web",
      "--",
      "GET /",
    ]);
    await logger(tcpPort, [
      "--rfc5424",
      "-p",
      "user.crit",
      "-t",
      "ups",
      "--",
      "on battery",
    ]);
    await logger(tcpPort, [
      "--rfc5424",
      "-p",
      "user.notice",
      "-t",
      "cron",
      "--",
      "job done",
    ]);
    // The old format in: rsyslog forwards it as RFC 5424 all the same.
    await logger(tcpPort, [
      "--rfc3164",
      "-p",
      "user.info",
      "-t",
      "legacy",
      "--",
      "old style",
    ]);
    // Other hosts, their own times and offsets, a BOM, a 3164 frame with a pid.
    await sendTcp(tcpPort, [
      "<165>1 2026-11-24T10:00:00.123+01:00 pi-garage backup 42 ID1 - \ufeffgrüße aus der Garage",
      '<11>1 2026-11-24T10:00:01.5Z pi-garage backup - - [x@1 k="v"] failed again',
      "<30>Nov 24 10:00:00 pi-kitchen cron[4242]: from the kitchen",
    ]);
    const fromRsyslog = 9;
    const jsonText = await waitForLines(`${jsonDir}/log.txt`, fromRsyslog);
    await waitForLines(`${plainDir}/log.txt`, fromRsyslog);
    await pushRaw(jsonPort, MALFORMED);
    await pushRaw(plainPort, MALFORMED);
    const all = fromRsyslog + MALFORMED.length;
    const records: Record[] = (await waitForLines(`${jsonDir}/log.txt`, all))
      .trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.equal(records.length, all, jsonText);

    const byText = new Map(records.map((r) => [r.message, r]));
    const expect = (
      text: string,
      level: string,
      host: string | null,
      tag: string | null,
      sent?: string,
    ) => {
      const record = byText.get(text);
      assert.ok(record, `no record "${text}" in ${JSON.stringify(records)}`);
      assert.deepEqual(
        { level: record.level, host: record.host, tag: record.tag },
        { level, host, tag },
        text,
      );
      if (sent !== undefined) assert.equal(record.sent, sent, text);
      else {assert.match(
          record.sent ?? "",
          /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
          text,
        );}
    };
    expect("disk failed", "error", here, "backup");
    expect("too hot", "warn", here, "sensor"); // structured data dropped
    expect("GET /", "debug", here, "web");
    expect("on battery", "critical", here, "ups");
    expect("job done", "info", here, "cron");
    expect("old style", "info", here, "legacy");
    expect(
      "grüße aus der Garage",
      "info",
      "pi-garage",
      "backup",
      "2026-11-24T09:00:00.123Z",
    );
    expect(
      "failed again",
      "error",
      "pi-garage",
      "backup",
      "2026-11-24T10:00:01.500Z",
    );
    const kitchen = byText.get("from the kitchen");
    assert.equal(kitchen?.host, "pi-kitchen");
    assert.equal(kitchen?.tag, "cron");
    for (const raw of MALFORMED) {
      const record = byText.get(raw);
      assert.ok(record, `malformed "${raw}" not logged whole`);
      assert.deepEqual(
        [record.level, record.host, record.tag, record.sent],
        ["info", null, null, null],
        raw,
      );
    }

    // The plain log: every message's bytes as they came, structured data
    // and all; the newline omczmq ends each frame with is the line's end
    // (not a #012 at the end of every line).
    const plain = readText(`${plainDir}/log.txt`);
    assert.match(
      plain,
      /^<11>1 \S+ \S+ backup - - \[timeQuality [^\]]*\] disk failed$/m,
    );
    assert.match(
      plain,
      /^<165>1 2026-11-24T10:00:00\.123\+01:00 pi-garage backup 42 ID1 - .*grüße aus der Garage$/m,
    );
    assert.doesNotMatch(plain, /#012$/m);
    for (const raw of MALFORMED) assert.ok(plain.includes(`${raw}\n`), raw);

    // --show reads that log as the JSON one: filters by level and host.
    const shown = await run(LOGGER, [
      "--show",
      "--level",
      "error",
      "--include-host",
      "^pi-garage$",
    ], { cwd: plainDir });
    assert.equal(shown.code, 0, shown.stderr);
    const shownLines = shown.stdout.trimEnd().split("\n");
    assert.equal(shownLines.length, 1, shown.stdout);
    assert.match(shownLines[0], /failed again/);

    // --stats counts it by host and by level.
    const byHost = await run(LOGGER, [
      "--stats",
      "--by",
      "host",
      "--format",
      "json",
    ], {
      cwd: plainDir,
    });
    assert.equal(byHost.code, 0, byHost.stderr);
    const hostTotals = JSON.parse(byHost.stdout).totals;
    assert.equal(hostTotals["pi-garage"], 2, byHost.stdout);
    assert.equal(hostTotals["pi-kitchen"], 1, byHost.stdout);
    assert.equal(hostTotals[here], 6, byHost.stdout);
    assert.equal(hostTotals["(none)"], MALFORMED.length, byHost.stdout);

    await rsyslogd.stop();
    await jsonLogger.stop();
    await plainLogger.stop();
  },
});
