/**
 * What a user who can reach the log's directory can do to the logger, through
 * the real scripts and real ZeroMQ on loopback: a symbolic link or another
 * kind of file at the log's path, the umask, the log removed or replaced
 * while open, the directory removed, odd and very long paths.
 */

import assert from "node:assert/strict";
import {
  Background,
  freePort,
  LOGGER,
  type Outcome,
  PYTHON,
  readText,
  run,
  send,
  startLogger,
  tempDir,
  waitForLines,
  waitForPath,
  waitForPort,
} from "./helpers.ts";

/** The line the logger gives for a log path that is not a regular file. */
function notRegular(kind: string, file = "./log.txt"): string {
  return `logging_basic: Cannot open log file '${file}': it is ${kind}; the logger writes only to a regular file`;
}

/** Runs a command that should end by itself; kills it and fails after `ms`. */
async function runFor(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> },
  ms = 5000,
): Promise<Outcome> {
  await using child = new Background(command, args, options);
  return await child.finish(ms);
}

/**
 * The logger's command line for log file `file`, with the permission for it,
 * as the README says to start it for a file other than ./log.txt.
 */
function loggerFor(file: string, args: string[]): [string, string[]] {
  return ["deno", [
    "run",
    "-q",
    "--no-prompt",
    "-P=logging_basic",
    `--allow-write=${file},${file}.ctl`,
    `--allow-read=${file}`,
    LOGGER,
    "--file",
    file,
    ...args,
  ]];
}

/** A local user made for a test; `await using` removes it, with its home. */
async function localUser(): Promise<
  { name: string; uid: number; env: Record<string, string> } & AsyncDisposable
> {
  const name = `zmqlog${crypto.randomUUID().slice(0, 8)}`;
  const made = await run("useradd", [
    "--create-home",
    "--shell",
    "/bin/sh",
    name,
  ]);
  assert.equal(made.code, 0, `useradd ${name}: ${made.stderr}`);
  const id = await run("id", ["-u", name]);
  return {
    name,
    uid: Number(id.stdout.trim()),
    // Deno keeps its cache in the user's home.
    env: { HOME: `/home/${name}` },
    async [Symbol.asyncDispose]() {
      const removed = await run("userdel", ["--remove", name]);
      if (removed.code !== 0) {
        console.error(`userdel ${name}: ${removed.stderr}`);
      }
    },
  };
}

/** `command args` run as `user` (setpriv execs it: signals reach it). */
function asUser(
  user: { name: string },
  command: string,
  args: string[],
): [string, string[]] {
  return ["setpriv", [
    `--reuid=${user.name}`,
    `--regid=${user.name}`,
    "--init-groups",
    "--",
    command,
    ...args,
  ]];
}

/**
 * A ZeroMQ REP socket at the path given, that anyone may connect to, answering
 * every request as a logger would and printing it: someone else's socket.
 */
const SQUATTER = `
import os, sys, zmq
os.umask(0)
rep = zmq.Context().socket(zmq.REP)
rep.bind("ipc://" + sys.argv[1])
while True:
    print("asked:", rep.recv().decode(), flush=True)
    rep.send(b"level debug; 0 messages logged (not a logger)")
`;

/** The file mode's permission bits. */
function modeOf(path: string): string {
  return (Deno.lstatSync(path).mode! & 0o7777).toString(8);
}

Deno.test("a symbolic link at ./log.txt is refused in one line, exit 1: its target is neither written nor created", async () => {
  using dir = tempDir();
  using elsewhere = tempDir();
  const target = `${elsewhere.path}/passwd`;
  Deno.writeTextFileSync(target, "root:x:0:0\n");
  const log = `${dir.path}/log.txt`;
  Deno.symlinkSync(target, log);
  const port = freePort();
  const out = await runFor(LOGGER, ["--port", String(port)], {
    cwd: dir.path,
  });
  assert.equal(out.code, 1, `the logger did not refuse: ${out.stderr}`);
  assert.equal(
    out.stderr,
    `${notRegular(`a symbolic link (to ${target})`)}\n`,
  );
  assert.equal(readText(target), "root:x:0:0\n");

  // A dangling link: opened with create, it would create its target.
  Deno.removeSync(log);
  const created = `${elsewhere.path}/new.txt`;
  Deno.symlinkSync(created, log);
  const dangling = await runFor(LOGGER, ["--port", String(port)], {
    cwd: dir.path,
  });
  assert.equal(dangling.code, 1);
  assert.equal(
    dangling.stderr,
    `${notRegular(`a symbolic link (to ${created})`)}\n`,
  );
  assert.throws(() => Deno.lstatSync(created), Deno.errors.NotFound);
  assert.deepEqual(
    [...Deno.readDirSync(dir.path)].map((e) => e.name),
    ["log.txt"],
  );
});

