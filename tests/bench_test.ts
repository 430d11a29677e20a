/**
 * The benchmark still runs end to end (on a small load), so it cannot rot
 * between the times someone runs it for real; with the C reference logger
 * it builds (gcc and libzmq3-dev, which .ci/run installs).
 */

import assert from "node:assert/strict";
import { ratio } from "../bench/report.ts";
import { ROOT, run } from "./helpers.ts";

Deno.test("a ratio against a baseline measured as 0 (less than a clock tick of CPU) is n/a, never Infinity", () => {
  assert.equal(ratio(0.5, 0.25), "2.00×");
  assert.equal(ratio(0.5, 0), "n/a");
  assert.equal(ratio(0, 0), "n/a");
});

Deno.test("deno task bench runs on a small load and writes its table with every ratio, against C and Python, where git does not look", async () => {
  const committed = Deno.readTextFileSync(`${ROOT}bench/results.md`);
  const lastRun = `${ROOT}bench/last-run.md`;
  try {
    Deno.removeSync(lastRun);
  } catch {
    // Not there: never run here.
  }
  const out = await run("deno", [
    "task",
    "bench",
    "--messages",
    "20000",
    "--rounds",
    "1",
    "--fleet-senders",
    "20",
    "--fleet-seconds",
    "1",
    // Other tests hold 5555 now and then (readme_test): our logger could
    // not be started as the book starts it, on 5555, without a race.
    "--free-ports",
  ], { cwd: ROOT });
  assert.equal(out.code, 0, out.stderr);
  assert.equal(
    Deno.readTextFileSync(`${ROOT}bench/results.md`),
    committed,
    "the committed table is written only with --update",
  );
  const ignored = await run("git", ["check-ignore", "-q", lastRun], {
    cwd: ROOT,
  });
  assert.equal(ignored.code, 0, "git ignores bench/last-run.md");
  const report = Deno.readTextFileSync(lastRun);
  // deno fmt pads the cells: compare each row with single spaces.
  const rows = report.replace(/ {2,}/g, " ");
  for (
    const row of [
      /\| logger throughput, msg\/s \| \d+k \| \d+k \| \d+k \| [\d.]+× \| [\d.]+× \| ≥ 0.9× C \| (NOT )?met \|/,
      // On this small load C may use less than one clock tick (10 ms) of
      // CPU: no ratio then, and no verdict, rather than Infinity.
      /\| logger CPU s per million \| [\d.]+ \| [\d.]+ \| [\d.]+ \| ([\d.]+× \| [\d.]+× \| ≤ 1.3× C \| (NOT )?met|n\/a \| [\d.]+× \| ≤ 1.3× C \| not measured) \|/,
      /\| logger peak RSS, MiB \| \d+ \| \d+ \| \d+ \| [\d.]+× \| [\d.]+× \| ≤ 40 MiB \|/,
      /\| one-message latency, median, µs \| \d+ \| \d+ \| \d+ \| [\d.]+× \| [\d.]+× \| ≤ 1.5× C \|/,
      /\| one-message latency, p99, µs \| \d+ \| \d+ \| \d+ \|/,
      /\| one-shot sender, ms \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+× \| [\d.]+× \| ≤ hello-world \+ 15 ms \|/,
      /\| Deno hello-world \(`deno run`\), ms \| [\d.]+ \|/,
      /\| util-linux logger over UDP \(floor\), ms \| [\d.]+ \|/,
      /\| --stdin into the log file, lines\/s \| \d+k \|/,
    ]
  ) {
    assert.match(rows, row);
  }
  // The goals of issue 28, each with its floor measured in the same run. No
  // verdict is asserted (a small load on a shared machine decides nothing),
  // only that each row is there and well-formed.
  const verdict = "(met|NOT met|not measured)";
  const plain = "([\\d.]+|not measured \\(port 5555 busy\\))";
  for (
    const row of [
      `\\| goal \\(issue 28\\) \\| measured \\| floor, same run \\| target \\| \\|`,
      `\\| one-shot sender, the book's plain call \`./log_cmd_basic.ts arg1 arg2 arg3\`, ms \\| ${plain} \\| hello-world [\\d.]+ \\| ≤ [\\d.]+ \\(hello-world \\+ 20\\) \\| ${verdict} \\|`,
      `\\| one-shot sender ÷ the book's Python sender, same words \\| ([\\d.]+×|not measured \\(port 5555 busy\\)) \\| (Python [\\d.]+ ms)? ?\\| ≤ 0.8× \\(20% faster\\) \\| ${verdict} \\|`,
      `\\| logger peak RSS under the load, MiB, median of 1 round\\(s\\) \\| \\d+ \\| addon \\+ context \\d+ \\(with node:util \\d+\\); bare Deno loop \\d+ \\| ≤ \\d+ \\(floor \\+ 12\\) \\| ${verdict} \\|`,
      `\\| logger CPU per message ÷ C's, median of 1 round\\(s\\) \\| ([\\d.]+×|n/a) \\| C [\\d.]+ CPU s per million; bare Deno loop [\\d.]+( \\([\\d.]+×\\))? \\| ≤ 1.3× \\| ${verdict} \\|`,
      `\\| logger throughput ÷ C's, median of 1 round\\(s\\) \\| [\\d.]+× \\| C \\d+k msg/s; bare Deno loop \\d+k \\([\\d.]+×\\) \\| ≥ 0.9× \\| ${verdict} \\|`,
      `\\| fleet, 20 senders × 10 msg/s × 1 s: messages lost of 200 in 1 round\\(s\\) \\| \\d+ \\| C \\d+ \\| 0 \\| ${verdict} \\|`,
      `\\| fleet, 20 senders × 10 msg/s × 1 s: logger CPU s, median of 1 round\\(s\\) \\| [\\d.]+ \\| C [\\d.]+; bare Deno loop [\\d.]+ \\| ≤ C's \\| ${verdict} \\|`,
      `\\| fleet, 20 senders × 10 msg/s × 1 s: logger peak RSS, MiB, median of 1 round\\(s\\) \\| \\d+ \\| C \\d+ \\+ floor \\d+ \\(with node:util \\d+\\); bare Deno loop \\d+ \\| ≤ \\d+ \\(C's \\+ floor\\) \\| ${verdict} \\|`,
    ]
  ) {
    assert.match(rows, new RegExp(row), row);
  }
  // --stats against awk on a generated log: both agreed, or the bench failed.
  assert.match(
    rows,
    /- time, --stats \/ awk: \*\*[\d.]+x\*\* \(goal at most 1.5x: (not )?met\)/,
  );
  assert.match(rows, /\| --stats on a tenth of the log \| \| \d+ MiB \|/);
  // Where it can (2 CPUs and taskset, as here), each logger and the fleet
  // run on CPUs of their own, so the run is the same every time.
  if (navigator.hardwareConcurrency >= 2) {
    assert.match(
      report.replace(/\s+/g, " "),
      /Each logger ran on CPU 0 and the fleet on CPU 1 \(`taskset`\)/,
    );
  }
  // Told so, our logger ran with --port, node:util loaded, and it says so.
  assert.match(
    report.replace(/\s+/g, " "),
    /Our logger ran with `--port` on free ports \(5555 was busy, or `--free-ports` said so\), and so with node:util loaded\./,
  );
  // The C reference logger's raw rounds are there: it was built and ran;
  // and so are the bare Deno loop's.
  assert.match(report, /- C on libzmq: \d+k, [\d.]+, \d+, \d+\/\d+/);
  assert.match(report, /- bare Deno loop: \d+k, [\d.]+, \d+, \d+\/\d+/);
  // The file is as deno fmt leaves it, so a committed run passes fmt --check.
  const check = await run("deno", [
    "fmt",
    "--check",
    "-q",
    lastRun,
  ]);
  assert.equal(check.code, 0, check.stderr);
  assert.match(report, /- deno: \d+\.\d+\.\d+/);
});

