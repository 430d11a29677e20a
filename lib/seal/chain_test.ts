/** Unit tests: keys, their evolution and the MACs, against known answers. */

import assert from "node:assert/strict";
import { UsageError } from "../base/errors.ts";
import {
  formatVerifyKey,
  keyAt,
  mac,
  newKey,
  nextKey,
  parseVerifyKey,
  sha256Hex,
} from "./chain.ts";

Deno.test("mac is HMAC-SHA-256: RFC 4231's test case 2, and what Web Crypto makes", async () => {
  assert.equal(
    mac(new TextEncoder().encode("Jefe"), "what do ya want for nothing?"),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
  const key = newKey();
  const webCrypto = await crypto.subtle.sign(
    "HMAC",
    await crypto.subtle.importKey(
      "raw",
      key,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    ),
    new TextEncoder().encode("seal=1 seq=7"),
  );
  assert.equal(mac(key, "seal=1 seq=7"), new Uint8Array(webCrypto).toHex());
});

Deno.test("sha256Hex is SHA-256, as Web Crypto makes it", async () => {
  assert.equal(
    sha256Hex(new Uint8Array()),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assert.equal(
    sha256Hex(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  const bytes = crypto.getRandomValues(new Uint8Array(65_536));
  assert.equal(
    sha256Hex(bytes),
    new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)).toHex(),
  );
});

Deno.test("the next key is SHA-256 of a fixed label and the key; keyAt takes n steps", async () => {
  const first = newKey();
  const second = nextKey(first);
  const label = new TextEncoder().encode("zmq-logger seal: next key\0");
  const expected = await crypto.subtle.digest(
    "SHA-256",
    new Uint8Array([...label, ...first]),
  );
  assert.deepEqual([...second], [...new Uint8Array(expected)]);
  assert.deepEqual(
    [...keyAt(first, 3)],
    [...nextKey(nextKey(second))],
  );
  assert.deepEqual([...keyAt(first, 0)], [...first]);
  // A MAC with one key is not one with the next.
  const text = "seal=1 seq=0";
  assert.notEqual(mac(first, text), mac(second, text));
});

Deno.test("new keys are 32 random bytes, each its own", () => {
  const a = newKey();
  assert.equal(a.length, 32);
  assert.notDeepEqual([...a], [...newKey()]);
});

Deno.test("the verification key goes out as zseal1-BASE64URL and comes back the same", () => {
  const first = newKey();
  const text = formatVerifyKey(first);
  assert.match(text, /^zseal1-[A-Za-z0-9_-]{43}$/);
  assert.deepEqual([...parseVerifyKey(text)], [...first]);
});

Deno.test("a wrong --verify-key is a usage error that does not repeat the key", () => {
  for (const wrong of ["abc", "zseal1-short", `zseal2-${"A".repeat(43)}`]) {
    assert.throws(
      () => parseVerifyKey(wrong),
      (err: Error) =>
        err instanceof UsageError && !err.message.includes(wrong) &&
        /'--verify-key' must be the key --seal-init printed/.test(err.message),
    );
  }
});
