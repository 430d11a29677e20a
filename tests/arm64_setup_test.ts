/**
 * scripts/arm64.sh, which `deno task test:arm64` runs first: with Debian's
 * qemu-user (or the arm64 cross libraries) missing it stops with one line
 * that names the packages to install, before fetching anything; with them,
 * and an empty .tools/arm64/, it fetches the aarch64 Deno of the same
 * version as the one running from npm, and places it where tests/arm64.ts
 * looks; run again, it leaves that one be.
 *
 * Each test runs a copy of the script in a fresh directory (the script works
 * in the directory above its own), so this project's .tools/ is not touched.
 */

import assert from "node:assert/strict";
import { ROOT, run, tempDir } from "./helpers.ts";

const SYSROOT = "/usr/aarch64-linux-gnu";
/** The Debian package that holds each file the script looks for. */
const CROSS_LIBS: [string, string][] = [
  [`${SYSROOT}/lib/ld-linux-aarch64.so.1`, "libc6-arm64-cross"],
  [`${SYSROOT}/lib/libstdc++.so.6`, "libstdc++6-arm64-cross"],
];

/** True when `path` exists. */
function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Where `tool` is on this PATH, or undefined. */
async function which(tool: string): Promise<string | undefined> {
  const out = await run("bash", ["-c", `command -v ${tool}`]);
  return out.code === 0 ? out.stdout.trim() : undefined;
}

/** A copy of scripts/arm64.sh in `dir`/scripts/, as the project holds it. */
function copyScript(dir: string): string {
  Deno.mkdirSync(`${dir}/scripts`);
  const script = `${dir}/scripts/arm64.sh`;
  Deno.copyFileSync(`${ROOT}scripts/arm64.sh`, script);
  return script;
}

/** The version `deno --version` gives on this PATH, as the script reads it. */
async function denoVersion(): Promise<string> {
  const out = await run("deno", ["--version"]);
  assert.equal(out.code, 0, out.stderr);
  return out.stdout.split("\n")[0].split(" ")[1];
}

Deno.test("arm64.sh without qemu-aarch64 on the PATH names the Debian packages to install in one line, exit 1, and fetches nothing", async () => {
  using dir = tempDir();
  const script = copyScript(dir.path);
  // A PATH of every tool the script uses, but no qemu-aarch64.
  const bin = `${dir.path}/bin`;
  Deno.mkdirSync(bin);
  const tools = [
    "cat",
    "cut",
    "deno",
    "dirname",
    "env",
    "gzip",
    "head",
    "mkdir",
    "node",
    "npm",
    "rm",
    "tar",
  ];
  for (const tool of tools) {
    const path = await which(tool);
    if (path) Deno.symlinkSync(path, `${bin}/${tool}`);
  }
  const missing = [
    "qemu-user",
    ...CROSS_LIBS.filter(([file]) => !exists(file)).map(([, pkg]) => pkg),
  ].join(" ");
  const out = await run("/usr/bin/bash", [script], { env: { PATH: bin } });
  assert.equal(out.code, 1, out.stderr);
  assert.equal(out.stdout, "");
  assert.equal(
    out.stderr,
    `test:arm64: needs Debian's ${missing}: sudo apt-get install ${missing}\n`,
  );
  assert.ok(!exists(`${dir.path}/.tools`), "nothing fetched");
});

/** Why the fetch cannot be tried here, or undefined when it can. */
async function cannotFetch(): Promise<string | undefined> {
  if (!(await which("qemu-aarch64"))) return "no qemu-aarch64 (qemu-user)";
  const lib = CROSS_LIBS.find(([file]) => !exists(file));
  if (lib) return `no ${lib[0]} (${lib[1]})`;
  if (!(await which("npm"))) return "no npm";
  const version = await denoVersion();
  const view = await run("timeout", [
    "30",
    "npm",
    "view",
    `@deno/linux-arm64-glibc@${version}`,
    "version",
  ]);
  if (view.stdout.trim() !== version) {
    return `the npm registry does not answer for @deno/linux-arm64-glibc@${version}`;
  }
  return undefined;
}

const skip = await cannotFetch();

Deno.test({
  name:
    `arm64.sh with an empty .tools/arm64/ fetches this Deno's version for aarch64 from npm and places it where tests/arm64.ts looks; run again it keeps it, and another version is fetched anew${
      skip ? ` (skipped: ${skip})` : ""
    }`,
  ignore: skip !== undefined,
  async fn() {
    using dir = tempDir();
    const script = copyScript(dir.path);
    const version = await denoVersion();
    const deno = `${dir.path}/.tools/arm64/package/deno`;
    const fetching =
      `test:arm64: fetching @deno/linux-arm64-glibc@${version} from npm\n`;

    const first = await run("bash", [script]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr, fetching);
    assert.equal(
      Deno.readTextFileSync(`${dir.path}/.tools/arm64/version`),
      `${version}\n`,
    );
    // The aarch64 Deno itself, and it runs under qemu-user.
    const ran = await run("qemu-aarch64", ["-L", SYSROOT, deno, "--version"]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(
      ran.stdout,
      new RegExp(`^deno ${version.replaceAll(".", "\\.")} .*aarch64-`),
    );
    // Nothing else is left behind: no tarball.
    assert.deepEqual(
      [...Deno.readDirSync(`${dir.path}/.tools/arm64`)].map((e) => e.name)
        .sort(),
      ["package", "version"],
    );

    const again = await run("bash", [script]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stderr, "", "the Deno in place is kept");

    // One fetched for another Deno is replaced.
    Deno.writeTextFileSync(`${dir.path}/.tools/arm64/version`, "0.0.1\n");
    const other = await run("bash", [script]);
    assert.equal(other.code, 0, other.stderr);
    assert.equal(other.stderr, fetching);
    assert.equal(
      Deno.readTextFileSync(`${dir.path}/.tools/arm64/version`),
      `${version}\n`,
    );
  },
});
