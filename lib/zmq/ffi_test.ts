/** Unit tests: what lib/zmq/ffi.ts says without touching libzmq. */

import assert from "node:assert/strict";
import { compiledLoadProblem } from "./ffi.ts";

Deno.test("a renamed compiled binary that cannot load its libzmq names how it runs, where its files are, and the fix", () => {
  assert.equal(
    compiledLoadProblem(
      "/usr/local/bin/zmq-logger",
      "file:///tmp/deno-compile-zmq-logger/node_modules/.deno/zeromq@6.8.0/node_modules/zeromq/build/manifest.json",
      "file:///tmp/deno-compile-zmq-logger/logging_basic.ts",
    ),
    "Cannot load libzmq: this binary runs as zmq-logger with its files in /tmp/deno-compile-zmq-logger/, and may load libzmq only from where the name it was built with puts them (under /tmp): give it back that name (a symbolic link of another name is fine) or build it as zmq-logger (deno task compile --logger-name zmq-logger)",
  );
});

Deno.test("a compiled binary started with TMPDIR set is told to unset it, not to be renamed", () => {
  assert.equal(
    compiledLoadProblem(
      "/usr/local/bin/logging_basic",
      "file:///var/tmp/deno-compile-logging_basic/node_modules/zeromq/build/manifest.json",
      "file:///var/tmp/deno-compile-logging_basic/logging_basic.ts",
    ),
    "Cannot load libzmq: this binary sees its files in /var/tmp/deno-compile-logging_basic/ as TMPDIR is set (to /var/tmp), and may load libzmq only from under /tmp: start it with TMPDIR unset (if it still cannot, it was also renamed: give it back the name it was built with, or build it as logging_basic with deno task compile --logger-name logging_basic)",
  );
});

Deno.test("for the sender, the fix names --sender-name", () => {
  assert.match(
    compiledLoadProblem(
      "/usr/local/bin/zlog",
      "file:///tmp/deno-compile-zlog/node_modules/zeromq/build/manifest.json",
      "file:///tmp/deno-compile-zlog/log_cmd_basic.ts",
    ),
    /build it as zlog \(deno task compile --sender-name zlog\)/,
  );
});
