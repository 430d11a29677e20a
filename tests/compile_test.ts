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
import { addonFor, parseManifest, TARGETS } from "../scripts/compile.ts";

const ZEROMQ = Deno.realPathSync(`${ROOT}node_modules/zeromq`);
const BUILDS = parseManifest(
  Deno.readTextFileSync(`${ZEROMQ}/build/manifest.json`),
);
/** Every addon file the zeromq package ships, for every platform. */
const ALL_ADDONS = [...walk(`${ZEROMQ}/build`)].filter((path) =>
  path.endsWith(".node")
);
/** What a binary may embed besides the runtime: the script and one addon. */
const EMBEDDED_LIMIT = 3 * 1024 * 1024;

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

/** A stand-in runtime: any small executable will do for packaging. */
function standIn(dir: string): string {
  const path = `${dir}/denort-stand-in`;
  Deno.copyFileSync("/bin/true", path);
  return path;
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
  const denort = standIn(dir.path);
  const out = `${dir.path}/dist`;
  const result = await compile(["--target", "all", "--output", out], denort);
  assert.equal(result.code, 0, result.stderr);
  for (const target of TARGETS) {
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

Deno.test("compiled binaries carry the permissions and V8 flags of their shebangs", async () => {
  using dir = tempDir();
  const out = `${dir.path}/dist`;
  const result = await compile(["--output", out], standIn(dir.path));
  assert.equal(result.code, 0, result.stderr);
  const target = Deno.build.target;
  const loggerBinary = Deno.readFileSync(`${out}/${target}/logging_basic`);
  const senderBinary = Deno.readFileSync(`${out}/${target}/log_cmd_basic`);
  // The logger's filters need V8's linear-time regexp engine (lib/pattern.ts).
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
  assert.deepEqual(logger.allow_write, ["./log.txt"]);
  assert.deepEqual(logger.allow_read, ["./log.txt", "./keys"]);
  for (const baked of [logger, sender]) {
    assert.deepEqual(baked.allow_sys, ["hostname"]);
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
        `${script}: --allow-${kind}`,
      );
    }
  }
});

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
  assert.deepEqual(baked.allow_write, ["/var/log/zmq/log.txt"]);
  assert.deepEqual(baked.allow_read, ["/var/log/zmq/log.txt", "./keys"]);
  assert.deepEqual(bakedArgv(binary), ["--file", "/var/log/zmq/log.txt"]);
  const sender = Deno.readFileSync(`${out}/${Deno.build.target}/log_cmd_basic`);
  assert.deepEqual(bakedArgv(sender), []);
});

Deno.test("compile rejects a bad target or a missing runtime in one line", async () => {
  const target = await compile(["--target", "armv7-unknown-linux-gnueabihf"]);
  assert.equal(target.code, 2);
  assert.equal(
    target.stderr,
    "compile: '--target' must be x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu or all: current value is armv7-unknown-linux-gnueabihf\n",
  );
  using dir = tempDir();
  const missing = await compile(
    ["--output", dir.path],
    `${dir.path}/no-such-denort`,
  );
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.trim().split("\n").length, 1, missing.stderr);
  assert.match(
    missing.stderr,
    /^compile: cannot build logging_basic for .*: Could not find denort at '.*no-such-denort'/,
  );
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
    "--allow-sys=hostname",
    "--allow-write=./log.txt",
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
    // Its filters have V8's linear-time engine (lib/pattern.ts): at once.
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
