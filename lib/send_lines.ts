/**
 * `--stdin`: each line of standard input is sent as a message, through a
 * {@link LogSender}. It reads no more than it can send: while the logger is
 * away and the buffer is full it stops reading, so memory stays bounded on
 * endless input.
 *
 * @example
 * ```ts
 * import { sendLines } from "./lib/send_lines.ts";
 * // some_program | ./log_cmd_basic.ts --stdin
 * await sendLines(options, undefined, 65536);
 * ```
 *
 * @module
 */

import { describe, Interrupted } from "./cli.ts";
import { LogSender, type SenderCurve, WAIT_NOTICE_MS } from "./sender.ts";
import {
  HEADER_ROOM,
  hostPort,
  type SenderOptions,
  splitText,
} from "./sender_options.ts";

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
  options: SenderOptions,
  curve: SenderCurve | undefined,
  maxMessageSize: number,
): Promise<void> {
  const where = hostPort(options.host, options.port);
  const timeoutMs = options.timeout === undefined
    ? Infinity
    : options.timeout * 1000;
  const sender = new LogSender({
    host: options.host,
    port: options.port,
    tag: options.tag ?? PROGRAM,
    hostname: options.hostname,
    timestamps: options.timestamps,
    plain: !options.header,
    curve,
  });
  const maxText = maxMessageSize - HEADER_ROOM;
  const limit = options.timeout === undefined
    ? "Ctrl-C to give up"
    : `giving up after ${options.timeout} s`;
  let sent = 0;
  let read = 0;
  let seen = false; // a logger took the connection at some point
  let closing = false;
  let stopping = false;
  // Half a second without a logger: say so, as the one-shot command does.
  sender.reachable(WAIT_NOTICE_MS).then((there) => {
    seen ||= there;
    if (!there && !stopping && sender.refused === undefined) {
      console.error(
        `${PROGRAM}: waiting for the logger at ${where} (${limit})`,
      );
    }
  }, () => {});
  let told = false;
  const onSlow = () => {
    if (told) return;
    told = true;
    console.error(
      `${PROGRAM}: waiting for the logger at ${where}; ${sent} lines sent, the rest wait (${limit})`,
    );
  };
  const sendLine = async (line: string) => {
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line === "") return;
    for (const piece of splitText(line, maxText)) {
      read++;
      await sender.sendRaw(
        sender.format(options.level, piece),
        timeoutMs,
        onSlow,
      );
      sent++;
    }
  };
  // Ctrl-C: say what may be lost, then stop (the caller exits 130).
  let stop = (_: Interrupted) => {};
  const stopped = new Promise<never>((_, reject) => {
    stop = reject;
  });
  const onInterrupt = async () => {
    if (stopping) return;
    stopping = true;
    if (!closing) seen ||= await sender.reachable(200).catch(() => false);
    const why = seen
      ? `ZeroMQ cannot tell how many the logger at ${where} received`
      : `the logger at ${where} was not reached`;
    stop(
      new Interrupted(
        `stopped by Ctrl-C: ${count(read)} lines read, up to ${
          count(read)
        } not delivered (${why})`,
      ),
    );
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  const work = (async () => {
    try {
      await forEachLine(Deno.stdin.readable, maxText, sendLine);
    } catch (err) {
      if (stopping) return;
      await sender.close(0);
      throw new Error(`${describe(err)}; ${sent} lines sent`);
    }
    closing = true;
    if (!await sender.close(timeoutMs)) {
      throw new Error(
        `${
          sender.refused ?? `no logger at ${where} after ${options.timeout} s`
        }; up to ${sent} lines were not delivered`,
      );
    }
  })();
  work.catch(() => {}); // once stopped by Ctrl-C, what it meets does not matter
  try {
    await Promise.race([work, stopped]);
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }
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
