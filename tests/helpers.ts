/**
 * Shared pieces for the tests: where the scripts are, free loopback ports
 * (tests/ports.ts), waiting for a condition (tests/waits.ts), and starting
 * the real scripts and the Python peers as a user would.
 *
 * @module
 */

import { POLL_MS, sleep, waitFor, within } from "./waits.ts";

export { freePort } from "./ports.ts";
export { sleep, waitFor, waitForPath } from "./waits.ts";

/** The project's root directory. */
export const ROOT = new URL("..", import.meta.url).pathname;
/** The logger, run through its shebang. */
export const LOGGER = `${ROOT}logging_basic.ts`;
/** The sender, run through its shebang. */
export const SENDER = `${ROOT}log_cmd_basic.ts`;
/** Debian's python3, the one that sees python3-zmq (see docs/platform.md). */
export const PYTHON = "/usr/bin/python3";
/** The Python peers written like the book's scripts. */
export const PEERS = `${ROOT}tests/peers/`;
/** Debian's logrotate (.ci/run installs it). */
export const LOGROTATE = "/usr/sbin/logrotate";

/** A fresh temporary directory to run a script in; removed by `using`. */
export function tempDir(): { path: string } & Disposable {
  const path = Deno.makeTempDirSync({ prefix: "zmqlog-test-" });
  return {
    path,
    [Symbol.dispose]() {
      Deno.removeSync(path, { recursive: true });
    },
  };
}

/** How long {@link Background.finish} waits before it calls a process hung. */
export const FINISH_TIMEOUT_MS = 120_000;

/** What a finished process left behind. */
export interface Outcome {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end and collects its output. */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Outcome> {
  return new Background(command, args, options).finish();
}

/** Runs `./log_cmd_basic.ts ARGS` through its shebang. */
export function send(args: string[], cwd?: string): Promise<Outcome> {
  return run(SENDER, args, { cwd });
}

/** A byte stream's text, collected as it comes. */
class CollectedText {
  #text = "";
  /** Whether the stream has ended: no more text will come. */
  done = false;
  /** Resolves once the stream has ended. */
  readonly ended: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.ended = (async () => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        this.#text += chunk;
      }
      this.done = true;
    })();
  }

  /** Everything so far. */
  get text(): string {
    return this.#text;
  }
}

/** How long a killed process's output may take to close. */
const PIPE_GRACE_MS = 2_000;

