/** Unit tests: what is said of a file problem, and the command that fixes it. */

import assert from "node:assert/strict";
import { fileProblem, loggerRunCommand } from "./file_hints.ts";

Deno.test("the deno run hint quotes words for the shell and doubles commas for Deno's path lists", () => {
  const command = loggerRunCommand(
    { write: ["my log,1.txt"], read: ["my log,1.txt", "./keys"] },
    ["--file", "my log,1.txt"],
  );
  assert.match(command, /^deno run -q --no-prompt -P=logging_basic /);
  assert.match(command, / --allow-write='my log,,1\.txt' /);
  assert.match(command, / --allow-read='my log,,1\.txt,\.\/keys' /);
  assert.match(command, /logging_basic\.ts --file 'my log,1\.txt'$/);
});

Deno.test("a problem that is not a missing permission is said as it is", () => {
  assert.equal(
    fileProblem(new Deno.errors.NotFound("No such file"), "x.txt", "read"),
    "No such file",
  );
});

Deno.test("a missing write permission for the log is granted with its control socket, which the logger removes at exit", () => {
  const hint = fileProblem(
    new Deno.errors.NotCapable("no"),
    "/var/log/zmq.log",
    "write",
  );
  assert.match(
    hint,
    / --allow-write=\/var\/log\/zmq\.log,\/var\/log\/zmq\.log\.ctl --allow-read=\/var\/log\/zmq\.log /,
  );
});
