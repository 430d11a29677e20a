/**
 * `--forward relp://` and a RELP server that acknowledges some lines of a
 * session and then drops it (closes the connection without answering the
 * rest), as a server that crashes or restarts does: every line still
 * arrives, the lines acknowledged before the drop are not sent again (only
 * the others may come twice), and `--status` counts as forwarded exactly
 * what the server acknowledged, before the next session and after it. The
 * server is a small RELP server in the test: the lines it received and
 * acknowledged, session by session, are what it says.
 */

import assert from "node:assert/strict";
import {
  freePort,
  run,
  SENDER,
  tempDir,
  waitFor,
  waitForLines,
} from "./helpers.ts";
import { forwardStatus, startForwarding } from "./forward_helpers.ts";

/** Lines sent: "drop 0" to "drop LINES-1". */
const LINES = 20;
/** The first session acknowledges this many, then drops. */
const ACKNOWLEDGED_BEFORE_DROP = 7;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A syslog message the server received. */
interface Received {
  session: number;
  /** Its line's number (the N of "drop N"), or -1 when it is not one of the lines. */
  line: number;
  acknowledged: boolean;
}

/** Bytes from the client that are not RELP. */
class NotRelp extends Error {}

/** A RELP frame from the client. */
interface ClientFrame {
  txnr: number;
  command: string;
  data: string;
}

/**
 * Takes the whole frames (`TXNR SP COMMAND SP DATALEN [SP DATA] LF`, DATALEN
 * in bytes) off the front of `bytes`; returns them and the rest. Throws on
 * bytes that are not RELP, such as a frame whose DATALEN is not its length.
 */
function takeFrames(
  bytes: Uint8Array,
): { frames: ClientFrame[]; rest: Uint8Array } {
  const frames: ClientFrame[] = [];
  let at = 0;
  while (true) {
    const head = /^(\d{1,9}) ([a-z]{1,32}) (\d{1,9})/.exec(
      decoder.decode(bytes.subarray(at, at + 64)),
    );
    if (head === null) {
      if (
        bytes.length - at >= 64 ||
        /[^\d a-z]/.test(decoder.decode(bytes.subarray(at)))
      ) {
        throw new NotRelp(
          `not RELP: ${
            JSON.stringify(decoder.decode(bytes.subarray(at, at + 64)))
          }`,
        );
      }
      break;
    }
    const length = Number(head[3]);
    const start = at + head[0].length + (length > 0 ? 1 : 0);
    if (bytes.length < start + length + 1) break;
    if (bytes[start + length] !== 10) {
      throw new NotRelp(
        `a frame without its newline after ${length} bytes: ${
          JSON.stringify(decoder.decode(bytes.subarray(at, start + length + 1)))
        }`,
      );
    }
    frames.push({
      txnr: Number(head[1]),
      command: head[2],
      data: decoder.decode(bytes.subarray(start, start + length)),
    });
    at = start + length + 1;
  }
  return { frames, rest: bytes.slice(at) };
}

/** An answer frame. */
function answer(txnr: number, data: string): Uint8Array {
  const bytes = encoder.encode(data);
  return encoder.encode(
    bytes.length > 0
      ? `${txnr} rsp ${bytes.length} ${data}\n`
      : `${txnr} rsp 0\n`,
  );
}

/**
 * A RELP server on loopback. The first session that gets syslog messages
 * acknowledges ACKNOWLEDGED_BEFORE_DROP of them, then ends its side of the
 * connection without answering the rest (it reads them, and records them as
 * not acknowledged, until the client closes); every later session
 * acknowledges everything. It answers a session's `open` only once let
 * ({@link letOpen}): at the start, and again after the drop, so the test
 * sees the logger between two sessions.
 */
class DroppingRelpServer implements AsyncDisposable {
  readonly port = freePort();
  readonly received: Received[] = [];
  /** What the client sent that was not RELP, or not a command it may send. */
  readonly problems: string[] = [];
  /** The dropped session has ended: the client closed it, and every line it sent was read. */
  droppedEnded = false;
  #sessions = 0;
  #dropped = false;
  #opening!: Promise<void>;
  #letOpen!: () => void;
  readonly #listener: Deno.TcpListener;
  readonly #conns = new Set<Deno.TcpConn>();
  readonly #accepting: Promise<void>;

