/**
 * `--stdin`: each line of standard input is sent as a message, through a
 * {@link LogSender}. It reads no more than it can send: while the logger is
 * away and the buffer is full it stops reading, so memory stays bounded on
 * endless input. It watches a logger it had: one that stops answering is
 * reported on stderr, and with `--timeout` given up on.
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
  /**
   * Give up after this many seconds without a logger, or without an answer
   * from the one it had; by default never.
   */
  timeout?: number;
}

const PROGRAM = "log_cmd_basic";

/** What `--stdin` keeps queued while the logger is away, at most, in bytes. */
const QUEUE_BYTES = 16 * 1024 * 1024;

/**
 * How many messages `--stdin` keeps queued (ZeroMQ's SNDHWM, a count): as
 * many of the largest as fit QUEUE_BYTES, so memory is bounded in bytes
 * whatever the lines' length; 10,000 at most, 16 at least.
 *
 * @example
 * ```ts
 * stdinBufferSize(65536); // 256
 * ```
 */
export function stdinBufferSize(maxMessageSize: number): number {
  return Math.max(
    16,
    Math.min(10_000, Math.floor(QUEUE_BYTES / maxMessageSize)),
  );
}

/**
 * How long a logger it had may stop answering, while lines wait for it,
 * before `--stdin` says so; also the longest a look at the logger waits for
 * an answer.
 */
export const STALL_NOTICE_MS = 2000;

/** How often `--stdin` looks whether the logger still answers. */
const CHECK_INTERVAL_MS = 500;

/** The shortest a look at the logger waits for an answer. */
const MIN_LOOK_MS = 100;

/** The signals that stop `--stdin` with a report of what may be lost. */
const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;

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
 * buffer. Once it had a logger, a logger that stops answering (gone, or
 * taking no lines) for {@link STALL_NOTICE_MS} while lines wait is said once;
 * with `timeout` it gives up after that many seconds without an answer and
 * rejects saying how many lines may not have been delivered. On Ctrl-C or
 * SIGTERM it rejects with {@link Interrupted} (exit status 130 or 143), which
 * says how many lines were read and that up to that many were not delivered:
 * ZeroMQ cannot tell which queued messages the logger received.
 */