Deno.test("deno task bench says in one line what is wrong with its command line (exit 2), and --help prints its usage (exit 0), before it builds or measures anything", async () => {
  // -q: without it deno task prints its own "Task bench ..." line first.
  for (
    const args of [
      ["--bogus"],
      ["--messages"],
      ["stray"],
      ["--fleet-senders", "0"],
      ["--fleet-seconds", "1.5"],
    ]
  ) {
    const out = await run("deno", ["task", "-q", "bench", ...args], {
      cwd: ROOT,
    });
    assert.equal(out.code, 2, `${args}: ${out.stderr}`);
    assert.equal(out.stdout, "", `${args}`);
    assert.match(out.stderr, /^bench: [^\n]+\n$/, `${args}`);
  }
  const bogus = await run("deno", ["task", "-q", "bench", "--bogus"], {
    cwd: ROOT,
  });
  assert.match(bogus.stderr, /--bogus/);
  assert.match(bogus.stderr, /--help/, "the error says where the usage is");
  const help = await run("deno", ["task", "-q", "bench", "--help"], {
    cwd: ROOT,
  });
  assert.equal(help.code, 0, help.stderr);
  assert.equal(help.stderr, "");
  for (
    const option of [
      "--messages",
      "--rounds",
      "--out",
      "--update",
      "--fleet-senders",
      "--fleet-seconds",
    ]
  ) {
    assert.match(help.stdout, new RegExp(option), option);
  }
  assert.match(help.stdout, /^Usage: deno task bench/);
});