Deno.test("a FIFO, a device, a directory or a socket at ./log.txt is refused at once in one line, exit 1", async () => {
  const kinds: [string, (path: string) => Promise<boolean>][] = [
    ["a FIFO (named pipe)", async (path) => {
      return (await run("mkfifo", [path])).code === 0;
    }],
    ["a character device", async (path) => {
      // /dev/null's numbers; making a device takes root (the tests run as root).
      return (await run("mknod", [path, "c", "1", "3"])).code === 0;
    }],
    ["a directory", (path) => {
      Deno.mkdirSync(path);
      return Promise.resolve(true);
    }],
    ["a socket", async (path) => {
      const bind =
        "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])";
      return (await run(PYTHON, ["-c", bind, path])).code === 0;
    }],
  ];
  for (const [kind, make] of kinds) {
    using dir = tempDir();
    if (!await make(`${dir.path}/log.txt`)) {
      console.log(`skipped ${kind}: cannot make one here`);
      continue;
    }
    const out = await runFor(LOGGER, ["--port", String(freePort())], {
      cwd: dir.path,
    });
    assert.equal(out.code, 1, `${kind}: the logger did not refuse at once`);
    assert.equal(out.stderr, `${notRegular(kind)}\n`, kind);
  }
});

Deno.test("SIGHUP with a symbolic link at ./log.txt: one line on stderr, the logger keeps writing to its file, and the link's target is untouched", async () => {
  using dir = tempDir();
  using elsewhere = tempDir();
  const target = `${elsewhere.path}/passwd`;
  Deno.writeTextFileSync(target, "root:x:0:0\n");
  const log = `${dir.path}/log.txt`;
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  assert.equal((await send(["--port", String(port), "one"])).code, 0);
  await waitForLines(log, 1);
  // Rotated, and a link where logrotate would create the new file.
  Deno.renameSync(log, `${log}.1`);
  Deno.symlinkSync(target, log);
  logger.kill("SIGHUP");
  await logger.waitForStderr("still writing to the file it had open");
  assert.equal((await send(["--port", String(port), "two"])).code, 0);
  assert.equal(await waitForLines(`${log}.1`, 2), "one\ntwo\n");
  assert.equal(readText(target), "root:x:0:0\n");

  // Once a regular file can be made there, the next SIGHUP opens it.
  Deno.removeSync(log);
  logger.kill("SIGHUP");
  await waitForPath(log); // the logger made the new file: it has reopened
  assert.equal((await send(["--port", String(port), "three"])).code, 0);
  assert.equal(await waitForLines(log, 1), "three\n");
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.equal(
    end.stderr,
    `${
      notRegular(`a symbolic link (to ${target})`)
    }; still writing to the file it had open\n` +
      "logging_basic: stopped; 3 messages logged to ./log.txt\n",
  );
  assert.equal(readText(`${log}.1`), "one\ntwo\n");
  assert.equal(readText(target), "root:x:0:0\n");
});

Deno.test("the log file is created 0640 (or stricter) whatever the umask, and an existing file keeps its mode", async () => {
  for (
    const [umask, mode] of [["000", "640"], ["022", "640"], ["077", "600"]]
  ) {
    using dir = tempDir();
    const port = freePort();
    await using logger = new Background(
      "sh",
      ["-c", `umask ${umask}; exec "$0" "$@"`, LOGGER, "--port", String(port)],
      { cwd: dir.path },
    );
    await waitForPort(port);
    assert.equal((await send(["--port", String(port), umask])).code, 0);
    assert.equal(await waitForLines(`${dir.path}/log.txt`, 1), `${umask}\n`);
    assert.equal(modeOf(`${dir.path}/log.txt`), mode, `umask ${umask}`);
    assert.equal((await logger.stop()).code, 0);
  }
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  Deno.writeTextFileSync(log, "old\n");
  Deno.chmodSync(log, 0o604);
  const port = freePort();
  await using logger = new Background(
    "sh",
    ["-c", 'umask 000; exec "$0" "$@"', LOGGER, "--port", String(port)],
    { cwd: dir.path },
  );
  await waitForPort(port);
  assert.equal((await send(["--port", String(port), "new"])).code, 0);
  assert.equal(await waitForLines(log, 2), "old\nnew\n");
  assert.equal(modeOf(log), "604");
  assert.equal((await logger.stop()).code, 0);
});

