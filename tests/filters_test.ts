/**
 * Filters cannot stall the logger: a pattern is the operator's, but the text
 * it is matched against is any sender's, so patterns run on V8's linear-time
 * regexp engine (lib/log/pattern.ts). A pattern that engine cannot run, or a
 * logger started without the engine, gets one line and exit 2.
 *
 * Every wait here has a deadline: on a logger that backtracks, these tests
 * fail at it rather than hang.
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
  ROOT,
  run,
  send,
  startLogger,
  tempDir,
  waitForLines,
  waitForPort,
} from "./helpers.ts";

/** The message: 33 a's and a '!', 34 bytes. */
const ATTACK = `${"a".repeat(33)}!`;
/** A pattern that backtracks exponentially on ATTACK in V8's usual engine. */
const EVIL = "(a+)+$";
const ENGINE_FLAG =
  "--v8-flags=--enable-experimental-regexp-engine,--enable-experimental-regexp-engine-on-excessive-backtracks";

/**
 * Runs a command to its end, or kills it at `ms` and throws, saying what it
 * printed. Resolves to its outcome and how long it took.
 */
async function runWithin(
  ms: number,
  command: string,
  args: string[],
  cwd: string,
): Promise<Outcome & { ms: number }> {
  const started = performance.now();
  await using child = new Background(command, args, { cwd });
  const out = await child.finish(ms);
  return { ...out, ms: performance.now() - started };
}

/**
 * Sends SIGTERM and waits `ms` for the end; kills it and throws if it is not
 * over by then. A logger stuck in a backtracking pattern would not hear the
 * signal for minutes: a deadline of seconds tells the two apart even on a
 * busy machine.
 */
async function stopWithin(
  process: Background,
  ms: number,
): Promise<Outcome & { ms: number }> {
  const started = performance.now();
  process.kill("SIGTERM");
  const out = await process.finish(ms);
  return { ...out, ms: performance.now() - started };
}

/** The logger as the README's recipe for another file starts it, without the V8 flag. */
function withoutEngine(args: readonly string[]): string[] {
  return [
    "run",
    "-q",
    "--no-prompt",
    "-P=logging_basic",
    "--allow-write=./log.txt",
    "--allow-read=./log.txt",
    LOGGER,
    ...args,
  ];
}

Deno.test("--exclude '(a+)+$' and the 34-byte attack message: the next message is logged at once, --status answers, SIGTERM ends it", async () => {
  using dir = tempDir();
  const port = freePort();
  const file = `${dir.path}/log.txt`;
  await using logger = await startLogger(dir.path, port, ["--exclude", EVIL]);
  // Kept: it does not end in an a. Then one the filter drops, then a normal one.
  for (const text of [ATTACK, "ends in aaaa", "normal line"]) {
    const sent = await send(["--port", String(port), "--timeout", "5", text]);
    assert.equal(sent.code, 0, sent.stderr);
  }
  assert.equal(
    await waitForLines(file, 2, 2_000),
    `${ATTACK}\nnormal line\n`,
  );
  const status = await runWithin(5_000, LOGGER, ["--status"], dir.path);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /level debug; 2 messages logged to \.\/log\.txt/);
  const end = await stopWithin(logger, 5_000);
  assert.equal(end.code, 0, end.stderr);
  assert.match(
    end.stderr,
    /stopped; 2 messages logged to \.\/log\.txt, 1 dropped by filters\n$/,
  );
  assert.equal(readText(file), `${ATTACK}\nnormal line\n`);
});

Deno.test("--exclude '(.*a){4}' and 64 KiB messages from two senders: a normal line is logged within seconds, --status answers, SIGTERM ends it", async () => {
  // Unanchored, this pattern backtracks in time quadratic in the text without
  // ever reaching the engine switch: 1.2 s per 64 KiB message before.
  using dir = tempDir();
  const port = freePort();
  const file = `${dir.path}/log.txt`;
  await using logger = await startLogger(dir.path, port, [
    "--exclude",
    "(.*a){4}",
  ]);
  const flood = `
import sys, zmq
ctx = zmq.Context()
push = ctx.socket(zmq.PUSH)
push.connect("tcp://127.0.0.1:" + sys.argv[1])
for i in range(40):
    push.send(b"x" * 65000)
push.close(linger=-1)
ctx.term()
`;
  for (const _ of [1, 2]) {
    const sender = await run(PYTHON, ["-c", flood, String(port)]);
    assert.equal(sender.code, 0, sender.stderr);
  }
  const sent = await send(["--port", String(port), "--timeout", "5", "normal"]);
  assert.equal(sent.code, 0, sent.stderr);
  // ZeroMQ queues fairly between senders: "normal" may come before the end
  // of the floods, but every line must be there within seconds.
  const lines = (await waitForLines(file, 81, 10_000)).split("\n");
  assert.equal(lines.length, 82); // and the empty string after the last newline
  assert.equal(lines.filter((line) => line === "normal").length, 1);
  const status = await runWithin(5_000, LOGGER, ["--status"], dir.path);
  assert.equal(status.code, 0, status.stderr);
  const end = await stopWithin(logger, 5_000);
  assert.equal(end.code, 0, end.stderr);
});

