/**
 * `--seal`, `--seal-init` and `--verify` end to end: the real logger (with
 * the grants sealing needs on top of its shebang's), real senders over
 * ZeroMQ on loopback, the real logrotate, and faults made by strace (a seal
 * file that cannot be written, as on a full disk) rather than by luck.
 * Tampering is done to copies of a sealed log, as an attacker with the
 * machine would do it, and `--verify` must find and name each.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  Background,
  freePort,
  LOGGER,
  LOGROTATE,
  pacedSender,
  pacedSeqs,
  readText,
  ROOT,
  run,
  send,
  sendBulk,
  tempDir,
  waitFor,
  waitForLines,
  waitForPort,
} from "./helpers.ts";
import { Rsyslog } from "./forward_helpers.ts";
import { formatVerifyKey, mac, newKey, sha256Hex } from "../lib/seal/chain.ts";
import { lineTags } from "../lib/seal/line_tags.ts";
import { formatRecord, parseRecord, withMac } from "../lib/seal/record.ts";

/** The shebang's Deno flags, with read and write of the seal file and the key added. */
function sealingFlags(extra: { read?: string[]; write?: string[] } = {}) {
  const shebang = Deno.readTextFileSync(LOGGER).split("\n")[0];
  const seal = ["./log.txt.seal", "./log.txt.seal-key"];
  return shebang.split(" ").filter((word) =>
    word.startsWith("-") && word !== "-S"
  ).map((word) =>
    word.startsWith("--allow-write=")
      ? [word, ...seal, ...extra.write ?? []].join(",")
      : word.startsWith("--allow-read=")
      ? [word, ...seal, ...extra.read ?? []].join(",")
      : word
  );
}

/** `--seal-init` in `dir`: the verification key it printed. */
async function sealInit(dir: string): Promise<string> {
  const out = await run("deno", [
    "run",
    ...sealingFlags(),
    LOGGER,
    "--seal-init",
  ], {
    cwd: dir,
  });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /^zseal1-[A-Za-z0-9_-]{43}\n$/);
  return out.stdout.trim();
}

/** The logger with `--seal` in `dir` (and `args`), waited for until it listens. */
async function startSealing(
  dir: string,
  port: number,
  args: string[] = [],
  flags = sealingFlags(),
): Promise<Background> {
  const logger = new Background(
    "deno",
    ["run", ...flags, LOGGER, "--port", String(port), "--seal", ...args],
    { cwd: dir },
  );
  await waitForPort(port).catch(async (err) => {
    throw new Error(`${err.message}: ${(await logger.stop()).stderr}`);
  });
  return logger;
}

/** `--verify` in `dir` of `files` (default: ./log.txt) with `key`. */
function verify(dir: string, key: string, files: string[] = []) {
  return run("deno", verifyArgs(dir, key, files), { cwd: dir });
}

/** The `deno run` arguments of `--verify` in `dir`. */
function verifyArgs(dir: string, key: string, files: string[] = []): string[] {
  return [
    "run",
    "-q",
    "--no-prompt",
    "-P=logging_basic",
    `--allow-read=${dir}`,
    LOGGER,
    "--verify",
    "--verify-key",
    key,
    ...files.flatMap((file) => ["--file", file]),
  ];
}

/** `--verify` of `dir`'s log in the background, to watch what it says as it works. */
function verifyInBackground(dir: string, key: string): Background {
  return new Background("deno", verifyArgs(dir, key), { cwd: dir });
}

/** A copy of `dir`'s log and seal file in a new directory, for one kind of tampering. */
function copyOf(dir: string, name: string): string {
  const copy = `${dir}/${name}`;
  Deno.mkdirSync(copy);
  for (const file of ["log.txt", "log.txt.seal"]) {
    Deno.copyFileSync(`${dir}/${file}`, `${copy}/${file}`);
  }
  return copy;
}

/** Rewrites the lines of the log in `dir` with `change`. */
function changeLines(dir: string, change: (lines: string[]) => void): void {
  const lines = readText(`${dir}/log.txt`).split("\n");
  lines.pop(); // after the last newline
  change(lines);
  Deno.writeTextFileSync(`${dir}/log.txt`, lines.map((l) => `${l}\n`).join(""));
}