Deno.test("a log file another user made first is refused in one line, exit 1, and left as it was; one anyone may write gets a warning", async () => {
  await using user = await localUser();
  using dir = tempDir();
  Deno.chmodSync(dir.path, 0o1777); // a shared directory, like /tmp
  const log = `${dir.path}/log.txt`;
  // The other user plants log.txt, writable by all, before the logger starts.
  const [command, argv] = asUser(user, "sh", [
    "-c",
    "echo planted > log.txt && chmod 666 log.txt",
  ]);
  const planted = await run(command, argv, { cwd: dir.path, env: user.env });
  assert.equal(planted.code, 0, planted.stderr);
  const myUid = Number((await run("id", ["-u"])).stdout.trim());
  const out = await run(LOGGER, ["--port", String(freePort())], {
    cwd: dir.path,
  });
  assert.equal(out.code, 1);
  assert.equal(
    out.stderr,
    `logging_basic: Cannot open log file './log.txt': it belongs to another user (uid ${user.uid}; the logger runs as uid ${myUid}), who could change what it holds; the logger writes only to a file of its own: remove it, or give it to this user (chown)\n`,
  );
  assert.equal(readText(log), "planted\n");
  // Our own file, but anyone may write to it: a warning, as on file systems
  // without Unix modes every file shows so.
  Deno.removeSync(log);
  Deno.writeTextFileSync(log, "mine\n");
  Deno.chmodSync(log, 0o646);
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  assert.equal((await send(["--port", String(port), "more"])).code, 0);
  assert.equal(await waitForLines(log, 2), "mine\nmore\n");
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.match(
    end.stderr,
    /^logging_basic: warning: anyone may write to \.\/log\.txt \(mode 0646\), so could change its lines: chmod o-w it\n/,
  );
});

Deno.test("the log file removed or replaced while open: the logger says so once each time and writes every line to the file now at the path", async () => {
  using dir = tempDir();
  const log = `${dir.path}/log.txt`;
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  assert.equal((await send(["--port", String(port), "one"])).code, 0);
  await waitForLines(log, 1);
  Deno.removeSync(log);
  assert.equal((await send(["--port", String(port), "two"])).code, 0);
  assert.equal(await waitForLines(log, 1), "two\n");
  // Another file moved over it, as an editor saves one.
  Deno.writeTextFileSync(`${dir.path}/edited`, "edited\n");
  Deno.renameSync(`${dir.path}/edited`, log);
  assert.equal((await send(["--port", String(port), "three"])).code, 0);
  assert.equal(await waitForLines(log, 2), "edited\nthree\n");
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  const removed =
    "logging_basic: './log.txt' was removed or replaced while the logger had it open; writing to the file now at that path\n";
  assert.equal(
    end.stderr,
    `${removed}${removed}logging_basic: stopped; 3 messages logged to ./log.txt\n`,
  );
});

Deno.test("with its directory removed, the logger says it cannot write and holds the line; stopped, it says the line was not written, exit 1", async () => {
  using dir = tempDir();
  const cwd = `${dir.path}/logs`;
  Deno.mkdirSync(cwd);
  const port = freePort();
  await using logger = await startLogger(cwd, port);
  assert.equal((await send(["--port", String(port), "one"])).code, 0);
  await waitForLines(`${cwd}/log.txt`, 1);
  Deno.removeSync(cwd, { recursive: true });
  assert.equal((await send(["--port", String(port), "two"])).code, 0);
  await logger.waitForStderr("Cannot write to './log.txt'");
  const end = await logger.stop();
  assert.equal(end.code, 1, end.stderr);
  const lines = end.stderr.split("\n");
  assert.equal(lines.length, 3, end.stderr);
  assert.match(
    lines[0],
    /^logging_basic: Cannot write to '.\/log.txt': it was removed while open, and opening its path again failed: .*No such file or directory.*; keeping 1 line and trying again every 1 s \(senders wait meanwhile\)$/,
  );
  assert.match(
    lines[1],
    /^logging_basic: stopped with 1 line not written to '.\/log.txt': it was removed while open/,
  );
});

