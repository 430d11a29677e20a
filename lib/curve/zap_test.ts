/** Unit tests: Refusals of CurveZMQ senders in the log. */

import assert from "node:assert/strict";
import { peerAddress, RefusalLog } from "./zap.ts";

Deno.test("RefusalLog logs a key once a minute, and at most 10 keys a minute in all", () => {
  let now = 1_000_000;
  const refusals = new RefusalLog("keys/allowed.txt", () => now);
  const key = (i: number) => `${i}`.padStart(40, "k");
  assert.equal(
    refusals.refused(key(0), "10.0.0.7"),
    `refused a sender at 10.0.0.7: its CurveZMQ key ${
      key(0)
    } is not in keys/allowed.txt`,
  );
  now += 1000;
  assert.equal(refusals.refused(key(0), "10.0.0.7"), undefined);
  assert.equal(refusals.refused(key(0), "10.0.0.7"), undefined);
  // A peer that makes a new key for each try: 9 more lines, then held back.
  for (let i = 1; i <= 9; i++) {
    assert.match(refusals.refused(key(i), "10.0.0.8")!, /^refused a sender/);
  }
  assert.equal(refusals.refused(key(10), "10.0.0.8"), undefined);
  assert.equal(refusals.refused(key(11), "10.0.0.8"), undefined);
  assert.equal(refusals.heldBack(), undefined, "not before the minute is up");
  now += 60_000;
  assert.equal(
    refusals.heldBack(),
    "refused 2 more senders with other keys not in keys/allowed.txt (not logged one by one: over 10 refusals in 60 s)",
  );
  assert.equal(refusals.heldBack(), undefined);
  assert.equal(
    refusals.refused(key(0), "10.0.0.7"),
    `refused a sender at 10.0.0.7: its CurveZMQ key ${
      key(0)
    } is not in keys/allowed.txt (and 2 more times since)`,
  );
});

Deno.test("RefusalLog says what it held back at once when the logger stops, before the minute is up", () => {
  const now = 1_000_000;
  const refusals = new RefusalLog("keys/allowed.txt", () => now);
  for (let i = 0; i < 13; i++) refusals.refused(`${i}`.padStart(40, "k"), "x");
  assert.equal(refusals.heldBack(), undefined);
  assert.equal(
    refusals.heldBack(true),
    "refused 3 more senders with other keys not in keys/allowed.txt (not logged one by one: over 10 refusals in 60 s)",
  );
  assert.equal(refusals.heldBack(true), undefined, "said once");
});

Deno.test("an IPv4 sender of the dual-stack socket is logged by its IPv4 address", () => {
  const encode = (text: string) => new TextEncoder().encode(text);
  assert.equal(peerAddress(encode("::ffff:127.0.0.1")), "127.0.0.1");
  assert.equal(peerAddress(encode("::1")), "::1");
  assert.equal(peerAddress(encode("fe80::ffff:1")), "fe80::ffff:1");
});
