/**
 * `deno task compile` refuses a DENORT_BIN that names several Deno versions
 * (several `Deno/<version>` user agents), none of them the Deno that builds:
 * a runtime of another Deno makes a binary that fails when it runs. The fake
 * runtime is /bin/true (an ELF program for this machine) with the user
 * agents written where the scan of scripts/denort.ts must find them: at the
 * start, across the end of its first chunk, early in the next one and at the
 * very end; with our version only where it is not Deno's user agent.
 */

import assert from "node:assert/strict";
import { ROOT, run, tempDir } from "./helpers.ts";
import { checkRuntime, SCAN_CHUNK } from "../scripts/denort.ts";

const encoder = new TextEncoder();

/** Versions near ours, none of them ours; "2.9.50" starts like "2.9.5". */
function otherVersions(): string[] {
  const [major, minor, patch] = Deno.version.deno.split(".").map(Number);
  return [
    `${major - 1}.46.3`,
    `${major}.${minor}.${patch + 1}`,
    `${major}.${minor}.${patch}0`,
    `${major}.${minor + 1}.0`,
  ];
}

/** Writes `text` into `bytes` at `at`. */
function put(bytes: Uint8Array, at: number, text: string) {
  bytes.set(encoder.encode(text), at);
}

/** /bin/true with `versions`' user agents spread over two scan chunks and more. */
function fakeRuntime(path: string, versions: string[]): void {
  const program = Deno.readFileSync("/bin/true");
  const bytes = new Uint8Array(2 * SCAN_CHUNK + 4096);
  bytes.set(program);
  const [first, across, next, last] = versions;
  put(bytes, program.length + 16, `\nDeno/${first}\n`);
  // Ours, but not Deno's user agent: it is no reason to accept the file.
  put(
    bytes,
    program.length + 64,
    `OTel-OTLP-Exporter-Deno/${Deno.version.deno}`,
  );
  put(bytes, SCAN_CHUNK - 3, `Deno/${across} `); // cut by the first chunk's end
  put(bytes, SCAN_CHUNK + 40, `(Deno/${next})`);
  const end = `Deno/${last}`; // the file's last bytes, no newline after it
  put(bytes, bytes.length - end.length, end);
  Deno.writeFileSync(path, bytes, { mode: 0o755 });
}

/** `["a", "b", "c"]` as "a, b and c". */
function listed(items: string[]): string {
  return items.length === 1
    ? items[0]
    : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

Deno.test("compile refuses a DENORT_BIN that names several Deno versions, none of them this Deno's, in one line", async () => {
  using dir = tempDir();
  const denort = `${dir.path}/denort`;
  const versions = otherVersions();
  fakeRuntime(denort, versions);
  const out = `${dir.path}/dist`;
  const result = await run(
    Deno.execPath(),
    ["task", "-q", "compile", "--output", out],
    { cwd: ROOT, env: { DENORT_BIN: denort } },
  );
  assert.equal(result.code, 1, result.stderr);
  assert.equal(
    result.stderr,
    `compile: cannot build for ${Deno.build.target}: DENORT_BIN ${denort} names Deno ${
      listed(versions)
    }, none of them this Deno (${Deno.version.deno})\n`,
  );
  assert.equal(result.stdout, "");
  assert.throws(() => Deno.statSync(out), Deno.errors.NotFound);
});

Deno.test("the same file with this Deno's version at its end passes the runtime check: the refusal is for the versions alone", () => {
  using dir = tempDir();
  const denort = `${dir.path}/denort`;
  fakeRuntime(denort, [...otherVersions().slice(0, 3), Deno.version.deno]);
  assert.equal(
    checkRuntime(denort, Deno.build.target, Deno.version.deno),
    undefined,
  );
});
