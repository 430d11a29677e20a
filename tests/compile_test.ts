/**
 * `deno task compile`: what the standalone binaries embed and which
 * permissions and V8 flags they carry, checked on binaries built with a stand-in runtime
 * (these machines cannot download Deno's `denort`); and, where a real denort
 * is at hand, the binaries run end to end.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  Background,
  freePort,
  LOGGER,
  readText,
  ROOT,
  run,
  SENDER,
  tempDir,
  waitForLines,
  waitForPort,
} from "./helpers.ts";
import {
  addonFor,
  checkElf,
  checkName,
  checkRuntime,
  elfInfo,
  parseManifest,
  SCAN_CHUNK,
  SCAN_OVERLAP,
  scanRuntime,
  TARGETS,
} from "../scripts/compile.ts";

const ZEROMQ = Deno.realPathSync(`${ROOT}node_modules/zeromq`);
const BUILDS = parseManifest(
  Deno.readTextFileSync(`${ZEROMQ}/build/manifest.json`),
);
/** Every addon file the zeromq package ships, for every platform. */
const ALL_ADDONS = [...walk(`${ZEROMQ}/build`)].filter((path) =>
  path.endsWith(".node")
);
/**
 * What a binary may embed besides the runtime: the script with its modes
 * (the logger's about 0.8 MB, d3 for the --stats page included) and one addon
 * (about 2.2 MB); a second addon (2 MB more) would pass it.
 */
const EMBEDDED_LIMIT = 3.5 * 1024 * 1024;

function* walk(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else yield path;
  }
}

/** Runs `deno task -q compile ARGS`; `denort` becomes DENORT_BIN if given. */
function compile(args: string[], denort?: string) {
  return run(Deno.execPath(), ["task", "-q", "compile", ...args], {
    cwd: ROOT,
    env: denort ? { DENORT_BIN: denort } : {},
  });
}

/** ELF e_machine of each target's architecture. */
const MACHINES: Record<string, number> = { x86_64: 62, aarch64: 183 };
/** The aarch64 deno CLI that `deno task test:arm64` fetches, if it has. */
const ARM64_DENO = `${ROOT}.tools/arm64/package/deno`;
const HAS_ARM64_DENO = (() => {
  try {
    return Deno.statSync(ARM64_DENO).isFile;
  } catch {
    return false;
  }
})();

/**
 * A stand-in runtime for checking packaging without a real denort (these
 * machines cannot download one), made to pass compile's runtime checks on
 * purpose: /bin/true with its ELF e_machine set to the target's and Deno's
 * user agent of `version` appended. deno compile only appends the program to
 * it, so what it embeds and bakes can be read from the result; the binary
 * cannot run. (The build script has no switch to skip its checks: a switch
 * there would let a user build a binary that cannot work.)
 */
function standIn(
  dir: string,
  target = Deno.build.target,
  version = Deno.version.deno,
): string {
  const path = `${dir}/denort-stand-in-${target}-${version}`;
  const bytes = Deno.readFileSync("/bin/true");
  new DataView(bytes.buffer).setUint16(
    18,
    MACHINES[target.split("-")[0]],
    true,
  );
  Deno.writeFileSync(path, bytes, { mode: 0o755 });
  Deno.writeTextFileSync(path, `\nDeno/${version}\n`, { append: true });
  return path;
}

/** Runs `deno task -q TASK ARGS` with DENORT_BIN set to `denort`. */
function task(task: string, args: string[], denort: string) {
  return run(Deno.execPath(), ["task", "-q", task, ...args], {
    cwd: ROOT,
    env: { DENORT_BIN: denort },
  });
}

/** The files under `dir`, or none if it does not exist. */
function filesUnder(dir: string): string[] {
  try {
    return [...walk(dir)];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

/** Whether `haystack` holds `needle` as one run of bytes. */
function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.length)
    .includes(Buffer.from(needle.buffer, needle.byteOffset, needle.length));
}

