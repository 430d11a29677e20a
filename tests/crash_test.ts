/**
 * After a crash or a power cut a log may end in a line cut short and a run
 * of NUL bytes (many file systems leave them where data was not written).
 * The logger mends that end when it starts, and says so; the readers skip
 * NUL runs with a count instead of refusing the log.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  freePort,
  LOGGER,
  readText,
  run,
  send,
  startLogger,
  tempDir,
  waitForLines,
} from "./helpers.ts";

const encoder = new TextEncoder();

/** `text` followed by `nuls` NUL bytes, as the log file at `path`. */
function writeTorn(path: string, text: string, nuls: number): void {
  const bytes = encoder.encode(text);
  const file = new Uint8Array(bytes.length + nuls);
  file.set(bytes);
  Deno.writeFileSync(path, file);
}

const NOTE =
  "the log ended in a line cut short and 4096 NUL bytes (a crash or power cut?): the NUL bytes were cut away and the line ended here";

Deno.test("a log that ends in a line cut short and NUL bytes: the logger cuts the NULs, ends the line, says so in the log and on stderr, and the next message is a line of its own", async () => {
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  writeTorn(log, "line one\nhalf a li", 4096);
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  assert.equal((await send(["-p", String(port), "after", "restart"])).code, 0);
  const text = await waitForLines(log, 4);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  const lines = text.split("\n");
  assert.deepEqual([lines[0], lines[1], lines[3], lines[4]], [
    "line one",
    "half a li",
    "after restart",
    "",
  ]);
  assert.match(
    lines[2],
    new RegExp(`^<warn> \\S+ \\S+ logging_basic: ${escapeRegExp(NOTE)}$`),
  );
  assert.ok(!text.includes("\0"), "NUL bytes left in the log");
  assert.match(
    end.stderr,
    new RegExp(`^logging_basic: ${escapeRegExp(NOTE)}\n`),
  );
});

Deno.test("a whole log is left as it is: no note, not a byte changed", async () => {
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  Deno.writeTextFileSync(log, "line one\nline two\n");
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  assert.equal((await send(["-p", String(port), "three"])).code, 0);
  assert.equal(await waitForLines(log, 3), "line one\nline two\nthree\n");
  const end = await logger.stop();
  assert.equal(
    end.stderr,
    "logging_basic: stopped; 1 message logged to ./log.txt\n",
  );
});

Deno.test("a JSON log cut short in a record: after the restart every line is JSON again and --show --level error finds the new error", async () => {
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  writeTorn(
    log,
    '{"received":"2026-12-03T07:00:00.000Z","sent":null,"host":null,"tag":null,"level":"info","message":"whole"}\n{"received":"2026-12-03T07:00:01.000Z","sent":null,"host":null,"tag":null,"level":"error","mess',
    512,
  );
  const port = freePort();
  await using logger = await startLogger(dir.path, port, ["--format", "json"]);
  const sent = await send([
    "-p",
    String(port),
    "-l",
    "error",
    "fan",
    "stopped",
  ]);
  assert.equal(sent.code, 0);
  await waitForLines(log, 4);
  await logger.stop();
  const lines = readText(log).split("\n").filter(Boolean);
  // The torn record stays as it was (ended); every line after it is JSON.
  assert.ok(lines[1].endsWith('"level":"error","mess'), lines[1]);
  for (const line of lines.slice(2)) JSON.parse(line);
  const shown = await run(LOGGER, ["--show", "--level", "error"], {
    cwd: dir.path,
  });
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /"message":"fan stopped"/);
});

Deno.test("--stats counts a log that a crash left with 4,096 NUL bytes, skipping them with a note, and still refuses a binary file", async () => {
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  writeTorn(
    log,
    "2026-12-03T07:00:00.000Z <info> - pi app: one\n2026-12-03T07:00:01.000Z <error> - pi app: two\n",
    4096,
  );
  const stats = await run(LOGGER, ["--stats", "--format", "json"], {
    cwd: dir.path,
  });
  assert.equal(stats.code, 0, stats.stderr);
  assert.equal(
    stats.stderr,
    "logging_basic: skipped 4096 NUL bytes in ./log.txt (a crash or power cut can leave them)\n",
  );
  assert.equal(JSON.parse(stats.stdout).total, 2);
  // A crash between two runs of the logger: the NULs end the torn line.
  writeTorn(log, "2026-12-03T07:00:00.000Z <info> - pi app: half", 100);
  Deno.writeFileSync(
    log,
    encoder.encode("2026-12-03T07:00:02.000Z <warn> - pi app: after\n"),
    { append: true },
  );
  const again = await run(LOGGER, ["--stats", "--format", "json"], {
    cwd: dir.path,
  });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).total, 2);
  // NUL bytes among other control bytes: a binary file, not a log.
  Deno.writeFileSync(
    log,
    new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 10]),
  );
  const binary = await run(LOGGER, ["--stats"], { cwd: dir.path });
  assert.equal(binary.code, 1);
  assert.match(
    binary.stderr,
    /^logging_basic: Cannot count '\.\/log\.txt' as line 1 is not a log line/,
  );
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
