/**
 * The sender library: {@link LogSender}, a connection to the logger that
 * stays open (open once, log many, close), for Deno programs and `--stdin`.
 *
 * @example
 * ```ts
 * import { LogSender } from "./lib/sender/log_sender.ts";
 * const log = new LogSender({ host: "desktop.local", tag: "sensor" });
 * log.info("started");
 * await log.close(); // delivers what is queued
 * ```
 *
 * @module
 */

import { formatMessage, hostName, type Level } from "../log/wire.ts";
import { Context, poll, type Socket, ZMQ } from "../zmq/sockets.ts";
import { connectEndpoint, hostPort } from "./endpoint.ts";
import {
  ConnectionWatch,
  pushOptions,
  type SenderCurve,
  WAIT_NOTICE_MS,
} from "./handshake.ts";

/** The logger's host and port when not told: the same as log_cmd_basic.ts's HOST and PORT. */
const LOGGER_HOST = "localhost";
const LOGGER_PORT = 5555;

/** Messages a LogSender keeps while the logger is unreachable. */
export const BUFFER_SIZE = 10_000;

/** How often a LogSender looks whether the logger refused its key, in ms. */
const HANDSHAKE_CHECK_MS = 100;

/** Longest sleep while a LogSender waits for room in its buffer. */
const ROOM_WAIT_MAX_MS = 50;

const PROGRAM = "log_cmd_basic";

const encoder = new TextEncoder();

/** The name of the program that logs: its main module's file name. */
function programName(): string {
  const file = Deno.mainModule.split("/").pop() ?? PROGRAM;
  return file.replace(/\.[^.]*$/, "").replace(/[\s:]/g, "_") || PROGRAM;
}

/** How to reach the logger, and what to say about the messages. */
export interface LogSenderOptions {
  /** The logger's host name or address (default `localhost`). */
  host?: string;
  /** The logger's port (default 5555). */
  port?: number;
  /** What is logging (default: the main module's file name). */
  tag?: string;
  /** This machine's name as sent (default: asked of the system). */
  hostname?: string;
  /** Put the sending time in each message (default true). */
  timestamps?: boolean;
  /** Send the bare text, without the header (default false). */
  plain?: boolean;
  /** Messages kept while the logger is unreachable (default 10,000). */
  bufferSize?: number;
  /** CurveZMQ: the logger's public key and this sender's key pair. */
  curve?: SenderCurve;
}

/**
 * A connection to the logger that stays open: open once, log many, close.
 *
 * It reconnects by itself when the logger restarts. While the logger is
 * unreachable, messages wait in a buffer of `bufferSize` messages (ZeroMQ's
 * send high-water mark) and are delivered once it is back. When the buffer is
 * full, {@link log} drops the message and counts it in {@link dropped}; the
 * next message that gets through is preceded by a warning that says how many
 * were dropped, and the first drop is reported on stderr. {@link send} waits
 * for room instead.
 *
 * With `curve` it talks CurveZMQ (see {@link SenderCurve}); once the logger
 * has refused its key or the handshake failed, {@link log}, {@link send} and
 * the like throw an Error that says so, {@link refused} holds the reason,
 * and {@link close} resolves to `false` at once.
 *
 * @example
 * ```ts
 * const log = new LogSender({ tag: "sensor" });
 * log.info("started");
 * await log.send("warn", "temperature 71 C"); // waits if the buffer is full
 * await log.close();
 * ```
 */
export class LogSender {
  readonly #context: Context;
  readonly #socket: Socket;
  readonly #where: string;
  readonly #endpoint: string;
  readonly #options: LogSenderOptions & { tag: string; bufferSize: number };
  readonly #watch: ConnectionWatch;
  #refused?: string;
  #checked = 0;
  #dropped = 0;
  #unreported = 0;
  #closed = false;