/** The permissions deno compile baked into a binary's metadata. */
function bakedPermissions(binary: Uint8Array): Record<string, unknown> {
  const text = new TextDecoder("latin1").decode(binary);
  const match = text.match(/"permissions":(\{[^}]*\})/);
  assert.ok(match, "no permissions in the binary's metadata");
  return JSON.parse(match[1]);
}

/** The V8 flags deno compile baked into a binary's metadata. */
function bakedV8Flags(binary: Uint8Array): string[] {
  const text = new TextDecoder("latin1").decode(binary);
  const match = text.match(/"v8_flags":(\[[^\]]*\])/);
  assert.ok(match, "no v8_flags in the binary's metadata");
  return JSON.parse(match[1]);
}

/** The arguments deno compile baked in before the user's own. */
function bakedArgv(binary: Uint8Array): string[] {
  const text = new TextDecoder("latin1").decode(binary);
  const match = text.match(/"argv":(\[[^\]]*\])/);
  assert.ok(match, "no argv in the binary's metadata");
  return JSON.parse(match[1]);
}

Deno.test("compile embeds only its target's zeromq addon, and the build prints sizes", async () => {
  using dir = tempDir();
  const out = `${dir.path}/dist`;
  for (const target of TARGETS) {
    // Each target needs its own runtime, so one DENORT_BIN per build.
    const denort = standIn(dir.path, target);
    const result = await compile(["--target", target, "--output", out], denort);
    assert.equal(result.code, 0, result.stderr);
    const addon = `${ZEROMQ}/build/${addonFor(target, BUILDS).path}`;
    const addonBytes = Deno.readFileSync(addon);
    for (const script of ["logging_basic", "log_cmd_basic"]) {
      const path = `${out}/${target}/${script}`;
      const binary = Deno.readFileSync(path);
      assert.ok(contains(binary, addonBytes), `${path} lacks ${addon}`);
      for (const other of ALL_ADDONS.filter((a) => a !== addon)) {
        const bytes = Deno.readFileSync(other);
        // A slice from the middle: code, not a header every ELF file shares.
        const middle = bytes.subarray(
          bytes.length / 2,
          bytes.length / 2 + 4096,
        );
        assert.ok(!contains(binary, middle), `${path} embeds ${other}`);
      }
      const embedded = binary.length - Deno.statSync(denort).size;
      assert.ok(
        embedded < EMBEDDED_LIMIT,
        `${path} embeds ${embedded} bytes (limit ${EMBEDDED_LIMIT})`,
      );
      assert.match(
        result.stdout,
        new RegExp(`${target}/${script} +\\d+\\.\\d MB +\\(embedded files `),
      );
    }
  }
});

Deno.test("compiled binaries carry the permissions and V8 flags of their shebangs, for both targets", async () => {
  using dir = tempDir();
  for (const target of TARGETS) {
    await checkBakedPermissions(dir.path, target);
  }
});