/** The processes under `pid`, children first, as `ps` sees them now. */
function descendants(pid: number): number[] {
  const out = new Deno.Command("ps", {
    args: ["-e", "-o", "pid=,ppid="],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  const children = new Map<number, number[]>();
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (!(child > 0)) continue;
    children.set(parent, [...children.get(parent) ?? [], child]);
  }
  const found: number[] = [];
  for (let i = -1; i < found.length; i++) {
    found.push(...children.get(i < 0 ? pid : found[i]) ?? []);
  }
  return found;
}

/** SIGKILL to `pid`, which may be gone already. */
function killQuietly(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/**
 * A process started in the background, with its output collected; what it
 * has printed so far can be waited for ({@link Background.waitForStderr}).
 */
export class Background {
  readonly #child: Deno.ChildProcess;
  readonly #stdout: CollectedText;
  readonly #stderr: CollectedText;
  readonly #ended: Promise<Deno.CommandStatus>;
  #status: Deno.CommandStatus | undefined;
  readonly #what: string;

  constructor(
    command: string,
    args: string[],
    options: { cwd?: string; env?: Record<string, string> } = {},
  ) {
    this.#child = new Deno.Command(command, {
      args,
      cwd: options.cwd,
      env: options.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdout = new CollectedText(this.#child.stdout);
    this.#stderr = new CollectedText(this.#child.stderr);
    this.#ended = Promise.all([
      this.#child.status,
      this.#stdout.ended,
      this.#stderr.ended,
    ]).then(([status]) => status);
    this.#child.status.then((status) => this.#status = status);
    this.#what = [command, ...args].join(" ");
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** Resolves when the process has ended (its output may still be read). */
  get exited(): Promise<Deno.CommandStatus> {
    return this.#child.status;
  }

  /** What it has printed on stdout so far. */
  get stdoutSoFar(): string {
    return this.#stdout.text;
  }

  /** What it has printed on stderr so far. */
  get stderrSoFar(): string {
    return this.#stderr.text;
  }

  /** Sends a signal, if the process is still running. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    try {
      this.#child.kill(signal);
    } catch {
      // Already gone.
    }
  }

  /**
   * Waits until it has printed `expected` (text, or a pattern) on stderr and
   * returns all it printed there so far. Throws at the deadline, or as soon
   * as it ends without printing it, saying what it printed.
   *
   * @example
   * ```ts
   * logger.kill("SIGHUP");
   * await logger.waitForStderr("still writing to the file it had open");
   * ```
   */
  waitForStderr(
    expected: string | RegExp,
    timeoutMs = 15_000,
  ): Promise<string> {
    return this.#waitForOutput(this.#stderr, "stderr", expected, timeoutMs);
  }

  /** Like {@link waitForStderr}, for stdout. */
  waitForStdout(
    expected: string | RegExp,
    timeoutMs = 15_000,
  ): Promise<string> {
    return this.#waitForOutput(this.#stdout, "stdout", expected, timeoutMs);
  }

  async #waitForOutput(
    output: CollectedText,
    name: string,
    expected: string | RegExp,
    timeoutMs: number,
  ): Promise<string> {
    const seen = () =>
      typeof expected === "string"
        ? output.text.includes(expected)
        : expected.test(output.text);
    await waitFor(
      () => {
        if (seen()) return true;
        if (!output.done) return false;
        const status = this.#status === undefined
          ? "closed it"
          : `ended: exit ${this.#status.code}, signal ${this.#status.signal}`;
        throw new Error(
          `${this.#what} did not print ${expected} on ${name} (it ${status}); it printed ${
            JSON.stringify(output.text)
          }`,
        );
      },
      () =>
        `${expected} on the ${name} of ${this.#what}; it printed ${
          JSON.stringify(output.text)
        }`,
      timeoutMs,
    );
    return output.text;
  }

  /**
   * Waits for the end and returns what it printed. A process still running
   * after `timeoutMs` is killed and the test fails with what it printed: a
   * hang must fail the run, not stall it.
   */
  async finish(timeoutMs = FINISH_TIMEOUT_MS): Promise<Outcome> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) => {
      // The deadline, not a wait: cleared as soon as the process ends.
      timer = setTimeout(() => resolve("late"), timeoutMs); // the deadline
    });
    const first = await Promise.race([this.#ended, late]);
    clearTimeout(timer);
    if (first === "late") {
      // Its children too: one left running would hold the output pipes open,
      // and waiting for their end would hang the test instead of failing it.
      const tree = this.#status === undefined ? descendants(this.pid) : [];
      this.kill("SIGKILL");
      for (const pid of tree) killQuietly(pid);
      await this.#child.status;
      await within(
        PIPE_GRACE_MS,
        "its output to close",
        Promise.all([this.#stdout.ended, this.#stderr.ended]),
      ).catch(() => {}); // a grandchild outside the tree holds it: go on
      throw new Error(
        `${this.#what} ${
          tree.length === 0 && this.#status !== undefined
            ? "ended, but what it started still held its output,"
            : "still ran"
        } after ${
          timeoutMs / 1000
        } s and was killed; it printed:\n${this.#stdout.text}${this.#stderr.text}`,
      );
    }
    return {
      code: first.code,
      signal: first.signal,
      stdout: this.#stdout.text,
      stderr: this.#stderr.text,
    };
  }

  /** Sends `signal` and waits for the end. */
  stop(signal: Deno.Signal = "SIGTERM"): Promise<Outcome> {
    this.kill(signal);
    return this.finish();
  }

  /** Ends the process and waits for it: for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop("SIGKILL");
  }
}

/** Starts `./logging_basic.ts ARGS` in `cwd` and waits until it listens. */
export async function startLogger(
  cwd: string,
  port: number,
  args: string[] = [],
): Promise<Background> {
  const logger = new Background(LOGGER, ["--port", String(port), ...args], {
    cwd,
  });
  await waitForPort(port);
  return logger;
}

/** Starts the book's Python logger in `cwd` and waits until it is bound. */
export async function startBookLogger(
  cwd: string,
  port: number,
): Promise<Background> {
  const logger = new Background(PYTHON, [`${PEERS}book_logger.py`], {
    cwd,
    env: { PORT: String(port) },
  });
  await waitForPort(port);
  return logger;
}

/**
 * Waits until something accepts TCP connections on the loopback port. A
 * ZeroMQ socket drops such a connection when no greeting follows, which also
 * gives the logger a peer that connects and goes (the event Deno issue 36317
 * stalls on).
 */
export async function waitForPort(port: number, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      if (Date.now() > deadline) {
        throw new Error(
          `nothing listens on port ${port} after ${timeoutMs} ms`,
        );
      }
      await sleep(POLL_MS); // a poll's pause: the loop waits for the port
    }
  }
}

/** Reads a file's text, or "" when it does not exist yet. */
export function readText(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "";
    throw err;
  }
}

