/** Unit tests: words every layer writes. */

import assert from "node:assert/strict";
import { roughTime } from "./words.ts";

Deno.test("roughTime says a length of time in the largest unit it fills, rounded", () => {
  assert.equal(roughTime(0.4), "0 seconds");
  assert.equal(roughTime(1), "1 second");
  assert.equal(roughTime(42), "42 seconds");
  assert.equal(roughTime(90), "2 minutes");
  assert.equal(roughTime(3600), "1 hour");
  assert.equal(roughTime(3 * 3600 + 60), "3 hours");
  assert.equal(roughTime(86400 * 27), "27 days");
  assert.equal(roughTime(1e9), "32 years");
  assert.equal(roughTime(2.5e14), "7,922,022 years");
});