/** Builds both binaries for `target` and checks what they carry. */
async function checkBakedPermissions(dir: string, target: string) {
  const out = `${dir}/dist`;
  const result = await compile(
    ["--target", target, "--output", out],
    standIn(dir, target),
  );
  assert.equal(result.code, 0, result.stderr);
  const loggerBinary = Deno.readFileSync(`${out}/${target}/logging_basic`);
  const senderBinary = Deno.readFileSync(`${out}/${target}/log_cmd_basic`);
  // The logger's filters need V8's linear-time regexp engine (lib/log/pattern.ts).
  assert.ok(
    bakedV8Flags(loggerBinary).includes("--enable-experimental-regexp-engine"),
    `logging_basic: ${bakedV8Flags(loggerBinary)}`,
  );
  assert.ok(
    !bakedV8Flags(senderBinary).includes("--enable-experimental-regexp-engine"),
    `log_cmd_basic: ${bakedV8Flags(senderBinary)}`,
  );
  for (
    const [script, binary] of [
      [LOGGER, loggerBinary],
      [SENDER, senderBinary],
    ] as const
  ) {
    const shebang = Deno.readTextFileSync(script).split("\n")[0];
    for (const word of shebang.split(" ")) {
      if (!word.startsWith("--v8-flags=")) continue;
      for (const flag of word.slice("--v8-flags=".length).split(",")) {
        assert.ok(bakedV8Flags(binary).includes(flag), `${script}: ${flag}`);
      }
    }
  }
  const logger = bakedPermissions(loggerBinary);
  const sender = bakedPermissions(senderBinary);
  // The FFI scope is where a binary sees its own embedded node_modules.
  assert.deepEqual(logger.allow_ffi, [
    "/tmp/deno-compile-logging_basic/node_modules",
  ]);
  assert.deepEqual(sender.allow_ffi, [
    "/tmp/deno-compile-log_cmd_basic/node_modules",
  ]);
  assert.deepEqual(logger.allow_write, ["./log.txt", "./log.txt.ctl"]);
  assert.deepEqual(logger.allow_read, ["./log.txt", "./keys"]);
  // The logger reads its user id and sets the umask for its control socket.
  assert.deepEqual(logger.allow_sys, ["hostname", "uid", "umask", "statfs"]);
  assert.deepEqual(sender.allow_sys, ["hostname"]);
  for (const baked of [logger, sender]) {
    assert.equal(baked.allow_net, null);
    assert.equal(baked.allow_run, null);
    assert.equal(baked.allow_env, null);
    assert.equal(baked.prompt, false);
  }
  assert.equal(sender.allow_write, null);
  assert.deepEqual(sender.allow_read, ["./keys"]);
  // Nothing granted that the shebang does not grant.
  for (const [script, baked] of [[LOGGER, logger], [SENDER, sender]] as const) {
    const shebang = Deno.readTextFileSync(script).split("\n")[0];
    for (const kind of ["write", "read"]) {
      const flag = shebang.split(" ").find((w) =>
        w.startsWith(`--allow-${kind}=`)
      );
      assert.deepEqual(
        baked[`allow_${kind}`],
        flag ? flag.split("=")[1].split(",") : null,
        `${target} ${script}: --allow-${kind}`,
      );
    }
  }
}

Deno.test("compile --file bakes the log path into the logger's permissions and arguments", async () => {
  using dir = tempDir();
  const out = `${dir.path}/dist`;
  const result = await compile(
    ["--file", "/var/log/zmq/log.txt", "--output", out],
    standIn(dir.path),
  );
  assert.equal(result.code, 0, result.stderr);
  const binary = Deno.readFileSync(
    `${out}/${Deno.build.target}/logging_basic`,
  );
  const baked = bakedPermissions(binary);
  assert.deepEqual(baked.allow_write, [
    "/var/log/zmq/log.txt",
    "/var/log/zmq/log.txt.ctl",
  ]);
  assert.deepEqual(baked.allow_read, ["/var/log/zmq/log.txt", "./keys"]);
  assert.deepEqual(bakedArgv(binary), ["--file", "/var/log/zmq/log.txt"]);
  const sender = Deno.readFileSync(`${out}/${Deno.build.target}/log_cmd_basic`);
  assert.deepEqual(bakedArgv(sender), []);
});

Deno.test("compile rejects a bad target in one line", async () => {
  const target = await compile(["--target", "armv7-unknown-linux-gnueabihf"]);
  assert.equal(target.code, 2);
  assert.equal(
    target.stderr,
    "compile: '--target' must be x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu or all: current value is armv7-unknown-linux-gnueabihf\n",
  );
});

/**
 * Builds with DENORT_BIN=`denort` for `target` and asserts the refusal: exit
 * 1, the one line `compile: cannot build for TARGET: DENORT_BIN PATH WHY`,
 * and no binary written.
 */
async function assertRefused(
  denort: string,
  target: string,
  why: string,
  args: string[] = ["--target", target],
) {
  using dir = tempDir();
  const out = `${dir.path}/dist`;
  const result = await compile([...args, "--output", out], denort);
  assert.equal(result.code, 1, result.stderr);
  assert.equal(
    result.stderr,
    `compile: cannot build for ${target}: DENORT_BIN ${denort} ${why}\n`,
  );
  assert.deepEqual(filesUnder(out), []);
}