Deno.test("--seal-init prints the verification key once and keeps the sealing key with mode 0600; through the shebang it names the grant it needs", async () => {
  using dir = tempDir();
  const shebang = await run(LOGGER, ["--seal-init"], { cwd: dir.path });
  assert.equal(shebang.code, 1);
  assert.equal(shebang.stdout, "");
  assert.match(
    shebang.stderr,
    /^logging_basic: Cannot seal \.\/log\.txt as Deno may not read and write \.\/log\.txt\.seal and \.\/log\.txt\.seal-key; run it as: deno run .*--allow-write=\.\/log\.txt,\.\/log\.txt\.ctl,\.\/log\.txt\.seal,\.\/log\.txt\.seal-key .* --seal-init\n$/,
  );
  assert.deepEqual([...Deno.readDirSync(dir.path)], []);

  const key = await sealInit(dir.path);
  const state = `${dir.path}/log.txt.seal-key`;
  assert.equal(Deno.statSync(state).mode! & 0o777, 0o600);
  const again = await run("deno", [
    "run",
    ...sealingFlags(),
    LOGGER,
    "--seal-init",
  ], {
    cwd: dir.path,
  });
  assert.equal(again.code, 1);
  assert.equal(again.stdout, "", "the key is printed once");
  assert.match(
    again.stderr,
    /Cannot make a sealing key: \.\/log\.txt\.seal-key is there already/,
  );
  assert.equal(again.stderr.split("\n").length, 2, again.stderr);
  assert.ok(key.length > 0);

  // The logger with --seal and no key says how to make one.
  using empty = tempDir();
  const port = freePort();
  const none = await run("deno", [
    "run",
    ...sealingFlags(),
    LOGGER,
    "--port",
    String(port),
    "--seal",
  ], {
    cwd: empty.path,
  });
  assert.equal(none.code, 1);
  assert.equal(
    none.stderr,
    "logging_basic: Cannot seal: there is no sealing key at ./log.txt.seal-key; make one with --seal-init (it prints the verification key, once)\n",
  );
});

Deno.test("a sealed log verifies as it is, and --verify finds and names each kind of tampering", async () => {
  using dir = tempDir();
  const port = freePort();
  const log = `${dir.path}/log.txt`;
  const key = await sealInit(dir.path);
  await using logger = await startSealing(dir.path, port);
  for (const text of ["first", "second"]) {
    assert.equal((await send(["--port", String(port), text])).code, 0);
  }
  await waitForLines(log, 2);
  await sendBulk(port, 2, 200); // batches of many lines
  await waitForLines(log, 402);
  // The seal file as it was then, to be put back later.
  await waitFor(
    () => readText(`${log}.seal`).includes(" seq=3 "),
    () => `seal record 3 in ${log}.seal: ${readText(`${log}.seal`)}`,
  );
  const older = readText(`${log}.seal`);
  await sendBulk(port, 2, 2500); // more than one write holds
  await waitForLines(log, 5402);
  assert.equal((await send(["--port", String(port), "last"])).code, 0);
  await waitForLines(log, 5403);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);

  const untouched = await verify(dir.path, key);
  assert.equal(untouched.code, 0, untouched.stdout + untouched.stderr);
  assert.match(
    untouched.stdout,
    /^\.\/log\.txt: verified 5403 lines, sealed from \S+Z to \S+Z \(seal records 0-\d+\)\n$/,
  );

  const tampered: [string, (copy: string) => void, RegExp][] = [
    [
      "byte",
      (copy) =>
        changeLines(copy, (lines) => {
          lines[299] = lines[299].replace(/\d$/, (d) => String((+d + 1) % 10));
        }),
      /^\.\/log\.txt: line 300 changed since it was sealed \(seal record \d+, sealed at \S+\)\n$/,
    ],
    [
      "delete",
      (copy) => changeLines(copy, (lines) => lines.splice(299, 1)),
      /^\.\/log\.txt: line 300 removed: the line sealed as line 300 is missing/,
    ],
    [
      "insert",
      (copy) => changeLines(copy, (lines) => lines.splice(299, 0, "s0 999")),
      /^\.\/log\.txt: line 300 inserted: it was not there when the lines around were sealed/,
    ],
    [
      "swap",
      (copy) =>
        changeLines(copy, (lines) => {
          [lines[299], lines[300]] = [lines[300], lines[299]];
        }),
      /^\.\/log\.txt: lines 300 and 301 reordered: they were sealed the other way round/,
    ],
    [
      "truncate",
      (copy) => changeLines(copy, (lines) => lines.splice(-3)),
      /^\.\/log\.txt: cut short: it ends after line 5400, but its seals cover lines up to 5403/,
    ],
    [
      "older seal",
      (copy) => Deno.writeTextFileSync(`${copy}/log.txt.seal`, older),
      /^\.\/log\.txt: lines \d+-5403 are not sealed: more than one write of the logger after the last seal, at \S+: the seal file ends early \(cut, or replaced by an older copy\)\n$/,
    ],
    [
      "cut seal",
      (copy) => {
        const seal = Deno.readFileSync(`${copy}/log.txt.seal`);
        Deno.writeFileSync(
          `${copy}/log.txt.seal`,
          seal.subarray(0, seal.length - 100),
        );
      },
      /^\.\/log\.txt\.seal: cut: its last line \(\d+\) is a seal record cut short\n$/,
    ],
    [
      "no seal",
      (copy) => Deno.removeSync(`${copy}/log.txt.seal`),
      /^\.\/log\.txt: no seal file: there is none at \.\/log\.txt\.seal\n$/,
    ],
  ];
  for (const [name, tamper, expected] of tampered) {
    const copy = copyOf(dir.path, name.replace(" ", "-"));
    tamper(copy);
    const out = await verify(copy, key);
    assert.equal(out.code, 1, `${name}: ${out.stdout}${out.stderr}`);
    assert.match(out.stdout, expected, name);
    assert.doesNotMatch(out.stdout, /verified/, name);
    assert.equal(out.stderr, "", name);
  }
});