export async function sendLines(
  options: StdinOptions,
  curve: SenderCurve | undefined,
  maxMessageSize: number,
): Promise<void> {
  const run = new StdinRun(options, curve, maxMessageSize);
  const stops = STOP_SIGNALS.map((signal) => {
    const stop = () => run.interrupt(signal);
    Deno.addSignalListener(signal, stop);
    return () => Deno.removeSignalListener(signal, stop);
  });
  try {
    await run.done();
  } finally {
    for (const remove of stops) remove();
    run.end();
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
  /** Lines sent before the logger last answered a look. */
  #sentWhenAnswered = 0;
  /** Since when the logger has not answered a look, while lines wait. */
  #silentSince?: number;
  /** Since when the line being sent has waited for room in the buffer. */
  #waitingSince?: number;
  /** Since when the buffer is being delivered at the end. */
  #closingSince?: number;
  /** This stall (no answer, no room, or no end) has been said. */
  #toldStall = false;
  #checking = false;
  readonly #checks: ReturnType<typeof setInterval>;
  /** Rejects on Ctrl-C or SIGTERM, or when the logger stopped for --timeout. */
  readonly #stopped: Promise<never>;
  #stop: (reason: Error) => void = () => {};

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
      bufferSize: stdinBufferSize(maxMessageSize),
    });
    this.#stopped = new Promise<never>((_, reject) => {
      this.#stop = reject;
    });
    this.#sayWhenWaiting();
    this.#checks = setInterval(() => this.#check(), CHECK_INTERVAL_MS);
  }

  /** Stops watching the logger. */
  end(): void {
    clearInterval(this.#checks);
  }

  /** Resolves once every line is delivered; rejects as sendLines says. */
  done(): Promise<void> {
    const work = this.#work();
    work.catch(() => {}); // once stopped, what it meets does not matter
    return Promise.race([work, this.#stopped]);
  }

  /** Ctrl-C or SIGTERM: say what may be lost, then stop. */
  async interrupt(signal: "SIGINT" | "SIGTERM"): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    if (!this.#closing) {
      this.#seen ||= await this.#sender.reachable(200).catch(() => false);
    }
    const why = this.#seen
      ? `ZeroMQ cannot tell how many the logger at ${this.#where} received`
      : `the logger at ${this.#where} was not reached`;
    const read = count(this.#read);
    const by = signal === "SIGINT" ? "Ctrl-C" : signal;
    this.#stop(
      new Interrupted(
        `stopped by ${by}: ${read} lines read, up to ${read} not delivered (${why})`,
        signal,
      ),
    );
  }

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
    this.#closingSince = Date.now();
    const reason = () => {
      const why = sender.waitingReason(true);
      return why === undefined ? "" : `: ${why}`;
    };
    if (!await sender.close(this.#timeoutMs)) {
      throw new Error(
        `${
          sender.refused ??
            `no logger at ${this.#where} after ${this.#options.timeout} s${reason()}`
        }; up to ${this.#sent} lines were not delivered`,
      );
    }
  }

  async #sendLine(line: string): Promise<void> {
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line === "") return;
    for (const piece of splitText(line, this.#maxText)) {
      this.#read++;
      this.#waitingSince = Date.now();
      await this.#sender.sendRaw(
        this.#sender.format(this.#options.level, piece),
        // Once a logger was there, #check gives up when it stops answering.
        this.#seen ? Infinity : this.#timeoutMs,
        this.#onSlow,
      );
      this.#waitingSince = undefined;
      this.#sent++;
    }
  }

  /**
   * Looks whether the logger still answers when lines are at risk, and says
   * once when it stopped (after STALL_NOTICE_MS), or gives up (after
   * --timeout). Only once a logger was there: before, the start-up notice
   * and --timeout's wait for room and for the end say it.
   */
  async #check(): Promise<void> {
    if (this.#checking || this.#stopping) return;
    this.#checking = true;
    try {
      const atRisk = this.#sent !== this.#sentWhenAnswered ||
        this.#waitingSince !== undefined;
      // Once closing, the sender cannot look: the end itself is the answer.
      if (atRisk && !this.#closing) await this.#look();
      if (this.#seen && !this.#stopping && this.#sender.refused === undefined) {
        this.#judge(Date.now());
      }
    } finally {
      this.#checking = false;
    }
  }

  /**
   * One look at the logger: does it take a connection? It waits for an
   * answer up to STALL_NOTICE_MS, and no longer than --timeout has left.
   */
  async #look(): Promise<void> {
    const sentBefore = this.#sent;
    const started = Date.now();
    const left = this.#timeoutMs - (started - (this.#silentSince ?? started));
    const answered = await this.#sender
      .reachable(Math.max(MIN_LOOK_MS, Math.min(left, STALL_NOTICE_MS)))
      .catch(() => false);
    if (answered) {
      this.#seen = true;
      this.#sentWhenAnswered = sentBefore;
      this.#silentSince = undefined;
    } else if (this.#seen) {
      this.#silentSince ??= started;
    }
  }

  /**
   * How long the logger has stalled decides what to say or do. At the end,
   * close() gives up after --timeout itself, and says so.
   */
  #judge(now: number): void {
    const stalled = [this.#silentSince, this.#waitingSince];
    const since = [...stalled, this.#closingSince]
      .filter((time) => time !== undefined);
    if (since.length === 0) {
      this.#toldStall = false;
      return;
    }
    const stalledMs = now - Math.min(...since);
    const givingUpMs = now - Math.min(...stalled.map((time) => time ?? now));
    if (givingUpMs >= this.#timeoutMs) {
      this.#stopping = true;
      this.#stop(
        new Error(
          `no answer from the logger at ${this.#where} for ${this.#options.timeout} s; up to ${
            count(this.#read)
          } lines were not delivered`,
        ),
      );
    } else if (stalledMs >= STALL_NOTICE_MS && !this.#toldStall) {
      this.#toldStall = true;
      console.error(
        `${PROGRAM}: waiting for the logger at ${this.#where}, which stopped answering; ${
          count(this.#sent)
        } lines sent, the rest wait (${this.#limit})`,
      );
    }
  }

  /** Half a second without a logger: say so, as the one-shot command does. */
  #sayWhenWaiting(): void {
    this.#sender.reachable(WAIT_NOTICE_MS).then((there) => {
      this.#seen ||= there;
      if (!there && !this.#stopping && this.#sender.refused === undefined) {
        const why = this.#sender.waitingReason();
        console.error(
          `${PROGRAM}: waiting for the logger at ${this.#where}${
            why === undefined ? "" : `: ${why}`
          } (${this.#limit})`,
        );
      }
    }, () => {});
  }

  /** The buffer is full and a line waits: said once. */
  readonly #onSlow = (): void => {
    if (this.#toldSlow) return;
    this.#toldSlow = true;
    this.#toldStall = true;
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
