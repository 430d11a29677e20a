/**
 * CurveZMQ: key generation, encryption, and the logger's allow-list of
 * sender keys, with our sender and with a python3-zmq sender.
 */

import assert from "node:assert/strict";
import {
  Background,
  freePort,
  LOGGER,
  PEERS,
  PYTHON,
  readText,
  run,
  send,
  SENDER,
  startLogger,
  tempDir,
  waitForLines,
  waitForPort,
} from "./helpers.ts";
import { parseKeyFile } from "../lib/curve/keys.ts";

interface KeyFile {
  publicKey: string;
  secretKey: string;
  /** Relative to the directory the scripts run in. */
  path: string;
}

/** Makes a key pair with `script --keygen`, saved as keys/NAME.key in `dir`. */
async function keygen(
  dir: string,
  name: string,
  script = LOGGER,
): Promise<KeyFile> {
  const out = await run(script, ["--keygen"], { cwd: dir });
  assert.equal(out.code, 0, out.stderr);
  Deno.mkdirSync(`${dir}/keys`, { recursive: true });
  // As a user should: (umask 077; ./logging_basic.ts --keygen > keys/NAME.key)
  Deno.writeTextFileSync(`${dir}/keys/${name}.key`, out.stdout, {
    mode: 0o600,
  });
  const keys = parseKeyFile(out.stdout);
  assert.ok(keys?.secretKey, `no key pair in ${JSON.stringify(out.stdout)}`);
  return {
    publicKey: keys.publicKey,
    secretKey: keys.secretKey,
    path: `keys/${name}.key`,
  };
}

Deno.test("--keygen prints a zcert key pair that python3-zmq agrees on", async () => {
  using dir = tempDir();
  for (const script of [LOGGER, SENDER]) {
    const out = await run(script, ["--keygen"], { cwd: dir.path });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /ZeroMQ CURVE \*\*Secret\*\* Certificate/);
    const keys = parseKeyFile(out.stdout)!;
    assert.match(
      out.stderr,
      new RegExp(`public key.*: ${escape(keys.publicKey)}\n$`),
    );
    // libzmq's own derivation, through pyzmq: the public key fits the secret.
    const check = await run(PYTHON, [
      "-c",
      "import sys, zmq; print(zmq.curve_public(sys.argv[1].encode()).decode())",
      keys.secretKey!,
    ]);
    assert.equal(check.stdout.trim(), keys.publicKey);
  }
  const a = await run(LOGGER, ["--keygen"], { cwd: dir.path });
  const b = await run(LOGGER, ["--keygen"], { cwd: dir.path });
  assert.notEqual(
    parseKeyFile(a.stdout)!.secretKey,
    parseKeyFile(b.stdout)!.secretKey,
  );
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A TCP relay on loopback that keeps every byte that passes from the sender
 * to the logger, to check what goes over the wire.
 */
function relay(
  to: number,
): { port: number; seen: () => string; close: () => void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const chunks: Uint8Array[] = [];
  const conns: Deno.Conn[] = [];
  (async () => {
    for await (const client of listener) {
      const server = await Deno.connect({ hostname: "127.0.0.1", port: to });
      conns.push(client, server);
      const tap = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          chunks.push(chunk.slice());
          controller.enqueue(chunk);
        },
      });
      client.readable.pipeThrough(tap).pipeTo(server.writable).catch(() => {});
      server.readable.pipeTo(client.writable).catch(() => {});
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    seen: () =>
      new TextDecoder("latin1").decode(
        new Uint8Array(chunks.flatMap((c) => [...c])),
      ),
    close: () => {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
    },
  };
}