const HOST = Deno.build.target;
const HOST_ARCH = HOST.split("-")[0];
const OTHER = TARGETS.find((t) => t !== HOST)!;
const OTHER_ARCH = OTHER.split("-")[0];
const CLI_WHY = (target: string) =>
  `is the deno CLI, not its runtime denort: take denort from the release zip denort-${target}.zip of the same Deno version`;

Deno.test("compile refuses the x86_64 deno CLI as DENORT_BIN: it only builds a REPL", async () => {
  await assertRefused(Deno.execPath(), HOST, CLI_WHY(HOST));
});

Deno.test({
  name: "compile:pi refuses the aarch64 deno CLI as DENORT_BIN" +
    (HAS_ARM64_DENO
      ? ""
      : ` (skipped: no ${ARM64_DENO}; deno task test:arm64 fetches it)`),
  ignore: !HAS_ARM64_DENO,
  async fn() {
    const target = "aarch64-unknown-linux-gnu";
    await assertRefused(ARM64_DENO, target, CLI_WHY(target));
    const pi = await task("compile:pi", [], ARM64_DENO);
    assert.equal(pi.code, 1, pi.stderr);
    assert.match(
      pi.stderr,
      /^compile: cannot build for aarch64-.*the deno CLI, not its runtime denort/,
    );
  },
});

Deno.test("compile refuses an ELF program that is not Deno (/bin/true) as DENORT_BIN", async () => {
  await assertRefused("/bin/true", HOST, "is not a Deno runtime");
});

Deno.test("compile refuses a text file as DENORT_BIN", async () => {
  await assertRefused(
    `${ROOT}README.md`,
    HOST,
    "is not a Deno runtime: not an ELF program",
  );
});

Deno.test("compile refuses a missing DENORT_BIN, or a directory", async () => {
  using dir = tempDir();
  await assertRefused(`${dir.path}/no-such-denort`, HOST, "does not exist");
  await assertRefused(dir.path, HOST, "is not a file");
});

Deno.test("compile refuses a DENORT_BIN for another architecture than the target", async () => {
  // /bin/true is this machine's: given to compile:pi on x86_64, it is refused.
  await assertRefused(
    "/bin/true",
    OTHER,
    `is an ${HOST_ARCH} program, and the target is ${OTHER_ARCH}`,
  );
  if (HOST_ARCH === "x86_64") {
    const pi = await task("compile:pi", [], "/bin/true");
    assert.equal(pi.code, 1);
    assert.equal(
      pi.stderr,
      "compile: cannot build for aarch64-unknown-linux-gnu: DENORT_BIN /bin/true is an x86_64 program, and the target is aarch64\n",
    );
  }
  // With --target all, one runtime cannot serve both: nothing is built,
  // not even the target it fits.
  using dir = tempDir();
  const denort = standIn(dir.path, HOST);
  await assertRefused(
    denort,
    OTHER,
    `is an ${HOST_ARCH} program, and the target is ${OTHER_ARCH}`,
    ["--target", "all"],
  );
});

Deno.test("compile refuses a denort of another Deno version", async () => {
  const [major, minor, patch] = Deno.version.deno.split(".").map(Number);
  const other = `${major}.${minor}.${patch === 0 ? 1 : patch - 1}`;
  using dir = tempDir();
  await assertRefused(
    standIn(dir.path, HOST, other),
    HOST,
    `is denort ${other}, and this Deno is ${Deno.version.deno}`,
  );
});

