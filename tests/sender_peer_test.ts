/**
 * What the sender says when no logger takes its connection for a reason it
 * can tell: the host name does not resolve, or what answers at the address is
 * not a ZeroMQ logger (a web server, rsyslog's TCP input, a server that
 * greets with a banner, one that hangs up). Real listeners on loopback, the
 * real sender through its shebang.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Rsyslog } from "./forward_helpers.ts";
import {
  Background,
  freePort,
  type Outcome,
  PYTHON,
  run,
  SENDER,
  tempDir,
  waitForPort,
} from "./helpers.ts";

/**
 * A plain TCP server on loopback port argv[1]: `banner` greets each
 * connection with an SSH server's line and keeps it, `hangup` closes each at
 * once. It prints, for each connection, what it received as hex.
 */
const SERVER = `
import socket, sys, threading
port, mode = int(sys.argv[1]), sys.argv[2]
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(16)
print("listening", flush=True)
def serve(conn):
    if mode == "hangup":
        conn.close()
        return
    conn.sendall(b"SSH-2.0-OpenSSH_9.2\\r\\n")
    got = b""
    while True:
        data = conn.recv(4096)
        if not data:
            break
        got += data
    print("received", got.hex(), flush=True)
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
`;

/** A server of {@link SERVER}'s, listening. */
async function plainServer(port: number, mode: "banner" | "hangup") {
  const server = new Background(PYTHON, ["-c", SERVER, String(port), mode]);
  await server.waitForStdout("listening\n");
  return server;
}

/** The one-shot sender and `--stdin` (two lines), each with `args`. */
async function sendBoth(args: string[]): Promise<[Outcome, Outcome]> {
  const once = await run(SENDER, [...args, "hello"]);
  // The shell gives --stdin its two lines and the end of its input.
  await using stdin = new Background("sh", [
    "-c",
    `printf 'a line\\nanother\\n' | exec "$0" --stdin "$@"`,
    SENDER,
    ...args,
  ]);
  return [once, await stdin.finish(30_000)];
}

Deno.test("a host name that does not resolve: the sender says so while it waits, and gives up at --timeout saying why", async () => {
  const args = ["--host", "nosuch.invalid", "--timeout", "1.5"];
  const [once, stdin] = await sendBoth(args);
  // Said while it waits: at the notice, or once the resolver has answered.
  const waiting =
    "log_cmd_basic: waiting for the logger at nosuch.invalid:5555: the host name nosuch.invalid does not resolve (yet) (giving up after 1.5 s)\n";
  const gaveUp =
    "log_cmd_basic: no logger at nosuch.invalid:5555 after 1.5 s: the host name nosuch.invalid does not resolve";
  assert.equal(once.code, 1);
  assert.ok(once.stderr.includes(waiting), once.stderr);
  assert.ok(once.stderr.endsWith(`${gaveUp}; message not sent\n`), once.stderr);
  assert.equal(stdin.code, 1);
  assert.ok(stdin.stderr.includes(waiting), stdin.stderr);
  assert.ok(
    stdin.stderr.endsWith(`${gaveUp}; up to 2 lines were not delivered\n`),
    stdin.stderr,
  );
});

Deno.test("a sender aimed at a web server or rsyslog's TCP input, which take the connection and say nothing, is told that what answers is not a ZeroMQ logger", async () => {
  using dir = tempDir();
  await using rsyslog = new Rsyslog(dir.path);
  await rsyslog.start();
  const web = freePort();
  await using _web = new Background(PYTHON, [
    "-m",
    "http.server",
    "--bind",
    "127.0.0.1",
    String(web),
  ], { cwd: dir.path });
  await waitForPort(web);
  for (const port of [web, rsyslog.tcpPort]) {
    const where = `localhost:${port}`;
    const [once, stdin] = await sendBoth([
      "-p",
      String(port),
      "--timeout",
      "1.5",
    ]);
    const waiting =
      `log_cmd_basic: waiting for the logger at ${where}: what answers there took the connection but has not greeted as ZeroMQ does (is it a ZeroMQ logger?) (giving up after 1.5 s)\n`;
    const gaveUp =
      `log_cmd_basic: no logger at ${where} after 1.5 s: what answers there took the connection but never greeted as ZeroMQ does, so it is not a ZeroMQ logger (or one that cannot take more connections)`;
    assert.equal(once.code, 1, where);
    assert.equal(once.stderr, `${waiting}${gaveUp}; message not sent\n`);
    assert.equal(stdin.code, 1, where);
    assert.equal(
      stdin.stderr,
      `${waiting}${gaveUp}; up to 2 lines were not delivered\n`,
    );
  }
});

Deno.test("a sender aimed at a server that greets with a banner or hangs up is told at once that what answers is not a ZeroMQ logger, and sends it nothing", async () => {
  for (const mode of ["banner", "hangup"] as const) {
    const port = freePort();
    await using server = await plainServer(port, mode);
    const why = mode === "banner"
      ? `it answered "SSH-2.0-OpenSSH_9.2\\r\\n"`
      : "it closed the connection without ZeroMQ's greeting";
    const said =
      `log_cmd_basic: what answers at localhost:${port} is not a ZeroMQ logger: ${why}`;
    // No --timeout: the answer is no wait.
    const [once, stdin] = await sendBoth(["--port", String(port)]);
    assert.equal(once.code, 1, mode);
    assert.equal(once.stderr, `${said}\n`);
    assert.equal(stdin.code, 1, mode);
    assert.match(
      stdin.stderr,
      new RegExp(
        `^${
          RegExp.escape(said)
        }; (0 lines sent|up to 2 lines were not delivered)\\n$`,
      ),
    );
    const received = (await server.stop("SIGKILL")).stdout;
    for (const text of ["hello", "a line", "another"]) {
      const hex = new TextEncoder().encode(text).toHex();
      assert.ok(
        !received.includes(hex),
        `${mode}: ${text} went to ${received}`,
      );
    }
  }
});