Deno.test("with --curve-key the message is encrypted on the wire and logged", async () => {
  using dir = tempDir();
  const logger = await keygen(dir.path, "logger");
  const port = freePort();
  await using _ = await startLogger(dir.path, port, [
    "--curve-key",
    logger.path,
  ]);
  const tap = relay(port);
  try {
    const out = await send(
      [
        "--port",
        String(tap.port),
        "--curve-server-key",
        logger.publicKey,
        "the",
        "plaintext",
        "canary",
      ],
      dir.path,
    );
    assert.equal(out.code, 0, out.stderr);
    assert.equal(
      await waitForLines(`${dir.path}/log.txt`, 1),
      "the plaintext canary\n",
    );
    assert.ok(tap.seen().length > 100, "the relay saw no traffic");
    assert.ok(
      !tap.seen().includes("plaintext canary"),
      "the text went over the wire in clear",
    );
  } finally {
    tap.close();
  }
  // The same through the relay without CurveZMQ would be readable: the check can fail.
  using plainDir = tempDir();
  const plainPort = freePort();
  await using _plain = await startLogger(plainDir.path, plainPort);
  const plainTap = relay(plainPort);
  try {
    const out = await send([
      "--port",
      String(plainTap.port),
      "plaintext canary",
    ], plainDir.path);
    assert.equal(out.code, 0, out.stderr);
    await waitForLines(`${plainDir.path}/log.txt`, 1);
    assert.ok(plainTap.seen().includes("plaintext canary"));
  } finally {
    plainTap.close();
  }
});

Deno.test("a sender without the logger's public key cannot deliver, and says why", async () => {
  using dir = tempDir();
  const logger = await keygen(dir.path, "logger");
  const other = await keygen(dir.path, "other");
  const port = freePort();
  await using _ = await startLogger(dir.path, port, [
    "--curve-key",
    logger.path,
  ]);

  const plain = await send([
    "--port",
    String(port),
    "--timeout",
    "10",
    "no key",
  ], dir.path);
  assert.equal(plain.code, 1);
  assert.match(
    plain.stderr,
    /^log_cmd_basic: the handshake with the logger at localhost:\d+ failed: if it runs with --curve-key, give its public key with --curve-server-key\n$/,
  );
  const wrong = await send(
    [
      "--port",
      String(port),
      "--timeout",
      "10",
      "--curve-server-key",
      other.publicKey,
      "wrong key",
    ],
    dir.path,
  );
  assert.equal(wrong.code, 1);
  assert.match(
    wrong.stderr,
    /the CurveZMQ handshake with the logger at .* failed: is --curve-server-key the logger's public key/,
  );
  // What was logged meanwhile: nothing at all.
  const right = await send([
    "--port",
    String(port),
    "--curve-server-key",
    logger.path,
    "right key",
  ], dir.path);
  assert.equal(right.code, 0, right.stderr);
  assert.equal(await waitForLines(`${dir.path}/log.txt`, 1), "right key\n");
});

