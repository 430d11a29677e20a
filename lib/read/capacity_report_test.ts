/** Unit tests: what the capacity report says of the growth and the disk. */

import assert from "node:assert/strict";
import { capacityOf, Load } from "./capacity.ts";
import { capacityCsv, diskLines } from "./capacity_report.ts";

const DISK = { path: "./log.txt", size: 8 << 20, available: 4 << 20 };
const START = Date.UTC(2026, 10, 24);

function linesFor(times: number[]): string[] {
  const load = new Load();
  for (const time of times) load.add(time, "pi", 100);
  const capacity = capacityOf(load, DISK);
  return diskLines({ file: "./log.txt", untimed: 0, capacity });
}

Deno.test("diskLines: with no rate known, when the disk is full is not known either (not 'not filling up')", () => {
  const [growth, disk] = linesFor([START, START + 200]);
  assert.match(growth, /not known: its timed lines span 0\.2 s/);
  assert.match(disk, /: when it is full is not known\.$/);
  const [none, noDisk] = linesFor([]);
  assert.equal(
    none,
    "The log's growth a day is not known: it has no timed lines.",
  );
  assert.match(noDisk, /: when it is full is not known\.$/);
  const [grew, full] = linesFor([START, START + 86_400_000]);
  assert.match(grew, /^The log grew 200 B a day/);
  assert.match(full, /: full in \d+ days at that rate\.$/);
});

Deno.test("capacityCsv: every row has as many fields as the header", () => {
  const load = new Load();
  for (let i = 0; i < 50; i++) {
    load.add(START + i * 3_600_000, `pi${i % 3}`, 80);
  }
  const csv = capacityCsv({
    file: "./log.txt",
    untimed: 0,
    capacity: capacityOf(load, DISK),
  });
  const rows = csv.trimEnd().split("\r\n").map((row) => row.split(",").length);
  assert.ok(rows.length > 5, csv);
  assert.deepEqual(new Set(rows), new Set([rows[0]]), csv);
});
