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

import { describe } from "./cli.ts";
import { LogSender, type SenderCurve } from "./sender.ts";
import {
  HEADER_ROOM,
  type SenderOptions,
  splitText,
} from "./sender_options.ts";

const PROGRAM = "log_cmd_basic";

/**
 * Sends each line of standard input as a message, skipping empty lines and
 * cutting a line longer than the logger takes (`maxMessageSize`). Rejects
 * with one line, saying how many lines went, when not all could be sent.
 */
export async function sendLines(
  options: SenderOptions,
  curve: SenderCurve | undefined,
  maxMessageSize: number,
): Promise<void> {
  const where = `${options.host}:${options.port}`;
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
  let sent = 0;
  let told = false;
  const onSlow = () => {
    if (told) return;
    told = true;
    const limit = options.timeout === undefined
      ? "Ctrl-C to give up"
      : `giving up after ${options.timeout} s`;
    console.error(
      `${PROGRAM}: waiting for the logger at ${where}; ${sent} lines sent, the rest wait (${limit})`,
    );
  };
  const sendLine = async (line: string) => {
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line === "") return;
    for (const piece of splitText(line, maxText)) {
      await sender.sendRaw(
        sender.format(options.level, piece),
        timeoutMs,
        onSlow,
      );
      sent++;
    }
  };
  try {
    await forEachLine(Deno.stdin.readable, maxText, sendLine);
  } catch (err) {
    await sender.close(0);
    throw new Error(`${describe(err)}; ${sent} lines sent`);
  }
  if (!await sender.close(timeoutMs)) {
    throw new Error(
      `${
        sender.refused ?? `no logger at ${where} after ${options.timeout} s`
      }; up to ${sent} lines were not delivered`,
    );
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