Deno.test("odd log file names (spaces, unicode, a leading @ or *): the logger logs, answers --status on a socket file beside the log, and removes it when stopped", async () => {
  for (const name of ["my log ✓ é.txt", "@log.txt", "*log.txt"]) {
    using dir = tempDir();
    const port = freePort();
    const [deno, args] = loggerFor(name, ["--port", String(port)]);
    await using logger = new Background(deno, args, { cwd: dir.path });
    await waitForPort(port);
    assert.equal((await send(["--port", String(port), "hello"])).code, 0);
    assert.equal(await waitForLines(`${dir.path}/${name}`, 1), "hello\n");
    assert.ok(
      Deno.lstatSync(`${dir.path}/${name}.ctl`).isSocket,
      `${name}: no control socket beside the log`,
    );
    const [, status] = loggerFor(name, ["--status"]);
    const asked = await run(deno, status, { cwd: dir.path });
    assert.equal(asked.code, 0, `${name}: ${asked.stderr}`);
    assert.equal(
      asked.stdout,
      `logging_basic: level debug; 1 message logged to ${name}\n`,
    );
    const end = await logger.stop();
    assert.equal(end.code, 0, end.stderr);
    assert.deepEqual(
      [...Deno.readDirSync(dir.path)].map((e) => e.name),
      [name],
      `${name}: something left behind`,
    );
  }
});

Deno.test("a log path near PATH_MAX, too long for a Unix socket: the logger starts and logs, and says in one line that --set-level and --status are unavailable, and why", async () => {
  using dir = tempDir();
  let deep = dir.path;
  while (deep.length < 3800) deep += `/${"d".repeat(200)}`;
  Deno.mkdirSync(deep, { recursive: true });
  const log = `${deep}/log.txt`;
  const bytes = log.length + ".ctl".length;
  const port = freePort();
  const [deno, args] = loggerFor(log, ["--port", String(port)]);
  await using logger = new Background(deno, args, { cwd: dir.path });
  await waitForPort(port);
  assert.equal((await send(["--port", String(port), "deep"])).code, 0);
  assert.equal(await waitForLines(log, 1), "deep\n");
  const [, status] = loggerFor(log, ["--status"]);
  const asked = await run(deno, status, { cwd: dir.path });
  assert.equal(asked.code, 1);
  assert.equal(
    asked.stderr,
    `logging_basic: No logger can answer for ${log} at ${log}.ctl: its path is ${bytes} bytes long, and a Unix socket's may have 107 at most (give --file a shorter path, a relative one say)\n`,
  );
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.equal(
    end.stderr,
    `logging_basic: Cannot offer --set-level and --status at ${log}.ctl: its path is ${bytes} bytes long, and a Unix socket's may have 107 at most (give --file a shorter path, a relative one say); logging without them\n` +
      `logging_basic: stopped; 1 message logged to ${log}\n`,
  );

  // Started in that directory, through its shebang, the path is short.
  await using near = await startLogger(deep, port);
  assert.equal((await send(["--port", String(port), "near"])).code, 0);
  assert.equal(await waitForLines(log, 2), "deep\nnear\n");
  const status2 = await run(LOGGER, ["--status"], { cwd: deep });
  assert.equal(status2.code, 0, status2.stderr);
  assert.equal((await near.stop()).code, 0);
});

Deno.test("the control socket is its user's own (mode 0600) whatever the umask: another local user can neither change the level nor ask the status", async () => {
  await using user = await localUser();
  using dir = tempDir();
  Deno.chmodSync(dir.path, 0o755);
  const port = freePort();
  await using logger = new Background(
    "sh",
    ["-c", 'umask 000; exec "$0" "$@"', LOGGER, "--port", String(port)],
    { cwd: dir.path },
  );
  await waitForPort(port);
  assert.equal((await send(["--port", String(port), "one"])).code, 0);
  await waitForLines(`${dir.path}/log.txt`, 1);
  for (const args of [["--set-level", "critical"], ["--status"]]) {
    const [command, argv] = asUser(user, LOGGER, args);
    const out = await run(command, argv, { cwd: dir.path, env: user.env });
    assert.equal(out.code, 1, `${args[0]} as ${user.name}: ${out.stdout}`);
    assert.equal(out.stdout, "");
  }
  assert.equal(modeOf(`${dir.path}/log.txt.ctl`), "600");
  const status = await run(LOGGER, ["--status"], { cwd: dir.path });
  assert.equal(
    status.stdout,
    "logging_basic: level debug; 1 message logged to ./log.txt\n",
  );
  assert.equal((await logger.stop()).code, 0);
});

