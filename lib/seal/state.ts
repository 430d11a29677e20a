/**
 * The sealing state, `LOG.seal-key` (mode 0600): the key of the next
 * record, its number, the MAC of the record before (the chain value) and
 * which log file that record covered. `--seal-init` makes it; the logger
 * reads it at start and overwrites it after each record.
 *
 * It is one block of a fixed size, rewritten in place: the blocks that held
 * the old key are written over, where writing a new file and renaming it
 * would leave them, freed but whole, on the disk. It is synced at most a
 * second after it changes (and at stop), so the old key is off the disk
 * within about a second; a crash in that second costs nothing, as the
 * logger derives forward from an older key (lib/seal/sealer.ts).
 *
 * @example
 * ```ts
 * import { createState, StateFile } from "./state.ts";
 * createState("./log.txt.seal-key", newKey());
 * using state = StateFile.open("./log.txt.seal-key", "logging_basic");
 * state.read().seq; // 0
 * ```
 *
 * @module
 */

import { describe } from "../base/errors.ts";
import { FIRST_PREV, KEY_BYTES } from "./chain.ts";

/** What the chain needs to go on. */
export interface SealState {
  /** The number of the next record. */
  seq: number;
  /** The key of the next record. */
  key: Uint8Array<ArrayBuffer>;
  /** The MAC of the last record, or FIRST_PREV before the first. */
  chain: string;
  /** The log file the last record covered (`dev:ino`), or `-`. */
  log: string;
}

/** The state file's size: every write overwrites the same bytes. */
const STATE_BYTES = 256;

/** How long a changed state may wait to be synced. */
const SYNC_MS = 1000;

const HEADER = "zmq-logger seal state 1";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The state as the file holds it: text, padded to STATE_BYTES. */
function formatState(state: SealState): Uint8Array {
  const text =
    `${HEADER}\nseq=${state.seq}\nkey=${state.key.toHex()}\nchain=${state.chain}\nlog=${state.log}\n`;
  return encoder.encode(text.padEnd(STATE_BYTES - 1, " ") + "\n");
}

/** Reads the state's text back; undefined when it is not one. */
function parseState(text: string): SealState | undefined {
  const match = new RegExp(
    `^${HEADER}\nseq=(\\d{1,15})\nkey=([0-9a-f]{${
      KEY_BYTES * 2
    }})\nchain=([0-9a-f]{64})\nlog=(-|\\d+:\\d+)\n *\n$`,
  ).exec(text);
  if (match === null) return undefined;
  return {
    seq: Number(match[1]),
    key: Uint8Array.fromHex(match[2]),
    chain: match[3],
    log: match[4],
  };
}

/**
 * Makes the state of a new chain at `path` (mode 0600), whose first key is
 * `first`; refuses to replace one that is there.
 *
 * @example
 * ```ts
 * createState("./log.txt.seal-key", newKey());
 * ```
 */
export function createState(path: string, first: Uint8Array<ArrayBuffer>) {
  using file = Deno.openSync(path, {
    write: true,
    createNew: true,
    mode: 0o600,
  });
  file.writeSync(
    formatState({ seq: 0, key: first, chain: FIRST_PREV, log: "-" }),
  );
  file.syncSync();
}

/** The state file, open to read and overwrite. */
export class StateFile implements Disposable {
  readonly #file: Deno.FsFile;
  #synced = true;
  #syncAt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  private constructor(
    readonly path: string,
    file: Deno.FsFile,
    readonly program: string,
  ) {
    this.#file = file;
  }

  /**
   * Opens the state at `path`: a regular file of this user that no one else
   * may read (whoever reads it may seal as the logger from then on).
   */
  static open(path: string, program: string): StateFile {
    const before = Deno.lstatSync(path);
    if (!before.isFile) {
      throw new Error(`${path} is not a regular file`);
    }
    const file = Deno.openSync(path, { read: true, write: true });
    const after = file.statSync();
    if (after.ino !== before.ino || after.dev !== before.dev) {
      file.close();
      throw new Error(`${path} was replaced while being opened`);
    }
    const mode = (after.mode ?? 0) & 0o777;
    if ((mode & 0o077) !== 0) {
      file.close();
      throw new Error(
        `${path} may be read by others (mode ${
          mode.toString(8).padStart(4, "0")
        }), who could then seal as the logger: chmod 600 ${path}`,
      );
    }
    return new StateFile(path, file, program);
  }

  /** The state, or an error saying the file is not one. */
  read(): SealState {
    const bytes = new Uint8Array(STATE_BYTES + 1);
    this.#file.seekSync(0, Deno.SeekMode.Start);
    let length = 0;
    for (;;) {
      const got = this.#file.readSync(bytes.subarray(length));
      if (got === null || got === 0) break;
      length += got;
      if (length === bytes.length) break;
    }
    const state = parseState(decoder.decode(bytes.subarray(0, length)));
    if (state === undefined) {
      throw new Error(
        `${this.path} is not a sealing state (damaged?); a new chain needs --seal-init after moving the log and its seal file aside`,
      );
    }
    return state;
  }

  /** Overwrites the state in place; synced within SYNC_MS. */
  write(state: SealState): void {
    const bytes = formatState(state);
    this.#file.seekSync(0, Deno.SeekMode.Start);
    let written = 0;
    while (written < bytes.length) {
      written += this.#file.writeSync(bytes.subarray(written));
    }
    this.#synced = false;
    this.#syncSoon();
  }

  /** Syncs now if it was not for SYNC_MS, else sets a timer to. */
  #syncSoon(): void {
    const wait = this.#syncAt + SYNC_MS - Date.now();
    if (wait <= 0) {
      this.sync();
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        try {
          this.sync();
        } catch (err) {
          console.error(
            `${this.program}: cannot sync ${this.path}: ${describe(err)}`,
          );
        }
      }, wait);
      Deno.unrefTimer(this.#timer as unknown as number);
    }
  }

  /** Puts the state on the disk now, if it changed. */
  sync(): void {
    if (this.#synced) return;
    this.#file.syncDataSync();
    this.#synced = true;
    this.#syncAt = Date.now();
  }

  [Symbol.dispose](): void {
    clearTimeout(this.#timer);
    try {
      this.sync();
    } finally {
      this.#file.close();
    }
  }
}
