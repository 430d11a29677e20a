import assert from "node:assert/strict";
import { FollowedLog } from "./followed_log.ts";

/** A temporary directory with a log in it, removed by `using`. */
function logDir(): { path: string; log: string } & Disposable {
  const path = Deno.makeTempDirSync();
  return {
    path,
    log: `${path}/log.txt`,
    [Symbol.dispose]: () => Deno.removeSync(path, { recursive: true }),
  };
}

/** Everything `log` gives until it is at the end, for now. */
function readAll(log: FollowedLog): string {
  let text = "";
  for (let part; (part = log.read()) !== undefined;) text += part;
  return text;
}

/** A FollowedLog of `path` whose notes are kept in `notes`. */
function follow(path: string, notes: string[]): FollowedLog {
  return new FollowedLog(path, (note) => notes.push(note));
}

Deno.test("FollowedLog: a moved log is read while the new one is empty, then to its end, then the new one; a last line cut short is ended", () => {
  using dir = logDir();
  Deno.writeTextFileSync(dir.log, "one\n");
  const notes: string[] = [];
  using log = follow(dir.log, notes);
  assert.equal(readAll(log), "one\n");
  Deno.renameSync(dir.log, `${dir.log}.1`);
  Deno.writeTextFileSync(dir.log, ""); // logrotate's "create"
  Deno.writeTextFileSync(`${dir.log}.1`, "two\n", { append: true });
  log.look();
  assert.equal(readAll(log), "two\n");
  Deno.writeTextFileSync(`${dir.log}.1`, "three, cut sh", { append: true });
  Deno.writeTextFileSync(dir.log, "four\n");
  log.look();
  assert.equal(readAll(log), "three, cut sh\nfour\n");
  assert.deepEqual(notes, []);
});

Deno.test("FollowedLog: truncated in place after it read past the copy's end (written between copy and truncate): nothing missing, no note", () => {
  using dir = logDir();
  Deno.writeTextFileSync(dir.log, "one\ntwo\n");
  const notes: string[] = [];
  using log = follow(dir.log, notes);
  assert.equal(readAll(log), "one\ntwo\n");
  Deno.writeTextFileSync(`${dir.log}.1`, "one\n");
  Deno.truncateSync(dir.log, 0);
  Deno.writeTextFileSync(dir.log, "three\n");
  log.look();
  assert.equal(readAll(log), "three\n");
  assert.deepEqual(notes, []);
});

Deno.test("FollowedLog: truncated in place, then written past where it was read, with no copy: read from its start, and a note", () => {
  using dir = logDir();
  Deno.writeTextFileSync(dir.log, "one\n");
  const notes: string[] = [];
  using log = follow(dir.log, notes);
  assert.equal(readAll(log), "one\n");
  Deno.truncateSync(dir.log, 0);
  Deno.writeTextFileSync(dir.log, "two, longer\n");
  log.look();
  assert.equal(readAll(log), "two, longer\n");
  assert.equal(notes.length, 1);
  assert.match(
    notes[0],
    /^.*log\.txt was truncated in place \(logrotate's copytruncate\?\) after byte 4 was read: what was written to it just before \(if anything\) may be missing: its copy .*log\.txt\.1 cannot be read: /,
  );
});

Deno.test("FollowedLog: a run of NUL bytes is one \\0 and one note; cut away and written after, it is read on from where the run began", () => {
  using dir = logDir();
  Deno.writeTextFileSync(dir.log, "one\n");
  Deno.writeFileSync(dir.log, new Uint8Array(70_000), { append: true });
  const notes: string[] = [];
  using log = follow(dir.log, notes);
  assert.equal(readAll(log), "one\n\0");
  assert.deepEqual(notes, [
    `skipped 70000 NUL bytes at byte 4 of ${dir.log} (a crash or power cut can leave them)`,
  ]);
  Deno.truncateSync(dir.log, 4);
  Deno.writeTextFileSync(dir.log, "two\n".repeat(20_000), { append: true });
  log.look();
  assert.equal(readAll(log), "two\n".repeat(20_000));
  assert.equal(notes.length, 1);
});
