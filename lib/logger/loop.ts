/**
 * The logger's loop: take what ZeroMQ has queued, turn each message into a
 * line, write the lines, answer the control socket and the key checks, and
 * wait for more; until Ctrl-C or SIGTERM. The entry script sets up the file
 * and the sockets; this module runs them.
 *
 * @example
 * ```ts
 * import { Logger } from "./loop.ts";
 * using logger = new Logger({ socket, file, options, program: "logging_basic" });
 * do {
 *   logger.receive();
 *   await logger.write();
 * } while (await logger.waitForMore()); // until Ctrl-C or SIGTERM
 * logger.finish(); // prints what it logged; 0
 * ```
 *
 * @module
 */

import type { AcceptWatch } from "./accepts.ts";
import { describe } from "../base/errors.ts";
import type { ControlHandlers, ControlServer } from "./control.ts";
import type { LogFile } from "../log/log_file.ts";
import { ByteEscaper } from "../log/escape.ts";
import { type Filters, formatLine } from "../log/log_line.ts";
import {
  formatMessage,
  hostName,
  type Level,
  type LogMessage,
} from "../log/wire.ts";
import {
  type Counts,
  receiveQueued,
  summary,
  type Transform,
  transformFor,
} from "./receive.ts";
import type { SenderGate } from "../curve/zap.ts";
import { poll, Poller, type Socket, ZMQ } from "../zmq/sockets.ts";

/** What the loop needs of the command line (lib/cli/logger_options.ts). */
export interface LoopOptions {
  /** Path of the log file, as the summary names it. */
  file: string;
  filters: Filters;
  timestamps: boolean;
  format: "text" | "json";
  maxMessageSize: number;
  /** `--curve-allow`, read again on `--reopen`. */
  curveAllow?: string;
  /** `--forward`: the forwarder shares this thread's event loop. */
  forward?: unknown;
}

/** How often an idle logger looks whether it was asked to stop. */
const STOP_CHECK_MS = 200;

/**
 * How often a logger that is never idle answers the control socket and the
 * key checks, and stops to hear signals.
 */
const BUSY_YIELD_MS = 50;

/** After Ctrl-C or SIGTERM, how long the logger goes on writing what is queued. */
const STOP_DRAIN_MS = 1000;

/** ... and how long the socket must stay empty to count as drained. */
const STOP_QUIET_MS = 50;

/** What a logger runs: its PULL socket, file and helpers, all set up. */
export interface LoggerParts {
  socket: Socket;
  file: LogFile;
  options: LoopOptions;
  program: string;
  control?: ControlServer;
  gate?: SenderGate;
  accepts?: AcceptWatch;
  /** `--forward`: what it has sent, for `--status`. */
  forwarder?: { status(): string };
}

/**
 * The logger at work: the book's loop is `receive()`, `write()`, until
 * `waitForMore()` says it was asked to stop; between batches it answers
 * the control socket and the key checks. It listens for Ctrl-C, SIGTERM
 * and SIGHUP from its construction until disposed.
 */
