/**
 * The command lines: --help, and every kind of bad input gets one clear line
 * on stderr and a non-zero exit, never a stack trace.
 */

import assert from "node:assert/strict";
import {
  freePort,
  LOGGER,
  readText,
  run,
  send,
  SENDER,
  startLogger,
  tempDir,
} from "./helpers.ts";

/** Checks a run ended with exactly one line on stderr that matches `pattern`. */
function assertOneLineError(
  outcome: { code: number; stdout: string; stderr: string },
  code: number,
  pattern: RegExp,
) {
  assert.equal(outcome.code, code, `exit status; stderr: ${outcome.stderr}`);
  assert.equal(outcome.stdout, "");
  const lines = outcome.stderr.split("\n");
  assert.equal(lines.length, 2, `one line on stderr, got: ${outcome.stderr}`);
  assert.equal(lines[1], "");
  assert.match(lines[0], pattern);
  assert.doesNotMatch(outcome.stderr, /\bat .*:\d+:\d+|Uncaught|error:/);
}

Deno.test("logger --help prints usage and exits 0", async () => {
  using dir = tempDir();
  const out = await run(LOGGER, ["--help"], { cwd: dir.path });
  assert.equal(out.code, 0);
  assert.equal(out.stderr, "");
  assert.match(out.stdout, /^A very basic logger/);
  for (const flag of ["--port", "--bind", "--file", "--help"]) {
    assert.match(out.stdout, new RegExp(flag));
  }
  assert.match(out.stdout, /default 5555/);
  assert.equal(readText(`${dir.path}/log.txt`), "", "help opens no log file");
});

Deno.test("sender --help prints usage and exits 0 without sending", async () => {
  const out = await run(SENDER, ["-h"]);
  assert.equal(out.code, 0);
  assert.equal(out.stderr, "");
  assert.match(out.stdout, /^Basic utility to send logs/);
  for (const flag of ["--host", "--port", "--timeout", "--help"]) {
    assert.match(out.stdout, new RegExp(flag));
  }
});

const badLoggerArgs: [string[], RegExp][] = [
  [["--bogus"], /^logging_basic: Unknown option '--bogus'/],
  [["--port", "0"], /'--port' must be 1-65535: current value is "0"$/],
  [["--port", "70000"], /'--port' must be 1-65535: current value is "70000"$/],
  [["--port", "abc"], /'--port' must be 1-65535: current value is "abc"$/],
  [["--port", "-1"], /Option '--port' needs a value/],
  [["--port"], /Option '--port' \(-p\) needs a value \(try --help\)$/],
  [["--file", ""], /'--file' must name a file/],
  [["--bind", ""], /'--bind' must be an address/],
  [["stray"], /Unexpected argument 'stray'/],
];
for (const [args, pattern] of badLoggerArgs) {
  Deno.test(`logger refuses ${JSON.stringify(args)} in one line, exit 2`, async () => {
    using dir = tempDir();
    const out = await run(LOGGER, args, { cwd: dir.path });
    assertOneLineError(out, 2, pattern);
    assert.equal(readText(`${dir.path}/log.txt`), "");
  });
}

const badSenderArgs: [string[], RegExp][] = [
  [["--bogus", "x"], /^log_cmd_basic: Unknown option '--bogus'.*put -- before/],
  [["-3", "degrees"], /^log_cmd_basic: Unknown option '-3'.*put -- before/],
  [["--port", "0", "x"], /'--port' must be 1-65535: current value is "0"$/],
  [
    ["--port", "70000", "x"],
    /'--port' must be 1-65535: current value is "70000"$/,
  ],
  [["--port", "abc", "x"], /'--port' must be 1-65535: current value is "abc"$/],
  [
    ["--timeout", "0", "x"],
    /'--timeout' must be a number of seconds above 0: current value is "0"$/,
  ],
  [["--timeout", "-1", "x"], /current value is "-1"$/],
  [["--timeout", "soon", "x"], /current value is "soon"$/],
  [
    ["--host", "", "x"],
    /'--host' must be a host name or IP address: current value is ""$/,
  ],
  [["--host", "a b", "x"], /current value is "a b"$/],
  [["--host", "bad!host", "x"], /current value is "bad!host"$/],
  [["--host", "[::1", "x"], /current value is "\[::1"$/],
  [["--timeout"], /Option '--timeout' needs a value \(try --help;/],
];
for (const [args, pattern] of badSenderArgs) {
  Deno.test(`sender refuses ${JSON.stringify(args)} in one line, exit 2`, async () => {
    assertOneLineError(await send(args), 2, pattern);
  });
}

Deno.test("logger refuses a port already in use in one line, exit 1", async () => {
  using dir = tempDir();
  const port = freePort();
  await using first = await startLogger(dir.path, port);
  const second = await run(LOGGER, ["--port", String(port)], { cwd: dir.path });
  assertOneLineError(
    second,
    1,
    new RegExp(
      `^logging_basic: Cannot listen on tcp://\\*:${port}: port ${port} is already in use`,
    ),
  );
  assert.equal((await first.stop()).code, 0);
});

Deno.test("logger refuses an address that is not on this machine in one line, exit 1", async () => {
  using dir = tempDir();
  const out = await run(LOGGER, [
    "--bind",
    "192.0.2.1",
    "--port",
    String(freePort()),
  ], {
    cwd: dir.path,
  });
  assertOneLineError(
    out,
    1,
    /^logging_basic: Cannot listen on tcp:\/\/192\.0\.2\.1:\d+: /,
  );
});

Deno.test("logger refuses a log file it may not write in one line, exit 1", async () => {
  using dir = tempDir();
  const out = await run(LOGGER, [
    "--file",
    "elsewhere.txt",
    "--port",
    String(freePort()),
  ], {
    cwd: dir.path,
  });
  assertOneLineError(
    out,
    1,
    /^logging_basic: Cannot open log file 'elsewhere.txt': Deno was not given write permission for it .*--allow-write=elsewhere.txt/,
  );
  assert.throws(
    () => Deno.statSync(`${dir.path}/elsewhere.txt`),
    Deno.errors.NotFound,
  );
});

Deno.test("logger refuses a log file path that is a directory in one line, exit 1", async () => {
  using dir = tempDir();
  Deno.mkdirSync(`${dir.path}/log.txt`);
  const out = await run(LOGGER, ["--port", String(freePort())], {
    cwd: dir.path,
  });
  assertOneLineError(
    out,
    1,
    /^logging_basic: Cannot open log file '.\/log.txt': /,
  );
});
