/** Unit tests: sealing's command line and paths. */

import assert from "node:assert/strict";
import { UsageError } from "../base/errors.ts";
import {
  keyPath,
  parseSealOptions,
  sealCandidates,
  sealPath,
} from "./seal_options.ts";

Deno.test("the seal file and the key sit beside the log; a rotated log's seal file is rotated with it", () => {
  assert.equal(sealPath("./log.txt"), "./log.txt.seal");
  assert.equal(
    keyPath("/var/log/zmq/log.txt"),
    "/var/log/zmq/log.txt.seal-key",
  );
  assert.deepEqual(sealCandidates("./log.txt"), ["./log.txt.seal"]);
  assert.deepEqual(sealCandidates("log.txt.1"), [
    "log.txt.1.seal",
    "log.txt.seal.1",
  ]);
  assert.deepEqual(
    sealCandidates("/x/log.txt.2.gz")[1],
    "/x/log.txt.seal.2.gz",
  );
  assert.deepEqual(
    sealCandidates("log.txt-20261203")[1],
    "log.txt.seal-20261203",
  );
});

Deno.test("--verify reads each --file in order, and needs --verify-key of the form --seal-init prints", () => {
  const key = `zseal1-${"A".repeat(43)}`;
  const args = ["--verify", "--verify-key", key, "--file", "a.1", "-f", "a"];
  assert.deepEqual(
    parseSealOptions(
      { verify: true, "verify-key": key, file: "a" },
      "verify",
      args,
    ),
    { seal: false, verify: ["a.1", "a"], verifyKey: key },
  );
  assert.deepEqual(
    parseSealOptions(
      { verify: true, "verify-key": key, file: "./log.txt" },
      "verify",
      ["--verify", `--verify-key=${key}`],
    ).verify,
    ["./log.txt"],
  );
  assert.throws(
    () => parseSealOptions({ verify: true, file: "a" }, "verify", ["--verify"]),
    /'--verify' needs '--verify-key'/,
  );
  assert.throws(
    () =>
      parseSealOptions(
        { verify: true, "verify-key": "hunter2", file: "a" },
        "verify",
        ["--verify", "--verify-key", "hunter2"],
      ),
    (err: Error) =>
      err instanceof UsageError && !err.message.includes("hunter2") &&
      /current value has 7 characters and does not start with zseal1- \(not shown: it is secret\)$/
        .test(err.message),
  );
});

Deno.test("sealing's flags are refused where they do not belong", () => {
  const refused = (
    flags: Parameters<typeof parseSealOptions>[0],
    mode: string,
    args: string[],
    pattern: RegExp,
  ) =>
    assert.throws(
      () => parseSealOptions(flags, mode, args),
      (err: Error) => err instanceof UsageError && pattern.test(err.message),
    );
  refused(
    { seal: true, file: "f" },
    "show",
    ["--show", "--seal"],
    /'--seal' goes with listening/,
  );
  refused(
    { "verify-key": "k", file: "f" },
    "serve",
    ["--verify-key", "k"],
    /'--verify-key' goes with --verify/,
  );
  refused(
    { "seal-init": true, file: "f" },
    "seal-init",
    ["--seal-init", "--port", "6000"],
    /'--seal-init' takes only --file: .* current extra arguments are "--port 6000"/,
  );
  assert.deepEqual(
    parseSealOptions({ "seal-init": true, file: "f" }, "seal-init", [
      "--seal-init",
      "--file",
      "f",
    ]),
    { seal: false },
  );
});
