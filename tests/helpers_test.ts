/**
 * The test helpers' own promises: a hung process fails its test at the
 * deadline, whatever it started, instead of stalling the run.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Background } from "./helpers.ts";

/** Fails unless `done` rejects within `ms`; returns the rejection's text. */
async function rejectsWithin(ms: number, done: Promise<unknown>) {
  const began = performance.now();
  const error = await done.then(
    () => assert.fail("it resolved"),
    (err: Error) => err.message,
  );
  const took = performance.now() - began;
  assert.ok(took < ms, `it took ${Math.round(took)} ms, more than ${ms}`);
  return error;
}

Deno.test("finish kills a hung process and what it started, and fails at its deadline with what it printed", async () => {
  const hung = new Background("sh", ["-c", "echo started; sleep 60 & wait"]);
  await hung.waitForStdout("started");
  const error = await rejectsWithin(10_000, hung.finish(500));
  assert.match(
    error,
    /still ran after 0.5 s and was killed; it printed:\nstarted\n/,
  );
});

Deno.test("finish fails at its deadline when the process ended but left a child holding its output", async () => {
  const parent = new Background("sh", ["-c", "sleep 60 & echo $!"]);
  const orphan = Number((await parent.waitForStdout(/^\d+\n/)).trim());
  try {
    const error = await rejectsWithin(10_000, parent.finish(500));
    assert.match(error, /ended, but what it started still held its output/);
  } finally {
    Deno.kill(orphan, "SIGKILL");
  }
});
