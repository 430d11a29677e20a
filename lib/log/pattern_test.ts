/**
 * Unit tests: filter patterns that move to V8's linear-time regexp engine
 * when they backtrack too much.
 *
 * The engine exists only in a Deno started with `--v8-flags=...`, and
 * `deno task test` starts none (the logger's shebang does). So each test
 * runs filterPattern in a child Deno with the flag and in one without it,
 * whichever Deno runs the tests; one test checks this Deno too.
 */

import assert from "node:assert/strict";
import { UsageError } from "../base/errors.ts";
import {
  filterPattern,
  hasLinearEngine,
  LINEAR_ENGINE_FLAG,
} from "./pattern.ts";

/** What filterPattern made of a pattern, and what its test() gave. */
interface Compiled {
  flags?: string;
  matched?: boolean[];
  ms?: number;
  error?: string;
  usage?: boolean;
}

/**
 * Compiles each of `patterns` with filterPattern (as `--exclude`) in a child
 * Deno with or without the linear engine, and tests it on each of `texts`.
 */
async function compileIn(
  engine: boolean,
  patterns: string[],
  texts: string[] = [],
): Promise<Compiled[]> {
  const code = `
    import { filterPattern } from ${
    JSON.stringify(new URL("./pattern.ts", import.meta.url).href)
  };
    import { UsageError } from ${
    JSON.stringify(new URL("../base/errors.ts", import.meta.url).href)
  };
    const [patterns, texts] = JSON.parse(Deno.args[0]);
    console.log(JSON.stringify(patterns.map((pattern) => {
      try {
        const re = filterPattern(pattern, "--exclude");
        const started = performance.now();
        const matched = texts.map((text) => re.test(text));
        return { flags: re.flags, matched, ms: performance.now() - started };
      } catch (err) {
        return { error: err.message, usage: err instanceof UsageError };
      }
    })));`;
  const { code: status, stdout, stderr } = await new Deno.Command(
    Deno.execPath(),
    {
      args: [
        "eval",
        "--ext=js",
        ...(engine ? [LINEAR_ENGINE_FLAG] : []),
        code,
        JSON.stringify([patterns, texts]),
      ],
      stdout: "piped",
      stderr: "piped",
    },
  ).output();
  assert.equal(status, 0, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout));
}

const ATTACK = `${"a".repeat(33)}!`;
const NOT_LINEAR =
  "Cannot filter as '--exclude' must be a regular expression that runs in linear time (no backreferences, lookaheads, (?i:) groups or repeat counts above 16): current value is ";

Deno.test("with the linear engine at hand, '(a+)+$' takes no time on the 34-byte attack and on 64 KiB", async () => {
  const texts = [ATTACK, `${"a".repeat(65_535)}!`, "ends in aaaa", "x"];
  const [evil, plain] = await compileIn(true, ["(a+)+$", "^pi|fan"], texts);
  // Every filter runs on the linear engine: no text can make it backtrack.
  assert.equal(evil.flags, "l");
  assert.deepEqual(evil.matched, [false, false, true, false]);
  // The backtracking engine takes minutes on the first text alone.
  assert.ok(evil.ms! < 1_000, `${evil.ms} ms`);
  assert.equal(plain.flags, "l");
  assert.deepEqual(plain.matched, [false, false, false, false]);
});

Deno.test("with the linear engine, what it cannot run in linear time is refused, the rest is kept", async () => {
  const refused = [
    "(a)\\1", // backreference
    "(?<h>x)\\k<h>", // named backreference
    "(?=a)b", // lookahead
    "a(?!b)", // negative lookahead
    "(?i:a)", // case-insensitive group
    "a{17}", // a part copied more than 16 times
    "(a{4}){5}",
  ];
  const kept = ["a{16}", "a{2,}", "\\d{4}-\\d\\d", "(?<=a)b", "a*?b", "^pi\\b"];
  const results = await compileIn(true, [...refused, ...kept]);
  refused.forEach((pattern, i) => {
    assert.deepEqual(results[i], {
      error: NOT_LINEAR + JSON.stringify(pattern),
      usage: true,
    });
  });
  kept.forEach((pattern, i) => {
    assert.equal(results[refused.length + i].flags, "l", pattern);
  });
});

Deno.test("without the linear engine a pattern gets the fix; one that is no regular expression is named as such, either way", async () => {
  const noEngine =
    `Cannot filter as '--exclude' needs V8's linear-time regular expressions: run ./logging_basic.ts through its shebang, or add ${LINEAR_ENGINE_FLAG} to 'deno run'`;
  const notRegExp =
    `Cannot filter as '--exclude' must be a regular expression: current value is "("`;
  assert.deepEqual(await compileIn(false, ["x", "(a)\\1", "("]), [
    { error: noEngine, usage: true },
    { error: noEngine, usage: true },
    { error: notRegExp, usage: true },
  ]);
  assert.deepEqual((await compileIn(true, ["("]))[0], {
    error: notRegExp,
    usage: true,
  });
});

Deno.test("this Deno: hasLinearEngine says whether the 'l' flag works, and filterPattern follows it", () => {
  let works = true;
  try {
    new RegExp("x", "l");
  } catch {
    works = false;
  }
  assert.equal(hasLinearEngine(), works);
  if (works) {
    assert.equal(filterPattern("x", "--include").source, "x");
  } else {
    assert.throws(
      () => filterPattern("x", "--include"),
      (err) =>
        err instanceof UsageError && err.message.includes(LINEAR_ENGINE_FLAG),
    );
  }
});

Deno.test("an unanchored '(.*a){4}', which backtracks without ever reaching V8's switch, takes no time on 64 KiB", async () => {
  const [slow] = await compileIn(true, ["(.*a){4}"], ["x".repeat(65_536)]);
  assert.deepEqual(slow.matched, [false]);
  // 1.2 s on the usual engine; a few ms on the linear one.
  assert.ok(slow.ms! < 300, `${slow.ms} ms`);
});

Deno.test("plain-text patterns stay on the usual engine, which matches them in linear time; anything more runs on the linear one", async () => {
  const patterns = ["heartbeat", "^pi", "disk full", "^pi|fan", "a.b", "x+"];
  const texts = ["pi-1 heartbeat", "disk full on pi"];
  const results = await compileIn(true, patterns, texts);
  assert.deepEqual(results.map((result) => result.flags), [
    "",
    "",
    "",
    "l",
    "l",
    "l",
  ]);
  assert.deepEqual(results.slice(0, 3).map((result) => result.matched), [
    [true, false],
    [true, false],
    [false, true],
  ]);
});
