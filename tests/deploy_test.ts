/**
 * deploy/: the systemd unit and the logrotate configuration of the README's
 * "On a Raspberry Pi". systemd-analyze checks the unit offline (no running
 * systemd needed), logrotate -d the configuration, and the real logrotate
 * rotates a real logger's file three times while Python senders send. Both
 * files are only rewritten where this machine differs from a Pi (paths, the
 * user, `systemctl try-reload-or-restart`), and each rewrite must find what it replaces.
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
  ROOT,
  run,
  send,
  startLogger,
  tempDir,
  waitFor,
  waitForLines,
} from "./helpers.ts";

const UNIT = `${ROOT}deploy/zmq-logger.service`;
const LOGROTATE_CONF = `${ROOT}deploy/zmq-logger.logrotate`;
/** Where the unit and the README install the compiled logger. */
const BINARY = "/usr/local/bin/logging_basic";
const SYSTEMD_ANALYZE = "/usr/bin/systemd-analyze";

/** Fails, naming the Debian package, when a tool is missing. */
function need(path: string, pkg: string): void {
  try {
    Deno.statSync(path);
  } catch {
    throw new Error(
      `${path} is missing: apt-get install ${pkg} (.ci/run does)`,
    );
  }
}

/** `text` with every `from` replaced by `to`; `from` must be there `times`. */
function rewrite(text: string, from: string, to: string, times = 1): string {
  const found = text.split(from).length - 1;
  assert.equal(found, times, `${JSON.stringify(from)} found ${found} times`);
  return text.replaceAll(from, to);
}

/** The [Service] settings of a unit file: each key's values, in order. */
function serviceSettings(unit: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let section = "";
  for (const raw of unit.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    if (line.startsWith("[")) {
      section = line;
      continue;
    }
    if (section !== "[Service]") continue;
    const equals = line.indexOf("=");
    assert.ok(equals > 0, `not a setting: ${line}`);
    const key = line.slice(0, equals);
    settings.set(key, [...settings.get(key) ?? [], line.slice(equals + 1)]);
  }
  return settings;
}

Deno.test("deploy/zmq-logger.service: systemd-analyze verify takes it without a word", async () => {
  need(SYSTEMD_ANALYZE, "systemd");
  // verify refuses a unit whose ExecStart= binary does not exist, and there is
  // no /usr/local/bin/logging_basic here: a copy of the unit names a stand-in
  // executable in a temporary directory instead, and nothing else changes.
  using dir = tempDir();
  const standIn = `${dir.path}/logging_basic`;
  Deno.writeTextFileSync(standIn, "#!/bin/sh\n", { mode: 0o755 });
  const unit = rewrite(Deno.readTextFileSync(UNIT), BINARY, standIn, 2);
  Deno.writeTextFileSync(`${dir.path}/zmq-logger.service`, unit);
  const out = await run(SYSTEMD_ANALYZE, ["verify", "zmq-logger.service"], {
    cwd: dir.path,
  });
  // A misspelt key or value is only a warning (exit 0), so stderr must be
  // empty too.
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stderr, "");
  assert.equal(out.stdout, "");
});

Deno.test("deploy/zmq-logger.service: what the compiled logger needs of it", () => {
  const settings = serviceSettings(Deno.readTextFileSync(UNIT));
  const one = (key: string) => {
    const values = settings.get(key);
    assert.ok(values, `${key}= is not set`);
    assert.equal(values.length, 1, `${key}= is set ${values.length} times`);
    return values[0];
  };
  // A named user: the log keeps its owner; --reopen reaches only a logger of
  // its own user, and ExecReload runs as User= (without a "+" prefix).
  assert.equal(one("User"), "zmqlog");
  assert.equal(one("WorkingDirectory"), "/var/log/zmq");
  assert.ok(!settings.has("DynamicUser"));
  // The binary keeps the name it was built with (its embedded files are under
  // /tmp/deno-compile-logging_basic).
  assert.match(one("ExecStart"), new RegExp(`^${BINARY}( |$)`));
  assert.equal(one("ExecReload"), `${BINARY} --reopen`);
  assert.equal(one("Restart"), "on-failure");
  assert.ok(Number(one("LimitNOFILE")) >= 65536, one("LimitNOFILE"));
  assert.equal(one("NoNewPrivileges"), "yes");
  assert.equal(one("ProtectSystem"), "strict");
  assert.equal(one("ReadWritePaths"), "/var/log/zmq");
  assert.equal(one("ProtectHome"), "yes");
  assert.equal(one("PrivateTmp"), "yes");
  // It may bind the port it listens on and no other (no debugger port), and
  // open only the address families it uses.
  const port = /(?:--port|-p)[= ](\d+)/.exec(one("ExecStart"))?.[1] ?? "5555";
  assert.equal(one("SocketBindAllow"), `tcp:${port}`);
  assert.equal(one("SocketBindDeny"), "any");
  assert.deepEqual(
    one("RestrictAddressFamilies").split(/\s+/).toSorted(),
    ["AF_INET", "AF_INET6", "AF_UNIX"],
  );
  // What would stop the binary: TMPDIR moves its embedded files away from the
  // path its FFI permission names; V8's JIT needs W+X memory; the addon is
  // loaded from /tmp.
  for (const key of ["MemoryDenyWriteExecute", "NoExecPaths"]) {
    assert.ok(!settings.has(key), `${key}= is set`);
  }
  for (const key of ["Environment", "EnvironmentFile", "PassEnvironment"]) {
    for (const value of settings.get(key) ?? []) {
      assert.doesNotMatch(value, /TMPDIR/, `${key}=${value}`);
    }
  }
});

