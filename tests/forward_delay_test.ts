/**
 * `--forward` never holds up the log: while the forwarder reads and sends a
 * 16 MiB line to Debian's real rsyslogd, a sender's line every 100 ms still
 * reaches the file at once.
 */

import assert from "node:assert/strict";
import { freePort, PYTHON, run, sleep, Streaming, tempDir } from "./helpers.ts";
import {
  Rsyslog,
  startForwarding,
  waitForForwarded,
} from "./forward_helpers.ts";

/** How late a line may reach the file, at most (it takes milliseconds). */
const MAX_DELAY_MS = 2000;
/** Ticks: one every 100 ms, this many. */
const TICKS = 60;

/** A python3-zmq sender of "tick N" every 100 ms; prints "N MS" (the time it sent, ms since the epoch) for each. */
function ticker(port: number): Streaming {
  return new Streaming(PYTHON, [
    "-c",
    `import sys, time, zmq
context = zmq.Context()
socket = context.socket(zmq.PUSH)
socket.connect('tcp://127.0.0.1:%s' % sys.argv[1])
start = time.time()
for n in range(int(sys.argv[2])):
    time.sleep(max(0, start + n * 0.1 - time.time()))  # the pace under test, not a wait
    sent = time.time()
    socket.send(('tick %d' % n).encode())
    print('%d %d' % (n, sent * 1000), flush=True)
socket.close(linger=5000)
context.term()`,
    String(port),
    String(TICKS),
  ], {});
}

/** Sends one message of `size` bytes of "x". */
async function sendBig(port: number, size: number): Promise<void> {
  const out = await run(PYTHON, [
    "-c",
    `import sys, zmq
context = zmq.Context()
socket = context.socket(zmq.PUSH)
socket.connect('tcp://127.0.0.1:%s' % sys.argv[1])
socket.send(b'big ' + b'\\x01' * (int(sys.argv[2]) - 4))
socket.close(linger=30000)
context.term()`,
    String(port),
    String(size),
  ]);
  assert.equal(out.code, 0, out.stderr);
}

/** Watches the log as it grows: when each "tick N" line was first there. */
class TickWatch {
  readonly seen = new Map<number, number>();
  #offset = 0;
  #rest = "";

  constructor(readonly path: string) {}

  look(): void {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(this.path);
    } catch {
      return;
    }
    using _ = file;
    const now = Date.now();
    file.seekSync(this.#offset, Deno.SeekMode.Start);
    const buffer = new Uint8Array(1 << 20);
    const decoder = new TextDecoder();
    for (let n; (n = file.readSync(buffer)) !== null;) {
      this.#offset += n;
      const text = this.#rest + decoder.decode(buffer.subarray(0, n));
      const lines = text.split("\n");
      this.#rest = lines.pop()!.slice(0, 64); // a long line: only its start matters
      for (const line of lines) {
        const tick = /(?:^|"message":")tick (\d+)(?:"\}|$)/.exec(line);
        if (tick) this.seen.set(Number(tick[1]), now);
      }
    }
  }
}

/** Forwards a 16 MiB message of control characters while ticks come; fails on a tick later than MAX_DELAY_MS. */
async function forwardBigWhileTicking(format: "text" | "json"): Promise<void> {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  const port = freePort();
  await using logger = await startForwarding(
    dir.path,
    [rsyslog.tcpPort],
    port,
    [
      "--format",
      format,
      "--max-message-size",
      "16M",
      "--forward",
      `tcp://127.0.0.1:${rsyslog.tcpPort}`,
    ],
  );
  await using ticks = ticker(port);
  const watch = new TickWatch(`${dir.path}/log.txt`);
  const big = (async () => {
    await ticks.waitForLines(10);
    await sendBig(port, 16 * 1024 * 1024);
  })();
  const forwardedBig = () =>
    rsyslog.lines().some((line) => / big (#001){100}/.test(line));
  let bigForwarded = false;
  let worst = 0;
  // Each tick printed is looked for in the file until MAX_DELAY_MS after it was sent.
  while (watch.seen.size < TICKS) {
    watch.look();
    bigForwarded ||= forwardedBig();
    for (const line of ticks.lines) {
      const [n, sent] = line.split(" ").map(Number);
      const seen = watch.seen.get(n);
      const delay = (seen ?? Date.now()) - sent;
      worst = Math.max(worst, seen === undefined ? 0 : delay);
      assert.ok(
        delay <= MAX_DELAY_MS,
        `tick ${n} ${
          seen === undefined ? "is not in the file" : "reached the file"
        } ${delay} ms after it was sent`,
      );
    }
    // The sampling interval of this measurement (each tick's arrival is
    // timed to 10 ms), not a stand-in for a condition: the loop ends on one.
    await sleep(10); // the sampling interval, not a stand-in
  }
  await big;
  // The long line was forwarded (cut) while the ticks came, and they after it.
  assert.ok(
    bigForwarded,
    "rsyslog did not have the long line before the last tick",
  );
  await waitForForwarded(rsyslog, TICKS + 1);
  const status = (await run("cat", [`/proc/${logger.pid}/status`])).stdout;
  console.log(
    `${format}: worst delay of a tick: ${worst} ms; logger's peak RSS: ${
      /VmHWM:\s+(\d+ kB)/.exec(status)?.[1]
    }`,
  );
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
}

// In text, each of its bytes is escaped to four: a line of 64 MiB.
Deno.test("--forward: while a 16 MiB message (a 64 MiB text line) is forwarded, a line sent every 100 ms reaches the file within 2 s", async () => {
  await forwardBigWhileTicking("text");
});

// In JSON, to six (\u0001): a line of 96 MiB.
Deno.test("--forward --format json: while a 16 MiB message (a 96 MiB JSON line) is forwarded, a line sent every 100 ms reaches the file within 2 s", async () => {
  await forwardBigWhileTicking("json");
});
