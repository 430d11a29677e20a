/**
 * `--show --context N`, `-B N`, `-A N` through the logger's shebang, on a
 * generated log of many hosts and tags with known errors: every error comes
 * with the N lines before (and after) it from its own host and tag and no
 * other's, groups apart by `--` as grep's; the same with `--since/--until`,
 * in JSON, with `--follow` while the real logger writes what real senders
 * send, and past the bound on hosts and tags kept. What each run must print
 * is worked out here by brute force, from the rule as the guide states it.
 */

import assert from "node:assert/strict";
import {
  Background,
  freePort,
  LOGGER,
  run,
  send,
  startLogger,
  tempDir,
  waitForLines,
} from "./helpers.ts";

const START = Date.UTC(2026, 11, 1, 8);
const HOSTS = Array.from({ length: 25 }, (_, i) => `pi-${i}`);
const TAGS = ["sensor", "backup", "cron"];

/** One generated line: its text, its host and tag, whether it is an error, its time. */
interface Line {
  text: string;
  key: string;
  error: boolean;
  time: number;
}

/** A log of `count` lines as the logger writes them, hosts and tags mixed at random (seeded). */
function generatedLog(count: number): Line[] {
  let seed = 42;
  const random = () =>
    (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const lines: Line[] = [];
  for (let i = 0; i < count; i++) {
    const time = START + i * 1000;
    const received = new Date(time).toISOString();
    const level = random() < 0.04 ? "error" : ["debug", "info", "warn"][i % 3];
    if (i % 50 === 7) {
      // The book's plain lines: no host or tag, a stream of their own.
      lines.push({
        text: `${received} plain line #${i}`,
        key: "",
        error: false,
        time,
      });
      continue;
    }
    const host = HOSTS[Math.floor(random() * HOSTS.length)];
    const tag = TAGS[Math.floor(random() * TAGS.length)];
    const text = i % 7 === 3
      ? JSON.stringify({
        received,
        sent: null,
        host,
        tag,
        level,
        message: `event #${i}`,
      })
      : `${received} <${level}> - ${host} ${tag}: event #${i}`;
    lines.push({ text, key: `${host} ${tag}`, error: level === "error", time });
  }
  return lines;
}

/**
 * What `--show` with `before` and `after` lines of context prints, by the
 * rule: lines in the order read; a match prints the `before` lines of its
 * host and tag before it not printed yet, then itself; the next `after`
 * lines of its host and tag print as they are read; `--` before a line
 * unless the line printed last is the one before it of its host and tag.
 * With `last`, only what belongs to the last that many matches.
 */
function expected(
  lines: Line[],
  matches: (line: Line) => boolean,
  before: number,
  after: number,
  last = Infinity,
): string[] {
  const previous: number[] = []; // the line before each of its host and tag
  const lastOf = new Map<string, number>();
  lines.forEach((line, i) => {
    previous.push(lastOf.get(line.key) ?? -1);
    lastOf.set(line.key, i);
  });
  const printed = new Set<number>();
  const owed = new Map<string, { left: number; match: number }>();
  const shown: { i: number; match: number }[] = [];
  let count = 0;
  lines.forEach((line, i) => {
    if (matches(line)) {
      count++;
      const run: number[] = [];
      for (
        let j = previous[i];
        j >= 0 && run.length < before;
        j = previous[j]
      ) {
        run.unshift(j);
      }
      for (const j of run.filter((j) => !printed.has(j))) {
        shown.push({ i: j, match: count });
      }
      shown.push({ i, match: count });
      run.forEach((j) => printed.add(j));
      printed.add(i);
      owed.set(line.key, { left: after, match: count });
    } else if ((owed.get(line.key)?.left ?? 0) > 0) {
      const debt = owed.get(line.key)!;
      debt.left--;
      shown.push({ i, match: debt.match });
      printed.add(i);
    }
  });
  const kept = shown.filter((s) => s.match > count - last);
  return kept.flatMap(({ i }, n) =>
    n > 0 && previous[i] !== kept[n - 1].i
      ? ["--", lines[i].text]
      : [lines[i].text]
  );
}

/** Writes the lines as ./log.txt in `dir`. */
function writeLog(dir: string, lines: Line[]): void {
  Deno.writeTextFileSync(
    `${dir}/log.txt`,
    lines.map((l) => `${l.text}\n`).join(""),
  );
}

/** `./logging_basic.ts --show ARGS` in `dir`: its lines, after checking it went well. */
async function show(dir: string, args: string[]): Promise<string[]> {
  const out = await run(LOGGER, ["--show", ...args], { cwd: dir });
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stderr, "");
  return out.stdout.split("\n").slice(0, -1);
}

