/**
 * Start-up cost of the two entry scripts: what they load and how long they
 * take to be useful, so a restructuring (lazy loading of each mode) can be
 * compared before and after on the same machine.
 *
 * Usage (from the repository root; `deno install` first, for node_modules):
 *
 * ```sh
 * deno run --allow-run --allow-net=127.0.0.1 --allow-env=PATH \
 *   --allow-read=/usr/bin/time --allow-write=/tmp \
 *   bench/startup.ts [--runs 15] [--warmups 2]
 * ```
 *
 * (`--allow-write` is for the loggers' temporary directories: give $TMPDIR
 * instead of /tmp if it is set. Plain `--allow-read --allow-write` work too.)
 *
 * What it measures, printed as Markdown:
 * - modules, from `deno info --json <entry>`: local `file://` modules (count
 *   and bytes) and npm packages, both for the static set (reached by code
 *   imports that are neither dynamic nor type-only: what loads on every
 *   start) and for the whole graph `deno info` lists; then each entry's
 *   local modules, tagged `static`, `dynamic` (only behind an `import()`)
 *   or `types` (only behind `import type`), and a check that the one-shot
 *   sender's static set has none of {@link SENDER_MUST_NOT_LOAD};
 * - the logger's start-up: `./logging_basic.ts --port P` run through its
 *   shebang in a fresh temporary directory, from spawn until the port
 *   accepts a TCP connection, and then its peak RSS (VmHWM), before SIGTERM;
 * - the one-shot sender: `./log_cmd_basic.ts --port P hello` to one running
 *   logger, wall time from spawn to exit and peak RSS (`/usr/bin/time %M`,
 *   or polled VmHWM where it is missing), against `deno run -q
 *   bench/hello.ts` as the floor, the two interleaved run by run; and the
 *   sender minus hello-world, paired run by run.
 *
 * Each timing is repeated `--runs` times after `--warmups` untimed runs;
 * the table gives the median and the min-max. Children get the directory of
 * the running `deno` first on PATH, so the shebangs use the same Deno.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** The repository root, where the entry scripts are. */
const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const LOGGER = "logging_basic.ts";
const SENDER = "log_cmd_basic.ts";
const HELLO = "bench/hello.ts";

/**
 * Local modules the one-shot sender must not load on every start, matched
 * anywhere in the path so that moves (lib/x.ts to lib/y/x.ts) keep matching.
 */
const SENDER_MUST_NOT_LOAD = [/syslog/, /stats/];

const DEFAULT_RUNS = 15;
const DEFAULT_WARMUPS = 2;
/** GNU time, for a short-lived child's peak RSS (`apt-get install time`). */
const TIME_BIN = "/usr/bin/time";
/** How often to try the logger's port, and how long to wait for it at most. */
const PORT_POLL_MS = 1;
const PORT_TIMEOUT_MS = 30_000;
/** How often to read VmHWM while a child runs, when GNU time is missing. */
const RSS_POLL_MS = 2;

/** The environment of every child: the running Deno first on PATH. */
const CHILD_ENV = {
  PATH: `${Deno.execPath().replace(/\/[^/]*$/, "")}:${
    Deno.env.get("PATH") ?? ""
  }`,
};

/** One timed run: wall milliseconds and peak RSS in MiB. */
interface Sample {
  ms: number;
  mib: number;
}

// ---------------------------------------------------------------- modules

/** The parts of `deno info --json` that this script reads. */
interface InfoDependency {
  code?: { specifier: string };
  type?: { specifier: string };
  isDynamic?: boolean;
}
interface InfoModule {
  specifier: string;
  kind?: string;
  size?: number;
  npmPackage?: string;
  dependencies?: InfoDependency[];
}
interface Info {
  roots: string[];
  modules: InfoModule[];
  redirects: Record<string, string>;
  npmPackages: Record<string, { dependencies: string[] }>;
}

/** How a module is reached from the entry. */
type Reach = "static" | "dynamic" | "types";

