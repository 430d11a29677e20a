/**
 * `--stdin`: each line of standard input is sent as a message, through a
 * {@link LogSender}. It reads no more than it can send: while the logger is
 * away and the buffer is full it stops reading, so memory stays bounded on
 * endless input.
 *
 * @example
 * ```ts
 * import { sendLines } from "./send_lines.ts";
 * // some_program | ./log_cmd_basic.ts --stdin
 * await sendLines(options, undefined, 65536);
 * ```
 *
 * @module
 */

import { describe, Interrupted } from "../base/errors.ts";
import { hostPort } from "./endpoint.ts";
import { type SenderCurve, WAIT_NOTICE_MS } from "./handshake.ts";
import { LogSender } from "./log_sender.ts";
import { HEADER_ROOM, type HeaderOptions, splitText } from "./message_text.ts";

/** What `--stdin` needs of the command line. */
export interface StdinOptions extends HeaderOptions {
  host: string;
  port: number;
  /** Give up after this many seconds without a logger; by default never. */
  timeout?: number;
}

const PROGRAM = "log_cmd_basic";

/** `n` with thousands separators: 1,234. */
function count(n: number): string {
  return n.toLocaleString("en-US");
}

/**
 * Sends each line of standard input as a message, skipping empty lines and
 * cutting a line longer than the logger takes (`maxMessageSize`). Rejects
 * with one line, saying how many lines went, when not all could be sent.
 *
 * Like the one-shot command, it says "waiting for the logger" when none took
 * the connection within half a second, while lines are still read into the
 * buffer. On Ctrl-C it rejects with {@link Interrupted}, which says how many
 * lines were read and that up to that many were not delivered: ZeroMQ cannot
 * tell which queued messages the logger received.
 */
export async function sendLines(
  options: StdinOptions,
  curve: SenderCurve | undefined,
  maxMessageSize: number,
): Promise<void> {
  const run = new StdinRun(options, curve, maxMessageSize);
  Deno.addSignalListener("SIGINT", run.interrupt);
  try {
    await run.done();
  } finally {
    Deno.removeSignalListener("SIGINT", run.interrupt);
  }
}

/** One `--stdin` run: its sender, what it has counted, and how it ends. */
class StdinRun {
  readonly #options: StdinOptions;
  readonly #sender: LogSender;
  readonly #where: string;
  readonly #timeoutMs: number;
  readonly #maxText: number;
  /** How long it waits, as said while waiting. */
  readonly #limit: string;
  #sent = 0;
  #read = 0;
  #seen = false; // a logger took the connection at some point
  #closing = false;
  #stopping = false;
  #toldSlow = false;
  /** Rejects with Interrupted on Ctrl-C (the caller exits 130). */
  readonly #stopped: Promise<never>;
  #stop: (reason: Interrupted) => void = () => {};

  constructor(
    options: StdinOptions,
    curve: SenderCurve | undefined,
    maxMessageSize: number,
  ) {
    this.#options = options;
    this.#where = hostPort(options.host, options.port);
    this.#timeoutMs = options.timeout === undefined
      ? Infinity
      : options.timeout * 1000;
    this.#maxText = maxMessageSize - HEADER_ROOM;
    this.#limit = options.timeout === undefined
      ? "Ctrl-C to give up"
      : `giving up after ${options.timeout} s`;
    this.#sender = new LogSender({
      host: options.host,
      port: options.port,
      tag: options.tag ?? PROGRAM,
      hostname: options.hostname,
      timestamps: options.timestamps,
      plain: !options.header,
      curve,
    });
    this.#stopped = new Promise<never>((_, reject) => {
      this.#stop = reject;
    });
    this.#sayWhenWaiting();
  }

  /** Resolves once every line is delivered; rejects as sendLines says. */
  done(): Promise<void> {
    const work = this.#work();
    work.catch(() => {}); // once stopped by Ctrl-C, what it meets does not matter
    return Promise.race([work, this.#stopped]);
  }

  /** Ctrl-C: say what may be lost, then stop. */
  readonly interrupt = async (): Promise<void> => {
    if (this.#stopping) return;
    this.#stopping = true;
    if (!this.#closing) {
      this.#seen ||= await this.#sender.reachable(200).catch(() => false);
    }
    const why = this.#seen
      ? `ZeroMQ cannot tell how many the logger at ${this.#where} received`
      : `the logger at ${this.#where} was not reached`;
    const read = count(this.#read);
    this.#stop(
      new Interrupted(
        `stopped by Ctrl-C: ${read} lines read, up to ${read} not delivered (${why})`,
      ),
    );
  };

  async #work(): Promise<void> {
    const sender = this.#sender;
    try {
      await forEachLine(
        Deno.stdin.readable,
        this.#maxText,
        (line) => this.#sendLine(line),
      );
    } catch (err) {
      if (this.#stopping) return;
      await sender.close(0);
      throw new Error(`${describe(err)}; ${this.#sent} lines sent`);
    }
    this.#closing = true;
    if (!await sender.close(this.#timeoutMs)) {
      throw new Error(
        `${
          sender.refused ??
            `no logger at ${this.#where} after ${this.#options.timeout} s`
        }; up to ${this.#sent} lines were not delivered`,
      );
    }
  }

  async #sendLine(line: string): Promise<void> {
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line === "") return;
    for (const piece of splitText(line, this.#maxText)) {
      this.#read++;
      await this.#sender.sendRaw(
        this.#sender.format(this.#options.level, piece),
        this.#timeoutMs,
        this.#onSlow,
      );
      this.#sent++;
    }
  }

  /** Half a second without a logger: say so, as the one-shot command does. */
  #sayWhenWaiting(): void {
    this.#sender.reachable(WAIT_NOTICE_MS).then((there) => {
      this.#seen ||= there;
      if (!there && !this.#stopping && this.#sender.refused === undefined) {
        console.error(
          `${PROGRAM}: waiting for the logger at ${this.#where} (${this.#limit})`,
        );
      }
    }, () => {});
  }

  /** The buffer is full and a line waits: said once. */
  readonly #onSlow = (): void => {
    if (this.#toldSlow) return;
    this.#toldSlow = true;
    console.error(
      `${PROGRAM}: waiting for the logger at ${this.#where}; ${this.#sent} lines sent, the rest wait (${this.#limit})`,
    );
  };
}

/**
 * Calls `each` with every line of `input`, in order, waiting for it; a line
 * with no end in sight is handed over in pieces of `maxText`, so memory
 * stays bounded.
 */
async function forEachLine(
  input: ReadableStream<Uint8Array>,
  maxText: number,
  each: (line: string) => Promise<void>,
): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of input) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = lines.pop()!;
    for (const line of lines) await each(line);
    if (rest.length > maxText) {
      const pieces = splitText(rest, maxText);
      rest = pieces.pop()!;
      for (const piece of pieces) await each(piece);
    }
  }
  await each(rest + decoder.decode());
}
