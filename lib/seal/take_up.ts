/**
 * Where a logger with `--seal` takes its chain up at start: from the state
 * (lib/seal/state.ts) and the last record of the seal file. A record cut
 * short at the end (the logger stopped while writing it) is cut away; a
 * record written after the state last moved on (a crash between the two)
 * is taken up, its key derived forward from the state's; a seal file that
 * ends before the state's chain (records lost in a power cut) is said so
 * and gone on from; one whose last record was not sealed by this chain is
 * refused.
 *
 * @example
 * ```ts
 * import { takeUp } from "./take_up.ts";
 * const taken = takeUp(state.read(), sealFile, "./log.txt", console.error);
 * taken.seq; // the number of the next record
 * ```
 *
 * @module
 */

import { plural } from "../base/words.ts";
import { keyAt, mac, nextKey } from "./chain.ts";
import { MAX_RECORD_BYTES, parseRecord, type SealRecord } from "./record.ts";
import { keyPath, sealPath } from "./seal_options.ts";
import type { SealState } from "./state.ts";

/**
 * How far the seal file may be ahead of the state: the state on disk lags
 * by up to a second of records after a power cut (lib/seal/state.ts).
 */
const MOST_KEYS_AHEAD = 1 << 20;

/** The log identity of a chain taken up from a record that began a log file. */
export const TAKEN_UP = "taken up";

const decoder = new TextDecoder();

/** Where the chain goes on from. */
export interface ChainPosition extends SealState {
  /** Where the bytes the last record covered end, in its log file. */
  end: number;
  /** The seal file's last record, if it has one. */
  last?: SealRecord;
}

/**
 * The chain's position, from `state` and the last record of `sealFile`
 * (open to read and write; undefined when there is none yet) of the log
 * at `file`; what it mended or found is told to `say`. Throws, in one line,
 * when the seal file is not this chain's.
 */
export function takeUp(
  state: SealState,
  sealFile: Deno.FsFile | undefined,
  file: string,
  say: (text: string) => void,
): ChainPosition {
  const position: ChainPosition = { ...state, end: 0 };
  if (sealFile === undefined) return position;
  const path = sealPath(file);
  const tail = readLastLine(sealFile);
  if (tail.cut > 0) {
    say(
      `${path} ended in a seal record cut short (${
        plural(tail.cut, "byte")
      }: the logger stopped while writing it); it was cut away`,
    );
  }
  if (tail.line === undefined) return position;
  const last = parseRecord(tail.line);
  const notOurs = (seq: number | string) =>
    new Error(
      `Cannot seal: ${path} does not continue the chain in ${
        keyPath(file)
      } (its last line, record ${seq}, was not sealed with that chain's key); move the log and ${path} aside (they verify with their own key) and start again`,
    );
  if (last === undefined) throw notOurs("none: not a seal record");
  if (last.seq >= state.seq) {
    // Written before a crash, before the state moved on: take it up.
    if (last.seq - state.seq > MOST_KEYS_AHEAD) throw notOurs(last.seq);
    const key = keyAt(state.key, last.seq - state.seq);
    if (mac(key, last.signed) !== last.mac) throw notOurs(last.seq);
    position.seq = last.seq + 1;
    position.key = nextKey(key);
    position.chain = last.mac;
    // It may have begun the log file now at the path.
    if (last.kind === "open") position.log = TAKEN_UP;
  } else if (last.seq === state.seq - 1) {
    if (last.mac !== state.chain) throw notOurs(last.seq);
  } else {
    say(
      `${path} ends at seal record ${last.seq}, but the chain in ${
        keyPath(file)
      } is at record ${state.seq}: records ${last.seq + 1}-${
        state.seq - 1
      } are not in it (lost in a power cut, or the seal file was replaced by an older copy); going on from record ${state.seq}`,
    );
  }
  position.end = last.offset + last.length;
  position.last = last;
  return position;
}

/**
 * The last whole line of the open seal `file` (undefined when it has none)
 * and how many bytes of a line cut short after it were cut away. The file
 * must be open to read and write.
 */
export function readLastLine(
  file: Deno.FsFile,
): { line?: string; cut: number } {
  const size = file.statSync().size;
  if (size === 0) return { cut: 0 };
  // Room for a record cut short and a whole one before it.
  const window = Math.min(size, 2 * (MAX_RECORD_BYTES + 1));
  const base = size - window;
  const bytes = new Uint8Array(window);
  file.seekSync(base, Deno.SeekMode.Start);
  let got = 0;
  while (got < window) {
    const n = file.readSync(bytes.subarray(got));
    if (n === null) break;
    got += n;
  }
  const last = bytes.lastIndexOf(0x0a);
  if (last === -1 && base > 0) return { line: TOO_LONG, cut: 0 };
  let cut = 0;
  if (last !== window - 1) {
    // A line cut short at the end: it goes, and the file ends at a newline.
    cut = size - (base + last + 1);
    file.truncateSync(base + last + 1);
    if (last === -1) return { cut };
  }
  const start = last === 0 ? 0 : bytes.lastIndexOf(0x0a, last - 1) + 1;
  if (start === 0 && base > 0) return { line: TOO_LONG, cut };
  return { line: decoder.decode(bytes.subarray(start, last)), cut };
}

/** What stands for a last line too long to be a record: not one. */
const TOO_LONG = "(a line longer than any seal record)";