/** One entry's module graph, as counted for the report. */
interface ModuleCounts {
  entry: string;
  /** Local modules, relative to ROOT, with how each is reached and its size. */
  local: { path: string; reach: Reach; bytes: number }[];
  /** npm packages with their dependencies: in the static set, and in all. */
  npmStatic: string[];
  npmAll: string[];
  /** Node built-ins (`node:`) in the static set. */
  nodeStatic: string[];
}

/** Runs `deno info --json` on an entry script. */
async function denoInfo(entry: string): Promise<Info> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    env: CHILD_ENV,
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`deno info ${entry} failed`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/**
 * The specifiers reached from the roots through dependencies that `follow`
 * accepts (`code` imports only: type-only imports load nothing).
 */
function reached(
  info: Info,
  follow: (dep: InfoDependency) => boolean,
): Set<string> {
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [...info.roots];
  while (todo.length > 0) {
    const next = todo.shift()!;
    const specifier = info.redirects[next] ?? next;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dep.code && follow(dep)) todo.push(dep.code.specifier);
    }
  }
  return seen;
}

/** The npm packages of these modules, with their dependencies, sorted. */
function npmClosure(info: Info, modules: InfoModule[]): string[] {
  const found = new Set<string>();
  const todo = modules.flatMap((m) => m.npmPackage ? [m.npmPackage] : []);
  while (todo.length > 0) {
    const name = todo.pop()!;
    if (found.has(name)) continue;
    found.add(name);
    todo.push(...(info.npmPackages[name]?.dependencies ?? []));
  }
  return [...found].sort();
}

/** Counts an entry's modules: static set, dynamic-only and type-only. */
async function countModules(entry: string): Promise<ModuleCounts> {
  const info = await denoInfo(entry);
  const statics = reached(info, (dep) => !dep.isDynamic);
  const runtime = reached(info, () => true);
  const reach = (s: string): Reach =>
    statics.has(s) ? "static" : runtime.has(s) ? "dynamic" : "types";
  const local = info.modules
    .filter((m) => m.specifier.startsWith("file://"))
    .map((m) => ({
      path: decodeURIComponent(new URL(m.specifier).pathname).slice(
        ROOT.length,
      ),
      reach: reach(m.specifier),
      bytes: m.size ?? 0,
    }))
    .sort((a, b) => a.path < b.path ? -1 : 1);
  const staticModules = info.modules.filter((m) => statics.has(m.specifier));
  return {
    entry,
    local,
    npmStatic: npmClosure(info, staticModules),
    npmAll: npmClosure(info, info.modules),
    nodeStatic: [...statics].filter((s) => s.startsWith("node:")).sort(),
  };
}

// ---------------------------------------------------------------- processes

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port that was free a moment ago. */
function freePort(): number {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return (listener.addr as Deno.NetAddr).port;
}

