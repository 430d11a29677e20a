/**
 * The sender's `--help`, loaded only when asked for.
 *
 * @example
 * ```ts
 * import { senderUsage } from "./sender_usage.ts";
 * console.log(senderUsage({ host: "localhost", port: 5555, maxMessageSize: 65536 }));
 * ```
 *
 * @module
 */

import { commandName } from "../base/words.ts";
import { KEYS_DIR } from "../curve/keys.ts";
import { LEVELS } from "../log/wire.ts";
import type { SenderDefaults } from "./sender_options.ts";

/** The sender's `--help`, for the book's defaults in `defaults`. */
export function senderUsage(defaults: SenderDefaults): string {
  const COMMAND = commandName("log_cmd_basic");
  const { host: HOST, port: PORT } = defaults;
  return `Basic utility to send logs to the logger: joins its arguments
into one message and sends it to the logger (logging_basic).

Usage: ${COMMAND} [options] [--] word...
       some_program | ${COMMAND} --stdin [options]

Options:
  -H, --host HOST       logger's host name or IP address (default ${HOST})
  -p, --port PORT       logger's TCP port (default ${PORT})
      --timeout SECS    give up if the logger is not there within SECS seconds,
                        or (--stdin) stops answering for that long
                        (default: wait for it as long as it takes)
  -l, --level LEVEL     ${LEVELS.join(", ")} (or warning, err, crit, ...)
  -t, --tag TAG         what is logging, like logger -t (one word)
  -T, --timestamps      put this machine's time in the message
      --hostname NAME   the host name to give (default: this machine's)
      --stdin           send each line of standard input as a message;
                        empty lines are skipped

CurveZMQ, for a logger started with --curve-key (key files in ${KEYS_DIR}/):
      --curve-server-key KEY|FILE  the logger's public key, or its file:
                        encrypts, and only that logger can read the messages
      --curve-key FILE  this sender's key pair, for a logger with an allow-list
                        (default: a new pair each run)
      --keygen          print a new key pair file and exit; kept secret:
  mkdir -p ${KEYS_DIR} && (umask 077; ${COMMAND} --keygen > ${KEYS_DIR}/sender.key)
  -h, --help            print this help and exit

Options come first; the first word that is not an option starts the message.
Put -- before a message whose first word starts with '-'.

With --level, --tag, --timestamps or --hostname the message starts with a
header the logger reads: <LEVEL> SENT-TIME HOST TAG: text. Without them it
is sent as it is, like the book's script.

Example: ${COMMAND} arg1 arg2 arg3   logs the line "arg1 arg2 arg3"`;
}
