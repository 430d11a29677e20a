/**
 * The soak test (`deno task test:soak`, also run by CI): 8 concurrent
 * senders, 1,000,000 messages in all, every one in the file exactly once
 * with each sender's order kept; the logger's peak memory is reported.
 */

import assert from "node:assert/strict";
import {
  assertEachOnceInOrder,
  freePort,
  run,
  sendBulk,
  startLogger,
  tempDir,
  waitForSize,
} from "./helpers.ts";

Deno.test("soak: 8 concurrent senders, 1,000,000 messages, each exactly once and in order", async () => {
  using dir = tempDir();
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  const senders = 8;
  const each = 125_000;
  const started = performance.now();
  await sendBulk(port, senders, each);
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

  const count = assertEachOnceInOrder(
    Deno.readTextFileSync(`${dir.path}/log.txt`),
    senders,
    each,
  );
  assert.equal(count, senders * each);
  console.log(
    `soak: ${count.toLocaleString("en")} messages from ${senders} senders in ${
      seconds.toFixed(1)
    } s; ` +
      `logger peak RSS ${peakMiB.toFixed(0)} MiB`,
  );
  assert.ok(peakMiB < 100, `peak RSS ${peakMiB.toFixed(0)} MiB`);
});
