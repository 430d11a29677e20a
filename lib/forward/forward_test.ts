import assert from "node:assert/strict";
import { cutToBytes } from "./forward.ts";
import { parseForwardUrl } from "./target.ts";
import { serverText } from "./relp.ts";

Deno.test("parseForwardUrl takes tcp:// and relp:// with a host and port, and names a bad one", () => {
  assert.deepEqual(parseForwardUrl("relp://logs.lan:2514"), {
    protocol: "relp",
    host: "logs.lan",
    port: 2514,
    url: "relp://logs.lan:2514",
  });
  assert.equal(parseForwardUrl("tcp://[::1]:514").host, "::1");
  for (
    const bad of [
      "udp://x:514",
      "tcp://x",
      "tcp://x:0",
      "tcp://x:65536",
      "relp://a b:1",
    ]
  ) {
    assert.throws(() => parseForwardUrl(bad), /current value is/);
  }
});

Deno.test("cutToBytes cuts UTF-8 at a character's boundary", () => {
  assert.equal(cutToBytes("héllo", 2), "h");
  assert.equal(cutToBytes("héllo", 3), "hé");
  assert.equal(cutToBytes("hello", 10), "hello");
  assert.equal(
    new TextEncoder().encode(cutToBytes("€".repeat(5000), 8000)).length,
    7998,
  );
});

Deno.test("serverText shows what a server said in one quoted line, escapes and all", () => {
  assert.equal(
    serverText("500 no\x1b[31m\nsecond line"),
    '"500 no\\u001b[31m"',
  );
  assert.equal(serverText("x".repeat(200)).length, 2 + 80 + 3);
  assert.equal(serverText("\u202eevil"), '"\\u202eevil"');
});
