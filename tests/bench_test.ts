/**
 * The benchmark still runs end to end (on a small load), so it cannot rot
 * between the times someone runs it for real.
 */

import assert from "node:assert/strict";
import { ROOT, run, tempDir } from "./helpers.ts";

Deno.test("deno task bench runs on a small load and writes its table with every ratio", async () => {
  using dir = tempDir();
  const out = await run("deno", [
    "task",
    "bench",
    "--messages",
    "20000",
    "--rounds",
    "1",
    "--out",
    `${dir.path}/results.md`,
  ], { cwd: ROOT });
  assert.equal(out.code, 0, out.stderr);
  const report = Deno.readTextFileSync(`${dir.path}/results.md`);
  // deno fmt pads the cells: compare each row with single spaces.
  const rows = report.replace(/ {2,}/g, " ");
  for (
    const row of [
      /\| logger throughput, msg\/s \| \d+k \| \d+k \| [\d.]+× \| ≥ 1.5× \|/,
      /\| logger CPU s per million \| [\d.]+ \| [\d.]+ \| [\d.]+× \| ≤ 0.8× \|/,
      /\| logger peak RSS, MiB \| \d+ \| \d+ \|/,
      /\| one-shot sender, ms \| [\d.]+ \| [\d.]+ \| [\d.]+× \| ≤ 1× \|/,
      /\| util-linux logger over UDP \(floor\), ms \| [\d.]+ \|/,
      /\| --stdin into the log file, lines\/s \| \d+k \|/,
    ]
  ) {
    assert.match(rows, row);
  }
  // The file is as deno fmt leaves it, so a committed run passes fmt --check.
  const check = await run("deno", [
    "fmt",
    "--check",
    "-q",
    `${dir.path}/results.md`,
  ]);
  assert.equal(check.code, 0, check.stderr);
  assert.match(report, /- deno: \d+\.\d+\.\d+/);
});
