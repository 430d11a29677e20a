/**
 * The logger's loop: take what ZeroMQ has queued, turn each message into a
 * line, write the lines, answer the control socket and the key checks, and
 * wait for more; until Ctrl-C or SIGTERM. The entry script sets up the file
 * and the sockets; this module runs them.
 *
 * @example
 * ```ts
 * import { Logger } from "./lib/logger.ts";
 * const logger = new Logger({ socket, file, options, program: "logging_basic" });
 * await logger.run(); // until Ctrl-C; then prints what it logged
 * ```
 *
 * @module
 */

import type { AcceptWatch } from "./accepts.ts";
import { describe, plural } from "../cli/args.ts";
import type { ControlServer } from "./control.ts";
import type { LineBuffer, LogFile } from "../log/log_file.ts";
import { escapeTail, unsafeAt } from "../log/escape.ts";
import { dropReason, formatLine, keepsAll } from "../log/log_line.ts";
import type { LoggerOptions } from "../cli/logger_options.ts";
import {
  formatMessage,
  hostName,
  type Level,
  type LogMessage,
  parseMessage,
} from "../log/wire.ts";
import type { SenderGate } from "../curve/zap.ts";
import { poll, pollHere, type Socket, ZMQ } from "../zmq/sockets.ts";

/** How often an idle logger looks whether it was asked to stop. */
const STOP_CHECK_MS = 200;

/** Most messages taken in one go before they are written to the file. */
const MAX_BATCH = 4096;

/**
 * Bytes received after which a batch is written (and the control socket and
 * signals are heard), whatever the count: with large messages a batch of
 * 4096 would hold gigabytes once escaped, and the lines behind it would wait
 * for all of them.
 */
const MAX_BATCH_BYTES = 1 << 20;

/** How often a logger that is never idle stops to hear signals. */
const BUSY_YIELD_MS = 50;

/** After Ctrl-C or SIGTERM, how long the logger goes on writing what is queued. */
const STOP_DRAIN_MS = 1000;

/** ... and how long the socket must stay empty to count as drained. */
const STOP_QUIET_MS = 50;

const decoder = new TextDecoder();

/** What the logger has done so far. */
export interface Counts {
  logged: number;
  droppedLevel: number;
  droppedFilter: number;
  /** Of droppedLevel, how many under each level that was set (`--set-level`). */
  droppedBelow?: Map<Level, number>;
}

/**
 * One line on what the logger has logged and dropped, naming the level that
 * dropped each (the level may have changed since).
 *
 * @example
 * ```ts
 * summary({ logged: 3, droppedLevel: 1, droppedFilter: 0 }, "./log.txt", "warn");
 * // "3 messages logged to ./log.txt, 1 dropped below level warn"
 * ```
 */
export function summary(counts: Counts, file: string, level: Level): string {
  let text = `${plural(counts.logged, "message")} logged to ${file}`;
  const below = counts.droppedBelow ?? new Map([[level, counts.droppedLevel]]);
  const dropped = [...below].filter(([, n]) => n > 0)
    .map(([at, n]) => `${n} dropped below level ${at}`);
  if (dropped.length > 0) text += `, ${dropped.join(", ")}`;
  if (counts.droppedFilter > 0) {
    text += `, ${counts.droppedFilter} dropped by filters`;
  }
  return text;
}

/**
 * How a received message becomes a line: a function that returns its line,
 * or the reason it is dropped. `undefined` where no option needs to read it:
 * it is then written as it came.
 */
type Transform = (bytes: Uint8Array) => string | "level" | "filter";

/** The transform for these options and the level now (see {@link Transform}). */
function transformFor(
  options: LoggerOptions,
  level: Level,
): Transform | undefined {
  const filters = { ...options.filters, level };
  const plain = options.format === "text" && !options.timestamps;
  if (plain && keepsAll(filters)) return undefined;
  return (bytes) => {
    const raw = decoder.decode(bytes);
    const message = parseMessage(raw);
    const dropped = dropReason(message, filters);
    return dropped ?? formatLine(raw, message, Date.now(), options);
  };
}

/**
 * Takes the messages queued on the socket, without waiting, and adds their
 * lines to `out`. ZeroMQ writes each message straight into `out`; with no
 * transform it stays there as it came, followed by a newline. Each frame of a
 * multi-frame message is a message of its own, as the book's recv() loop
 * reads them. Returns how many messages it took (at most MAX_BATCH).
 */