Deno.test("elfInfo and checkElf read a program's architecture from its ELF header", () => {
  const head = Deno.readFileSync("/bin/true").subarray(0, 64);
  const info = elfInfo(head);
  assert.equal(info?.bits, 64);
  assert.equal(info?.machine, MACHINES[HOST_ARCH]);
  assert.equal(checkElf(info!, HOST), undefined);
  assert.equal(
    checkElf({ bits: 64, machine: 62, type: 3 }, "aarch64-unknown-linux-gnu"),
    "is an x86_64 program, and the target is aarch64",
  );
  assert.equal(
    checkElf({ bits: 64, machine: 183, type: 2 }, "x86_64-unknown-linux-gnu"),
    "is an aarch64 program, and the target is x86_64",
  );
  assert.equal(
    checkElf({ bits: 32, machine: 40, type: 2 }, "aarch64-unknown-linux-gnu"),
    "is a 32-bit arm program, and the target is aarch64",
  );
  assert.equal(
    checkElf({ bits: 64, machine: 62, type: 1 }, "x86_64-unknown-linux-gnu"),
    "is not an executable program, so not a Deno runtime",
  );
  assert.equal(
    elfInfo(new TextEncoder().encode("#!/bin/sh\nexit 0\n")),
    undefined,
  );
  assert.equal(elfInfo(new Uint8Array([0x7f, 0x45, 0x4c, 0x46])), undefined);
});

Deno.test("scanRuntime finds the CLI's marker and Deno's version, also across its chunks", () => {
  assert.deepEqual(scanRuntime(Deno.execPath()), {
    cli: true,
    versions: [Deno.version.deno],
  });
  assert.deepEqual(scanRuntime("/bin/true"), { cli: false, versions: [] });
  using dir = tempDir();
  // A user agent around each place where one chunk ends and the next begins.
  for (
    const at of [
      SCAN_CHUNK - 3,
      SCAN_CHUNK + SCAN_OVERLAP - 12,
      SCAN_CHUNK + SCAN_OVERLAP - 1,
    ]
  ) {
    const path = `${dir.path}/at-${at}`;
    const bytes = new Uint8Array(2 * SCAN_CHUNK);
    const agent = new TextEncoder().encode("Deno/2.9.5 ");
    bytes.set(agent, at);
    Deno.writeFileSync(path, bytes);
    assert.deepEqual(
      scanRuntime(path),
      { cli: false, versions: ["2.9.5"] },
      `at ${at}`,
    );
  }
  // Another program's user agent that ends in "-Deno/x.y.z" is not Deno's.
  const otel = `${dir.path}/otel`;
  Deno.writeTextFileSync(otel, "OTel-OTLP-Exporter-Deno/0.79.0grpc");
  assert.deepEqual(scanRuntime(otel), { cli: false, versions: [] });
});

Deno.test("checkRuntime accepts a runtime that passes every check", () => {
  using dir = tempDir();
  for (const target of TARGETS) {
    assert.equal(
      checkRuntime(standIn(dir.path, target), target, Deno.version.deno),
      undefined,
    );
  }
});

Deno.test("compile --logger-name and --sender-name name the binaries and their FFI scopes", async () => {
  using dir = tempDir();
  const out = `${dir.path}/dist`;
  const result = await compile(
    [
      "--logger-name",
      "zmq-logger",
      "--sender-name",
      "zmq-send",
      "--output",
      out,
    ],
    standIn(dir.path),
  );
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(
    filesUnder(out).map((p) => p.replace(`${out}/`, "")).sort(),
    [
      `${HOST}/zmq-logger`,
      `${HOST}/zmq-send`,
    ],
  );
  const logger = bakedPermissions(
    Deno.readFileSync(`${out}/${HOST}/zmq-logger`),
  );
  const sender = bakedPermissions(Deno.readFileSync(`${out}/${HOST}/zmq-send`));
  // A binary sees its embedded files under /tmp/deno-compile-<its name>/.
  assert.deepEqual(logger.allow_ffi, [
    "/tmp/deno-compile-zmq-logger/node_modules",
  ]);
  assert.deepEqual(sender.allow_ffi, [
    "/tmp/deno-compile-zmq-send/node_modules",
  ]);
  assert.deepEqual(logger.allow_write, ["./log.txt", "./log.txt.ctl"]);
});

