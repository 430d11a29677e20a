/**
 * Unit tests: `--capacity`'s counting. The busiest minute with lines out of
 * time order, the usual interval and silence, the figures a day, the days
 * until full; and the line sizes forEachLine gives, which must add up to
 * the file's bytes whatever is in it (multi-byte UTF-8, invalid UTF-8, NUL
 * runs, a line longer than it keeps, no newline at the end).
 */

import assert from "node:assert/strict";
import { capacityOf, DAY_MS, Load, MINUTE_MS } from "./capacity.ts";
import { forEachLine, MAX_LINE_CHARS } from "./stats_read.ts";

const START = Date.UTC(2026, 10, 24);
const UNKNOWN = { path: "./log.txt", unknown: "not asked" };

Deno.test("Load: the busiest minute counts a line that comes late in its own minute, and one too late on its own", () => {
  const load = new Load();
  const at = (minute: number, second: number) =>
    START + minute * MINUTE_MS + second * 1000;
  for (let s = 0; s < 5; s++) load.add(at(3, s), "a", 10);
  for (let s = 0; s < 4; s++) load.add(at(4, s), "a", 10);
  load.add(at(3, 59), "a", 10); // late, but within 10 minutes: minute 3 has 6
  load.add(at(20, 0), "a", 10);
  load.add(at(4, 30), "a", 10); // 16 minutes late: counted alone
  const capacity = capacityOf(load, UNKNOWN);
  assert.deepEqual(capacity.total.busiest, {
    start: at(3, 0),
    messages: 6,
    perSecond: 0.1,
  });
  assert.equal(capacity.hosts[0].busiest?.messages, 6);
});

Deno.test("Load: a host with no line in the last of its usual intervals is silent; a steady one is not", () => {
  const load = new Load();
  for (let i = 0; i <= 100; i++) {
    load.add(START + i * 60_000, "steady", 100);
    if (i <= 50) load.add(START + i * 60_000 + 500, "quit", 100);
    if (i % 50 === 0) load.add(START + i * 60_000 + 700, "rare", 100);
  }
  const capacity = capacityOf(load, UNKNOWN);
  const byName = Object.fromEntries(capacity.hosts.map((h) => [h.host, h]));
  // Gaps of 60 s are counted in the bucket up to 2^16 ms.
  assert.equal(byName.steady.usualInterval, 65_536);
  assert.equal(byName.steady.silent, false);
  assert.equal(byName.quit.usualInterval, 65_536);
  assert.equal(byName.quit.silent, true);
  assert.equal(byName.quit.last, START + 50 * 60_000 + 500);
  // Three lines, two gaps: too few to tell.
  assert.equal(byName.rare.usualInterval, undefined);
  assert.equal(byName.rare.silent, false);
});

Deno.test("capacityOf: messages and bytes a day, the growth over the span, days until full; untimed lines in the totals only", () => {
  const load = new Load();
  for (let i = 0; i < 48; i++) load.add(START + i * 3_600_000, "a", 1000);
  load.add(START + 2 * DAY_MS, "b", 2000); // the last line: span of 2 days
  load.add(NaN, "b", 500); // no time
  const disk = { path: "./log.txt", size: 1 << 20, available: 51_000 };
  const capacity = capacityOf(load, disk);
  assert.equal(capacity.days, 2);
  assert.deepEqual(
    capacity.perDay.map((d) => [d.messages, d.bytes, d.hosts]),
    [
      [24, 24_000, { a: { messages: 24, bytes: 24_000 } }],
      [24, 24_000, { a: { messages: 24, bytes: 24_000 } }],
      [1, 2000, { b: { messages: 1, bytes: 2000 } }],
    ],
  );
  assert.equal(capacity.growth, 50_000 / 2);
  assert.equal(capacity.daysToFull, 51_000 / 25_000);
  assert.equal(capacity.total.bytes, 50_500);
  assert.deepEqual(capacity.total.perDay, { messages: 24.5, bytes: 25_000 });
  assert.deepEqual(
    capacity.hosts.map((h) => [h.host, h.messages, h.bytes]),
    [["a", 48, 48_000], ["b", 2, 2500]],
  );
  // Not known: no days to full, and none with a file system but no growth.
  assert.equal(capacityOf(load, UNKNOWN).daysToFull, undefined);
  const still = new Load();
  still.add(START, "a", 10);
  assert.equal(capacityOf(still, disk).growth, undefined);
  assert.equal(capacityOf(still, disk).daysToFull, undefined);
});

Deno.test("forEachLine: the sizes of the lines add up to the file's bytes, less its NUL bytes", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/log.txt`;
    const encoder = new TextEncoder();
    const parts = [
      encoder.encode("plain\n"),
      encoder.encode("ünïcödé and 🦕\n"),
      new Uint8Array([0x61, 0xff, 0xfe, 0x62, 0x0a]), // invalid UTF-8
      encoder.encode("before a crash"),
      new Uint8Array([0, 0, 0]),
      encoder.encode("after it\n"),
      encoder.encode(`${"y".repeat(MAX_LINE_CHARS + 5000)}\n`),
      encoder.encode("é".repeat(70_000) + "\n"), // across 64 KiB reads
      encoder.encode("no newline at the end"),
    ];
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, part) => (bytes.set(part, at), at + part.length), 0);
    Deno.writeFileSync(path, bytes);
    const sizes: number[] = [];
    const nuls = forEachLine(path, (_line, size) => sizes.push(size), true);
    assert.equal(nuls, 3);
    assert.deepEqual(sizes.slice(0, 3), [6, 21, 5]);
    assert.deepEqual(sizes.slice(3, 5), [14, 9]); // the NUL run ends a line
    assert.equal(sizes[5], MAX_LINE_CHARS + 5001);
    assert.equal(sizes[6], 140_001);
    assert.equal(sizes[7], 21);
    assert.equal(sizes.reduce((a, b) => a + b, 0), bytes.length - nuls);
    // Not asked: every size is 0.
    const unasked: number[] = [];
    forEachLine(path, (_line, size) => unasked.push(size));
    assert.deepEqual(new Set(unasked), new Set([0]));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("capacityOf: lines spanning less than an hour give no rate a day and no days until full, not a projection of seconds", () => {
  const load = new Load();
  for (let i = 0; i < 8; i++) load.add(START + i * 50, "pi1", 55);
  const disk = { path: "./log.txt", size: 1 << 20, available: 51_000 };
  const short = capacityOf(load, disk);
  assert.equal(short.total.perDay, undefined);
  assert.equal(short.growth, undefined);
  assert.equal(short.daysToFull, undefined);
  load.add(START + 3_600_000, "pi1", 55); // now an hour
  const hour = capacityOf(load, disk);
  assert.equal(hour.growth, 9 * 55 * 24);
  assert.equal(hour.total.perDay?.messages, 9 * 24);
});
