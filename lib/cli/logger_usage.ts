/**
 * The logger's `--help`: every option, grouped by mode, with the book's
 * defaults filled in. Kept apart from the parser (lib/cli/logger_options.ts) so
 * each reads in one sitting; when an option is added there, it is added here.
 *
 * @example
 * ```ts
 * import { loggerUsage } from "./logger_usage.ts";
 * const defaults = { port: 5555, bind: "*", file: "./log.txt", maxMessageSize: 65536 };
 * console.log(loggerUsage(defaults)); // "A very basic logger: ..."
 * ```
 *
 * @module
 */

import { commandName } from "../base/words.ts";
import { KEYS_DIR } from "../curve/keys.ts";
import type { LoggerDefaults } from "./logger_options.ts";
import { LINEAR_ENGINE_FLAG } from "../log/pattern.ts";
import { LEVELS } from "../log/wire.ts";

/** The logger's `--help`, for the book's defaults in `defaults`. */
export function loggerUsage(defaults: LoggerDefaults): string {
  const COMMAND = commandName("logging_basic");
  const SENDER_COMMAND = commandName("log_cmd_basic");
  const { port: PORT, bind: BIND_ADDRESS, file: LOG_FILENAME } = defaults;
  return `A very basic logger: appends every ZeroMQ message it receives,
as one line, to a log file.

Usage: ${COMMAND} [options]             listen and log
       ${COMMAND} --show [filters]      read the log
       ${COMMAND} --stats [filters]     count the log over time
       ${COMMAND} --set-level LEVEL     change a running logger's level
       ${COMMAND} --status              ask a running logger what it did
       ${COMMAND} --reopen              reopen a running logger's file
       ${COMMAND} --verify --verify-key KEY   check a sealed log

Options:
  -p, --port PORT          TCP port to listen on (default ${PORT})
  -b, --bind ADDR          address to listen on; * is every interface (default ${BIND_ADDRESS})
  -f, --file PATH          log file, appended to, never truncated (default ${LOG_FILENAME})
  -T, --timestamps         start each line with the time it arrived (RFC 3339, UTC)
      --format text|json   lines as they came (default), or JSON Lines
      --max-message-size N largest message, bytes or K/M (default 64K); a
                           sender of a larger one is disconnected

Filters, where logs are stored and with --show:
  -l, --level LEVEL        drop messages below LEVEL: ${LEVELS.join(", ")}
                           (messages without a level are info)
      --include REGEX      keep only messages whose text matches (repeatable)
      --exclude REGEX      drop messages whose text matches (repeatable)
      --include-host REGEX keep only messages from matching hosts (repeatable)
      --exclude-host REGEX drop messages from matching hosts (repeatable)
                           Patterns run in linear time on any text: no
                           backreferences, lookaheads, (?i:) groups or repeat
                           counts above 16

${modeOptions(COMMAND, defaults)}

Send it logs with ${SENDER_COMMAND}, or any ZeroMQ PUSH socket.
Stop it with Ctrl-C; --status prints what it has logged and dropped; --reopen
(or SIGHUP) opens the log file again (after logrotate) and reads --curve-allow
again. --set-level, --status and --reopen reach the logger of --file only.

${
    Deno.build.standalone
      ? `This binary may write only the file it was built for. For another:
  deno task compile --file PATH`
      : `The shebang allows ${LOG_FILENAME} only. For another file, grant it:
  deno run -q --no-prompt -P=logging_basic \\
    ${LINEAR_ENGINE_FLAG} \\
    --allow-write=PATH,PATH.ctl --allow-read=PATH logging_basic.ts --file PATH`
  }`;
}

/** The options of --show, --stats, --forward and CurveZMQ, for `--help`. */
function modeOptions(COMMAND: string, defaults: LoggerDefaults): string {
  const LOG_FILENAME = defaults.file;
  return `Reading the log (--show):
      --since TIME         from TIME: 2026-11-24T10:00 (local), ...Z (UTC),
                           today, yesterday, -30m, -2h, -7d
      --until TIME         up to TIME
  -n, --lines N            only the last N matching lines
  -F, --follow             keep printing new lines as they arrive (tail -f)
  -C, --context N          N lines before and after each, from its host and
                           tag (as grep -C: groups apart by --)
  -B, --before-context N   N lines before each, from its host and tag
  -A, --after-context N    N lines after each, from its host and tag

Counting the log (--stats; also takes the filters, --since and --until):
      --by level|host|tag  a column per level (default), host or tag
      --every 10m          one row per 10 minutes (s, m, h, d, w); by
                           default a screenful of rows
      --format FORMAT      text (default), csv, json, or html: a page with
                           charts, ${COMMAND} --stats --format html > report.html
      --capacity           messages and bytes per host and day, busiest
                           minutes, silent hosts, the log's growth a day and
                           the days until its disk is full

Forwarding to syslog (rsyslog and the like), each line as RFC 5424:
      --forward URL        relp://HOST:PORT (acknowledged: nothing lost) or
                           tcp://HOST:PORT (octet-counted); needs
                           --allow-net=HOST:PORT and read and write of
                           ${LOG_FILENAME}.forward, where it keeps its place
      --facility NAME      syslog facility: user (default), daemon, local0-7

Sealing, an audit trail no one rewrites unseen (docs/seal.md); it needs read
and write of ${LOG_FILENAME}.seal and ${LOG_FILENAME}.seal-key, and says how:
      --seal-init          make the sealing key and print the verification
                           key, once: keep it off this machine
      --seal               seal each write to the log in ${LOG_FILENAME}.seal
      --verify             check the log against its seal file (for several,
                           a --file each, oldest first); exit 0 if all holds
      --verify-key KEY     with --verify: the key --seal-init printed

CurveZMQ, encryption and sender keys (key files are read from ${KEYS_DIR}/):
      --keygen             print a new key pair file and exit; kept secret:
  mkdir -p ${KEYS_DIR} && (umask 077; ${COMMAND} --keygen > ${KEYS_DIR}/logger.key)
      --curve-key FILE     encrypt: senders must know this key pair's public key
      --curve-allow FILE   let in only senders whose public key is in FILE (one
                           per line, a name may follow); refusals are logged

  -h, --help               print this help and exit`;
}