Deno.test("--show --exclude '(a+)+$' over a log holding the attack line returns at once", async () => {
  using dir = tempDir();
  Deno.writeTextFileSync(
    `${dir.path}/log.txt`,
    `${ATTACK}\nends in aaaa\n${"a".repeat(65_535)}!\nnormal line\n`,
  );
  const shown = await runWithin(
    10_000,
    LOGGER,
    ["--show", "--exclude", EVIL],
    dir.path,
  );
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(
    shown.stdout,
    `${ATTACK}\n${"a".repeat(65_535)}!\nnormal line\n`,
  );
  assert.ok(shown.ms < 3_000, `--show took ${shown.ms} ms`);
});

Deno.test("a pattern the linear engine cannot run is refused in one line, exit 2, listening and with --show", async () => {
  using dir = tempDir();
  const port = freePort();
  for (
    const [mode, flag, pattern] of [
      [["--port", String(port)], "--exclude", "(a)\\1"],
      [["--show"], "--include", "(?=a)b"],
      [["--port", String(port)], "--include-host", "pi\\d{17}"],
      [["--show"], "--exclude-host", "(?<h>x)\\k<h>"],
    ] as const
  ) {
    const args = [...mode, flag, pattern];
    const out = await runWithin(10_000, LOGGER, args, dir.path);
    assert.equal(out.code, 2, out.stderr);
    assert.equal(out.stdout, "");
    assert.equal(
      out.stderr,
      `logging_basic: Cannot filter as '${flag}' must be a regular expression that runs in linear time (no backreferences, lookaheads, (?i:) groups or repeat counts above 16): current value is ${
        JSON.stringify(pattern)
      }\n`,
    );
  }
  assert.deepEqual([...Deno.readDirSync(dir.path)], [], "nothing was created");
});

Deno.test("without the V8 flag a filter gets one line naming the fix, exit 2; no filter still works", async () => {
  using dir = tempDir();
  const port = freePort();
  for (
    const [args, flag] of [
      [["--port", String(port), "--include", "x"], "--include"],
      [["--show", "--exclude-host", "^pi"], "--exclude-host"],
    ] as const
  ) {
    const out = await runWithin(10_000, "deno", withoutEngine(args), dir.path);
    assert.equal(out.code, 2, out.stderr);
    assert.equal(
      out.stderr,
      `logging_basic: Cannot filter as '${flag}' needs V8's linear-time regular expressions: run ./logging_basic.ts through its shebang, or add ${ENGINE_FLAG} to 'deno run'\n`,
    );
  }
  // A pattern that is not a regular expression is named as such, as before.
  const bad = await runWithin(
    10_000,
    "deno",
    withoutEngine(["--show", "--include", "("]),
    dir.path,
  );
  assert.equal(
    bad.stderr,
    `logging_basic: Cannot filter as '--include' must be a regular expression: current value is "("\n`,
  );
  assert.equal(bad.code, 2);

  await using logger = new Background(
    "deno",
    withoutEngine(["--port", String(port), "--level", "info", "-T"]),
    { cwd: dir.path },
  );
  await waitForPort(port);
  assert.equal((await send(["--port", String(port), "no filter"])).code, 0);
  assert.match(await waitForLines(`${dir.path}/log.txt`, 1), / no filter\n$/);
  assert.equal((await stopWithin(logger, 5_000)).code, 0);
  const shown = await runWithin(
    10_000,
    "deno",
    withoutEngine(["--show"]),
    dir.path,
  );
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, / no filter\n$/);
});

Deno.test("the README's and --help's 'deno run' commands for the logger give the V8 flag, and filters work so", async () => {
  // Each command for the logger, its continuation lines joined.
  const readme = docsText().replace(
    /\\\n\s*/g,
    "",
  );
  const help = (await runWithin(10_000, LOGGER, ["--help"], ROOT)).stdout
    .replace(/\\\n\s*/g, "");
  for (
    const [where, text] of [["README.md and docs/", readme], ["--help", help]]
  ) {
    const commands = text.split("\n").filter((line) =>
      /\bdeno run\b.*logging_basic/.test(line) && !line.includes(" ... ") // an elided command is no recipe
    );
    assert.ok(commands.length > 0, `${where} shows no 'deno run' command`);
    for (const command of commands) {
      assert.ok(command.includes(ENGINE_FLAG), `${where}: ${command}`);
    }
  }
  // The README's recipe for logging somewhere else, as written, with a filter.
  using dir = tempDir();
  const port = freePort();
  const given = `${dir.path}/given.log`;
  await using logger = new Background("deno", [
    "run",
    "-q",
    "--no-prompt",
    "-P=logging_basic",
    ENGINE_FLAG,
    `--allow-write=${given}`,
    `--allow-read=${given}`,
    LOGGER,
    "--file",
    given,
    "--port",
    String(port),
    "--exclude",
    EVIL,
  ], { cwd: dir.path });
  await waitForPort(port);
  for (const text of [ATTACK, "ends in aaaa", "normal line"]) {
    assert.equal((await send(["--port", String(port), text])).code, 0);
  }
  assert.equal(await waitForLines(given, 2, 2_000), `${ATTACK}\nnormal line\n`);
  assert.equal((await stopWithin(logger, 5_000)).code, 0);
});