Deno.test("compile rejects a name that is not a plain file name, or one name for both", async () => {
  for (
    const [option, name] of [
      ["--logger-name", "bin/zmq-logger"],
      ["--sender-name", ".."],
      ["--logger-name", ""],
      ["--sender-name", "a,b"],
      ["--logger-name", "-x"],
    ]
  ) {
    const result = await compile([`${option}=${name}`]);
    assert.equal(result.code, 2, `${option}=${name}`);
    assert.equal(
      result.stderr,
      `compile: '${option}' must be a plain file name (letters, digits, '.', '_', '+', '-'): current value is ${name}\n`,
    );
  }
  const same = await compile(["--logger-name", "zmq", "--sender-name", "zmq"]);
  assert.equal(same.code, 2);
  assert.equal(
    same.stderr,
    "compile: '--logger-name' and '--sender-name' must differ: both are zmq\n",
  );
  for (const name of ["zmq-logger", "zmq_logger.v2", "x+y"]) {
    assert.equal(checkName(name), undefined, name);
  }
});

Deno.test("the addon compile embeds is the one the scripts load on this machine", async () => {
  // With FFI allowed for that one file only, the logger must still work.
  const addon = `${ZEROMQ}/build/${addonFor(Deno.build.target, BUILDS).path}`;
  using dir = tempDir();
  const port = freePort();
  await using logger = new Background(Deno.execPath(), [
    "run",
    "-q",
    "--no-prompt",
    `--allow-ffi=${addon}`,
    "--allow-sys=hostname,uid,umask",
    "--allow-write=./log.txt,./log.txt.ctl",
    "--allow-read=./log.txt",
    LOGGER,
    "--port",
    String(port),
  ], { cwd: dir.path });
  await waitForPort(port);
  const sent = await run(SENDER, ["--port", String(port), "one addon"]);
  assert.equal(sent.code, 0, sent.stderr);
  await waitForLines(`${dir.path}/log.txt`, 1);
  assert.equal(readText(`${dir.path}/log.txt`), "one addon\n");
  const { code, stderr } = await logger.stop();
  assert.equal(code, 0, stderr);
});

/** A real denort for this machine, or why there is none. */
function realDenort(): { denort?: string; cached?: boolean; why?: string } {
  const fromEnv = Deno.env.get("DENORT_BIN");
  if (fromEnv) return { denort: fromEnv };
  const denoDir = Deno.env.get("DENO_DIR") ??
    `${
      Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`
    }/deno`;
  const zip =
    `${denoDir}/dl/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
  try {
    Deno.statSync(zip);
    return { cached: true };
  } catch {
    return {
      why:
        `no real compile runtime: DENORT_BIN is not set and Deno's cache has no ${zip} (Deno downloads it from dl.deno.land on the first compile for a target)`,
    };
  }
}

const real = realDenort();

Deno.test({
  // Reported as ignored by the test runner, with the reason in its name.
  name: "compiled logger and sender deliver a message end to end" +
    (real.why === undefined ? "" : ` (skipped: ${real.why})`),
  ignore: real.why !== undefined,
  async fn() {
    using dir = tempDir();
    const out = `${dir.path}/dist`;
    const built = await compile(["--output", out], real.denort);
    assert.equal(built.code, 0, built.stderr);
    const bin = `${out}/${Deno.build.target}`;
    const port = freePort();
    await using logger = new Background(`${bin}/logging_basic`, [
      "--port",
      String(port),
    ], { cwd: dir.path });
    await waitForPort(port);
    const sent = await run(`${bin}/log_cmd_basic`, [
      "--port",
      String(port),
      "from",
      "a binary",
    ]);
    assert.equal(sent.code, 0, sent.stderr);
    await waitForLines(`${dir.path}/log.txt`, 1);
    assert.equal(readText(`${dir.path}/log.txt`), "from a binary\n");
    const { code, stderr } = await logger.stop();
    assert.equal(code, 0, stderr);
    // Its filters have V8's linear-time engine (lib/log/pattern.ts): at once.
    const attack = `${"a".repeat(33)}!`;
    Deno.writeTextFileSync(`${dir.path}/log.txt`, `${attack}\nends in a\n`, {
      append: true,
    });
    const shown = await run(`${bin}/logging_basic`, [
      "--show",
      "--exclude",
      "(a+)+$",
    ], { cwd: dir.path });
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(shown.stdout, `from a binary\n${attack}\n`);
  },
});