Deno.test("a line forged with the sealing key taken from the machine afterwards is found: that key cannot seal an earlier record", async () => {
  using dir = tempDir();
  const port = freePort();
  const log = `${dir.path}/log.txt`;
  const key = await sealInit(dir.path);
  await using logger = await startSealing(dir.path, port);
  for (const text of ["pay alice 10", "pay bob 20", "pay carol 30"]) {
    assert.equal((await send(["--port", String(port), text])).code, 0);
    await waitForLines(
      log,
      text.endsWith("10") ? 1 : text.endsWith("20") ? 2 : 3,
    );
  }
  assert.equal((await logger.stop()).code, 0);

  // The attacker has the machine: the log, the seal file and the key now in
  // the state file. They change bob's line and seal its record again.
  const state = readText(`${log}.seal-key`);
  const stolen = Uint8Array.fromHex(/^key=([0-9a-f]{64})$/m.exec(state)![1]);
  const forged = readText(log).replace("pay bob 20", "pay bob 90");
  Deno.writeTextFileSync(log, forged);
  const records = readText(`${log}.seal`).split("\n").filter(Boolean);
  const at = records.findIndex((line) =>
    / lines=1 /.test(line) && / offset=13 /.test(line)
  );
  assert.ok(at > 0, records.join("\n"));
  const record = parseRecord(records[at])!;
  const bytes = new TextEncoder().encode("pay bob 90\n");
  const signed = formatRecord(
    { ...record, sha256: sha256Hex(bytes), tags: lineTags(bytes) },
    record.time,
    records[at].split(" ")[2], // the host, as it was
  );
  records[at] = withMac(signed, mac(stolen, signed));
  Deno.writeTextFileSync(`${log}.seal`, records.map((l) => `${l}\n`).join(""));

  const out = await verify(dir.path, key);
  assert.equal(out.code, 1, out.stdout);
  assert.equal(
    out.stdout,
    `./log.txt.seal: seal record ${record.seq} (line ${
      at + 1
    } of the seal file) was not sealed with the key of record ${record.seq}: it was forged, or changed after it was sealed\n`,
  );
});