/** The line of a logger that finds another user's socket answering at its control path. */
function squatted(uid: number, loggerUid: number): string {
  return `logging_basic: Cannot log to ./log.txt: a socket of another user (uid ${uid}; the logger runs as uid ${loggerUid}) answers at ./log.txt.ctl, where its control socket (for --status, --set-level and --reopen) belongs: stop what listens there and remove it, or give --file another path\n`;
}

Deno.test("another user's socket answering at log.txt.ctl in a shared directory: the logger refuses to start in one line naming it and its owner, and --status and --set-level will not talk to it", async () => {
  await using user = await localUser();
  using dir = tempDir();
  Deno.chmodSync(dir.path, 0o1777); // like /tmp
  const control = `${dir.path}/log.txt.ctl`;
  // Root's socket, which the user may connect to but not remove.
  await using squatter = new Background(PYTHON, ["-c", SQUATTER, control]);
  await waitForPath(control);
  const port = freePort();
  const [command, argv] = asUser(user, LOGGER, ["--port", String(port)]);
  const out = await runFor(command, argv, { cwd: dir.path, env: user.env });
  assert.equal(out.code, 1, out.stderr);
  assert.equal(out.stderr, squatted(0, user.uid));
  assert.equal(out.stdout, "");
  assert.throws(() => Deno.lstatSync(`${dir.path}/log.txt`), "no log left");
  for (const args of [["--status"], ["--set-level", "warn"], ["--reopen"]]) {
    const [asker, askArgs] = asUser(user, LOGGER, args);
    const said = await run(asker, askArgs, { cwd: dir.path, env: user.env });
    assert.equal(said.code, 1, `${args[0]}: ${said.stdout}`);
    assert.equal(
      said.stderr,
      `logging_basic: Cannot ask the logger for ./log.txt: the socket at ./log.txt.ctl is another user's (uid 0; you are uid ${user.uid}), so it is not your logger; nothing was sent\n`,
    );
  }
  assert.ok(Deno.lstatSync(control).isSocket, "the socket is still there");
  assert.equal((await squatter.stop("SIGKILL")).stdout, "", "it was asked");
});

Deno.test("a socket nothing answers on that another user left at log.txt.ctl: the logger takes the path over where it may remove it, and refuses in one line where it may not", async () => {
  await using user = await localUser();
  using dir = tempDir();
  Deno.chmodSync(dir.path, 0o1777);
  const control = `${dir.path}/log.txt.ctl`;
  // Root's socket, left behind: the user may not remove it (sticky bit).
  await using rootSquatter = new Background(PYTHON, ["-c", SQUATTER, control]);
  await waitForPath(control);
  await rootSquatter.stop("SIGKILL");
  assert.ok(Deno.lstatSync(control).isSocket, "left behind");
  const [command, argv] = asUser(user, LOGGER, ["--port", String(freePort())]);
  const out = await runFor(command, argv, { cwd: dir.path, env: user.env });
  assert.equal(out.code, 1, out.stderr);
  assert.equal(
    out.stderr,
    "logging_basic: Cannot log to ./log.txt: its control socket cannot be made at ./log.txt.ctl: something nothing answers on is there, and this user may not remove it (another user's, in a directory with the sticky bit such as /tmp?): remove it, or give --file another path\n",
  );
  Deno.removeSync(control);
  // The user's socket, answering: root's logger refuses it too.
  const [python, squat] = asUser(user, PYTHON, ["-c", SQUATTER, control]);
  await using squatter = new Background(python, squat, { env: user.env });
  await waitForPath(control);
  const refused = await runFor(LOGGER, ["--port", String(freePort())], {
    cwd: dir.path,
  });
  assert.equal(refused.code, 1, refused.stderr);
  assert.equal(refused.stderr, squatted(user.uid, 0));
  // Left behind, root may remove it: the logger takes the path over.
  assert.equal((await squatter.stop("SIGKILL")).stdout, "", "it was asked");
  assert.ok(Deno.lstatSync(control).isSocket, "left behind");
  const port = freePort();
  await using logger = await startLogger(dir.path, port);
  assert.equal((await send(["--port", String(port), "hello"])).code, 0);
  await waitForLines(`${dir.path}/log.txt`, 1);
  const status = await run(LOGGER, ["--status"], { cwd: dir.path });
  assert.equal(
    status.stdout,
    "logging_basic: level debug; 1 message logged to ./log.txt\n",
    status.stderr,
  );
  assert.equal(modeOf(control), "600");
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.equal(
    end.stderr,
    "logging_basic: stopped; 1 message logged to ./log.txt\n",
  );
});