Deno.test("with --curve-allow a sender not on the list is refused and the refusal is logged", async () => {
  using dir = tempDir();
  const logger = await keygen(dir.path, "logger");
  const good = await keygen(dir.path, "good", SENDER);
  const bad = await keygen(dir.path, "bad", SENDER);
  Deno.writeTextFileSync(
    `${dir.path}/keys/allowed.txt`,
    `# senders let in\n${good.publicKey} pi-kitchen\n`,
  );
  const port = freePort();
  await using loggerRun = await startLogger(dir.path, port, [
    "--curve-key",
    logger.path,
    "--curve-allow",
    "keys/allowed.txt",
  ]);
  const curve = (
    key: KeyFile,
  ) => ["--curve-server-key", logger.publicKey, "--curve-key", key.path];

  const ok = await send([
    "--port",
    String(port),
    ...curve(good),
    "from",
    "the kitchen",
  ], dir.path);
  assert.equal(ok.code, 0, ok.stderr);
  const refused = await send([
    "--port",
    String(port),
    ...curve(bad),
    "from",
    "outside",
  ], dir.path);
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stderr,
    `log_cmd_basic: the logger at localhost:${port} refused this sender: its CurveZMQ public key ${bad.publicKey} is not on the logger's --curve-allow list\n`,
  );
  // A sender with no key pair of its own gets a new one: not on the list either.
  const anonymous = await send(
    [
      "--port",
      String(port),
      "--curve-server-key",
      logger.publicKey,
      "anonymous",
    ],
    dir.path,
  );
  assert.equal(anonymous.code, 1);
  // --stdin: refused too, and it says how many lines were not delivered.
  const lines = await new Background("sh", [
    "-c",
    // The key file, not the key: Z85 holds characters the shell would read.
    `printf 'one\\ntwo\\n' | ${SENDER} --stdin --port ${port} --curve-server-key ${logger.path} --curve-key ${bad.path}`,
  ], { cwd: dir.path }).finish();
  assert.equal(lines.code, 1);
  assert.match(lines.stderr, /refused this sender: its CurveZMQ public key/);

  const { code } = await loggerRun.stop();
  assert.equal(code, 0);
  const log = readText(`${dir.path}/log.txt`).split("\n").filter(Boolean);
  assert.equal(log[0], "from the kitchen");
  assert.match(
    log[1],
    new RegExp(
      `^<warn> \\S+ \\S+ logging_basic: refused a sender at 127\\.0\\.0\\.1: its CurveZMQ key ${
        escape(bad.publicKey)
      } is not in keys/allowed\\.txt$`,
    ),
  );
  // The anonymous sender's new key; whole lines, so no refused sender's text.
  assert.match(
    log[2],
    /^<warn> \S+ \S+ logging_basic: refused a sender at 127\.0\.0\.1: its CurveZMQ key \S{40} is not in keys\/allowed\.txt$/,
  );
  assert.equal(
    log.length,
    3,
    `the bad key's retry (--stdin) is not logged again: ${log.join("\n")}`,
  );
});

Deno.test("a --stdin sender refused slowly (the logger takes a second to answer) says so and exits 1, not waiting forever", async () => {
  using dir = tempDir();
  const logger = await keygen(dir.path, "logger");
  const bad = await keygen(dir.path, "bad", SENDER);
  const port = freePort();
  // A python3-zmq logger whose ZAP handler takes 1.5 s to refuse: the input
  // ends, and the sender closes, before it knows it was refused.
  await using slow = new Background(PYTHON, [
    `${PEERS}slow_zap_logger.py`,
    String(port),
    `${dir.path}/${logger.path}`,
    "1.5",
  ]);
  await waitForPort(port);
  const lines = await new Background("sh", [
    "-c",
    `printf 'one\\ntwo\\n' | ${SENDER} --stdin --port ${port} --curve-server-key ${logger.path} --curve-key ${bad.path}`,
  ], { cwd: dir.path }).finish(20_000);
  assert.equal(lines.code, 1, lines.stderr);
  assert.match(
    lines.stderr,
    /refused this sender: its CurveZMQ public key \S+ is not on the logger's --curve-allow list; up to 2 lines were not delivered\n$/,
  );
  const heard = await slow.stop();
  assert.equal(heard.stdout, "ready\n", "nothing got through");
});

Deno.test("a python3-zmq CurveZMQ sender on the allow-list delivers, one off it is refused", async () => {
  using dir = tempDir();
  const logger = await keygen(dir.path, "logger");
  const good = await keygen(dir.path, "good");
  const bad = await keygen(dir.path, "bad");
  Deno.writeTextFileSync(`${dir.path}/keys/allowed.txt`, `${good.publicKey}\n`);
  const port = freePort();
  await using _ = await startLogger(dir.path, port, [
    "--curve-key",
    logger.path,
    "--curve-allow",
    "keys/allowed.txt",
  ]);
  const python = (key: KeyFile, text: string) =>
    run(PYTHON, [
      `${PEERS}curve_sender.py`,
      String(port),
      `${dir.path}/${logger.path}`,
      `${dir.path}/${key.path}`,
      text,
    ]);
  assert.equal((await python(good, "hello from pyzmq")).code, 0);
  assert.equal((await python(bad, "not from here")).code, 3);
  const log = await waitForLines(`${dir.path}/log.txt`, 2);
  assert.match(
    log,
    /^hello from pyzmq\n<warn> .* refused a sender at 127\.0\.0\.1: its CurveZMQ key /,
  );
  assert.ok(!log.includes("not from here"));
});