Deno.test("a log changed, its seal file replaced by one record sealed with the key taken afterwards, is not verified: the chain does not reach record 0", async () => {
  using dir = tempDir();
  const port = freePort();
  const log = `${dir.path}/log.txt`;
  const key = await sealInit(dir.path);
  await using logger = await startSealing(dir.path, port);
  for (const [i, text] of ["pay alice 10", "pay bob 20"].entries()) {
    assert.equal((await send(["--port", String(port), text])).code, 0);
    await waitForLines(log, i + 1);
  }
  assert.equal((await logger.stop()).code, 0);

  // The attacker rewrites the log, deletes the seal file and starts a new
  // one at the stolen key's record, claiming to go on from an earlier file.
  const state = readText(`${log}.seal-key`);
  const stolen = Uint8Array.fromHex(/^key=([0-9a-f]{64})$/m.exec(state)![1]);
  const seq = Number(/^seq=(\d+)$/m.exec(state)![1]);
  const chain = /^chain=([0-9a-f]{64})$/m.exec(state)![1];
  const forged = new TextEncoder().encode("pay alice 10\npay bob 90\n");
  Deno.writeFileSync(log, forged);
  const signed = formatRecord(
    {
      seq,
      kind: "open",
      offset: 0,
      length: forged.length,
      lines: 2,
      sha256: sha256Hex(forged),
      prev: chain,
      tags: lineTags(forged),
    },
    new Date().toISOString(),
    "host",
  );
  Deno.writeTextFileSync(
    `${log}.seal`,
    `${withMac(signed, mac(stolen, signed))}\n`,
  );

  const out = await verify(dir.path, key);
  assert.equal(out.code, 1, out.stdout);
  assert.match(
    out.stdout,
    new RegExp(
      `seal records ${seq}-${seq} check, but they go on from record ${
        seq - 1
      } of an earlier file that was not given`,
    ),
  );
  assert.doesNotMatch(out.stdout, /: verified /);
});

/** A logger run under strace, which passes no signal on to it. */
class Traced implements AsyncDisposable {
  constructor(readonly strace: Background) {}

  /** Sends `signal` to the logger itself and waits for both to end. */
  async signal(signal: Deno.Signal) {
    const children = await run("pgrep", ["-P", String(this.strace.pid)]);
    const pids = children.stdout.trim().split("\n").filter(Boolean);
    assert.equal(pids.length, 1, `strace's children: ${children.stdout}`);
    Deno.kill(Number(pids[0]), signal);
    return await this.strace.finish();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    // strace killed first would leave the logger running, detached.
    await this.signal("SIGKILL").catch(() => {}); // unless it has ended
    await this.strace[Symbol.asyncDispose]();
  }
}

/**
 * The sealing logger in `dir` under strace, with writes to its seal file
 * failing as on a full disk (ENOSPC): those strace's `when` counts.
 */
async function startSealingOnFullDisk(
  dir: string,
  port: number,
  when: string,
): Promise<Traced> {
  const strace = new Background("strace", [
    "-f",
    "-o",
    "/dev/null",
    "-P",
    `${dir}/log.txt.seal`,
    "-e",
    "trace=write",
    "-e",
    `inject=write:error=ENOSPC:when=${when}`,
    "deno",
    "run",
    ...sealingFlags(),
    LOGGER,
    "--port",
    String(port),
    "--seal",
  ], { cwd: dir });
  await waitForPort(port).catch(async (err) => {
    throw new Error(`${err.message}: ${(await strace.stop()).stderr}`);
  });
  return new Traced(strace);
}

Deno.test("killed (SIGKILL) between writing a line and sealing it: --verify says the line is not sealed, not that anything was changed; the next start seals it", async () => {
  using dir = tempDir();
  const port = freePort();
  const log = `${dir.path}/log.txt`;
  const key = await sealInit(dir.path);
  // The seal file's first record (it begins the file) is written; the
  // record of the first line is not, and the logger waits to write it.
  await using traced = await startSealingOnFullDisk(dir.path, port, "2+");
  assert.equal((await send(["--port", String(port), "one"])).code, 0);
  await waitForLines(log, 1);
  await traced.strace.waitForStderr(
    "logging_basic: Cannot write to './log.txt.seal': No space left on device (os error 28); holding the seal of 1 line and trying again every 1 s (senders wait meanwhile)",
  );
  assert.equal((await traced.signal("SIGKILL")).signal, "SIGKILL");

  const killed = await verify(dir.path, key);
  assert.equal(killed.code, 1);
  assert.match(
    killed.stdout,
    /^\.\/log\.txt: line 1 is not sealed: written after the last seal, at \S+ \(the logger was stopped or killed between writing and sealing them, or is writing them now\)\n$/,
  );

  await using logger = await startSealing(dir.path, port);
  assert.equal((await send(["--port", String(port), "two"])).code, 0);
  await waitForLines(log, 2);
  assert.equal((await logger.stop()).code, 0);
  const restarted = await verify(dir.path, key);
  assert.equal(restarted.code, 0, restarted.stdout);
  assert.match(
    restarted.stdout,
    /^\.\/log\.txt: note: line 1 was found unsealed and sealed at \S+, when the logger started or opened the file .*\n\.\/log\.txt: verified 2 lines, sealed from \S+ to \S+ \(seal records 0-3\)\n$/,
  );
});