/** Which generated line each printed line is ("--" stays). */
function indexes(lines: Line[], printed: string[]): (number | "--")[] {
  const at = new Map(lines.map((line, i) => [line.text, i]));
  return printed.map((text) => {
    if (text === "--") return "--";
    const i = at.get(text);
    assert.ok(
      i !== undefined,
      `printed a line that is not in the log: ${text}`,
    );
    return i;
  });
}

Deno.test("--show -B 3 on a log of 25 hosts: every error after the 3 lines before it from its host and tag, no other host's, groups apart by --", async () => {
  using dir = tempDir();
  const lines = generatedLog(6000);
  writeLog(dir.path, lines);
  const printed = await show(dir.path, ["--level", "error", "-B", "3"]);
  const shown = indexes(lines, printed);
  // Each error is there, after its host and tag's 3 lines before it.
  const position = new Map(shown.map((i, n) => [i, n]));
  const errors = lines.flatMap((line, i) => line.error ? [i] : []);
  assert.ok(errors.length > 150, `${errors.length} errors`);
  for (const i of errors) {
    assert.ok(position.has(i), `error line ${i} was not printed`);
    const before = lines.slice(0, i).flatMap((l, j) =>
      l.key === lines[i].key ? [j] : []
    )
      .slice(-3);
    for (const j of before) {
      assert.ok(
        position.get(j)! < position.get(i)!,
        `line ${j} before error ${i}`,
      );
    }
  }
  // Between two -- lines: one host and tag, its lines one after the other.
  const groups = shown.join(" ").split(" -- ").map((g) =>
    g.split(" ").map(Number)
  );
  for (const group of groups) {
    const keys = new Set(group.map((i) => lines[i].key));
    assert.equal(keys.size, 1, `a group mixes ${[...keys]}`);
    const stream = lines.flatMap((l, j) =>
      l.key === lines[group[0]].key ? [j] : []
    );
    const from = stream.indexOf(group[0]);
    assert.deepEqual(group, stream.slice(from, from + group.length));
  }
  assert.equal(
    new Set(shown.filter((i) => i !== "--")).size,
    shown.filter((i) => i !== "--").length,
  );
  // And exactly what the rule says, separators and all.
  assert.deepEqual(printed, expected(lines, (l) => l.error, 3, 0));
});

Deno.test("--show -A 2 and -C 2: the lines after each error come as they are read, exactly as the rule says", async () => {
  using dir = tempDir();
  const lines = generatedLog(4000);
  writeLog(dir.path, lines);
  const isError = (l: Line) => l.error;
  assert.deepEqual(
    await show(dir.path, ["--level", "error", "-A", "2"]),
    expected(lines, isError, 0, 2),
  );
  assert.deepEqual(
    await show(dir.path, ["--level", "error", "--context", "2"]),
    expected(lines, isError, 2, 2),
  );
  // -B and -A take the place of --context on their side, as in grep.
  assert.deepEqual(
    await show(dir.path, ["--level", "error", "-C", "5", "-A", "0", "-B", "1"]),
    expected(lines, isError, 1, 0),
  );
});

Deno.test("--show --context with --since/--until: the range picks the errors; their lines before may be older", async () => {
  using dir = tempDir();
  const lines = generatedLog(3000);
  writeLog(dir.path, lines);
  const since = START + 1000 * 1000;
  const until = START + 1600 * 1000;
  const printed = await show(dir.path, [
    "--level",
    "error",
    "-B",
    "4",
    "--since",
    new Date(since).toISOString(),
    "--until",
    new Date(until).toISOString(),
  ]);
  const inRange = (l: Line) => l.error && l.time >= since && l.time <= until;
  assert.deepEqual(printed, expected(lines, inRange, 4, 0));
  const times = indexes(lines, printed).filter((i) => i !== "--")
    .map((i) => lines[i as number].time);
  assert.ok(
    times.some((t) => t < since),
    "a line before an early error is older than --since",
  );
});

Deno.test("--show --context --format json: each line says whether it matched and its group, in place of the -- lines", async () => {
  using dir = tempDir();
  const lines = generatedLog(2000);
  writeLog(dir.path, lines);
  const text = await show(dir.path, ["--level", "error", "-C", "2"]);
  const json =
    (await show(dir.path, ["--level", "error", "-C", "2", "--format", "json"]))
      .map((line) => JSON.parse(line));
  const shown = indexes(lines, text).filter((i) => i !== "--") as number[];
  assert.equal(json.length, shown.length);
  let group = 0;
  text.forEach((line, n) => {
    if (line === "--") return;
    const record = json[group++];
    const i = indexes(lines, [line])[0] as number;
    assert.equal(record.match, lines[i].error, line);
    assert.match(
      lines[i].text,
      new RegExp(`#${record.message.split("#")[1]}\\b`),
    );
    // A line that follows without -- is in the group of the one before it.
    if (n > 0 && text[n - 1] !== "--") {
      assert.equal(record.group, json[group - 2].group);
    }
    if (n > 0 && text[n - 1] === "--") {
      assert.notEqual(record.group, json[group - 2].group);
    }
  });
});