Deno.test("bad CurveZMQ options and key files get one line and a non-zero exit", async () => {
  using dir = tempDir();
  const logger = await keygen(dir.path, "logger");
  Deno.writeTextFileSync(
    `${dir.path}/keys/public.key`,
    `curve\n    public-key = "${logger.publicKey}"\n`,
  );
  Deno.writeTextFileSync(`${dir.path}/keys/bad-allow.txt`, "not a key\n");
  Deno.writeTextFileSync(
    `${dir.path}/outside.key`,
    Deno.readTextFileSync(`${dir.path}/${logger.path}`),
  );
  const other = await keygen(dir.path, "other");
  // A pair whose public key is another's: caught before any socket is made.
  Deno.writeTextFileSync(
    `${dir.path}/keys/mixed.key`,
    `curve\n    public-key = "${logger.publicKey}"\n    secret-key = "${other.secretKey}"\n`,
    { mode: 0o600 },
  );
  const port = String(freePort());
  const cases: [string, string[], number, RegExp][] = [
    [
      LOGGER,
      ["--curve-allow", "keys/x.txt"],
      2,
      /^logging_basic: Cannot check senders' keys as '--curve-allow' needs '--curve-key'/,
    ],
    [
      LOGGER,
      ["-p", port, "--curve-key", "keys/none.key"],
      1,
      /^logging_basic: Cannot read '--curve-key' keys\/none\.key: there is no such file\n$/,
    ],
    [
      LOGGER,
      ["-p", port, "--curve-key", "outside.key"],
      1,
      /^logging_basic: Cannot read '--curve-key' outside\.key: Deno may read key files only in \.\/keys\//,
    ],
    [
      LOGGER,
      ["-p", port, "--curve-key", "keys/public.key"],
      1,
      /^logging_basic: Cannot use '--curve-key' as it holds no secret-key \(a public key file\?\): current value is keys\/public\.key\n$/,
    ],
    [
      LOGGER,
      ["-p", port, "--curve-key", "keys/mixed.key"],
      1,
      /its public-key does not belong to its secret-key/,
    ],
    [
      LOGGER,
      [
        "-p",
        port,
        "--curve-key",
        logger.path,
        "--curve-allow",
        "keys/bad-allow.txt",
      ],
      1,
      /^logging_basic: Cannot use '--curve-allow' as its line 1 is not a public key .*: current value is "not a key"\n$/,
    ],
    [
      LOGGER,
      ["--keygen", "--show"],
      2,
      /^logging_basic: Cannot do --show and --keygen at once: pick one\n$/,
    ],
    [
      SENDER,
      ["--curve-key", "keys/logger.key", "hi"],
      2,
      /^log_cmd_basic: Cannot send as '--curve-key' needs '--curve-server-key'/,
    ],
    [
      SENDER,
      ["--curve-server-key", "outside.key", "hi"],
      1,
      /^log_cmd_basic: Cannot read '--curve-server-key' outside\.key: Deno may read key files only in \.\/keys\//,
    ],
    [
      SENDER,
      [
        "--curve-server-key",
        "keys/public.key",
        "--curve-key",
        "keys/public.key",
        "hi",
      ],
      1,
      /holds no secret-key/,
    ],
    [SENDER, ["--keygen", "hi"], 2, /^log_cmd_basic: '--keygen' goes alone/],
    [
      LOGGER,
      ["--keygen", "--port", "6000"],
      2,
      /^logging_basic: '--keygen' goes alone/,
    ],
    [
      LOGGER,
      ["--show", "--curve-key", logger.path],
      2,
      /^logging_basic: '--curve-key' goes with listening/,
    ],
  ];
  for (const [script, args, code, stderr] of cases) {
    const out = await run(script, args, { cwd: dir.path });
    assert.equal(out.code, code, `${args.join(" ")}: ${out.stderr}`);
    assert.equal(
      out.stderr.split("\n").length,
      2,
      `${args.join(" ")}: ${out.stderr}`,
    );
    assert.match(out.stderr, stderr, args.join(" "));
  }
  assert.equal(readText(`${dir.path}/log.txt`), "");
});

