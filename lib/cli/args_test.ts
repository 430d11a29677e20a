/** Unit tests: The command-line pieces both scripts share. */

import assert from "node:assert/strict";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { Interrupted, UsageError } from "../base/errors.ts";
import { defaultValues, fail, parsePort } from "./args.ts";

Deno.test("parsePort accepts 1-65535 and names the bad value otherwise", () => {
  assert.equal(parsePort("1", "listen"), 1);
  assert.equal(parsePort("65535", "listen"), 65535);
  for (
    const bad of ["0", "65536", "70000", "abc", "", "5555x", "-1", "1.5", " 80"]
  ) {
    assert.throws(
      () => parsePort(bad, "listen"),
      (err: Error) =>
        err instanceof UsageError &&
        err.message ===
          `Cannot listen as '--port' must be 1-65535: current value is ${
            JSON.stringify(bad)
          }`,
    );
  }
});

Deno.test("fail gives exit status 130 for Ctrl-C", () => {
  const error = console.error;
  console.error = () => {};
  try {
    assert.equal(fail("x", new Interrupted("stopped by Ctrl-C")), 130);
    assert.equal(fail("x", new UsageError("bad")), 2);
    assert.equal(fail("x", new Error("bad")), 1);
  } finally {
    console.error = error;
  }
});

Deno.test("defaultValues gives what parseArgs gives for no arguments, lists of their own", () => {
  const config = {
    args: [] as string[],
    options: {
      port: { type: "string", short: "p", default: "5555" },
      tag: { type: "string" },
      follow: { type: "boolean", default: false },
      stdin: { type: "boolean" },
      include: { type: "string", multiple: true, default: [] as string[] },
      level: { type: "string", multiple: true, default: ["warn"] },
    },
  } satisfies ParseArgsConfig;
  const values = defaultValues(config);
  assert.deepEqual(values, parseArgs(config).values);
  values.include.push("x");
  assert.deepEqual(config.options.include.default, []);
});