/** The last `count` lines of `text`, each cut to a readable length, for errors. */
function tail(text: string, count = 3): string {
  if (text === "") return "the file is empty or missing";
  const lines = text.split("\n");
  const whole = lines.at(-1) === "";
  if (whole) lines.pop();
  const shown = lines.slice(-count).map((line) =>
    line.length > 80
      ? `${JSON.stringify(line.slice(0, 60))}... (${line.length} chars)`
      : JSON.stringify(line)
  );
  return `it ends with ${shown.join(", ")}${
    whole ? "" : " (no newline at the end)"
  }`;
}

/**
 * Waits until the file holds at least `count` lines and returns its text.
 * Throws at the deadline, naming the file, the lines it wanted and what was
 * there. To show that nothing more arrives, use {@link readAfter}.
 */
export async function waitForLines(
  path: string,
  count: number,
  timeoutMs = 15_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const text = readText(path);
    const lines = text.split("\n").length - 1;
    if (lines >= count) return text;
    if (Date.now() > deadline) {
      throw new Error(
        `${path}: expected at least ${count} line${
          count === 1 ? "" : "s"
        } within ${timeoutMs} ms, found ${lines}; ${tail(text)}`,
      );
    }
    await sleep(POLL_MS); // a poll's pause: the loop waits for the lines
  }
}

/**
 * Waits `ms` milliseconds, then returns the file's text ("" if it does not
 * exist): for checking that nothing more arrived meanwhile, where there is
 * no event to wait for.
 */
export async function readAfter(path: string, ms: number): Promise<string> {
  await sleep(ms); // the span in which nothing more may arrive
  return readText(path);
}

/** A process the test talks to: a line in on stdin, a line out on stdout. */
export class Conversation {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncIterator<string>;
  readonly #stderr: Promise<string>;

  constructor(command: string, args: string[], options: { cwd?: string } = {}) {
    this.#child = new Deno.Command(command, {
      args,
      cwd: options.cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#lines = lines(this.#child.stdout)[Symbol.asyncIterator]();
    this.#stderr = new Response(this.#child.stderr).text();
  }

  /** Sends one line and waits for the one line of answer. */
  async ask(line: string): Promise<string> {
    await this.#writer.write(new TextEncoder().encode(`${line}\n`));
    const answer = await this.#lines.next();
    if (answer.done) {
      throw new Error(`no answer to "${line}": ${await this.#stderr}`);
    }
    return answer.value;
  }

  /**
   * Waits for its next line on stdout, one it prints by itself (a peer
   * saying it is ready); throws, with its stderr, if it ends first.
   */
  async nextLine(): Promise<string> {
    const line = await this.#lines.next();
    if (line.done) {
      throw new Error(`it ended without a line: ${await this.#stderr}`);
    }
    return line.value;
  }

  /** Waits for the end; returns the exit status and what it said on stderr. */
  async finish(): Promise<{ code: number; stderr: string }> {
    await this.#writer.close().catch(() => {});
    const status = await this.#child.status;
    return { code: status.code, stderr: await this.#stderr };
  }

  /** Kills it if it still runs: for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.finish();
  }
}

/** The lines of a byte stream, without their newlines. */
export async function* lines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    let end;
    while ((end = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, end);
      pending = pending.slice(end + 1);
    }
  }
  if (pending) yield pending;
}

/**
 * Waits until the file is at least `bytes` long (cheaper than counting lines)
 * and returns its size. Throws at the deadline, naming the file, the size it
 * wanted and the size it had.
 */
export async function waitForSize(
  path: string,
  bytes: number,
  timeoutMs = 60_000,
  intervalMs = 50,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    let size: number | undefined;
    try {
      size = Deno.statSync(path).size;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    if (size !== undefined && size >= bytes) return size;
    if (Date.now() > deadline) {
      throw new Error(
        `${path}: expected at least ${bytes} bytes within ${timeoutMs} ms, ${
          size === undefined ? "but there is no such file" : `found ${size}`
        }`,
      );
    }
    await sleep(intervalMs); // a poll's pause: the loop waits for the size
  }
}