export class Logger implements Disposable {
  readonly counts: Counts = {
    logged: 0,
    droppedLevel: 0,
    droppedFilter: 0,
    droppedBelow: new Map(),
  };
  #level: Level;
  #transform: Transform | undefined;
  #stopping = false;
  #stopBy: number | undefined;
  #cutShort = false;
  /** When the helpers were last asked (and, busy, signals let in). */
  #choresAt = 0;
  #reloadKeys = false;
  /** Messages the last receive() took. */
  #taken = 0;
  /** Whether the last receive() took all that was queued. */
  #emptied = false;
  readonly #escaper = new ByteEscaper();
  readonly #signals: Disposable;
  /** What an idle logger waits on: the PULL socket and its helpers' sockets. */
  readonly #waitOn: Poller;
  /**
   * What a logger that just took messages waits on: the PULL socket alone,
   * for at most BUSY_YIELD_MS. zmq_poll asks each socket for its events
   * before and after it waits, two system calls each, and with the helpers
   * that cost more than the messages of a steady trickle (bench/results.md,
   * Issue 28); the helpers are asked every BUSY_YIELD_MS meanwhile.
   */
  readonly #waitForMessages: Poller;
  readonly #handlers: ControlHandlers = {
    setLevel: (level) => this.setLevel(level),
    status: () => this.status(),
    reopen: () => this.reopen(),
  };

  constructor(readonly parts: LoggerParts) {
    this.#level = parts.options.filters.level;
    this.#transform = transformFor(parts.options, this.#level);
    const { socket, control, gate, accepts } = parts;
    this.#waitForMessages = new Poller([socket], ZMQ.POLLIN);
    this.#waitOn = new Poller(
      [socket, control?.socket, gate?.socket, accepts?.socket]
        .filter((s) => s !== undefined),
      ZMQ.POLLIN,
    );
    this.#signals = this.#listenForSignals();
    parts.file.keep(); // the logger has started: its file stays, even empty
    const repaired = parts.file.repaired;
    if (repaired !== undefined) {
      console.error(`${parts.program}: ${repaired}`);
      this.note(repaired, "warn");
    }
  }

  [Symbol.dispose](): void {
    this.#signals[Symbol.dispose]();
  }

  /** What the logger has done, as `--status` tells it. */
  status(): string {
    const { file } = this.parts.options;
    const forwarded = this.parts.forwarder
      ? `; ${this.parts.forwarder.status()}`
      : "";
    return `level ${this.#level}; ${
      summary(this.counts, file, this.#level)
    }${forwarded}`;
  }

  /** Changes the level (`--set-level`) and says so in the log. */
  setLevel(level: Level): string {
    const reply = `level changed from ${this.#level} to ${level}`;
    this.#level = level;
    this.note(reply);
    return reply;
  }

  /**
   * Opens the log's path again at the end of this batch, and reads
   * --curve-allow again (`--reopen`, SIGHUP: after logrotate moved the
   * file). A path that cannot be opened keeps the file it had, saying so on
   * stderr.
   */
  reopen(): string {
    const { file, gate, options } = this.parts;
    file.reopenSoon();
    this.#reloadKeys = gate !== undefined;
    const keys = gate !== undefined
      ? ` and reading ${options.curveAllow} again`
      : "";
    return `reopening ${options.file}${keys}`;
  }

  /** Counts `dropped` messages as dropped below the level now set. */
  #countDroppedBelow(dropped: number): void {
    if (dropped === 0) return;
    const below = this.counts.droppedBelow!;
    below.set(this.#level, (below.get(this.#level) ?? 0) + dropped);
  }

  /** The logger's own notes go into the log like a message of its own. */
  note(text: string, level: Level = "info"): void {
    const { options, program, file } = this.parts;
    const message: LogMessage = {
      level,
      sent: new Date().toISOString(),
      host: hostName(),
      tag: program,
      text,
    };
    const raw = formatMessage(message);
    file.lines.addLine(formatLine(raw, message, Date.now(), options));
    this.#transform = transformFor(options, this.#level);
  }

  /**
   * Takes the messages ZeroMQ has queued, without waiting, as lines for the
   * file (at most a batch): the book's `recv()`.
   */
  receive(): void {
    const before = this.counts.droppedLevel;
    ({ taken: this.#taken, emptied: this.#emptied } = receiveQueued(
      this.parts.socket,
      this.parts.options.maxMessageSize,
      this.#transform,
      this.parts.file.lines,
      this.counts,
      this.#escaper,
    ));
    this.#countDroppedBelow(this.counts.droppedLevel - before);
  }

  /**
   * Writes the lines received to the file, before the logger waits again:
   * the book's `write()` and `flush()`.
   */
  async write(): Promise<void> {
    const { file } = this.parts;
    if (file.pending) await file.flush(() => this.#stopping);
  }

  /**
   * Between batches: answers the control socket and the key checks (so a
   * busy logger still answers `--set-level` at once, at most BUSY_YIELD_MS
   * later), writes what they logged, lets signals in, then waits until
   * there is more to receive.
   *
   * @returns `false` once asked to stop and what was queued is written.
   */
  async waitForMore(): Promise<boolean> {
    const { file, gate, options } = this.parts;
    const busy = this.#taken > 0;
    // Busy, or a steady trickle that never leaves it idle: the helpers and
    // the signals every BUSY_YIELD_MS, as asking them after each message
    // cost more than the message (bench/results.md, Issue 28).
    const choresDue = !busy || Date.now() - this.#choresAt >= BUSY_YIELD_MS;
    if (choresDue) this.#answerHelpers();
    // Before we wait: the next message goes to the file a --reopen opened.
    if (file.pending) await file.flush(() => this.#stopping);
    if (this.#reloadKeys) this.#reloadAllowList();
    if (this.#stopping) {
      if (!(await this.#drained(this.#taken))) return true;
      // What was held back to keep the log short is still counted in it.
      const held = gate?.lastWord();
      if (held !== undefined) this.note(held, "warn");
      await file.flush(() => true);
      return false;
    }
    if (busy) {
      // Signals are events for Deno's event loop, which a loop that always
      // finds messages waiting would otherwise never reach.
      if (choresDue) await this.#yield();
      // More is queued than a batch takes: on with it, without waiting.
      if (!this.#emptied) return true;
    }
    if (options.forward !== undefined) {
      // The forwarder works on this event loop: leave it free.
      await this.#waitOn.wait(STOP_CHECK_MS);
    } else if (busy) {
      // More may come soon: wait here, on this thread, so it is taken at
      // once.
      this.#waitForMessages.here(BUSY_YIELD_MS);
    } else {
      // Idle: wait here too; woken by anything else (time, a control
      // request, failed accepts), let the event loop run, for signals.
      const [message] = this.#waitOn.here(STOP_CHECK_MS);
      if (message === 0) await this.#yield();
    }
    return true;
  }

  /** Answers the control socket and the key checks, reads failed accepts. */
  #answerHelpers(): void {
    const { control, gate, accepts } = this.parts;
    this.#choresAt = Date.now();
    control?.answer(this.#handlers);
    gate?.answer((line) => this.note(line, "warn"));
    accepts?.check();
  }

  /** Says on stderr what it logged and dropped; returns the exit status, 0. */
  finish(): number {
    const cut = this.#cutShort
      ? `; after ${
        STOP_DRAIN_MS / 1000
      } s of writing, messages were still queued or arriving, and those were not taken (their senders may count them as delivered)`
      : "";
    console.error(
      `${this.parts.program}: stopped; ${
        summary(this.counts, this.parts.options.file, this.#level)
      }${cut}`,
    );
    return 0;
  }

  /**
   * Lets Deno's event loop run (signal listeners): a 1 ms zmq_poll on
   * a worker thread, so the loop waits for it in epoll, where it also
   * notices signals. Not setTimeout(0): its timer sleeps 1-2 ms, which a
   * message arriving meanwhile would wait too. Not a MessageChannel: it
   * comes back without waiting in epoll, so signals go unheard under load.
   */
  async #yield(): Promise<void> {
    // 1 ms, not 0: a zero-time poll could finish before the event loop
    // waited in epoll at all, and a SIGTERM then went unheard for seconds.
    await this.#waitForMessages.wait(1);
  }

  /**
   * Once asked to stop: whether what was queued is all written. The socket
   * must stay empty for STOP_QUIET_MS (a message on its way from the network
   * is still taken), but a flood that never pauses ends after STOP_DRAIN_MS.
   */
  async #drained(taken: number): Promise<boolean> {
    this.#stopBy ??= Date.now() + STOP_DRAIN_MS;
    if (Date.now() >= this.#stopBy) {
      this.#cutShort = true;
      return true;
    }
    if (taken > 0) return false;
    const [events] = await poll([this.parts.socket], ZMQ.POLLIN, STOP_QUIET_MS);
    return events === 0;
  }

  /**
   * Ctrl-C and SIGTERM end the loop; it writes what it has, then exits.
   * SIGHUP (after logrotate moved the file) makes it open its path again,
   * and read --curve-allow again, as `--reopen` does. No signal asks for
   * the counts: `--status` does (the docs say which signal not to send).
   */
  #listenForSignals(): Disposable {
    const stop = () => this.#stopping = true;
    const hangUp = () => void this.reopen();
    const listeners: [Deno.Signal, () => void][] = [
      ["SIGINT", stop],
      ["SIGTERM", stop],
      ["SIGHUP", hangUp],
    ];
    for (const [signal, listener] of listeners) {
      Deno.addSignalListener(signal, listener);
    }
    return {
      [Symbol.dispose]() {
        for (const [signal, listener] of listeners) {
          Deno.removeSignalListener(signal, listener);
        }
      },
    };
  }

  /** Reads --curve-allow again (SIGHUP); a bad file keeps the list it had. */
  #reloadAllowList(): void {
    this.#reloadKeys = false;
    try {
      this.note(this.parts.gate!.reload());
    } catch (err) {
      console.error(
        `${this.parts.program}: ${
          describe(err)
        }; still using the allow-list it had`,
      );
    }
  }
}
