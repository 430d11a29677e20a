/**
 * Unit tests: `--stats --format csv` keeps every group name a sender chose
 * (its host or tag) from being read as a formula by a spreadsheet: a cell
 * that starts with `=`, `+`, `-`, `@`, a tab or a carriage return (OWASP's
 * "CSV Injection" list) gets a `'` in front.
 */

import assert from "node:assert/strict";
import { countLog } from "./stats.ts";
import { statsCsv } from "./stats_report.ts";

const KEEP_ALL = {
  level: "debug" as const,
  include: [],
  exclude: [],
  includeHost: [],
  excludeHost: [],
};

/** Names a spreadsheet would run: each formula start, then the rest of a formula. */
const FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"];

/** The cells of a CSV row, unquoted (`"a,""b"""` is `a,"b"`). */
function cells(row: string): string[] {
  return [...row.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map(([, cell]) =>
    cell.startsWith('"') ? cell.slice(1, -1).replaceAll('""', '"') : cell
  );
}

/**
 * The cells of the CSV header row of a log whose lines come from `names` as
 * `by`, and the row as it is.
 */
function csvHeader(
  names: string[],
  by: "host" | "tag",
): { row: string; names: string[] } {
  const lines = names.map((name) =>
    JSON.stringify({
      received: "2026-11-24T10:00:00.000Z",
      sent: null,
      host: by === "host" ? name : "pi",
      tag: by === "tag" ? name : "app",
      level: "info",
      message: "hi",
    })
  );
  const file = Deno.makeTempFileSync();
  try {
    Deno.writeTextFileSync(file, `${lines.join("\n")}\n`);
    const counts = countLog({ file, filters: KEEP_ALL, by });
    const row = statsCsv(counts).split("\r\n")[0];
    return { row, names: cells(row).slice(1, -1) };
  } finally {
    Deno.removeSync(file);
  }
}

for (const by of ["host", "tag"] as const) {
  Deno.test(`statsCsv puts ' before a ${by} that starts with = + - @ tab or carriage return`, () => {
    const names = FORMULA_STARTS.map((start) => `${start}cmd|' /C calc'!A0`);
    // What each becomes: a ' in front; a carriage return escaped (#015).
    assert.deepEqual(
      csvHeader(names, by).names.toSorted(),
      [
        `'=cmd|' /C calc'!A0`,
        `'+cmd|' /C calc'!A0`,
        `'-cmd|' /C calc'!A0`,
        `'@cmd|' /C calc'!A0`,
        `'\tcmd|' /C calc'!A0`,
        `#015cmd|' /C calc'!A0`,
      ].toSorted(),
    );
  });

  Deno.test(`statsCsv guards each formula start of a ${by} on its own, in a quoted cell too`, () => {
    for (const start of FORMULA_STARTS) {
      for (const name of [`${start}1+1`, `${start}SUM(1,2)`]) {
        const header = csvHeader([name], by);
        assert.deepEqual(
          header.names,
          [start === "\r" ? `#015${name.slice(1)}` : `'${name}`],
          `${JSON.stringify(name)} in ${JSON.stringify(header.row)}`,
        );
      }
    }
  });
}

Deno.test("statsCsv leaves names that start with anything else as they are", () => {
  assert.equal(
    csvHeader(["pi-kitchen", "1+1", "a=b", "'quoted", "x,y"], "host").row,
    `bucket,'quoted,1+1,a=b,pi-kitchen,"x,y",total`,
  );
});
