/**
 * The bound on what libzmq queues per sender (ZMQ_RCVHWM, from
 * queuedPerSender in lib/logger/pull_socket.ts) is on the logger's real
 * socket: with its main thread held still (it takes nothing) while libzmq's
 * I/O thread receives on (tests/peers/thread_holder.py), a sender of 1 MiB messages to a logger with
 * `--max-message-size 16M` (a bound of 16) can hand over only that many,
 * plus what the kernel's TCP buffers hold and the one its own queue holds.
 * (SIGSTOP would not do: it stops libzmq's thread too, and then only the
 * kernel's buffers fill.) Once let go, the logger writes every one of them.
 */

import assert from "node:assert/strict";
import { within } from "./waits.ts";
import { queuedPerSender } from "../lib/logger/pull_socket.ts";
import {
  Conversation,
  freePort,
  LOGGER,
  PEERS,
  PYTHON,
  run,
  tempDir,
  waitForLines,
  waitForPort,
  waitForSize,
} from "./helpers.ts";

const MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
/** Large, so that the kernel's buffers (tens of MiB at most) hold few. */
const SIZE = 1024 * 1024;
/** How long a send may wait before the sender counts itself stopped. */
const WAIT_MS = 1000;
/** The sender's own queue (SNDHWM 1 in tests/peers/queue_probe.py). */
const SENDER_QUEUE = 1;
/** A large message's ZMTP frame header on the wire: flags and 8 bytes of size. */
const FRAME_HEADER = 9;

/**
 * Bytes in the kernel's buffers of the TCP connections to `port`: what the
 * sender's side has not sent (tx_queue) and the logger's side has not read
 * (rx_queue), from /proc/net/tcp and tcp6.
 */
async function kernelBytes(port: number): Promise<number> {
  // Deno reads /proc only with --allow-all; cat needs just --allow-run.
  const out = await run("cat", ["/proc/net/tcp", "/proc/net/tcp6"]);
  assert.equal(out.code, 0, out.stderr);
  let bytes = 0;
  for (const line of out.stdout.split("\n")) {
    const [, local, remote, state, queues] = line.trim().split(/\s+/);
    if (state !== "01") continue; // ESTABLISHED
    const ports = [local, remote].map((a) => parseInt(a.split(":")[1], 16));
    if (!ports.includes(port)) continue;
    const [tx, rx] = queues.split(":").map((hex) => parseInt(hex, 16));
    bytes += tx + rx;
  }
  return bytes;
}

/**
 * The most bytes the kernel may buffer on one TCP connection: the largest
 * receive buffer (tcp_rmem) on one end and send buffer (tcp_wmem) on the
 * other, which it grows to as it sees fit.
 */
async function kernelMax(): Promise<number> {
  const out = await run("cat", [
    "/proc/sys/net/ipv4/tcp_rmem",
    "/proc/sys/net/ipv4/tcp_wmem",
  ]);
  assert.equal(out.code, 0, out.stderr);
  const [rmem, wmem] = out.stdout.trim().split("\n").map((line) =>
    Number(line.trim().split(/\s+/)[2])
  );
  return rmem + wmem;
}

Deno.test(
  `a logger that takes nothing lets one sender queue only queuedPerSender(16M) = ${
    queuedPerSender(MAX_MESSAGE_SIZE)
  } messages of 1 MiB (beyond the kernel's buffers), and writes them all once it takes again`,
  async () => {
    using dir = tempDir();
    const port = freePort();
    const log = `${dir.path}/log.txt`;
    const bound = queuedPerSender(MAX_MESSAGE_SIZE);
    // Well above the bound and the kernel's buffers: what the sender stops
    // at if nothing bounds the logger's queue.
    const cap = bound + SENDER_QUEUE + Math.ceil(await kernelMax() / SIZE) +
      16;
    // The logger as the holder's child: a process may trace its descendants.
    await using logger = new Conversation(PYTHON, [
      `${PEERS}thread_holder.py`,
      LOGGER,
      "--port",
      String(port),
      "--max-message-size",
      "16M",
    ], { cwd: dir.path });
    const pid = Number(await logger.ask("pid"));
    await waitForPort(port);
    await using probe = new Conversation(PYTHON, [
      `${PEERS}queue_probe.py`,
      String(port),
      String(SIZE),
      String(cap),
      String(WAIT_MS),
    ]);
    // Connected, and its queue in the logger's socket in place.
    assert.equal(await waitForLines(log, 1), "ready\n");
    assert.equal(await logger.ask("hold"), "held");
    const sent = Number(await probe.ask("go"));
    const inKernel = await kernelBytes(port) / (SIZE + FRAME_HEADER);
    // What the logger's socket holds, and the parts of the message being
    // written and the one being read at the two ends of the connection (less
    // than 2 in all).
    const queued = sent - inKernel - SENDER_QUEUE;
    assert.ok(
      queued > bound - 0.001 && queued < bound + 2,
      `the sender handed over ${sent} messages of 1 MiB, ${
        inKernel.toFixed(2)
      } of them in the kernel's buffers: the logger's socket queued ${
        queued.toFixed(2)
      }, and its bound is ${bound}${
        sent === cap ? ` (the sender stopped at ${cap}, not blocked)` : ""
      }`,
    );

    assert.equal(await logger.ask("release"), "released");
    const all = "ready\n".length + sent * (SIZE + 1);
    await waitForSize(log, all, 30_000);
    const delivered = await probe.finish();
    assert.equal(delivered.code, 0, delivered.stderr);
    Deno.kill(pid, "SIGTERM");
    const end = await within(
      60_000,
      "the logger to end after SIGTERM",
      logger.finish(),
    );
    assert.equal(end.code, 0, end.stderr);
    assert.equal(
      end.stderr,
      `logging_basic: stopped; ${sent + 1} messages logged to ./log.txt\n`,
    );
    // Each message once, in the order sent.
    using file = Deno.openSync(log);
    assert.equal(file.statSync().size, all);
    const head = new Uint8Array(9);
    for (let seq = 0; seq < sent; seq++) {
      file.seekSync("ready\n".length + seq * (SIZE + 1), Deno.SeekMode.Start);
      file.readSync(head);
      assert.equal(
        new TextDecoder().decode(head),
        `${String(seq).padStart(8, "0")} `,
      );
    }
  },
);