function receiveQueued(
  socket: Socket,
  maxSize: number,
  transform: Transform | undefined,
  out: LineBuffer,
  counts: Counts,
): number {
  let taken = 0;
  let received = 0;
  while (taken < MAX_BATCH && received < MAX_BATCH_BYTES) {
    out.reserve(maxSize + 1);
    const start = out.length;
    const size = socket.receiveAt(out.bytes, start, maxSize);
    if (size === -1) break;
    taken++;
    received += size;
    if (transform === undefined) {
      const end = start + size;
      // Rare: a character that could forge a line or fool a terminal.
      out.length = unsafeAt(out.bytes, start, end);
      if (out.length < end) escapeTail(out, end);
      out.reserve(1);
      out.bytes[out.length++] = 0x0a;
      counts.logged++;
      continue;
    }
    const line = transform(out.bytes.subarray(start, start + size));
    if (line === "level") counts.droppedLevel++;
    else if (line === "filter") counts.droppedFilter++;
    else {
      out.addLine(line);
      counts.logged++;
    }
  }
  return taken;
}

/** What a logger runs: its PULL socket, file and helpers, all set up. */
export interface LoggerParts {
  socket: Socket;
  file: LogFile;
  options: LoggerOptions;
  program: string;
  control?: ControlServer;
  gate?: SenderGate;
  accepts?: AcceptWatch;
  /** `--forward`: what it has sent, for `--status`. */
  forwarder?: { status(): string };
}

/** The receive-and-write loop, with its level, counts and signals. */
export class Logger {
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
  #yielded = 0;
  #reloadKeys = false;

  constructor(readonly parts: LoggerParts) {
    this.#level = parts.options.filters.level;
    this.#transform = transformFor(parts.options, this.#level);
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
   * Logs until Ctrl-C or SIGTERM, then writes what it has received and says
   * what it did on stderr. Resolves to the exit status; a failure throws.
   */
  async run(): Promise<number> {
    using _signals = this.#listenForSignals();
    const { socket, file, options, control, gate, accepts } = this.parts;
    const sockets = [socket, control?.socket, gate?.socket, accepts?.socket]
      .filter((s) => s !== undefined);
    const handlers = {
      setLevel: (level: Level) => this.setLevel(level),
      status: () => this.status(),
      reopen: () => this.reopen(),
    };
    while (true) {
      const before = this.counts.droppedLevel;
      const taken = receiveQueued(
        socket,
        options.maxMessageSize,
        this.#transform,
        file.lines,
        this.counts,
      );
      this.#countDroppedBelow(this.counts.droppedLevel - before);
      // The book's write() and flush(): lines reach the file before we wait
      // again; first, so the other sockets add nothing to a line's latency.
      await file.flush(() => this.#stopping);
      // Between batches, so a busy logger still answers --set-level at once;
      // what they log (notes) is written, and a --reopen done, before we
      // wait: the next message goes to the new file.
      control?.answer(handlers);
      gate?.answer((line) => this.note(line, "warn"));
      accepts?.check();
      await file.flush(() => this.#stopping);
      if (this.#reloadKeys) this.#reloadAllowList();
      if (this.#stopping) {
        if (await this.#drained(taken)) break;
        continue;
      }
      if (taken > 0) {
        await this.#hearSignals();
        continue;
      }
      if (options.forward !== undefined) {
        // The forwarder works on this event loop: leave it free.
        await poll(sockets, ZMQ.POLLIN, STOP_CHECK_MS);
        continue;
      }
      // Idle: wait here, not on a worker thread, so a message that comes
      // is taken at once (a worker's wake-up and promise doubled the
      // latency). Woken by anything else (time, a control request, a storm
      // of failed accepts), let the event loop run, for signals, as the
      // worker's wait did.
      const [message] = pollHere(sockets, ZMQ.POLLIN, STOP_CHECK_MS);
      if (message === 0) await this.#yield();
    }
    const cut = this.#cutShort
      ? `; after ${
        STOP_DRAIN_MS / 1000
      } s of writing, messages were still queued or arriving, and those were not taken (their senders may count them as delivered)`
      : "";
    console.error(
      `${this.parts.program}: stopped; ${
        summary(this.counts, options.file, this.#level)
      }${cut}`,
    );
    return 0;
  }

  /**
   * Lets signals in while busy: they are events for Deno's event loop, which
   * a loop that always finds messages waiting would otherwise never reach.
   * At most every BUSY_YIELD_MS, so a busy logger loses no speed to it.
   */
  async #hearSignals(): Promise<void> {
    const now = Date.now();
    if (now - this.#yielded < BUSY_YIELD_MS) return;
    await this.#yield();
  }

  /**
   * Lets Deno's event loop run (signal listeners): a zero-time zmq_poll on
   * a worker thread, so the loop waits for it in epoll, where it also
   * notices signals. Not setTimeout(0): its timer sleeps 1-2 ms, and a
   * message arriving meanwhile waited that long (the p99 latency was 4 ms).
   * Not a MessageChannel: it comes back without waiting in epoll, so
   * signals went unheard under load.
   */
  async #yield(): Promise<void> {
    this.#yielded = Date.now();
    await poll([this.parts.socket], ZMQ.POLLIN, 0);
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