Deno.test("--show --follow -B 2 -A 1: the real logger writes what real senders send; each error comes with its own host's lines only", async () => {
  using dir = tempDir();
  const port = freePort();
  // A log already there: --follow starts with the last 10 errors, in context.
  const old = generatedLog(1500);
  writeLog(dir.path, old);
  await using logger = await startLogger(dir.path, port, ["--timestamps"]);
  await using follower = new Background(
    LOGGER,
    ["--show", "--follow", "--level", "error", "-B", "2", "-A", "1"],
    { cwd: dir.path },
  );
  const start = expected(old, (l) => l.error, 2, 1, 10);
  await follower.waitForStdout(`${start.at(-1)!}\n`);
  const sent = (host: string, level: string, text: string) =>
    send([
      "--port",
      String(port),
      "--hostname",
      host,
      "--tag",
      "job",
      "--level",
      level,
      text,
    ]);
  let count = old.length;
  const step = async (host: string, level: string, text: string) => {
    assert.equal((await sent(host, level, text)).code, 0);
    await waitForLines(`${dir.path}/log.txt`, ++count);
  };
  await step("alpha", "info", "alpha one");
  await step("beta", "info", "beta one");
  await step("alpha", "info", "alpha two");
  await step("beta", "info", "beta two");
  await step("alpha", "error", "alpha failed");
  await step("beta", "info", "beta three");
  await step("alpha", "info", "alpha after");
  await step("alpha", "info", "alpha later");
  const printed = await follower.waitForStdout(/alpha after\n/);
  const live = printed.split("\n").slice(start.length, -1)
    .map((line) => line === "--" ? line : line.slice(25)); // times as received
  assert.deepEqual(live, [
    "--",
    "<info> - alpha job: alpha one",
    "<info> - alpha job: alpha two",
    "<error> - alpha job: alpha failed",
    "<info> - alpha job: alpha after",
  ]);
  assert.equal(
    printed.split("\n").slice(0, start.length).join("\n"),
    start.join("\n"),
  );
  assert.equal((await follower.stop("SIGINT")).code, 0);
  await logger.stop();
});

Deno.test("--show --context past 10,000 hosts and tags: those seen least recently are forgotten, and stderr says how many", async () => {
  using dir = tempDir();
  const lines: string[] = [
    "2026-12-01T08:00:00.000Z <info> - first app: before",
  ];
  for (let i = 0; i < 10_500; i++) {
    lines.push(`2026-12-01T08:00:01.000Z <info> - forged-${i} app: before`);
  }
  lines.push("2026-12-01T08:00:02.000Z <error> - first app: failed");
  lines.push("2026-12-01T08:00:03.000Z <error> - forged-10499 app: failed");
  Deno.writeTextFileSync(`${dir.path}/log.txt`, `${lines.join("\n")}\n`);
  const out = await run(LOGGER, ["--show", "--level", "error", "-B", "1"], {
    cwd: dir.path,
  });
  assert.equal(out.code, 0, out.stderr);
  // "first" was forgotten: its error comes alone; the last host's has its line.
  assert.equal(
    out.stdout,
    [lines.at(-2), "--", lines.at(-3), lines.at(-1), ""].join("\n"),
  );
  assert.match(
    out.stderr,
    /^logging_basic: forgot the lines kept of \d+ host and tag pairs seen least recently, to stay within 10000 pairs and 16 MiB of lines kept: a match of theirs came with fewer lines of context\n$/,
  );
});

Deno.test("--show --context refuses a bad number, and --context without --show, in one line", async () => {
  using dir = tempDir();
  Deno.writeTextFileSync(`${dir.path}/log.txt`, "a line\n");
  const refused = async (args: string[], message: string) => {
    const out = await run(LOGGER, args, { cwd: dir.path });
    assert.equal(out.code, 2, out.stderr);
    assert.equal(out.stdout, "");
    assert.equal(out.stderr, `logging_basic: ${message}\n`);
  };
  await refused(
    ["--show", "--context", "many"],
    `Cannot show the log as '--context' must be a whole number from 0 to 100000: current value is "many"`,
  );
  await refused(
    ["--show", "-A", "1e3"],
    `Cannot show the log as '--after-context' must be a whole number from 0 to 100000: current value is "1e3"`,
  );
  await refused(
    ["--stats", "-B", "2"],
    "'--before-context' goes with --show: add --show to read the log",
  );
});