Deno.test("a seal file on a full disk: the logger holds the seal (and the next messages) until it can write it, and the log verifies", async () => {
  using dir = tempDir();
  const port = freePort();
  const log = `${dir.path}/log.txt`;
  const key = await sealInit(dir.path);
  await using traced = await startSealingOnFullDisk(dir.path, port, "2..3");
  assert.equal((await send(["--port", String(port), "one"])).code, 0);
  await traced.strace.waitForStderr(
    "logging_basic: sealing to './log.txt.seal' again",
  );
  assert.equal((await send(["--port", String(port), "two"])).code, 0);
  await waitForLines(log, 2);
  const end = await traced.signal("SIGTERM");
  assert.equal(end.code, 0, end.stderr);
  assert.match(
    end.stderr,
    /holding the seal of 1 line and trying again every 1 s/,
  );
  const out = await verify(dir.path, key);
  assert.equal(out.code, 0, out.stdout);
  assert.match(out.stdout, /^\.\/log\.txt: verified 2 lines/);
});

/**
 * deploy/zmq-logger.logrotate for `dir`: run as this user, and with the
 * postrotate the unit's ExecReload runs, `logging_basic --reopen` in the
 * log's directory (as tests/deploy_test.ts runs it).
 */
async function logrotateConf(dir: string): Promise<string> {
  let conf = Deno.readTextFileSync(`${ROOT}deploy/zmq-logger.logrotate`);
  const rewrite = (from: string, to: string) => {
    assert.ok(
      conf.includes(from),
      `${JSON.stringify(from)} in the configuration`,
    );
    conf = conf.replace(from, to);
  };
  rewrite("/var/log/zmq/log.txt.seal\n", `${dir}/log.txt.seal\n`);
  rewrite("/var/log/zmq/log.txt {", `${dir}/log.txt {`);
  const user = (await run("id", ["-un"])).stdout.trim();
  const group = (await run("id", ["-gn"])).stdout.trim();
  rewrite("su zmqlog zmqlog", `su ${user} ${group}`);
  rewrite(
    "systemctl try-reload-or-restart zmq-logger",
    `cd '${dir}' && '${LOGGER}' --reopen`,
  );
  const path = `${dir}/logrotate.conf`;
  Deno.writeTextFileSync(path, conf, { mode: 0o644 });
  return path;
}

