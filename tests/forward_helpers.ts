/**
 * What the `--forward` tests share: Debian's real rsyslogd, started by each
 * test in the foreground on loopback ports with its own directory, and the
 * logger started with the permissions forwarding needs.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  Background,
  docsText,
  freePort,
  LOGGER,
  PYTHON,
  readText,
  run,
  sleep,
  waitForPort,
} from "./helpers.ts";

const RSYSLOGD = "/usr/sbin/rsyslogd";

/** What rsyslog writes for each message: the fields a forwarded line maps to. */
export const FIELDS =
  "%syslogseverity-text% %syslogfacility-text% %hostname% %app-name% %timereported:::date-rfc3339% %msg%\\n";

/** The README's rsyslog configuration for RELP ("Beyond one machine"): what users copy. */
function readmeRelpInput(): string {
  const readme = docsText();
  const block = /```text\n(module\(load="imrelp"\)\n[^`]*)```/.exec(readme)
    ?.[1];
  assert.ok(
    block?.includes('input(type="imrelp" port="2514")'),
    "the README's imrelp block",
  );
  return block!;
}

/** How a test's rsyslog differs from the usual one. */
export interface RsyslogOptions {
  /**
   * `false`: rsyslog keeps control characters it receives raw (its
   * `parser.escapeControlCharactersOnReceive="off"`), so a raw newline in a
   * message writes a second record.
   */
  escapeControls?: boolean;
}

/** Debian's rsyslogd in the foreground, with a RELP and a TCP input on loopback. */
export class Rsyslog implements AsyncDisposable {
  readonly relpPort = freePort();
  readonly tcpPort = freePort();
  readonly out: string;
  readonly #conf: string;
  readonly #pid: string;
  #process?: Background;

  constructor(readonly dir: string, options: RsyslogOptions = {}) {
    this.out = `${dir}/rsyslog.out`;
    this.#conf = `${dir}/rsyslog.conf`;
    this.#pid = `${dir}/rsyslog.pid`;
    Deno.mkdirSync(`${dir}/rsyslog-work`, { recursive: true });
    const escape = options.escapeControls === false
      ? ' parser.escapeControlCharactersOnReceive="off"'
      : "";
    // A direct main queue: a RELP message is acknowledged only once written.
    // rsyslogd's own messages stay inside (not to the system's /dev/log) and
    // go nowhere: only the inputs' ruleset writes the file.
    Deno.writeTextFileSync(
      this.#conf,
      `global(workDirectory="${dir}/rsyslog-work" processInternalMessages="on"${escape})
main_queue(queue.type="direct")
${
        readmeRelpInput().replace(
          'port="2514"',
          `port="${this.relpPort}" address="127.0.0.1" ruleset="forwarded"`,
        )
      }
