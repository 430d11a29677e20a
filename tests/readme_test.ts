/**
 * The README's commands work as written. Its shell examples that can run on
 * one machine (loopback, a copy of this project in a temporary directory)
 * are taken from README.md itself and run: the book's demo and the error
 * transcript must print exactly what the README shows, and every other
 * `./logging_basic.ts` and `./log_cmd_basic.ts` line must be taken (no usage
 * error). Lines that need another machine (a host name other than this one,
 * scp, ssh, sudo) are left out, and counted.
 *
 * The README's commands use the default port, 5555, where a newcomer who
 * followed the quick start has a logger running when they run the tests: so
 * each test holds 5555 itself, and runs the commands on a free port instead,
 * given with `--port` to each script that listens or sends (see
 * {@link onPort}); the 5555 in the outputs the README shows is read as that
 * port.
 */

import assert from "node:assert/strict";
import {
  Background,
  docsText,
  freePort,
  projectCopy,
  readText,
  run,
  waitFor,
  waitForLines,
  waitForPort,
} from "./helpers.ts";

/** README.md and docs/: every example in them is run. */
const README = docsText();
/** The port the README's commands use, the scripts' default. */
const README_PORT = 5555;

/** The README's code blocks of one kind (`sh`, `console`), in order. */
function blocks(kind: string): string[] {
  return [
    ...README.matchAll(new RegExp("```" + kind + "\\n([\\s\\S]*?)```", "g")),
  ]
    .map((match) => match[1]);
}

/** The console block whose first command is `first`. */
function transcript(first: string): { command: string; output: string }[] {
  const block = blocks("console").find((text) => text.startsWith(`$ ${first}`));
  assert.ok(block, `the README shows a transcript starting with ${first}`);
  return block.split(/^\$ /m).filter(Boolean).map((step) => {
    const [command, ...output] = step.split("\n");
    return {
      command: command.replace(/\s+#.*$/, ""),
      output: output.join("\n").replace(/\n*$/, ""),
    };
  });
}

/** Runs one README command line in `cwd` with bash, as a user would type it. */
function shell(cwd: string, command: string) {
  return run("bash", ["-c", command], { cwd });
}

/**
 * Holds the README's port for a test's length, as the quick start's logger
 * would: the examples must run all the same. Taken already, by that logger
 * say: nothing more to hold.
 */
function holdReadmePort(): Disposable {
  try {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: README_PORT });
    return { [Symbol.dispose]: () => listener.close() };
  } catch (err) {
    if (!(err instanceof Deno.errors.AddrInUse)) throw err;
    return { [Symbol.dispose]: () => {} };
  }
}

/** Options after which a script neither listens nor sends, or takes no --port. */
const NO_PORT =
  /(^|\s)(-p|--port|--keygen|--help|--show|--stats|--status|--set-level|--reopen)(\s|=|$)/;

/**
 * A README command line run on `port`: `--port PORT` right after each
 * `./logging_basic.ts` or `./log_cmd_basic.ts` in it that listens or sends
 * on the default port (the script's own arguments run up to a pipe, `;`,
 * `&`, `)` or a redirection); the rest as written.
 */
function onPort(command: string, port: number): string {
  return command.replace(
    /(\.\/(?:logging_basic|log_cmd_basic)\.ts)([^|;&)<>]*)/g,
    (_, script: string, args: string) =>
      NO_PORT.test(args) ? script + args : `${script} --port ${port}${args}`,
  );
}

/** An output the README shows, with its default port read as `port`. */
function shownOn(output: string, port: number): string {
  return output.replace(new RegExp(`\\b${README_PORT}\\b`, "g"), `${port}`);
}

/** The logger as the README starts it (`./logging_basic.ts`), on `port`. */
function startLoggerOn(cwd: string, port: number): Background {
  return new Background(`${cwd}/logging_basic.ts`, ["--port", `${port}`], {
    cwd,
  });
}

Deno.test("README: the book's demo prints what the README shows", async () => {
  using _held = holdReadmePort();
  const port = freePort();
  await using dir = await projectCopy();
  await using logger = startLoggerOn(dir.path, port);
  await waitForPort(port);
  for (const { command, output } of transcript("./log_cmd_basic.ts arg1")) {
    const out = await shell(dir.path, onPort(command, port));
    assert.equal(out.code, 0, `${command}: ${out.stderr}`);
    assert.equal(
      (out.stdout + out.stderr).replace(/\n*$/, ""),
      shownOn(output, port),
      command,
    );
    if (command.startsWith("./log_cmd_basic.ts")) {
      // The logger writes at once; the next command reads the file.
      await waitForLines(`${dir.path}/log.txt`, 1);
    }
  }
  assert.equal((await logger.stop()).code, 0);
});

