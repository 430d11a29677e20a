/**
 * A newcomer's first hour: what the README and `--help` show works as
 * written, and what the logger says is exact.
 */

import assert from "node:assert/strict";
import {
  freePort,
  LOGGER,
  projectCopy,
  readText,
  run,
  send,
  SENDER,
  startLogger,
  tempDir,
  waitForLines,
} from "./helpers.ts";

Deno.test("--show takes the ages --help shows as separate words: --since -1h --until -5m", async () => {
  using dir = tempDir();
  const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
  Deno.writeTextFileSync(
    `${dir.path}/log.txt`,
    `${ago(2 * 3_600_000)} two hours ago\n${ago(1_800_000)} half an hour ago\n${
      ago(60_000)
    } a minute ago\n`,
  );
  for (
    const args of [
      ["--since", "-1h", "--until", "-5m"],
      ["--since=-1h", "--until=-5m"],
      ["--since", "-60m", "--until", "-300s"],
    ]
  ) {
    const shown = await run(LOGGER, ["--show", ...args], { cwd: dir.path });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^\S+Z half an hour ago\n$/, args.join(" "));
  }
  // A value that is neither an age nor a time is still named.
  const bad = await run(LOGGER, ["--show", "--since", "-1y"], {
    cwd: dir.path,
  });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /'--since'/);
});

Deno.test("--status names the level that dropped messages, after --set-level changed it", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port, ["--level", "warn"]);
  for (const text of ["one", "two"]) {
    const sent = await send(["-p", String(port), "-l", "info", text]);
    assert.equal(sent.code, 0, sent.stderr);
  }
  const kept = await send(["-p", String(port), "-l", "error", "kept"]);
  assert.equal(kept.code, 0, kept.stderr);
  await waitForLines(`${dir.path}/log.txt`, 1);
  const lowered = await run(LOGGER, ["--set-level", "debug"], {
    cwd: dir.path,
  });
  assert.equal(lowered.code, 0, lowered.stderr);
  const status = await run(LOGGER, ["--status"], { cwd: dir.path });
  assert.equal(status.code, 0, status.stderr);
  // Before, it said "2 dropped below level debug": not the level that dropped them.
  assert.equal(
    status.stdout,
    "logging_basic: level debug; 1 message logged to ./log.txt, 2 dropped below level warn\n",
  );
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.match(readText(`${dir.path}/log.txt`), /: kept\n/);
});

Deno.test("the key-making command each --help shows works as written in a fresh directory", async () => {
  // As the README's quick start has it: in the project's directory, a fresh
  // clone with no keys/ yet.
  await using dir = await projectCopy();
  for (
    const [script, key] of [
      [LOGGER, "keys/logger.key"],
      [SENDER, "keys/sender.key"],
    ]
  ) {
    const help = (await run(script, ["--help"])).stdout;
    const command = help.split("\n").map((line) => line.trim())
      .find((line) => line.includes("--keygen >"));
    assert.ok(command, help);
    const out = await run("bash", ["-c", command], { cwd: dir.path });
    assert.equal(out.code, 0, `${command}: ${out.stderr}`);
    assert.match(Deno.readTextFileSync(`${dir.path}/${key}`), /secret-key = /);
    // Only its owner may read a secret key.
    assert.equal(Deno.statSync(`${dir.path}/${key}`).mode! & 0o077, 0, key);
  }
});