module(load="imtcp")
input(type="imtcp" port="${this.tcpPort}" address="127.0.0.1" ruleset="forwarded")
template(name="fields" type="string" string="${FIELDS}")
ruleset(name="forwarded") {
  action(type="omfile" file="${this.out}" template="fields")
}
`,
    );
  }

  async start(): Promise<void> {
    this.#process = new Background(RSYSLOGD, [
      "-n",
      "-f",
      this.#conf,
      "-i",
      this.#pid,
    ]);
    await waitForPort(this.relpPort);
    await waitForPort(this.tcpPort);
  }

  async stop(): Promise<void> {
    const out = await this.#process?.stop("SIGTERM");
    this.#process = undefined;
    assert.equal(out?.code ?? 0, 0, out?.stderr);
  }

  /** Kills rsyslogd at once (SIGKILL): the connections it had are reset, with what it had not read. */
  async kill(): Promise<void> {
    await this.#process?.stop("SIGKILL");
    this.#process = undefined;
  }

  /** Sends rsyslogd a signal: SIGSTOP stops it reading anything (a stalled server), SIGCONT lets it go on. */
  signal(signal: Deno.Signal): void {
    this.#process?.kill(signal);
  }

  /** The messages rsyslog wrote so far. */
  lines(): string[] {
    try {
      return readText(this.out).split("\n").filter(Boolean);
    } catch {
      return [];
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#process?.stop("SIGKILL");
  }
}

/** Deno's flags for a forwarding logger to `ports` on loopback: the shebang's and what forwarding needs. */
export function forwardingFlags(ports: number[]): string[] {
  const shebang = Deno.readTextFileSync(LOGGER).split("\n")[0];
  const flags = shebang.split(" ").filter((word) =>
    word.startsWith("-") && word !== "-S"
  );
  return [
    ...flags,
    `--allow-net=${ports.map((port) => `127.0.0.1:${port}`).join(",")}`,
    "--allow-read=./log.txt.forward",
    "--allow-write=./log.txt.forward",
  ];
}

/** `deno run FLAGS logging_basic.ts ARGS` in `dir`, forwarding to `ports`, waited for until it listens. */
export async function startForwarding(
  dir: string,
  ports: number[],
  port: number,
  args: string[],
): Promise<Background> {
  const logger = new Background("deno", [
    "run",
    ...forwardingFlags(ports),
    LOGGER,
    "--port",
    String(port),
    ...args,
  ], { cwd: dir });
  await waitForPort(port);
  return logger;
}

/** Waits until rsyslog has written `count` lines; fails at the deadline. */
export async function waitForForwarded(
  rsyslog: Rsyslog,
  count: number,
  ms = 30_000,
) {
  const deadline = Date.now() + ms;
  while (rsyslog.lines().length < count) {
    if (Date.now() > deadline) {
      throw new Error(
        `rsyslog has ${rsyslog.lines().length} of ${count} lines after ${ms} ms`,
      );
    }
    await sleep(100); // a poll's pause: the loop waits for rsyslog's lines
  }
}

/**
 * A python3-zmq sender: COUNT messages "NAME SEQ", BATCH at a time, PAUSE
 * seconds apart (by default 100 every 10 ms).
 */
export function burstSender(
  port: number,
  count: number,
  name: string,
  pace: { batch: number; pause: number } = { batch: 100, pause: 0.01 },
): Background {
  return new Background(PYTHON, [
    "-c",
    `import sys, time, zmq
context = zmq.Context()
socket = context.socket(zmq.PUSH)
socket.connect('tcp://127.0.0.1:%s' % sys.argv[1])
batch, pause = int(sys.argv[4]), float(sys.argv[5])
start = time.monotonic()
for seq in range(int(sys.argv[2])):
    socket.send(('%s %d' % (sys.argv[3], seq)).encode())
    if seq % batch == batch - 1:
        time.sleep(max(0, start + pause * (seq + 1) / batch - time.monotonic()))  # the pace
socket.close()
context.term()`,
    String(port),
    String(count),
    name,
    String(pace.batch),
    String(pace.pause),
  ]);
}

/** The SEQ numbers of NAME's messages among `lines` (each "... NAME SEQ"), each once. */
export function seqs(lines: string[], name: string): Set<number> {
  return new Set(
    lines.map((line) => new RegExp(` ${name} (\\d+)$`).exec(line)?.[1])
      .filter((seq) => seq !== undefined).map(Number),
  );
}

/**
 * What `./logging_basic.ts --status` in `dir` says of forwarding: its text,
 * and the lines it counts as forwarded, sent again and possibly lost (0 when
 * it does not name them).
 *
 * @example
 * ```ts
 * const { forwarded } = await forwardStatus(dir.path);
 * ```
 */
export async function forwardStatus(dir: string): Promise<
  { text: string; forwarded: number; sentAgain: number; mayBeLost: number }
> {
  const out = await run(LOGGER, ["--status"], { cwd: dir });
  assert.equal(out.code, 0, out.stderr);
  const number = (re: RegExp) => Number(re.exec(out.stdout)?.[1] ?? 0);
  return {
    text: out.stdout.trim(),
    forwarded: number(/; (\d+) lines? forwarded/),
    sentAgain: number(/(\d+) lines? sent again/),
    mayBeLost: number(/(\d+) lines? may be lost/),
  };
}