Deno.test("README: a sender started before the logger says what the README shows, then delivers", async () => {
  using _held = holdReadmePort();
  const port = freePort();
  await using dir = await projectCopy();
  const [{ command, output }] = transcript("./log_cmd_basic.ts Is this cool");
  await using sender = new Background("bash", ["-c", onPort(command, port)], {
    cwd: dir.path,
  });
  await sender.waitForStderr("waiting for the logger");
  await using logger = startLoggerOn(dir.path, port);
  const sent = await sender.finish();
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal(sent.stderr.replace(/\n*$/, ""), shownOn(output, port));
  await waitForLines(`${dir.path}/log.txt`, 1);
  assert.equal(readText(`${dir.path}/log.txt`), "Is this cool or not?\n");
  assert.equal((await logger.stop()).code, 0);
});

Deno.test("README: the error transcript prints what the README shows", async () => {
  using _held = holdReadmePort();
  const port = freePort();
  await using dir = await projectCopy();
  await using logger = startLoggerOn(dir.path, port);
  await waitForPort(port);
  for (
    const { command, output } of transcript("./logging_basic.ts --port 70000")
  ) {
    const out = await shell(dir.path, onPort(command, port));
    assert.notEqual(out.code, 0, command);
    assert.equal(
      out.stdout + out.stderr.replace(/\n*$/, ""),
      shownOn(output, port),
      command,
    );
  }
  assert.equal((await logger.stop()).code, 0);
});

/** README lines that need more than this machine, and why. */
const ELSEWHERE =
  /desktop\.local|raspberrypi|192\.168\.|\bscp\b|\bssh\b|\bsudo\b|<this repository>|some_program|\| jq\b/;

Deno.test("README: every ./logging_basic.ts and ./log_cmd_basic.ts line that runs on one machine is taken as written", async () => {
  using _held = holdReadmePort();
  const port = freePort();
  await using dir = await projectCopy();
  const lines = blocks("sh").flatMap((block) => block.split("\n"))
    .map((line) => line.replace(/\s+#\s.*$/, "").trim())
    .filter((line) =>
      /(^|[\s;(&])\.\/(logging_basic|log_cmd_basic)\.ts\b/.test(line)
    );
  const skipped = lines.filter((line) => ELSEWHERE.test(line));
  const here = lines.filter((line) => !ELSEWHERE.test(line));
  assert.ok(here.length >= 10, `only ${here.length} lines to run`);
  // A logger on the test's port for the senders, --status and --show; a
  // line that starts a logger itself runs while that one is stopped.
  // Running once it answers --status: its signal handlers are in place.
  const answersStatus = (what: string) =>
    waitFor(
      async () =>
        (await shell(dir.path, "./logging_basic.ts --status")).code === 0,
      `${what} to answer --status`,
    );
  const start = async () => {
    const started = startLoggerOn(dir.path, port);
    await waitForPort(port);
    await answersStatus(`the logger on port ${port}`);
    return started;
  };
  let logger = await start();
  const listens = (line: string) =>
    /^\.\/logging_basic\.ts(\s|$)/.test(line) &&
    !/--(show|stats|status|set-level|keygen|reopen|help)\b/.test(line);
  try {
    for (const line of here) {
      if (line.includes("--curve-allow")) {
        // The allow-list the README's CurveZMQ section has you write.
        const key = (await shell(
          dir.path,
          "grep public-key keys/sender.key | cut -d '\"' -f 2",
        )).stdout.trim();
        Deno.writeTextFileSync(`${dir.path}/keys/allowed.txt`, `${key} pi\n`);
      }
      if (!listens(line)) {
        // --follow runs until Ctrl-C: it gets one after 2 s.
        const limit = line.includes("--follow")
          ? "timeout --preserve-status -s INT 2"
          : "timeout 20";
        const out = await shell(dir.path, `${limit} ${onPort(line, port)}`);
        assert.equal(out.code, 0, `${line}: exit ${out.code}: ${out.stderr}`);
        continue;
      }
      assert.equal((await logger.stop()).code, 0);
      const other = new Background(
        "bash",
        ["-c", `exec ${onPort(line, port)}`],
        {
          cwd: dir.path,
        },
      );
      const listening = await answersStatus(line).catch((err) => err);
      const end = await other.stop("SIGTERM");
      assert.equal(listening, true, `${line}: did not listen: ${end.stderr}`);
      assert.equal(end.code, 0, `${line}: ${end.stderr}`);
      logger = await start();
    }
  } finally {
    await logger.stop();
  }
  console.log(
    `ran ${here.length} README lines; ${skipped.length} need another machine: ${
      skipped.join(" | ")
    }`,
  );
});
