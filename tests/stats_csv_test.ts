/**
 * `--stats --format csv` on what real senders sent: a host or tag that
 * starts with any character a spreadsheet reads as the start of a formula
 * (`=`, `+`, `-`, `@`; OWASP's "CSV Injection") reaches the CSV with a `'`
 * in front. (Tabs and carriage returns cannot be in a header's host or
 * tag; lib/read/stats_csv_test.ts covers them.)
 */

import assert from "node:assert/strict";
import {
  freePort,
  LOGGER,
  PEERS,
  PYTHON,
  run,
  startLogger,
  tempDir,
  waitForLines,
} from "./helpers.ts";

/** Names a sender may give that a spreadsheet would run. */
const FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(1+1)"];

Deno.test("--stats --format csv puts ' before every sender's host or tag that starts with = + - or @", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port, ["--timestamps"]);
  for (const [i, name] of FORMULAS.entries()) {
    // The host of one message is the tag of the next: each is both.
    const tag = FORMULAS[(i + 1) % FORMULAS.length];
    const out = await run(
      PYTHON,
      [`${PEERS}book_sender.py`, `<info> - ${name} ${tag}: hi`],
      { env: { PORT: String(port) } },
    );
    assert.equal(out.code, 0, out.stderr);
  }
  await waitForLines(`${dir.path}/log.txt`, FORMULAS.length);
  assert.equal((await logger.stop()).code, 0);
  for (const by of ["host", "tag"]) {
    const out = await run(LOGGER, ["--stats", "--by", by, "--format", "csv"], {
      cwd: dir.path,
    });
    assert.equal(out.code, 0, out.stderr);
    const header = out.stdout.split("\r\n")[0].split(",");
    assert.deepEqual(
      header.slice(1, -1).toSorted(),
      FORMULAS.map((name) => `'${name}`).toSorted(),
      `--by ${by}: ${out.stdout}`,
    );
  }
});