Deno.test("an untouched log across two restarts and three rotations by the real logrotate (deploy/zmq-logger.logrotate) verifies, each file alone and all as a sequence", async () => {
  using dir = tempDir();
  const port = freePort();
  const log = `${dir.path}/log.txt`;
  const conf = await logrotateConf(dir.path);
  const rotate = async () => {
    // Lines in the file (notifempty would pass over an empty one).
    await waitFor(
      () => readText(log).length > 0,
      () => `lines in ${log} before rotating`,
    );
    const out = await run(LOGROTATE, ["-f", "-s", `${dir.path}/state`, conf], {
      cwd: dir.path,
    });
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.match(
      out.stdout + out.stderr,
      /^logging_basic: reopening \.\/log\.txt$/m,
    );
  };
  const key = await sealInit(dir.path);
  await using first = await startSealing(dir.path, port);
  await sendBulk(port, 2, 300);
  await waitForLines(log, 600);
  // Restarted between messages: a logger stopped takes what is queued for
  // it only for a second, so a restart in a flow could lose some.
  assert.equal((await first.stop()).code, 0);
  await using second = await startSealing(dir.path, port);
  // Rotated while messages keep coming.
  const count = 3000;
  await using paced = pacedSender(port, count);
  await waitForLines(log, 700);
  await rotate();
  await waitForLines(log, 100);
  await rotate();
  assert.equal((await paced.finish()).code, 0);
  const logs = ["log.txt.3.gz", "log.txt.2.gz", "log.txt.1", "log.txt"];
  const allIn = async (total: number) => {
    let texts: string[] = [];
    await waitFor(async () => {
      texts = await Promise.all(
        logs.map((name) => readLog(`${dir.path}/${name}`)),
      );
      return texts.join("").split("\n").length - 1 >= total;
    }, () => `${total} lines in ${logs}`);
    return texts;
  };
  await allIn(600 + count);
  assert.equal((await second.stop()).code, 0);
  await using third = await startSealing(dir.path, port);
  await sendBulk(port, 2, 100);
  await rotate();
  assert.equal((await send(["--port", String(port), "last"])).code, 0);
  const total = 600 + count + 200 + 1;
  const texts = await allIn(total);
  assert.equal((await third.stop()).code, 0);
  assert.deepEqual(
    texts.flatMap((text) => pacedSeqs(text)),
    Array.from({ length: count }, (_, i) => i),
  );
  assert.equal(texts[3], "last\n");
  for (
    const seal of [
      "log.txt.seal.3.gz",
      "log.txt.seal.2.gz",
      "log.txt.seal.1",
      "log.txt.seal",
    ]
  ) {
    assert.ok(Deno.statSync(`${dir.path}/${seal}`).isFile, seal);
  }

  // Alone, the oldest verifies; a later one says that its chain goes on from
  // a file not given (a root attacker with the current key could have made
  // that file's chain from scratch), and is not called verified.
  for (const [i, name] of logs.entries()) {
    const alone = await verify(dir.path, key, [`./${name}`]);
    if (i === 0) {
      assert.equal(alone.code, 0, `${name}: ${alone.stdout}`);
      assert.match(alone.stdout, /: verified \d+ lines?, sealed from/);
    } else {
      assert.equal(alone.code, 1, `${name}: ${alone.stdout}`);
      assert.match(
        alone.stdout,
        /seal records \d+-\d+ check, but they go on from record \d+ of an earlier file that was not given/,
      );
    }
  }
  const all = await verify(dir.path, key, logs.map((name) => `./${name}`));
  assert.equal(all.code, 0, all.stdout);
  const counts = [...all.stdout.matchAll(/: verified (\d+) lines?/g)];
  assert.equal(counts.length, 4, all.stdout);
  assert.equal(counts.reduce((sum, m) => sum + Number(m[1]), 0), total);
  assert.doesNotMatch(all.stdout, /earlier file|not sealed|does not follow/);
  // Out of order, the chain says so.
  const swapped = await verify(dir.path, key, [
    "./log.txt.1",
    "./log.txt.2.gz",
  ]);
  assert.equal(swapped.code, 1);
  assert.match(
    swapped.stdout,
    /^\.\/log\.txt\.2\.gz: does not follow \.\/log\.txt\.1: its first seal record is \d+, and \.\/log\.txt\.1 ends at record \d+$/m,
  );
});

/** A file's text, gunzipped when its name ends in .gz; "" when missing. */
async function readLog(path: string): Promise<string> {
  if (!path.endsWith(".gz")) return readText(path);
  try {
    const file = await Deno.open(path);
    return await new Response(
      file.readable.pipeThrough(new DecompressionStream("gzip")),
    ).text();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "";
    throw err;
  }
}

