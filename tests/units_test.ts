/**
 * The small pure pieces of both scripts, and a check that what both scripts
 * need alike (the port, its parsing, error wording) is the same in each.
 */

import assert from "node:assert/strict";
import * as logger from "../logging_basic.ts";
import * as sender from "../log_cmd_basic.ts";
import { ROOT } from "./helpers.ts";

Deno.test("parsePort accepts 1-65535 and names the bad value otherwise", () => {
  assert.equal(logger.parsePort("1", "listen"), 1);
  assert.equal(logger.parsePort("65535", "listen"), 65535);
  for (
    const bad of ["0", "65536", "70000", "abc", "", "5555x", "-1", "1.5", " 80"]
  ) {
    assert.throws(
      () => logger.parsePort(bad, "listen"),
      (err: Error) =>
        err instanceof logger.UsageError &&
        err.message ===
          `Cannot listen as '--port' must be 1-65535: current value is ${
            JSON.stringify(bad)
          }`,
    );
  }
});

Deno.test("logger options default to the book's port, all interfaces and ./log.txt", () => {
  assert.deepEqual(logger.parseLoggerArgs([]), {
    port: 5555,
    bind: "*",
    file: "./log.txt",
  });
  assert.deepEqual(
    logger.parseLoggerArgs(["-p", "6000", "-b", "10.0.0.2", "-f", "x.log"]),
    { port: 6000, bind: "10.0.0.2", file: "x.log" },
  );
  assert.equal(logger.parseLoggerArgs(["--help"]), undefined);
});

Deno.test("bindEndpoint and connectEndpoint bracket IPv6 addresses", () => {
  assert.equal(logger.bindEndpoint("*", 5555), "tcp://*:5555");
  assert.equal(logger.bindEndpoint("::", 1), "tcp://[::]:1");
  assert.equal(logger.bindEndpoint("[::1]", 2), "tcp://[::1]:2");
  assert.equal(
    sender.connectEndpoint("localhost", 5555),
    "tcp://localhost:5555",
  );
  assert.equal(
    sender.connectEndpoint("fe80::1%eth0", 5),
    "tcp://[fe80::1%eth0]:5",
  );
});

Deno.test("toLines writes each message as it came, followed by a newline", () => {
  const enc = new TextEncoder();
  assert.deepEqual(logger.toLines([]), new Uint8Array());
  assert.deepEqual(
    logger.toLines([
      enc.encode("a b"),
      new Uint8Array([0xff, 0x00]),
      enc.encode(""),
    ]),
    new Uint8Array([0x61, 0x20, 0x62, 0x0a, 0xff, 0x00, 0x0a, 0x0a]),
  );
});

Deno.test("sender joins its arguments with single spaces, options first", () => {
  assert.deepEqual(sender.parseSenderArgs(["arg1", "arg2", "arg3"]), {
    host: "localhost",
    port: 5555,
    timeout: undefined,
    message: "arg1 arg2 arg3",
  });
  assert.deepEqual(
    sender.parseSenderArgs([
      "-H",
      "pi.local",
      "-p",
      "6000",
      "-t",
      "2.5",
      "it",
      "is",
      "-3",
      "--port",
    ]),
    { host: "pi.local", port: 6000, timeout: 2.5, message: "it is -3 --port" },
  );
  assert.equal(
    sender.parseSenderArgs(["--", "-3", "degrees"])?.message,
    "-3 degrees",
  );
  assert.equal(sender.parseSenderArgs([])?.message, "");
  assert.equal(sender.parseSenderArgs(["--help", "x"]), undefined);
});

Deno.test("splitOptions joins option values so they may start with '-'", () => {
  assert.deepEqual(sender.splitOptions(["-t", "-1", "x"]), {
    options: ["--timeout=-1"],
    words: ["x"],
  });
  assert.deepEqual(sender.splitOptions(["--port"]), {
    options: ["--port"],
    words: [],
  });
  assert.deepEqual(sender.splitOptions(["-", "x"]), {
    options: [],
    words: ["-", "x"],
  });
});

Deno.test("both scripts agree on the port and share parsePort and parseArgsProblem word for word", () => {
  assert.equal(logger.PORT, sender.PORT);
  const source = (file: string) => Deno.readTextFileSync(`${ROOT}${file}`);
  const fn = (text: string, name: string) => {
    const start = text.indexOf(`export function ${name}(`);
    assert.ok(start >= 0, `${name} is defined`);
    // Up to the first closing brace at the start of a line: the whole function.
    return text.slice(start, text.indexOf("\n}\n", start) + 3);
  };
  for (const name of ["parsePort", "parseArgsProblem", "describe"]) {
    const a = source("logging_basic.ts");
    const b = source("log_cmd_basic.ts");
    const get = (t: string) =>
      fn(t.replace(`function ${name}(`, `export function ${name}(`), name);
    assert.equal(get(a), get(b), `${name} differs between the two scripts`);
  }
});
