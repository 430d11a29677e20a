/**
 * lib/args.ts reads every command line as node:util's parseArgs does: the
 * same values, or the same error message (which cli.ts turns into one line).
 */

import assert from "node:assert/strict";
import { parseArgs as nodeParseArgs } from "node:util";
import { type ArgsConfig, parseArgs } from "./args.ts";

const OPTIONS: ArgsConfig["options"] = {
  port: { type: "string", short: "p", default: "5555" },
  host: { type: "string", short: "H" },
  timestamps: { type: "boolean", short: "T", default: false },
  follow: { type: "boolean", short: "F" },
  include: { type: "string", multiple: true, default: [] },
  flag: { type: "boolean", multiple: true },
};

const WORDS = [
  "-p",
  "6000",
  "--port",
  "--port=-1",
  "-p7",
  "-T",
  "-TF",
  "-Tp",
  "-pT",
  "-F=1",
  "-x",
  "--x",
  "--",
  "-",
  "word",
  "-1h",
  "--include=a",
  "--flag",
  "--follow=",
  "--__proto__",
];

/** What a parser made of `config`: its result as JSON, or its error. */
function outcome(parse: (config: ArgsConfig) => unknown, config: ArgsConfig) {
  try {
    return JSON.stringify(parse(config));
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

Deno.test("every command line of up to three words reads as node:util's parseArgs reads it, strict or not", () => {
  const lines: string[][] = [[]];
  for (const a of WORDS) {
    lines.push([a]);
    for (const b of WORDS) {
      lines.push([a, b]);
      for (const c of WORDS) lines.push([a, b, c]);
    }
  }
  for (const args of lines) {
    for (const strict of [true, false]) {
      for (const allowPositionals of [undefined, true]) {
        const config: ArgsConfig = {
          args,
          options: OPTIONS,
          strict,
          allowPositionals,
        };
        assert.equal(
          outcome(parseArgs, config),
          outcome(nodeParseArgs as (config: ArgsConfig) => unknown, config),
          JSON.stringify(config),
        );
      }
    }
  }
});
