/** Unit tests: What the sender sends. */

import assert from "node:assert/strict";
import { parseSenderArgs as parse } from "../cli/sender_options.ts";
import { wireText } from "./message_text.ts";

/** The sender's command line with the book's defaults. */
function parseSenderArgs(args: string[]) {
  return parse(args, { host: "localhost", port: 5555, maxMessageSize: 65536 });
}

Deno.test("wireText sends the bare message unless a header was asked for", async () => {
  const plain = (await parseSenderArgs(["arg1", "arg2"]))!;
  assert.equal(wireText(plain, plain.message), "arg1 arg2");
  const tagged = (await parseSenderArgs([
    "-l",
    "err",
    "-t",
    "cron",
    "--hostname",
    "pi",
    "failed",
  ]))!;
  assert.equal(
    wireText(tagged, tagged.message),
    "<error> - pi cron: failed",
  );
  const timed = (await parseSenderArgs(["-T", "--hostname", "pi", "x"]))!;
  assert.match(
    wireText(timed, timed.message),
    /^<info> \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z pi log_cmd_basic: x$/,
  );
});