/** Whether something accepts a TCP connection on 127.0.0.1:port now. */
async function accepts(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

/** A process's peak RSS so far, in MiB (cat: Deno reads /proc only with -A). */
async function peakRss(pid: number): Promise<number> {
  const out = await new Deno.Command("cat", {
    args: [`/proc/${pid}/status`],
    stderr: "null",
  }).output();
  const status = new TextDecoder().decode(out.stdout);
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

/** A running logger, started through its shebang in a fresh temporary dir. */
class Logger {
  readonly dir = Deno.makeTempDirSync({ prefix: "startup-bench-" });
  readonly port = freePort();
  readonly started = performance.now();
  readonly child = new Deno.Command(`${ROOT}${LOGGER}`, {
    args: ["--port", String(this.port)],
    cwd: this.dir,
    env: CHILD_ENV,
    stdout: "null",
    stderr: "piped",
  }).spawn();

  /** Milliseconds from spawn until the port accepts a connection. */
  async ready(): Promise<number> {
    let exited = false;
    this.child.status.then(() => exited = true);
    while (!(await accepts(this.port))) {
      const waited = performance.now() - this.started;
      if (exited || waited > PORT_TIMEOUT_MS) {
        throw new Error(`${LOGGER} did not listen on ${this.port}`);
      }
      await sleep(PORT_POLL_MS);
    }
    return performance.now() - this.started;
  }

  /** SIGTERM, wait for the exit, remove the directory; says so if it failed. */
  async stop(): Promise<void> {
    try {
      this.child.kill("SIGTERM");
    } catch { /* already gone */ }
    const { code, stderr } = await this.child.output();
    Deno.removeSync(this.dir, { recursive: true });
    const said = new TextDecoder().decode(stderr).trim();
    if (code !== 0) console.error(`${LOGGER} exited ${code}: ${said}`);
  }
}

/** One logger start: ms until its port accepts, and its peak RSS then. */
async function loggerStart(): Promise<Sample> {
  const logger = new Logger();
  try {
    const ms = await logger.ready();
    return { ms, mib: await peakRss(logger.child.pid) };
  } finally {
    await logger.stop();
  }
}

/** Runs a command to its end: wall ms and peak RSS; throws if it fails. */
async function oneShot(cmd: string[], cwd: string): Promise<Sample> {
  const timed = await exists(TIME_BIN);
  const [bin, ...args] = timed ? [TIME_BIN, "-f", "%M", ...cmd] : cmd;
  const started = performance.now();
  const child = new Deno.Command(bin, {
    args,
    cwd,
    env: CHILD_ENV,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const polled = timed ? Promise.resolve(NaN) : pollRss(child);
  const out = await child.output();
  const ms = performance.now() - started;
  const stderr = new TextDecoder().decode(out.stderr).trim();
  if (!out.success) throw new Error(`${cmd.join(" ")} failed: ${stderr}`);
  const kib = timed ? Number(stderr.split("\n").at(-1)) : NaN;
  return { ms, mib: timed ? kib / 1024 : await polled };
}

/** The highest VmHWM read while the child runs (a lower bound). */
async function pollRss(child: Deno.ChildProcess): Promise<number> {
  let done = false;
  child.status.then(() => done = true);
  let peak = NaN;
  while (!done) {
    const mib = await peakRss(child.pid);
    if (mib > peak || Number.isNaN(peak)) peak = mib;
    await sleep(RSS_POLL_MS);
  }
  return peak;
}

/** Whether a file is there (it needs --allow-read for that path). */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err; // no permission: say so, rather than quietly poll instead
  }
}

/** `runs` samples of `measure`, after `warmups` discarded ones. */
async function repeat<T>(
  runs: number,
  warmups: number,
  measure: () => Promise<T>,
): Promise<T[]> {
  for (let i = 0; i < warmups; i++) await measure();
  const samples: T[] = [];
  for (let i = 0; i < runs; i++) samples.push(await measure());
  return samples;
}

/** The sender and hello-world, interleaved, to one running logger. */
async function oneShots(
  runs: number,
  warmups: number,
): Promise<{ sender: Sample[]; hello: Sample[] }> {
  const logger = new Logger();
  try {
    await logger.ready();
    const sender = [`${ROOT}${SENDER}`, "--port", String(logger.port), "hello"];
    const hello = [Deno.execPath(), "run", "-q", `${ROOT}${HELLO}`];
    const pairs = await repeat(runs, warmups, async () => ({
      sender: await oneShot(sender, logger.dir),
      hello: await oneShot(hello, logger.dir),
    }));
    return {
      sender: pairs.map((p) => p.sender),
      hello: pairs.map((p) => p.hello),
    };
  } finally {
    await logger.stop();
  }
}

// ---------------------------------------------------------------- report

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** "median (min-max)" with one decimal, of the values that are numbers. */
function spread(all: number[]): string {
  const values = all.filter(Number.isFinite);
  if (values.length === 0) return "n/a";
  const f = (n: number) => n.toFixed(1);
  return `${f(median(values))} (${f(Math.min(...values))}-${
    f(Math.max(...values))
  })`;
}

const kib = (bytes: number) => (bytes / 1024).toFixed(1);

function modulesTable(all: ModuleCounts[]): string {
  const rows = all.map((c) => {
    const statics = c.local.filter((m) => m.reach === "static");
    const bytes = (ms: { bytes: number }[]) =>
      ms.reduce((sum, m) => sum + m.bytes, 0);
    return `| ${c.entry} | ${statics.length} / ${c.local.length} | ${
      kib(bytes(statics))
    } / ${kib(bytes(c.local))} | ${c.npmStatic.length} / ${c.npmAll.length} |`;
  });
  return [
    "| entry | local modules, static / all | local KiB, static / all | npm packages (with deps), static / all |",
    "| --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

function moduleLists(counts: ModuleCounts): string {
  const lines = counts.local.map((m) =>
    `- ${m.path} (${m.reach}, ${m.bytes} B)`
  );
  return [
    `${counts.entry}:`,
    ...lines,
    `- npm, static: ${counts.npmStatic.join(", ") || "none"}`,
    `- npm, all: ${counts.npmAll.join(", ") || "none"}`,
    `- node built-ins, static: ${counts.nodeStatic.join(", ") || "none"}`,
  ].join("\n");
}

/** Which forbidden modules the sender's static set has, as one line. */
function senderCheck(counts: ModuleCounts): string {
  const bad = counts.local.filter((m) =>
    m.reach === "static" && SENDER_MUST_NOT_LOAD.some((re) => re.test(m.path))
  );
  const names = SENDER_MUST_NOT_LOAD.map((re) => re.source).join(", ");
  return bad.length === 0
    ? `${SENDER} static set: none of ${names}. OK`
    : `${SENDER} static set loads ${bad.map((m) => m.path).join(", ")}`;
}

function timingTable(
  logger: Sample[],
  sender: Sample[],
  hello: Sample[],
): string {
  const ms = (s: Sample[]) => spread(s.map((x) => x.ms));
  const mib = (s: Sample[]) => spread(s.map((x) => x.mib));
  const extra = sender.map((s, i) => s.ms - hello[i].ms);
  const extraMib = sender.map((s, i) => s.mib - hello[i].mib);
  return [
    "| what | ms, median (min-max) | peak RSS MiB, median (min-max) |",
    "| --- | --- | --- |",
    `| ${LOGGER} --port P: spawn to port accepting | ${ms(logger)} | ${
      mib(logger)
    } |`,
    `| ${SENDER} --port P hello: spawn to exit | ${ms(sender)} | ${
      mib(sender)
    } |`,
    `| deno run -q ${HELLO}: spawn to exit (floor) | ${ms(hello)} | ${
      mib(hello)
    } |`,
    `| sender minus hello-world, paired by run | ${spread(extra)} | ${
      spread(extraMib)
    } |`,
  ].join("\n");
}

/** The commit measured, or "?" without git. */
async function commit(): Promise<string> {
  try {
    const out = await new Deno.Command("git", {
      args: ["describe", "--always", "--dirty"],
      cwd: ROOT,
      stderr: "null",
    }).output();
    return new TextDecoder().decode(out.stdout).trim() || "?";
  } catch {
    return "?";
  }
}

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      runs: { type: "string", default: String(DEFAULT_RUNS) },
      warmups: { type: "string", default: String(DEFAULT_WARMUPS) },
    },
  });
  const runs = Number(values.runs);
  const warmups = Number(values.warmups);
  if (!(runs >= 1) || !(warmups >= 0)) throw new Error("bad --runs/--warmups");

  const modules = [
    await countModules(LOGGER),
    await countModules(SENDER),
  ];
  const logger = await repeat(runs, warmups, loggerStart);
  const { sender, hello } = await oneShots(runs, warmups);
  const rss = await exists(TIME_BIN)
    ? `${TIME_BIN} %M`
    : "polled VmHWM (a lower bound)";

  console.log([
    `## Start-up, ${new Date().toISOString()}`,
    "",
    `deno ${Deno.version.deno}, commit ${await commit()}, N=${runs} ` +
    `(after ${warmups} warm-ups), ${navigator.hardwareConcurrency} cores, ` +
    `one-shot RSS by ${rss}`,
    "",
    modulesTable(modules),
    "",
    timingTable(logger, sender, hello),
    "",
    "Local modules (static: every start; dynamic: only behind import(); " +
    "types: only behind import type):",
    "",
    ...modules.map(moduleLists).join("\n\n").split("\n"),
    "",
    senderCheck(modules[1]),
  ].join("\n"));
}

if (import.meta.main) {
  await main(Deno.args);
}
