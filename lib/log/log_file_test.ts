import assert from "node:assert/strict";
import { LogFile } from "./log_file.ts";

/** A fresh directory, removed by `using`. */
function tempDir(): { path: string } & Disposable {
  const path = Deno.makeTempDirSync({ prefix: "zmqlog-unit-" });
  return {
    path,
    [Symbol.dispose]: () => Deno.removeSync(path, { recursive: true }),
  };
}

/** What `body` prints with console.error, one string per call. */
async function errorsOf(body: () => Promise<void>): Promise<string[]> {
  const said: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => said.push(args.join(" "));
  try {
    await body();
  } finally {
    console.error = original;
  }
  return said;
}

Deno.test("LogFile refuses a symbolic link, live or dangling, and creates nothing through it", () => {
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  Deno.writeTextFileSync(`${dir.path}/target`, "keep\n");
  for (const target of [`${dir.path}/target`, `${dir.path}/missing`]) {
    Deno.symlinkSync(target, log);
    assert.throws(
      () => new LogFile(log, "test"),
      new Error(
        `Cannot open log file '${log}': it is a symbolic link (to ${target}); the logger writes only to a regular file`,
      ),
    );
    Deno.removeSync(log);
  }
  assert.equal(Deno.readTextFileSync(`${dir.path}/target`), "keep\n");
  assert.throws(
    () => Deno.lstatSync(`${dir.path}/missing`),
    Deno.errors.NotFound,
  );
});

Deno.test("LogFile refuses a FIFO", async () => {
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  const made = await new Deno.Command("mkfifo", { args: [log] }).output();
  assert.ok(made.success);
  // A reader, so that a LogFile that opened it would not wait for ever.
  await using reader = new Deno.Command("cat", {
    args: [log],
    stdout: "null",
  }).spawn();
  try {
    assert.throws(
      () => new LogFile(log, "test"),
      /: it is a FIFO \(named pipe\); the logger writes only to a regular file$/,
    );
  } finally {
    reader.kill("SIGKILL");
  }
});

Deno.test("LogFile creates the file with no permission for others and none to write for the group", () => {
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  using _file = new LogFile(log, "test");
  assert.equal(Deno.statSync(log).mode! & 0o137, 0);
});

/**
 * Flushes `file` until its path holds `text` (the file looks whether its
 * lines went to a file still linked at most every 100 ms), or fails after
 * `timeoutMs`.
 */
async function flushUntil(
  file: LogFile,
  path: string,
  text: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const content = () => {
    try {
      return Deno.readTextFileSync(path);
    } catch {
      return undefined;
    }
  };
  while (true) {
    await file.flush(() => false);
    if (content() === text) return;
    if (Date.now() > deadline) {
      assert.equal(content(), text, `after ${timeoutMs} ms of flushes`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10)); // a poll's pause
  }
}

Deno.test("LogFile writes the lines of a flush again to a new file when the open one was removed", async () => {
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  using file = new LogFile(log, "test");
  file.lines.addLine("one");
  await file.flush(() => false);
  Deno.removeSync(log);
  const said = await errorsOf(async () => {
    file.lines.addLine("two");
    await flushUntil(file, log, "two\n");
  });
  assert.deepEqual(said, [
    `test: '${log}' was removed or replaced while the logger had it open; writing to the file now at that path`,
  ]);
});

Deno.test("LogFile writes again the lines written shortly before its file was removed", async () => {
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  using file = new LogFile(log, "test");
  file.lines.addLine("one");
  await file.flush(() => false); // the first flush looks at once
  file.lines.addLine("two");
  await file.flush(() => false); // written; looked at later
  Deno.removeSync(log);
  file.lines.addLine("three");
  await errorsOf(() => flushUntil(file, log, "two\nthree\n"));
});

Deno.test("LogFile looks whether its file was removed before it stops", async () => {
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  using file = new LogFile(log, "test");
  file.lines.addLine("one");
  await file.flush(() => false);
  file.lines.addLine("two");
  await file.flush(() => false);
  Deno.removeSync(log);
  await errorsOf(() => file.flush(() => true));
  assert.equal(Deno.readTextFileSync(log), "two\n");
});
