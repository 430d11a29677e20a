/** Unit tests: CurveZMQ key files and the allow-list. */

import assert from "node:assert/strict";
import { formatKeyFile, isKey, parseAllowList, parseKeyFile } from "./keys.ts";

// The example key pair of libzmq's zmq_curve(7) page (pyzmq agrees they match).
const PUBLIC_KEY = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
const SECRET_KEY = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";

Deno.test("key files round-trip: formatKeyFile writes what parseKeyFile reads", () => {
  const text = formatKeyFile(
    { publicKey: PUBLIC_KEY, secretKey: SECRET_KEY },
    "2026-11-24T10:00:00Z",
  );
  assert.deepEqual(parseKeyFile(text), {
    publicKey: PUBLIC_KEY,
    secretKey: SECRET_KEY,
  });
  // czmq's public certificate, and a bare key on a line, hold the public key only.
  assert.deepEqual(
    parseKeyFile(`metadata\ncurve\n    public-key = "${PUBLIC_KEY}"\n`),
    { publicKey: PUBLIC_KEY },
  );
  // The README's `grep -v secret-key` of a key pair file: its public key.
  assert.deepEqual(
    parseKeyFile(
      text.split("\n").filter((line) => !line.includes("secret-key")).join(
        "\n",
      ),
    ),
    { publicKey: PUBLIC_KEY },
  );
  assert.deepEqual(parseKeyFile(`${PUBLIC_KEY}\n`), {
    publicKey: PUBLIC_KEY,
  });
  for (
    const bad of [
      "",
      "curve\n",
      `public-key = "${PUBLIC_KEY.slice(1)}"`,
      `public-key = "${PUBLIC_KEY}"\nsecret-key = "short"`,
    ]
  ) {
    assert.equal(parseKeyFile(bad), undefined, bad);
  }
});

Deno.test("isKey takes 40 characters of Z85 and nothing else", () => {
  assert.ok(isKey(PUBLIC_KEY));
  assert.ok(isKey(SECRET_KEY));
  for (
    const bad of [
      "",
      PUBLIC_KEY.slice(1),
      `${PUBLIC_KEY}x`,
      "x".repeat(39) + '"',
      "x".repeat(39) + " ",
    ]
  ) {
    assert.ok(!isKey(bad), bad);
  }
});

Deno.test("parseAllowList reads one key per line with an optional name, and # comments", () => {
  const keys = parseAllowList(
    `# senders let in\n\n${PUBLIC_KEY} pi kitchen\n  ${SECRET_KEY}\n`,
  );
  assert.deepEqual([...keys], [
    [PUBLIC_KEY, "pi kitchen"],
    [SECRET_KEY, SECRET_KEY],
  ]);
  assert.throws(
    () => parseAllowList(`${PUBLIC_KEY}\nnot-a-key\n`),
    /^Error: Cannot use '--curve-allow' as its line 2 is not a public key \(40 characters of Z85\): current value is "not-a-key"$/,
  );
});