Deno.test("with --forward each seal record goes to syslog too, as zmq-logger-seal: the end cut off both the log and its seal file passes --verify here, and the server's copy shows where the log ended", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  const port = freePort();
  const log = `${dir.path}/log.txt`;
  const key = await sealInit(dir.path);
  const places = ["./log.txt.forward", "./log.txt.seal.forward"];
  const flags = [
    ...sealingFlags({ read: places, write: places }),
    `--allow-net=127.0.0.1:${rsyslog.relpPort}`,
  ];
  await using logger = await startSealing(dir.path, port, [
    "--forward",
    `relp://127.0.0.1:${rsyslog.relpPort}`,
  ], flags);
  for (const [i, text] of ["one", "two", "three"].entries()) {
    assert.equal((await send(["--port", String(port), text])).code, 0);
    await waitForLines(log, i + 1);
  }
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);

  const local = readText(`${log}.seal`).split("\n").filter(Boolean)
    .map((line) => parseRecord(line)!);
  const remote = () =>
    rsyslog.lines().filter((line) => line.split(" ")[3] === "zmq-logger-seal")
      .map((line) => / seq=(\d+) .* mac=([0-9a-f]{64}) /.exec(line)!)
      .map(([, seq, sealed]) => `${seq} ${sealed}`);
  await waitFor(
    () => remote().length >= local.length,
    () => `${local.length} seal records at the server: ${rsyslog.lines()}`,
  );
  assert.deepEqual(remote(), local.map((r) => `${r.seq} ${r.mac}`));
  assert.deepEqual(
    rsyslog.lines().filter((line) => !line.includes("zmq-logger-seal"))
      .map((line) => line.split(" ").at(-1)),
    ["one", "two", "three"],
  );

  // The attacker cuts the last line and the seals from the one that
  // covers it on: what is left holds together.
  Deno.writeTextFileSync(log, "one\ntwo\n");
  const kept = readText(`${log}.seal`).split("\n").filter(Boolean)
    .filter((line) => {
      const record = parseRecord(line)!;
      return record.offset + record.length <= "one\ntwo\n".length;
    });
  Deno.writeTextFileSync(`${log}.seal`, kept.map((l) => `${l}\n`).join(""));
  const here = await verify(dir.path, key);
  assert.equal(here.code, 0, here.stdout);
  assert.match(here.stdout, /verified 2 lines/);
  // The server's copy goes on past the local end.
  const lastHere = parseRecord(kept.at(-1)!)!;
  assert.ok(remote().length > kept.length);
  assert.ok(remote().includes(`${lastHere.seq} ${lastHere.mac}`));
  assert.equal(remote().at(-1), `${local.at(-1)!.seq} ${local.at(-1)!.mac}`);
});

Deno.test("a log rotated without its seal file: the logger says so, and --verify names that, not a changed line", async () => {
  using dir = tempDir();
  const port = freePort();
  const log = `${dir.path}/log.txt`;
  const key = await sealInit(dir.path);
  await using logger = await startSealing(dir.path, port);
  assert.equal((await send(["--port", String(port), "one"])).code, 0);
  await waitForLines(log, 1);
  Deno.renameSync(log, `${log}.1`); // as an old logrotate configuration would
  const reopened = await run(LOGGER, ["--reopen"], { cwd: dir.path });
  assert.equal(reopened.code, 0, reopened.stderr);
  assert.equal((await send(["--port", String(port), "two"])).code, 0);
  await logger.waitForStderr(
    "logging_basic: ./log.txt was opened again, but ./log.txt.seal was not moved with it: rotate both together (see deploy/zmq-logger.logrotate); the new log file is sealed in the same seal file",
  );
  assert.equal((await logger.stop()).code, 0);
  const out = await verify(dir.path, key);
  assert.equal(out.code, 1);
  assert.equal(
    out.stdout,
    "./log.txt.seal: seal records 0-1 cover another log file before ./log.txt (rotated without its seal file, or replaced): their lines are not in it; ./log.txt is checked against the records from 2 on\n",
  );
});

Deno.test("a seal record numbered so far along that its key would take years to reach: --verify says so on stderr within seconds, and Ctrl-C stops it", async () => {
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  const bytes = new TextEncoder().encode("pay alice 10\n");
  Deno.writeFileSync(log, bytes);
  // Forged: no logger writes 10^14 seal records (a million a second would
  // take three years), and the key of record 10^14 is 10^14 steps of
  // SHA-256 from the first key.
  const seq = 1e14;
  const signed = formatRecord(
    {
      seq,
      kind: "open",
      offset: 0,
      length: bytes.length,
      lines: 1,
      sha256: sha256Hex(bytes),
      prev: "0".repeat(64),
      tags: lineTags(bytes),
    },
    new Date().toISOString(),
    "host",
  );
  Deno.writeTextFileSync(
    `${log}.seal`,
    `${withMac(signed, mac(newKey(), signed))}\n`,
  );
  await using verifying = verifyInBackground(
    dir.path,
    formatVerifyKey(newKey()),
  );
  await verifying.waitForStderr(
    new RegExp(
      `^logging_basic: \\./log\\.txt\\.seal: the key of seal record ${seq} \\(line 1 of the seal file\\) is 100,000,000,000,000 steps of SHA-256 from the verification key: about [\\d,]+ years more at [\\d,]+ a second \\(Ctrl-C stops; a record number this chain's logger cannot have reached means the seal file was forged\\)\n`,
    ),
  );
  verifying.kill("SIGINT");
  const out = await verifying.finish();
  assert.notEqual(out.code, 0);
  assert.doesNotMatch(out.stdout, /verified/);
});