  constructor(options: LogSenderOptions = {}) {
    const host = options.host ?? LOGGER_HOST;
    const port = options.port ?? LOGGER_PORT;
    this.#where = hostPort(host, port);
    this.#endpoint = connectEndpoint(host, port);
    this.#options = {
      ...options,
      tag: options.tag ?? programName(),
      hostname: options.hostname ?? hostName(),
      bufferSize: options.bufferSize ?? BUFFER_SIZE,
    };
    this.#context = new Context();
    // No immediate: messages queue for the logger while it is away, up to SNDHWM.
    this.#socket = this.#context.socket(ZMQ.PUSH, {
      [ZMQ.SNDHWM]: this.#options.bufferSize,
      [ZMQ.IPV6]: host.includes(":") ? 1 : 0,
      ...pushOptions(options.curve),
    });
    this.#watch = new ConnectionWatch(
      this.#context,
      this.#socket,
      { host, port },
      options.curve,
    );
    this.#socket.connect(this.#endpoint, `Cannot connect to ${this.#where}`);
  }

  /** Why the logger would not take this sender, once it said so. */
  get refused(): string | undefined {
    if (!this.#closed) {
      try {
        this.#checkHandshake(true);
      } catch {
        // the reason is kept in #refused
      }
    }
    return this.#refused;
  }

  /**
   * Why no logger has taken the connection yet, when that is known: the
   * host name does not resolve, or what answers is not a ZeroMQ logger.
   * `final` words it for giving up.
   */
  waitingReason(final = false): string | undefined {
    if (this.refused !== undefined) return undefined;
    return this.#watch.waitingReason(final);
  }

  /** Messages dropped so far because the buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The wire text for a message at `level`. */
  format(level: Level, text: string): string {
    if (this.#options.plain) return text;
    return formatMessage({
      level,
      sent: this.#options.timestamps === false
        ? undefined
        : new Date().toISOString(),
      host: this.#options.hostname,
      tag: this.#options.tag,
      text,
    });
  }

  /**
   * Throws when the logger refused this sender's CurveZMQ handshake. Unless
   * `always`, it looks at most every HANDSHAKE_CHECK_MS, to keep log() cheap.
   */
  #checkHandshake(always = false): void {
    const now = Date.now();
    if (
      this.#refused === undefined &&
      (always || now - this.#checked >= HANDSHAKE_CHECK_MS)
    ) {
      this.#checked = now;
      this.#refused = this.#watch.problem();
    }
    if (this.#refused !== undefined) throw new Error(this.#refused);
  }

  /** Queues raw wire text; false when the buffer is full. */
  #queue(raw: string): boolean {
    if (this.#closed) throw new Error("This LogSender is closed");
    this.#checkHandshake();
    if (this.#unreported > 0) {
      const notice = this.format(
        "warn",
        `${this.#unreported} messages dropped: the logger at ${this.#where} was unreachable and the buffer of ${this.#options.bufferSize} was full`,
      );
      if (!this.#trySend(notice)) return false;
      this.#unreported = 0;
    }
    return this.#trySend(raw);
  }

  #trySend(raw: string): boolean {
    return this.#socket.send(
      encoder.encode(raw),
      ZMQ.DONTWAIT,
      `Cannot send to ${this.#where}`,
    );
  }

  /**
   * Logs `text` at `level` without waiting. Returns false, and counts the
   * message as dropped, when the buffer is full.
   */
  log(level: Level, text: string): boolean {
    if (this.#queue(this.format(level, text))) return true;
    if (this.#dropped === 0) {
      console.error(
        `${PROGRAM}: the logger at ${this.#where} is unreachable and the buffer of ${this.#options.bufferSize} messages is full; dropping messages (counted)`,
      );
    }
    this.#dropped++;
    this.#unreported++;
    return false;
  }

  debug(text: string): boolean {
    return this.log("debug", text);
  }
  info(text: string): boolean {
    return this.log("info", text);
  }
  warn(text: string): boolean {
    return this.log("warn", text);
  }
  error(text: string): boolean {
    return this.log("error", text);
  }
  critical(text: string): boolean {
    return this.log("critical", text);
  }

  /**
   * Logs `text` at `level`, waiting while the buffer is full. Rejects when
   * `timeoutMs` passes first.
   */
  async send(level: Level, text: string, timeoutMs = Infinity): Promise<void> {
    await this.sendRaw(this.format(level, text), timeoutMs);
  }

  /**
   * Sends wire text as it is, waiting while the buffer is full; `onSlow` is
   * called once if that takes more than half a second.
   */
  async sendRaw(
    raw: string,
    timeoutMs = Infinity,
    onSlow?: () => void,
  ): Promise<void> {
    const start = Date.now();
    let wait = 1;
    let told = false;
    // Look at the socket on a timer: a zmq_poll on a worker thread would use
    // the socket while log() may use it here.
    while (!this.#queue(raw)) {
      if (Date.now() - start >= timeoutMs) {
        throw new Error(
          `No room for the message: the logger at ${this.#where} is unreachable`,
        );
      }
      if (!told && onSlow && Date.now() - start >= WAIT_NOTICE_MS) {
        onSlow();
        told = true;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, ROOM_WAIT_MAX_MS);
    }
  }

  /**
   * Whether a logger accepts connections at this sender's address within
   * `timeoutMs`; `false` once closed. It says nothing of what was delivered:
   * ZeroMQ cannot tell which queued messages the logger received.
   */
  reachable(timeoutMs: number): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    return this.#probe(timeoutMs);
  }

  /**
   * Asks with a second, immediate socket whether a logger accepts
   * connections: ZeroMQ cannot say whether a queue was delivered.
   */
  async #probe(timeoutMs: number): Promise<boolean> {
    using probe = this.#context.socket(ZMQ.PUSH, {
      [ZMQ.IMMEDIATE]: 1,
      [ZMQ.LINGER]: 0,
      [ZMQ.IPV6]: this.#endpoint.startsWith("tcp://[") ? 1 : 0,
      ...pushOptions(this.#options.curve),
    });
    probe.connect(this.#endpoint);
    const [events] = await poll([probe], ZMQ.POLLOUT, timeoutMs);
    return (events & ZMQ.POLLOUT) !== 0;
  }

  /**
   * Waits until the logger took or refused this sender's handshake, at most
   * `timeoutMs`; `false` when that ran out first.
   */
  async #handshakeEnded(timeoutMs: number): Promise<boolean> {
    const started = Date.now();
    while (true) {
      try {
        this.#checkHandshake(true);
      } catch {
        return true; // refused: #refused says why
      }
      if (this.#watch.succeeded) return true;
      const left = timeoutMs - (Date.now() - started);
      if (left <= 0) return false;
      await poll(
        [this.#watch.monitor],
        ZMQ.POLLIN,
        Math.min(left, 2 ** 31 - 1),
      );
    }
  }

  /**
   * Closes the connection once everything queued is delivered. With a
   * `timeoutMs` it waits no longer than that, and resolves to `false` when
   * the logger could not be reached in that time: what was queued is then
   * lost, and the caller should say so. Without one it waits as long as it
   * takes and resolves to `true`.
   */
  async close(timeoutMs = Infinity): Promise<boolean> {
    if (this.#closed) return true;
    this.#closed = true;
    const started = Date.now();
    // Until a handshake has ended, queued messages may be waiting for a
    // logger that will refuse them; libzmq then drops them (or lingers for
    // ever), so learn how it ends first.
    let reachable = await this.#handshakeEnded(timeoutMs);
    if (reachable && this.#refused !== undefined) reachable = false;
    if (this.#refused !== undefined) timeoutMs = 0; // can never be delivered
    if (Number.isFinite(timeoutMs) && reachable) {
      const left = timeoutMs - (Date.now() - started);
      reachable = await this.#probe(Math.max(0, left));
    }
    const left = timeoutMs - (Date.now() - started);
    const linger = !reachable
      ? 0
      : Number.isFinite(left)
      ? Math.max(100, Math.round(left))
      : -1;
    this.#socket.set(ZMQ.LINGER, linger);
    this.#socket.close();
    this.#watch[Symbol.dispose]();
    await this.#context.terminate(); // returns when delivered, or linger ran out
    return reachable;
  }
}