/** Whose name and group logrotate's `su` takes here, instead of zmqlog's. */
async function thisUser(): Promise<string> {
  const user = (await run("id", ["-un"])).stdout.trim();
  const group = (await run("id", ["-gn"])).stdout.trim();
  return `su ${user} ${group}`;
}

/**
 * deploy/zmq-logger.logrotate for `dir`/log.txt: run as this user, and with
 * no systemd here, the postrotate does what the unit's ExecReload does:
 * `logging_basic --reopen` in the log's directory.
 */
async function logrotateConf(dir: string): Promise<string> {
  let conf = Deno.readTextFileSync(LOGROTATE_CONF);
  conf = rewrite(conf, "/var/log/zmq/log.txt {", `${dir}/log.txt {`);
  conf = rewrite(conf, "su zmqlog zmqlog", await thisUser());
  conf = rewrite(
    conf,
    "systemctl try-reload-or-restart zmq-logger",
    `cd '${dir}' && '${LOGGER}' --reopen`,
  );
  const path = `${dir}/logrotate.conf`;
  // logrotate ignores a configuration that others may write to.
  Deno.writeTextFileSync(path, conf, { mode: 0o644 });
  return path;
}

Deno.test("deploy/zmq-logger.logrotate: logrotate -d takes it", async () => {
  need(LOGROTATE, "logrotate");
  using dir = tempDir();
  Deno.writeTextFileSync(`${dir.path}/log.txt`, "a line\n");
  const conf = await logrotateConf(dir.path);
  const out = await run(LOGROTATE, [
    "-d",
    "-s",
    `${dir.path}/logrotate.state`,
    conf,
  ]);
  const output = out.stdout + out.stderr;
  assert.equal(out.code, 0, output);
  assert.doesNotMatch(output, /^error:/m);
  assert.match(output, new RegExp(`considering log ${dir.path}/log\\.txt`));
  assert.equal(readText(`${dir.path}/log.txt`), "a line\n", "-d moved it");
});

/** A file's text, gunzipped when its name ends in .gz; "" when missing. */
async function readLog(path: string): Promise<string> {
  if (!path.endsWith(".gz")) return readText(path);
  const file = await Deno.open(path);
  return await new Response(
    file.readable.pipeThrough(new DecompressionStream("gzip")),
  ).text();
}

Deno.test("deploy/zmq-logger.logrotate: three rotations by the real logrotate while senders send, every message in exactly one file, in order", async () => {
  need(LOGROTATE, "logrotate");
  using dir = tempDir();
  const port = freePort();
  const log = `${dir.path}/log.txt`;
  const conf = await logrotateConf(dir.path);
  await using logger = await startLogger(dir.path, port);
  assert.equal((await send(["--port", String(port), "first"])).code, 0);
  await waitForLines(log, 1);
  const count = 6000;
  const names = ["a", "b"];
  await using a = pacedSender(port, count, names[0]);
  await using b = pacedSender(port, count, names[1]);
  const rotations = 3;
  for (let rotation = 1; rotation <= rotations; rotation++) {
    // Some messages in the file each time (notifempty would skip an empty one).
    await waitForLines(log, 200);
    const out = await run(LOGROTATE, [
      "-f",
      "-s",
      `${dir.path}/logrotate.state`,
      conf,
    ], { cwd: dir.path });
    const output = out.stdout + out.stderr;
    assert.equal(out.code, 0, `rotation ${rotation}: ${output}`);
    assert.match(output, /^logging_basic: reopening \.\/log\.txt$/m);
  }
  for (const sender of [a, b]) {
    const sent = await sender.finish();
    assert.equal(sent.code, 0, sent.stderr);
  }
  assert.equal((await send(["--port", String(port), "last"])).code, 0);
  // Oldest first: delaycompress leaves log.txt.1 as it is and gzips the rest.
  const files = [`${log}.3.gz`, `${log}.2.gz`, `${log}.1`, log];
  const total = 2 * count + 2;
  let texts: string[] = [];
  let lines = 0;
  await waitFor(async () => {
    texts = await Promise.all(files.map(readLog));
    lines = texts.join("").split("\n").length - 1;
    return lines >= total;
  }, () => `${total} lines in ${files.join(", ")}; only ${lines}`);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.equal(
    end.stderr,
    `logging_basic: stopped; ${total} messages logged to ./log.txt\n`,
  );
  assert.deepEqual(
    [...Deno.readDirSync(dir.path)].map((entry) => entry.name)
      .filter((name) => name.startsWith("log.txt")).sort(),
    ["log.txt", "log.txt.1", "log.txt.2.gz", "log.txt.3.gz"],
  );
  assert.ok(texts[0].startsWith("first\n"), texts[0].slice(0, 80));
  assert.ok(texts[3].split("\n").includes("last"), texts[3].slice(-80));
  for (const name of names) {
    // Messages arrived during each rotation's span, so each file has some of
    // every sender's...
    for (const [i, text] of texts.entries()) {
      assert.ok(pacedSeqs(text, name).length > 0, `no ${name} in ${files[i]}`);
    }
    // ...and each message is in exactly one file, in the order sent.
    assert.deepEqual(
      texts.flatMap((text) => pacedSeqs(text, name)),
      Array.from({ length: count }, (_, i) => i),
      `sender ${name}`,
    );
  }
  assert.equal(
    texts.join("").split("\n").length - 1,
    total,
    "a line that is not a message",
  );
});