  constructor() {
    this.#holdOpens();
    const listener = Deno.listen({ hostname: "127.0.0.1", port: this.port });
    this.#listener = listener;
    this.#accepting = (async () => {
      for await (const conn of listener) {
        this.#conns.add(conn);
        this.#serve(conn, ++this.#sessions).finally(() => {
          this.#conns.delete(conn);
          try {
            conn.close();
          } catch {
            // Closed already.
          }
        });
      }
    })().catch(() => {});
  }

  /** Lets the sessions waiting to open, and the next ones, open (until the drop holds them again). */
  letOpen(): void {
    this.#letOpen();
  }

  #holdOpens(): void {
    this.#opening = new Promise((resolve) => this.#letOpen = resolve);
  }

  /** How many of the lines it acknowledged. */
  get acknowledged(): number {
    return this.received.filter((r) => r.acknowledged).length;
  }

  async #serve(conn: Deno.TcpConn, session: number): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    let pending: Uint8Array = new Uint8Array(0);
    let acknowledged = 0;
    let dropping = false;
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        const joined = new Uint8Array(pending.length + n);
        joined.set(pending);
        joined.set(buffer.subarray(0, n), pending.length);
        const { frames, rest } = takeFrames(joined);
        pending = rest;
        for (const frame of frames) {
          if (frame.command === "open") {
            await this.#opening;
            await conn.write(answer(
              frame.txnr,
              "200 OK\nrelp_version=0\nrelp_software=drop_test\ncommands=syslog",
            ));
          } else if (frame.command === "close") {
            await conn.write(answer(frame.txnr, ""));
          } else if (frame.command === "syslog") {
            const line = Number(/ drop (\d+)$/.exec(frame.data)?.[1] ?? -1);
            const acknowledge = !dropping &&
              (this.#dropped || acknowledged < ACKNOWLEDGED_BEFORE_DROP);
            this.received.push({ session, line, acknowledged: acknowledge });
            if (!acknowledge) continue;
            await conn.write(answer(frame.txnr, "200 OK"));
            acknowledged++;
            if (!this.#dropped && acknowledged === ACKNOWLEDGED_BEFORE_DROP) {
              // Drop the session: the next one waits until the test lets it open.
              this.#dropped = dropping = true;
              this.#holdOpens();
              await conn.closeWrite();
            }
          } else {
            this.problems.push(`session ${session}: a ${frame.command} frame`);
          }
        }
      }
    } catch (err) {
      // Else the connection broke: the client gave up on it.
      if (err instanceof NotRelp) {
        this.problems.push(`session ${session}: ${err.message}`);
      }
    }
    if (dropping) this.droppedEnded = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#letOpen();
    this.#listener.close();
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    }
    await this.#accepting;
  }
}

/** Asks `--status` until `done` holds for it; it must never count more lines forwarded than the server acknowledged. */
function waitForStatus(
  dir: string,
  server: DroppingRelpServer,
  what: string,
  done: (status: { text: string; forwarded: number }) => boolean,
) {
  let last = "";
  return waitFor(
    async () => {
      const status = await forwardStatus(dir);
      // Read after: the server's count only grows.
      const acknowledged = server.acknowledged;
      last = status.text;
      assert.ok(
        status.forwarded <= acknowledged,
        `the server acknowledged ${acknowledged} lines, and --status says: ${status.text}`,
      );
      return done(status) && status;
    },
    () => `--status to say ${what}; it said: ${last}`,
  );
}

Deno.test("--forward relp://: a server that acknowledges 7 of 20 lines and drops the session gets every line, only the unacknowledged twice, and --status counts what it acknowledged", async () => {
  using dir = tempDir();
  await using server = new DroppingRelpServer();
  const port = freePort();
  await using logger = await startForwarding(dir.path, [server.port], port, [
    "--forward",
    `relp://127.0.0.1:${server.port}`,
  ]);
  const input = `${dir.path}/lines.txt`;
  Deno.writeTextFileSync(
    input,
    Array.from({ length: LINES }, (_, i) => `drop ${i}\n`).join(""),
  );
  const sent = await run("sh", [
    "-c",
    'exec "$0" --port "$1" --stdin < "$2"',
    SENDER,
    String(port),
    input,
  ]);
  assert.equal(sent.code, 0, sent.stderr);
  // Every line is in the log before the first session opens: it gets them all.
  await waitForLines(`${dir.path}/log.txt`, LINES);
  server.letOpen();
  await waitFor(
    () => server.droppedEnded,
    "the first session to be dropped and closed",
  );

  // Between the sessions: the lines acknowledged, and only they, are forwarded.
  const first = server.received.filter((r) =>
    r.session === server.received[0].session
  );
  const unacknowledged = first.filter((r) => !r.acknowledged).map((r) =>
    r.line
  );
  assert.deepEqual(
    first.filter((r) => r.acknowledged).map((r) => r.line),
    [...Array(ACKNOWLEDGED_BEFORE_DROP).keys()],
  );
  assert.ok(
    unacknowledged.length > 0,
    "the logger sent no line past those acknowledged before the drop",
  );
  const between = await waitForStatus(
    dir.path,
    server,
    "it cannot reach the server",
    (status) => status.text.includes("cannot reach it now ("),
  );
  assert.equal(between.forwarded, ACKNOWLEDGED_BEFORE_DROP, between.text);
  assert.equal(between.sentAgain, unacknowledged.length, between.text);

  // The next session takes the rest.
  server.letOpen();
  const after = await waitForStatus(
    dir.path,
    server,
    `${LINES} lines forwarded`,
    (status) => status.forwarded >= LINES,
  );
  assert.equal(after.forwarded, LINES, after.text);
  assert.ok(!after.text.includes("cannot reach"), after.text);
  const acknowledged = server.received.filter((r) => r.acknowledged).map((r) =>
    r.line
  );
  assert.deepEqual(
    acknowledged,
    [...Array(LINES).keys()],
    "each line acknowledged once, in order",
  );
  const twice = server.received.map((r) => r.line).filter((line, i, all) =>
    all.indexOf(line) !== i
  );
  assert.deepEqual(twice, unacknowledged, "the lines that came twice");
  assert.deepEqual(server.problems, []);
  const end = await logger.stop();
  assert.equal(end.code, 0, end.stderr);
  assert.match(
    end.stderr,
    new RegExp(
      `forwarding to relp://\\S+ stopped \\(the server closed the connection\\).*\\n.*forwarding to relp://\\S+ again \\(${unacknowledged.length} lines it had sent before the failure went again`,
    ),
  );
});