Deno.test("a secret key file that other users may read gets a warning, and still works", async () => {
  using dir = tempDir();
  const logger = await keygen(dir.path, "logger");
  Deno.chmodSync(`${dir.path}/${logger.path}`, 0o644);
  const port = freePort();
  await using loggerRun = await startLogger(dir.path, port, [
    "--curve-key",
    logger.path,
  ]);
  const sent = await send(
    [
      "--port",
      String(port),
      "--curve-server-key",
      logger.publicKey,
      "still works",
    ],
    dir.path,
  );
  assert.equal(sent.code, 0, sent.stderr);
  await waitForLines(`${dir.path}/log.txt`, 1);
  const { stderr } = await loggerRun.stop();
  assert.match(
    stderr,
    /^logging_basic: warning: '--curve-key' keys\/logger\.key holds a secret key that other users may read \(mode 644\): chmod 600 keys\/logger\.key\n/,
  );
});

Deno.test("SIGHUP reads --curve-allow again: a key added is let in, and the reload is logged", async () => {
  using dir = tempDir();
  const logger = await keygen(dir.path, "logger");
  const first = await keygen(dir.path, "first", SENDER);
  const later = await keygen(dir.path, "later", SENDER);
  const allow = `${dir.path}/keys/allowed.txt`;
  Deno.writeTextFileSync(allow, `${first.publicKey} first\n`);
  const port = freePort();
  await using loggerRun = await startLogger(dir.path, port, [
    "--curve-key",
    logger.path,
    "--curve-allow",
    "keys/allowed.txt",
  ]);
  const from = (key: KeyFile, text: string) =>
    send([
      "--port",
      String(port),
      "--curve-server-key",
      logger.path,
      "--curve-key",
      key.path,
      text,
    ], dir.path);
  assert.equal((await from(later, "too early")).code, 1);
  Deno.writeTextFileSync(allow, `${later.publicKey} later\n`);
  loggerRun.kill("SIGHUP");
  await waitForLines(`${dir.path}/log.txt`, 2);
  assert.equal((await from(later, "now welcome")).code, 0);
  assert.equal((await from(first, "no longer")).code, 1);
  // A broken list on the next SIGHUP keeps the one it had.
  Deno.writeTextFileSync(allow, "garbage\n");
  loggerRun.kill("SIGHUP");
  await loggerRun.waitForStderr("still using the allow-list it had");
  assert.equal((await from(later, "still welcome")).code, 0);
  const { stderr } = await loggerRun.stop();
  assert.match(
    stderr,
    /its line 1 is not a public key .*; still using the allow-list it had\n/,
  );
  const log = readText(`${dir.path}/log.txt`).split("\n").filter(Boolean);
  assert.match(log[0], /refused a sender at 127\.0\.0\.1: its CurveZMQ key /);
  assert.match(
    log[1],
    /^<info> \S+ \S+ logging_basic: read keys\/allowed\.txt again: 1 sender key, 1 added, 1 removed$/,
  );
  assert.equal(log[2], "now welcome");
  assert.match(log[3], /refused a sender at 127\.0\.0\.1: its CurveZMQ key /);
  assert.equal(log[4], "still welcome");
  assert.equal(log.length, 5, log.join("\n"));
});
