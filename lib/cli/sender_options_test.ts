/** Unit tests: The sender's command line. */

import assert from "node:assert/strict";
import { hostPort } from "../sender/endpoint.ts";
import { splitText } from "../sender/message_text.ts";
import { parseSenderArgs as parse, splitOptions } from "./sender_options.ts";

/** The sender's command line with the book's defaults. */
function parseSenderArgs(args: string[]) {
  return parse(args, { host: "localhost", port: 5555, maxMessageSize: 65536 });
}

Deno.test("sender joins its arguments with single spaces, options first", async () => {
  const book = (await parseSenderArgs(["arg1", "arg2", "arg3"]))!;
  assert.deepEqual(
    [book.host, book.port, book.timeout, book.header, book.stdin, book.message],
    ["localhost", 5555, undefined, false, false, "arg1 arg2 arg3"],
  );
  const given = (await parseSenderArgs(
    [
      "-H",
      "pi.local",
      "-p",
      "6000",
      "--timeout",
      "2.5",
      "it",
      "is",
      "-3",
      "--port",
    ],
  ))!;
  assert.deepEqual(
    [given.host, given.port, given.timeout, given.header, given.message],
    ["pi.local", 6000, 2.5, false, "it is -3 --port"],
  );
  assert.equal(
    (await parseSenderArgs(["--", "-3", "degrees"]))?.message,
    "-3 degrees",
  );
  assert.equal((await parseSenderArgs([]))?.message, "");
  assert.equal(await parseSenderArgs(["--help", "x"]), undefined);
});

Deno.test("sender options for levels, tags and times turn the header on", async () => {
  const withLevel = (await parseSenderArgs(["-l", "WARNING", "hot"]))!;
  assert.deepEqual([withLevel.header, withLevel.level], [true, "warn"]);
  assert.equal((await parseSenderArgs(["-t", "backup", "x"]))!.tag, "backup");
  assert.equal((await parseSenderArgs(["-T", "x"]))!.timestamps, true);
  assert.equal(
    (await parseSenderArgs(["--hostname", "pi3", "x"]))!.hostname,
    "pi3",
  );
  await assert.rejects(
    () => parseSenderArgs(["-t", "two words", "x"]),
    /'--tag' must be one word/,
  );
  await assert.rejects(
    () => parseSenderArgs(["-t", "a:b", "x"]),
    /'--tag' must be one word/,
  );
  await assert.rejects(
    () => parseSenderArgs(["--stdin", "x"]),
    /'--stdin' reads the messages/,
  );
  await assert.rejects(
    () => parseSenderArgs(["x".repeat(70_000)]),
    /longer than the logger takes/,
  );
});

Deno.test("splitOptions joins option values so they may start with '-'", () => {
  assert.deepEqual(splitOptions(["--timeout", "-1", "x"]), {
    options: ["--timeout=-1"],
    words: ["x"],
  });
  assert.deepEqual(splitOptions(["-t", "-x", "y"]), {
    options: ["--tag=-x"],
    words: ["y"],
  });
  assert.deepEqual(splitOptions(["--port"]), {
    options: ["--port"],
    words: [],
  });
  assert.deepEqual(splitOptions(["-", "x"]), {
    options: [],
    words: ["-", "x"],
  });
});

Deno.test("splitText cuts long text at whole characters within the byte limit", () => {
  assert.deepEqual(splitText("abcdef", 4), ["abcd", "ef"]);
  assert.deepEqual(splitText("short", 100), ["short"]);
  const pieces = splitText("é".repeat(5), 4); // 2 bytes each
  assert.deepEqual(pieces, ["éé", "éé", "é"]);
});

Deno.test("hostPort puts an IPv6 address in brackets, as the endpoint does", () => {
  assert.equal(hostPort("localhost", 5555), "localhost:5555");
  assert.equal(hostPort("192.168.1.10", 5555), "192.168.1.10:5555");
  assert.equal(hostPort("::1", 5555), "[::1]:5555");
  assert.equal(hostPort("[fe80::1%eth0]", 6000), "[fe80::1%eth0]:6000");
});
