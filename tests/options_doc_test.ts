/**
 * docs/options.md's option tables are the reference a user reads; `--help` is
 * what the scripts say of themselves. These tests hold the two together: an
 * option added to (or dropped from) `--help` fails here until the table says
 * the same, short form included.
 *
 * @module
 */

import * as assert from "node:assert/strict";
import { LOGGER, readText, ROOT, run, SENDER } from "./helpers.ts";

/** One option as a user writes it: `--port`, with `-p` when it has one. */
interface OptionName {
  long: string;
  short?: string;
}

/**
 * The options `--help` lists: each line that starts (after its indent) with
 * `-x, --name` or `--name`, and the modes its usage lines name
 * (`Usage: ./logging_basic.ts --show [filters]`); the text around them is
 * left out.
 */
export function helpOptions(help: string): OptionName[] {
  const found: OptionName[] = [];
  for (const line of help.split("\n")) {
    const m = /^\s+(?:(-[A-Za-z]), )?(--[a-z][a-z0-9-]*)(?=\s|$)/.exec(line);
    if (m) found.push({ long: m[2], short: m[1] });
    const mode = /^(?:Usage:)?\s+\.\/\S+\.ts (--[a-z][a-z0-9-]*)/.exec(line);
    if (mode) found.push({ long: mode[1] });
  }
  return found;
}

/**
 * The options of the table under `### heading` in a markdown text: the first
 * cell's backquoted words, a short form belonging to the long one after it
 * (`` `-p`, `--port PORT` ``), several long ones in a cell each counted.
 */
export function tableOptions(markdown: string, heading: string): OptionName[] {
  const start = markdown.indexOf(`\n### ${heading}\n`);
  assert.ok(start >= 0, `docs/options.md has no "### ${heading}" section`);
  const rest = markdown.slice(start + heading.length + 6);
  const section = rest.slice(0, rest.search(/\n#{2,3} /) >>> 0);
  const found: OptionName[] = [];
  for (const row of section.split("\n")) {
    if (!row.startsWith("| `-")) continue;
    const cell = row.split(" | ")[0];
    let short: string | undefined;
    for (const [, word] of cell.matchAll(/`(-[^` ]+)[^`]*`/g)) {
      if (/^-[A-Za-z]$/.test(word)) {
        short = word;
      } else {
        found.push({ long: word, short });
        short = undefined;
      }
    }
  }
  return found;
}

/** Each option once, as `-p, --port` or `--show`, sorted. */
function names(options: OptionName[]): string[] {
  const all = options.map((o) => o.short ? `${o.short}, ${o.long}` : o.long);
  return [...new Set(all)].sort();
}

async function helpOf(script: string): Promise<string> {
  const out = await run(script, ["--help"]);
  assert.equal(out.code, 0, out.stderr);
  return out.stdout;
}

const OPTIONS_MD = `${ROOT}docs/options.md`;

Deno.test("docs/options.md lists exactly the logger's options that --help lists, with their short forms", async () => {
  const help = helpOptions(await helpOf(LOGGER));
  assert.ok(help.length > 20, `too few options read from --help: ${help}`);
  assert.deepEqual(
    names(tableOptions(readText(OPTIONS_MD), "`logging_basic.ts`")),
    names(help),
  );
});

Deno.test("docs/options.md lists exactly the sender's options that --help lists, with their short forms", async () => {
  const help = helpOptions(await helpOf(SENDER));
  assert.ok(help.length > 8, `too few options read from --help: ${help}`);
  assert.deepEqual(
    names(tableOptions(readText(OPTIONS_MD), "`log_cmd_basic.ts`")),
    names(help),
  );
});

Deno.test("the options check sees an option missing from a table, an extra one, and a wrong short form", () => {
  const help = helpOptions(
    "Usage: ./x.ts [options]\n       ./x.ts --stats    count\n" +
      "Options:\n  -p, --port PORT   the port\n      --show        read\n" +
      "Text: --not-an-option here\n  --allow-write=PATH x.ts\n",
  );
  assert.deepEqual(names(help), ["--show", "--stats", "-p, --port"]);
  const table = (rows: string) =>
    `\n### \`x.ts\`\n\n| a | b |\n${rows}\n## Next\n`;
  const read = (rows: string) => names(tableOptions(table(rows), "`x.ts`"));
  const rows = "| `-p`, `--port PORT` | x |\n| `--show`, `--stats` | y |";
  assert.deepEqual(read(rows), names(help));
  assert.notDeepEqual(read("| `-p`, `--port PORT` | x |"), names(help));
  assert.notDeepEqual(read(rows.replace("-p", "-P")), names(help));
  assert.notDeepEqual(read(rows + "\n| `--shout` | z |"), names(help));
});
