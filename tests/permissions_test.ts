/**
 * The scripts run with the narrowest Deno permissions that work: the logger
 * may write its log file and nothing else, the sender may write nothing.
 */

import assert from "node:assert/strict";
import {
  Background,
  freePort,
  LOGGER,
  readText,
  ROOT,
  run,
  send,
  SENDER,
  tempDir,
  waitForLines,
  waitForPort,
} from "./helpers.ts";

/** The flags of a script's `#!/usr/bin/env -S deno run ...` line. */
function shebangFlags(path: string): string[] {
  const first = Deno.readTextFileSync(path).split("\n")[0];
  const prefix = "#!/usr/bin/env -S deno run ";
  assert.ok(first.startsWith(prefix), `${path}: shebang is "${first}"`);
  // Linux (5.1 and later) reads no more of a #! line than this.
  assert.ok(first.length < 256, `${path}: shebang is ${first.length} bytes`);
  return first.slice(prefix.length).split(" ");
}

Deno.test("shebangs grant no blanket permission: no -A, every --allow scoped", () => {
  for (const script of [LOGGER, SENDER]) {
    for (const flag of shebangFlags(script)) {
      assert.ok(flag !== "-A" && flag !== "--allow-all", `${script}: ${flag}`);
      if (flag.startsWith("--allow-")) {
        assert.match(
          flag,
          /^--allow-[a-z]+=./,
          `${script}: ${flag} is not scoped`,
        );
      }
    }
  }
  assert.deepEqual(
    shebangFlags(LOGGER).filter((f) => f.startsWith("--allow-")),
    [
      "--allow-write=./log.txt,./log.txt.ctl",
      "--allow-read=./log.txt,./keys",
    ],
  );
  // Key files for CurveZMQ are read from ./keys, and nothing else.
  assert.deepEqual(
    shebangFlags(SENDER).filter((f) => f.startsWith("--allow-")),
    ["--allow-read=./keys"],
  );
  // Not a permission: V8's linear-time regexp engine, for the logger's
  // filters (lib/log/pattern.ts). The sender has no filters.
  assert.deepEqual(
    shebangFlags(LOGGER).filter((f) => f.startsWith("--v8-flags")),
    ["--v8-flags=--enable-experimental-regexp-engine,--enable-experimental-regexp-engine-on-excessive-backtracks"],
  );
  assert.deepEqual(
    shebangFlags(SENDER).filter((f) => f.startsWith("--v8-flags")),
    [],
  );
});

Deno.test("the permission sets in deno.json only load libzmq from node_modules and ask the host name (the logger also its user id and umask, for its control socket, and its file system's free space, for --stats --capacity)", () => {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`));
  const sys = {
    logging_basic: ["hostname", "uid", "umask", "statfs"],
    log_cmd_basic: ["hostname"],
  };
  for (const script of [LOGGER, SENDER]) {
    const name = script.split("/").pop()!.replace(
      /\.ts$/,
      "",
    ) as keyof typeof sys;
    assert.ok(
      shebangFlags(script).includes(`-P=${name}`),
      `${name} uses its own set`,
    );
    assert.deepEqual(config.permissions[name], {
      ffi: ["./node_modules"],
      sys: sys[name],
    });
  }
});

Deno.test("logger run through its shebang cannot write or read a file other than log.txt", async () => {
  using dir = tempDir();
  const out = await run(LOGGER, ["--file", `${dir.path}/other.txt`], {
    cwd: dir.path,
  });
  assert.equal(out.code, 1);
  assert.match(out.stderr, /Deno was not given write permission/);
  assert.deepEqual([...Deno.readDirSync(dir.path)], [], "nothing was created");

  Deno.writeTextFileSync(`${dir.path}/secret.txt`, "not for the logger\n");
  const read = await run(
    LOGGER,
    ["--show", "--file", `${dir.path}/secret.txt`],
    {
      cwd: dir.path,
    },
  );
  assert.equal(read.code, 1);
  assert.equal(read.stdout, "");
  assert.match(
    read.stderr,
    /Cannot read log file .*Deno was not given read permission/,
  );
});

Deno.test("logger given one file writes that file, and cannot write ./log.txt", async () => {
  using dir = tempDir();
  const port = freePort();
  const given = `${dir.path}/given.log`;
  // The README's recipe for logging somewhere else.
  const granted = [
    "run",
    "-q",
    "--no-prompt",
    "-P=logging_basic",
    `--allow-write=${given}`,
    `--allow-read=${given}`,
    LOGGER,
  ];
  await using logger = new Background(
    "deno",
    [...granted, "--file", given, "--port", String(port)],
    { cwd: dir.path },
  );
  await waitForPort(port);
  assert.equal(
    (await send(["--port", String(port), "to the given file"])).code,
    0,
  );
  assert.equal(await waitForLines(given, 1), "to the given file\n");
  assert.equal((await logger.stop()).code, 0);

  const denied = await run(
    "deno",
    [...granted, "--port", String(port)],
    { cwd: dir.path },
  );
  assert.equal(denied.code, 1);
  assert.match(
    denied.stderr,
    /Cannot open log file '.\/log.txt': Deno was not given write permission/,
  );
  assert.equal(readText(`${dir.path}/log.txt`), "");
});