/**
 * Waits until process `pid` has read everything written to its standard
 * input so far: the pipe holds no unread byte (FIONREAD on the pipe, which
 * python3 opens through /proc/PID/fd/0).
 *
 * @example
 * ```ts
 * await writer.write(new TextEncoder().encode("one\ntwo\n"));
 * await waitForInputRead(child.pid);
 * ```
 */
export async function waitForInputRead(
  pid: number,
  timeoutMs = 15_000,
): Promise<void> {
  let unread = "";
  await waitFor(
    async () => {
      const out = await run(PYTHON, [
        "-c",
        `import array, fcntl, os, sys, termios
fd = os.open("/proc/%s/fd/0" % sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
count = array.array("i", [0])
fcntl.ioctl(fd, termios.FIONREAD, count)
print(count[0])`,
        String(pid),
      ]);
      if (out.code !== 0) {
        throw new Error(`cannot look at the stdin of ${pid}: ${out.stderr}`);
      }
      unread = out.stdout.trim();
      return unread === "0";
    },
    () => `process ${pid} to read its input; ${unread} bytes unread`,
    timeoutMs,
  );
}

/**
 * Waits until no TCP connection to port `port` on this machine is open
 * (established, or closed by the server and not yet by the client), as `ss`
 * lists them: the clients noticed that the server went away.
 *
 * @example
 * ```ts
 * await logger.stop();
 * await waitForNoConnectionTo(port); // the senders know it is gone
 * ```
 */
export async function waitForNoConnectionTo(
  port: number,
  timeoutMs = 15_000,
): Promise<void> {
  let open = "";
  await waitFor(
    async () => {
      const out = await run("ss", [
        "-Htn",
        "state",
        "established",
        "state",
        "close-wait",
        `( dport = :${port} )`,
      ]);
      if (out.code !== 0) throw new Error(`ss failed: ${out.stderr}`);
      open = out.stdout.trim();
      return open === "";
    },
    () => `the connections to port ${port} to close; open: ${open}`,
    timeoutMs,
  );
}

/**
 * Runs `senders` bulk_sender.py peers at once, each sending `each` messages
 * "sN SEQ", and checks they all handed them over.
 */
export async function sendBulk(
  port: number,
  senders: number,
  each: number,
): Promise<void> {
  const outcomes = await Promise.all(
    Array.from(
      { length: senders },
      (_, s) =>
        run(PYTHON, [
          `${PEERS}bulk_sender.py`,
          String(port),
          `s${s}`,
          String(each),
        ]),
    ),
  );
  for (const out of outcomes) {
    if (out.code !== 0) throw new Error(`bulk_sender.py failed: ${out.stderr}`);
  }
}

/**
 * Checks a log of bulk_sender.py messages ("NAME SEQ" lines): each sender's
 * in order from 0 with no gap and none twice, so what is there of a sender
 * is a prefix of what it sent. Returns how many lines each sender has.
 */
export function assertInOrderNoGaps(text: string): Map<string, number> {
  const next = new Map<string, number>();
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop(); // the newline that ends the file
  for (const line of lines) {
    const [name, seq, ...rest] = line.split(" ");
    const expected = next.get(name) ?? 0;
    if (rest.length > 0 || seq !== String(expected)) {
      throw new Error(`${name}: expected ${expected}, got line "${line}"`);
    }
    next.set(name, expected + 1);
  }
  return next;
}

/**
 * Checks a log of sendBulk's messages: each exactly once, each sender's in
 * order. Returns how many lines it read.
 */
export function assertEachOnceInOrder(
  text: string,
  senders: number,
  each: number,
): number {
  const next = assertInOrderNoGaps(text);
  const totals = [...next.entries()].sort().map(([name, n]) => `${name}=${n}`);
  const wanted = Array.from({ length: senders }, (_, s) => `s${s}=${each}`)
    .sort();
  if (totals.join(" ") !== wanted.join(" ")) {
    throw new Error(
      `per-sender counts ${totals.join(" ")}, expected ${wanted.join(" ")}`,
    );
  }
  return [...next.values()].reduce((sum, n) => sum + n, 0);
}

/**
 * A Python sender of `count` messages "NAME SEQ" (NAME is `p` unless given),
 * one every millisecond or so: messages that keep arriving while a test
 * rotates the log.
 */
