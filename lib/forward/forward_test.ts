import assert from "node:assert/strict";
import { cutToBytes } from "./forward.ts";
import { parseForwardUrl } from "./target.ts";
import { serverText } from "./relp.ts";
import { parsePlaces, placeRecord, startFrom } from "./place.ts";
import { LogReader, readLogLine } from "./reader.ts";
import { formatSyslog } from "./syslog_out.ts";

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

/** A temporary directory for one test, removed after. */
function withDir(test: (dir: string) => Promise<void> | void) {
  return async () => {
    const dir = Deno.makeTempDirSync({ prefix: "zmqlog-forward-" });
    try {
      await test(dir);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  };
}

const place = (offset: number) => ({
  identity: "1:2",
  offset,
  url: "relp://h:1",
});

Deno.test("parsePlaces reads the newest whole record: a torn newest one leaves the one before; zeros are damaged; the old single record is read", () => {
  const file = new Uint8Array(512);
  file.set(placeRecord(place(10), 1), 256);
  file.set(placeRecord(place(30), 2), 0);
  assert.deepEqual(parsePlaces(file), {
    place: place(30),
    damaged: false,
    sequence: 2,
  });
  // The newest record torn by a power cut in the middle of its write.
  file.fill(0x41, 20, 60);
  assert.deepEqual(parsePlaces(file).place, place(10));
  assert.deepEqual(parsePlaces(new Uint8Array(512)), {
    place: undefined,
    damaged: true,
    sequence: 0,
  });
  assert.equal(parsePlaces(new Uint8Array(0)).damaged, false);
  const old = new TextEncoder().encode(
    `${"zmqlog-forward 1:2 99 relp://h:1".padEnd(255)}\n`,
  );
  assert.deepEqual(parsePlaces(old).place, place(99));
  assert.equal(placeRecord(place(99), 7).length, 256);
});

Deno.test(
  "startFrom: a log cut below the saved place starts again at its last line (NULs at its end passed over)",
  withDir((dir) => {
    const file = `${dir}/log.txt`;
    Deno.writeTextFileSync(file, "one\ntwo\nthree\n\0\0\0");
    const now = { size: 17, identity: "1:2" };
    const saved = { place: place(400), damaged: false };
    const start = startFrom(file, now, "relp://h:1", saved);
    assert.equal(start.offset, 8);
    assert.match(
      start.from,
      /^from the start of its last line: .* is 17 bytes, shorter than where forwarding stopped \(400\), so it was cut; 9 bytes are sent again$/,
    );
    Deno.writeTextFileSync(file, "one\ntwo\nthr");
    assert.equal(
      startFrom(file, { ...now, size: 11 }, "relp://h:1", saved).offset,
      8,
    );
    Deno.writeTextFileSync(file, "");
    assert.equal(
      startFrom(file, { ...now, size: 0 }, "relp://h:1", saved).offset,
      0,
    );
    assert.equal(
      startFrom(file, now, "relp://h:1", { damaged: true }).offset,
      0,
    );
    assert.equal(
      startFrom(file, now, "relp://h:1", { ...saved, place: place(5) }).offset,
      5,
    );
  }),
);

Deno.test(
  "LogReader passes over NUL runs (each said once), ends a line at one, and keeps only the head of a long line",
  withDir(async (dir) => {
    const file = `${dir}/log.txt`;
    const long = "x".repeat(1_000_000);
    Deno.writeTextFileSync(
      file,
      `one\n${"\0".repeat(4096)}two\nhalf\0\0\n\0three\n${long}\nfour\n`,
    );
    using reader = new LogReader(file, "1:2", 0, 1000);
    const nuls: [number, number][] = [];
    reader.onNuls = (count, end) => nuls.push([count, end]);
    const lines = [];
    while (true) {
      const got = await reader.read(128);
      lines.push(...got);
      if (got.length === 0 && reader.caughtUp) break;
    }
    assert.deepEqual(lines.map(({ text, cut }) => [text, cut]), [
      ["one", false],
      ["two", false],
      ["half", false],
      ["three", false],
      ["x".repeat(1000), true],
      ["four", false],
    ]);
    assert.deepEqual(nuls, [[4096, 4100], [2, 4110], [1, 4112]]);
    assert.equal(lines.at(-1)!.end, Deno.statSync(file).size);
    // Sent again from a line's end: the same lines; the NULs are not said again.
    reader.rewind(lines[0].end);
    assert.deepEqual((await reader.read(2)).map(({ text }) => text), [
      "two",
      "half",
    ]);
    assert.equal(nuls.length, 3);
  }),
);

Deno.test(
  "LogReader says a NUL run that ended after it had read to the end of the file",
  withDir(async (dir) => {
    const file = `${dir}/log.txt`;
    Deno.writeTextFileSync(file, `one\n${"\0".repeat(100)}`);
    using reader = new LogReader(file, "1:2", 0, 1000);
    const nuls: [number, number][] = [];
    reader.onNuls = (count, end) => nuls.push([count, end]);
    assert.deepEqual((await reader.read(10)).map(({ text }) => text), ["one"]);
    assert.ok(reader.caughtUp);
    assert.deepEqual(nuls, []);
    Deno.writeTextFileSync(file, "two\n", { append: true });
    assert.deepEqual(await reader.read(10), [
      { text: "two", cut: false, end: 108 },
    ]);
    assert.deepEqual(nuls, [[100, 104]]);
  }),
);

Deno.test("readLogLine closes a JSON line cut short: its fields stay, its message is its start", () => {
  const json =
    '{"received":"2026-12-03T07:44:41.823Z","sent":null,"host":"pi","tag":"app","level":"error","message":"ab\\u0001\\\\c\\u00';
  for (
    const [cutAt, message] of [[json.length, "ab\u0001\\c"], [
      json.length - 7,
      "ab\u0001",
    ], [json.length - 8, "ab"]] as const
  ) {
    const line = readLogLine({ text: json.slice(0, cutAt), cut: true, end: 0 });
    assert.equal(line.received, "2026-12-03T07:44:41.823Z");
    assert.deepEqual(line.message, {
      level: "error",
      host: "pi",
      tag: "app",
      text: message,
    });
  }
  assert.equal(
    readLogLine({ text: "{not json", cut: true, end: 0 }).message.text,
    "{not json",
  );
});

Deno.test("formatSyslog escapes the text's control characters and keeps only a time as the TIMESTAMP", () => {
  assert.equal(
    formatSyslog(
      {
        level: "info",
        sent: "x\n<13>1",
        host: "a\nb",
        text: "a\nb\u202e\u0085",
      },
      { facility: 1, received: "2026-12-03T07:44:41.123456789Z" },
    ),
    "<14>1 2026-12-03T07:44:41.123456Z a_b - - - - a#012b#342#200#256#302#205",
  );
});
