/**
 * Integration tests: the messages a newcomer meets in the first hour, said
 * the same way everywhere (issue tracker, "a newcomer's first hour").
 */

import assert from "node:assert/strict";
import { LINEAR_ENGINE_FLAG } from "../lib/log/pattern.ts";
import {
  freePort,
  LOGGER,
  ROOT,
  run,
  send,
  SENDER,
  tempDir,
  waitForInputRead,
  waitForLines,
  waitForPort,
} from "./helpers.ts";

const decoder = new TextDecoder();

/** A `--stdin` sender whose standard input stays open, and its stderr as it comes. */
function stdinSender(args: string[]) {
  const child = new Deno.Command(SENDER, {
    args: ["--stdin", ...args],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  let stderr = "";
  const reading = (async () => {
    for await (const chunk of child.stderr) {
      stderr += decoder.decode(chunk, { stream: true });
    }
  })();
  return {
    child,
    write: (text: string) => writer.write(new TextEncoder().encode(text)),
    stderr: () => stderr,
    /** Waits up to `ms` for stderr to match `pattern`; false if it did not. */
    async waitFor(pattern: RegExp | string, ms: number): Promise<boolean> {
      const seen = () =>
        typeof pattern === "string"
          ? stderr.includes(pattern)
          : pattern.test(stderr);
      const end = Date.now() + ms;
      while (Date.now() < end) {
        if (seen()) return true;
        await new Promise((resolve) => setTimeout(resolve, 20)); // a poll's pause, not a stand-in
      }
      return seen();
    },
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await writer.close().catch(() => {});
      await child.status;
      await reading;
    },
  };
}

Deno.test("--stdin says it waits for the logger after half a second, before its buffer is full", async () => {
  const port = freePort();
  await using sender = stdinSender(["-p", String(port)]);
  const started = Date.now();
  await sender.write("one\ntwo\nthree\n"); // stdin stays open: still reading
  const notice =
    `log_cmd_basic: waiting for the logger at localhost:${port} (Ctrl-C to give up)\n`;
  assert.ok(
    await sender.waitFor(notice, 3000),
    `no notice within 3 s; stderr: ${JSON.stringify(sender.stderr())}`,
  );
  assert.ok(Date.now() - started >= 400, "said before half a second");
  assert.equal(sender.stderr(), notice, "said once, and nothing else");
});

Deno.test("--stdin stopped by Ctrl-C says how many lines were read and not delivered, exit 130", async () => {
  const port = freePort();
  await using sender = stdinSender(["-p", String(port)]);
  await sender.write(
    Array.from({ length: 200 }, (_, i) => `line ${i}\n`).join(""), // fewer than it queues
  );
  assert.ok(
    await sender.waitFor(/waiting for the logger/, 3000),
    `no notice; stderr: ${JSON.stringify(sender.stderr())}`,
  );
  await waitForInputRead(sender.child.pid); // every line read
  sender.child.kill("SIGINT");
  const status = await sender.child.status;
  assert.ok(
    await sender.waitFor(/stopped by Ctrl-C.*\n/, 3000),
    `no Ctrl-C report; stderr: ${JSON.stringify(sender.stderr())}`,
  );
  assert.equal(status.code, 130);
  assert.equal(status.signal, null, "it handled Ctrl-C instead of dying of it");
  assert.equal(
    sender.stderr().split("\n").at(-2),
    `log_cmd_basic: stopped by Ctrl-C: 200 lines read, up to 200 not delivered (the logger at localhost:${port} was not reached)`,
  );
});

/** One line on stderr, nothing on stdout, and the exit status. */
function assertOneLine(
  out: { code: number; stdout: string; stderr: string },
  code: number,
  line: string,
): void {
  assert.equal(out.stderr, `${line}\n`);
  assert.equal(out.stdout, "");
  assert.equal(out.code, code);
}

Deno.test("short options' errors name the long option, in one line, exit 2", async () => {
  using dir = tempDir();
  const cases: [string, string[], string][] = [
    [
      LOGGER,
      ["--show", "-n", "-3"],
      "logging_basic: Option '-n' (--lines) needs a value (write --lines=VALUE for one that starts with '-') (try --help)",
    ],
    [
      LOGGER,
      ["--show", "-n"],
      "logging_basic: Option '--lines' (-n) needs a value (try --help)",
    ],
    [
      LOGGER,
      ["-p"],
      "logging_basic: Option '--port' (-p) needs a value (try --help)",
    ],
    [
      LOGGER,
      ["--show", "-F=1"],
      "logging_basic: Option '--follow' (-F) does not take a value: write it alone (try --help)",
    ],
    [
      LOGGER,
      ["-p=6000"],
      "logging_basic: Option '--port' (-p) takes its value after a space, or after '=' in its long form: write -p 6000 or --port=6000 (try --help)",
    ],
    [
      SENDER,
      ["-H=pi", "hello"],
      "log_cmd_basic: Option '--host' (-H) takes its value after a space, or after '=' in its long form: write -H pi or --host=pi (try --help; put -- before a message that starts with '-')",
    ],
    [
      LOGGER,
      ["-P", "6000"],
      "logging_basic: Unknown option '-P' (-p is --port; short options are case-sensitive) (try --help)",
    ],
    [
      SENDER,
      ["-p"],
      "log_cmd_basic: Option '--port' (-p) needs a value (try --help; put -- before a message that starts with '-')",
    ],
    [
      SENDER,
      ["-T=1", "hello"],
      "log_cmd_basic: Option '--timestamps' (-T) does not take a value: write it alone (try --help; put -- before a message that starts with '-')",
    ],
    [
      SENDER,
      ["--stdin=yes"],
      "log_cmd_basic: Option '--stdin' does not take a value: write it alone (try --help; put -- before a message that starts with '-')",
    ],
  ];
  for (const [script, args, line] of cases) {
    assertOneLine(await run(script, args, { cwd: dir.path }), 2, line);
  }
});

Deno.test("a mistyped --curve-server-key is a usage error that says what it must be, exit 2", async () => {
  using dir = tempDir();
  assertOneLine(
    await send(["--curve-server-key", "notakey", "hello"], dir.path),
    2,
    `log_cmd_basic: Cannot send as '--curve-server-key' must be the logger's public key (40 characters of Z85) or a file in ./keys that holds it: current value is "notakey"`,
  );
  Deno.mkdirSync(`${dir.path}/keys`);
  assertOneLine(
    await send(["--curve-server-key", "keys/logger.pub", "hello"], dir.path),
    2,
    `log_cmd_basic: Cannot send as '--curve-server-key' must be the logger's public key (40 characters of Z85) or a file in ./keys that holds it: current value is "keys/logger.pub"`,
  );
});

Deno.test("an IPv6 logger address is shown as [::1]:PORT", async () => {
  const port = freePort();
  const once = await send([
    "--host",
    "::1",
    "-p",
    String(port),
    "--timeout",
    "1",
    "hi",
  ]);
  assert.equal(once.code, 1);
  assert.equal(
    once.stderr,
    `log_cmd_basic: waiting for the logger at [::1]:${port} (giving up after 1 s)\n` +
      `log_cmd_basic: no logger at [::1]:${port} after 1 s; message not sent\n`,
  );
  await using sender = new Deno.Command(SENDER, {
    args: ["--stdin", "--host", "::1", "-p", String(port), "--timeout", "1"],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = sender.stdin.getWriter();
  await writer.write(new TextEncoder().encode("one\ntwo\n"));
  await writer.close();
  const out = await sender.output();
  assert.equal(out.code, 1);
  assert.equal(
    decoder.decode(out.stderr),
    `log_cmd_basic: waiting for the logger at [::1]:${port} (giving up after 1 s)\n` +
      `log_cmd_basic: no logger at [::1]:${port} after 1 s; up to 2 lines were not delivered\n`,
  );
});

Deno.test("the log file permission hint is a command that works from any directory, pasted into a shell", async () => {
  using dir = tempDir();
  const port = freePort();
  // A name with a space, a quote and a comma: the hint must quote it for the
  // shell, and double the comma for Deno's list of paths.
  const file = "my log's,1.txt";
  const out = await run(LOGGER, ["--file", file, "-p", String(port)], {
    cwd: dir.path,
  });
  assert.equal(out.code, 1);
  const hint = /start the logger as: (.+)$/m.exec(out.stderr)?.[1];
  assert.ok(hint, out.stderr);
  const granted = `'my log'\\''s,,1.txt'`;
  const quoted = `'my log'\\''s,1.txt'`;
  // With the control socket beside the log, which the logger removes at exit.
  const writable = `'my log'\\''s,,1.txt,my log'\\''s,,1.txt.ctl'`;
  // The whole command line again, options and all.
  assert.equal(
    hint,
    `deno run -q --no-prompt -P=logging_basic ${LINEAR_ENGINE_FLAG} --allow-write=${writable} --allow-read=${granted} ${ROOT}logging_basic.ts --file ${quoted} -p ${port}`,
  );
  // Run it as given, by the shell, from the temporary directory.
  await using logger = new Deno.Command("bash", {
    args: ["-c", `exec ${hint}`],
    cwd: dir.path,
    env: {
      PATH: `${Deno.execPath().replace(/\/[^/]*$/, "")}:${
        Deno.env.get("PATH")
      }`,
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  await waitForPort(port);
  assert.equal((await send(["-p", String(port), "from", "elsewhere"])).code, 0);
  assert.equal(
    await waitForLines(`${dir.path}/${file}`, 1),
    "from elsewhere\n",
  );
  logger.kill("SIGTERM");
  await logger.output();
  // What the hint grants is enough to remove its control socket at exit.
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name), [file]);
});