export function pacedSender(
  port: number,
  count: number,
  name = "p",
): Background {
  return new Background(PYTHON, [
    "-c",
    `import sys, time, zmq
context = zmq.Context()
socket = context.socket(zmq.PUSH)
socket.connect('tcp://127.0.0.1:%s' % sys.argv[1])
for seq in range(int(sys.argv[2])):
    socket.send(('%s %d' % (sys.argv[3], seq)).encode())
    time.sleep(0.001)  # the pace: messages keep coming while a test acts
socket.close()
context.term()`,
    String(port),
    String(count),
    name,
  ]);
}

/** The SEQ numbers of `text`'s "NAME SEQ" lines (pacedSender's), in file order. */
export function pacedSeqs(text: string, name = "p"): number[] {
  return text.split("\n").filter((line) => line.startsWith(`${name} `))
    .map((line) => Number(line.slice(name.length + 1)));
}

/** A process whose stdout lines the test reads as they come. */
export class Streaming implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #pump: Promise<void>;
  readonly #stderr: Promise<string>;
  /** Every stdout line so far. */
  readonly lines: string[] = [];

  constructor(command: string, args: string[], options: { cwd?: string }) {
    const child = new Deno.Command(command, {
      args,
      cwd: options.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#pump = (async () => {
      for await (const line of lines(child.stdout)) this.lines.push(line);
    })();
    this.#stderr = new Response(child.stderr).text();
  }

  /** Waits until it has printed `count` lines in all; throws at the deadline. */
  async waitForLines(count: number, timeoutMs = 10_000): Promise<string[]> {
    await waitFor(
      () => this.lines.length >= count,
      () =>
        `${count} lines on stdout, got ${this.lines.length}: ${
          JSON.stringify(this.lines)
        }`,
      timeoutMs,
    );
    return this.lines;
  }

  /** Waits until it has printed `line`; throws, saying why, at the deadline. */
  async waitFor(line: string, timeoutMs = 10_000): Promise<void> {
    let ended: Deno.CommandStatus | undefined;
    this.#child.status.then((status) => ended = status);
    let closed = false; // its stdout: no more lines will come
    this.#pump.then(() => closed = true, () => closed = true);
    await waitFor(
      () => {
        if (this.lines.includes(line)) return true;
        if (!closed) return false;
        throw new Error(
          `it did not print ${JSON.stringify(line)} (it ${
            ended
              ? `ended: exit ${ended.code}, signal ${ended.signal}`
              : "closed its stdout"
          }); it printed ${JSON.stringify(this.lines)}`,
        );
      },
      () =>
        `${JSON.stringify(line)} on stdout; it printed ${
          JSON.stringify(this.lines)
        }`,
      timeoutMs,
    );
  }

  /** Sends `signal` and goes on. */
  signal(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /** Sends `signal`, waits for the end; returns its status and stderr. */
  async stop(
    signal: Deno.Signal,
  ): Promise<{ code: number; stderr: string }> {
    try {
      this.#child.kill(signal);
    } catch {
      // Already gone.
    }
    const status = await this.#child.status;
    await this.#pump;
    return { code: status.code, stderr: await this.#stderr };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop("SIGKILL");
  }
}

/**
 * A copy of this project's tracked files in a temporary directory
 * (node_modules hard-linked), for commands that must run as a user in a
 * fresh clone runs them; removed when disposed.
 */
export async function projectCopy(): Promise<
  { path: string } & AsyncDisposable
> {
  const path = Deno.makeTempDirSync({ prefix: "zmqlog-copy-" });
  const files = (await run("git", ["ls-files"], { cwd: ROOT })).stdout.trim()
    .split("\n");
  for (const file of files) {
    Deno.mkdirSync(`${path}/${file}`.replace(/\/[^/]+$/, ""), {
      recursive: true,
    });
    Deno.copyFileSync(`${ROOT}${file}`, `${path}/${file}`);
    Deno.chmodSync(`${path}/${file}`, Deno.statSync(`${ROOT}${file}`).mode!);
  }
  const linked = await run("cp", [
    "-al",
    `${ROOT}node_modules`,
    `${path}/node_modules`,
  ]);
  if (linked.code !== 0) {
    throw new Error(`cp -al node_modules: ${linked.stderr}`);
  }
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true });
    },
  };
}

/** README.md and every page of docs/, as one text: what a user reads. */
export function docsText(): string {
  const pages = [...Deno.readDirSync(`${ROOT}docs`)].map((e) => e.name)
    .filter((name) => name.endsWith(".md")).sort();
  return [`${ROOT}README.md`, ...pages.map((name) => `${ROOT}docs/${name}`)]
    .map((path) => Deno.readTextFileSync(path)).join("\n");
}
