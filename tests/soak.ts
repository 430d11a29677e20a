/**
 * The soak test (`deno task test:soak`, also run by CI): 8 concurrent
 * senders, 1,000,000 messages in all, every one in the file exactly once
 * with each sender's order kept; the logger's peak memory is reported.
 */

import assert from "node:assert/strict";
import {
  freePort,
  PEERS,
  PYTHON,
  run,
  startLogger,
  tempDir,
  waitForSize,
} from "./helpers.ts";

Deno.test("soak: 8 concurrent senders, 1,000,000 messages, each exactly once and in order", async () => {
  using dir = tempDir();
  const port = freePort();
  const logger = await startLogger(dir.path, port);
  const senders = 8;
  const each = 125_000;
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from(
      { length: senders },
      (_, s) =>
        run(PYTHON, [
          `${PEERS}bulk_sender.py`,
          String(port),
          `s${s}`,
          String(each),
        ]),
    ),
  );
  for (const out of outcomes) assert.equal(out.code, 0, out.stderr);
  // "sN SEQ\n": 3 + digits + 1 bytes a line.
  let bytes = 0;
  for (let i = 0; i < each; i++) bytes += 4 + String(i).length;
  bytes *= senders;
  assert.equal(await waitForSize(`${dir.path}/log.txt`, bytes, 120_000), bytes);
  const seconds = (performance.now() - started) / 1000;
  const status = (await run("cat", [`/proc/${logger.pid}/status`])).stdout;
  const peakMiB = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);

  const next = new Map<string, number>();
  const text = Deno.readTextFileSync(`${dir.path}/log.txt`);
  let count = 0;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const [name, seq] = line.split(" ");
    const expected = next.get(name) ?? 0;
    if (Number(seq) !== expected) {
      assert.fail(`${name}: expected ${expected}, got "${line}"`);
    }
    next.set(name, expected + 1);
    count++;
  }
  assert.equal(count, senders * each);
  assert.deepEqual([...next.values()], Array(senders).fill(each));
  console.log(
    `soak: ${count.toLocaleString("en")} messages from ${senders} senders in ${
      seconds.toFixed(1)
    } s; ` +
      `logger peak RSS ${peakMiB.toFixed(0)} MiB`,
  );
  assert.ok(peakMiB < 100, `peak RSS ${peakMiB.toFixed(0)} MiB`);
});
