import assert from "node:assert/strict";
import { controlSocket, MAX_SOCKET_PATH } from "./control.ts";

Deno.test("controlSocket puts the socket beside the log, as a file even for a name libzmq would read otherwise", () => {
  assert.deepEqual(controlSocket("./log.txt"), {
    path: "./log.txt.ctl",
    endpoint: "ipc://./log.txt.ctl",
    unusable: undefined,
  });
  // "@" is Linux's abstract namespace to libzmq, "*" a path of its choosing.
  assert.equal(controlSocket("@log").endpoint, "ipc://./@log.ctl");
  assert.equal(controlSocket("*log").endpoint, "ipc://./*log.ctl");
  assert.equal(controlSocket("a@b").endpoint, "ipc://a@b.ctl");
});

Deno.test("controlSocket counts bytes against the 107 a Unix socket path may have", () => {
  const fits = "x".repeat(MAX_SOCKET_PATH - ".ctl".length);
  assert.equal(controlSocket(fits).unusable, undefined);
  assert.match(
    controlSocket(`${fits}x`).unusable!,
    /^its path is 108 bytes long, and a Unix socket's may have 107 at most/,
  );
  // 52 two-byte characters: 104 bytes, and the suffix makes 108.
  assert.match(controlSocket("é".repeat(52)).unusable!, /is 108 bytes long/);
});
