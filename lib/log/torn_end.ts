/**
 * A log's end after a crash or a power cut: its last line may be cut short
 * (the next message would be glued to it), and many file systems leave a
 * run of NUL bytes where data was not written yet. {@link repairTornEnd}
 * cuts the NUL bytes away and ends the last line, once, when the logger
 * opens its file; the logger then says so in the log and on stderr.
 *
 * @example
 * ```ts
 * import { repairTornEnd } from "./torn_end.ts";
 * using file = Deno.openSync("./log.txt", { read: true, append: true });
 * repairTornEnd(file); // "the log ended in 4096 NUL bytes ...", or undefined
 * ```
 *
 * @module
 */

import { plural } from "../base/words.ts";

/** How much of the end is read at a time, looking for the last byte that is not NUL. */
const CHUNK_BYTES = 1 << 16;

/**
 * Cuts a run of NUL bytes from the end of the open log `file` and ends its
 * last line if it has no newline. Returns what it did, in words, or
 * `undefined` when the end was whole. It needs a file opened to read and
 * append; where Deno may not read it (only `--allow-write` was granted),
 * it leaves the file as it is.
 */
export function repairTornEnd(file: Deno.FsFile): string | undefined {
  let size: number;
  try {
    size = file.statSync().size;
  } catch {
    return undefined; // Deno may not fstat it without read permission
  }
  if (size === 0) return undefined;
  let end: number;
  let lastByte: number;
  try {
    [end, lastByte] = lastNonNul(file, size);
  } catch {
    return undefined; // opened to append only: nothing to read it with
  }
  const nuls = size - end;
  if (nuls > 0) file.truncateSync(end);
  const torn = end > 0 && lastByte !== 0x0a;
  if (torn) file.writeSync(new Uint8Array([0x0a]));
  if (nuls > 0 && torn) {
    return `the log ended in a line cut short and ${
      plural(nuls, "NUL byte")
    } (a crash or power cut?): the NUL bytes were cut away and the line ended here`;
  }
  if (nuls > 0) {
    return `the log ended in ${
      plural(nuls, "NUL byte")
    } (a crash or power cut?): they were cut away`;
  }
  return torn
    ? "the log's last line was cut short (a crash or power cut?): it was ended here"
    : undefined;
}

/**
 * Where the file's content ends once NUL bytes at its end are left out, and
 * the last byte before that (0 when there is none), read backwards from
 * `size` a chunk at a time.
 */
function lastNonNul(file: Deno.FsFile, size: number): [number, number] {
  const chunk = new Uint8Array(CHUNK_BYTES);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - CHUNK_BYTES);
    file.seekSync(start, Deno.SeekMode.Start);
    const view = chunk.subarray(0, end - start);
    for (let got = 0; got < view.length;) {
      const n = file.readSync(view.subarray(got));
      if (n === null) throw new Error("the file shrank while it was read");
      got += n;
    }
    for (let i = view.length - 1; i >= 0; i--) {
      if (view[i] !== 0) return [start + i + 1, view[i]];
    }
    end = start;
  }
  return [0, 0];
}
