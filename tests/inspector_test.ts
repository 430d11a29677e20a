/**
 * Deno 2.9.2 and later open the V8 inspector (a debugger anyone on the
 * machine may connect to) on 127.0.0.1:9229 when a `deno run` process gets
 * SIGUSR1 (Deno's cli/worker.rs, `spawn_sigusr1_inspector_listener`). These
 * tests check what docs/hostile.md says of it:
 *
 * - nothing the docs offer for talking to a running logger (a message,
 *   `--status`, `--set-level`, `--reopen`, SIGHUP, SIGTERM) ever opens 9229,
 *   and `--help` offers no other signal;
 * - SIGUSR1 does open it, so the warning is still true: a Deno that drops the
 *   listener fails here, to have the docs updated, instead of going unseen.
 *
 * Each runs the logger through its shebang in a network namespace of its own
 * (`ip netns`, loopback up), so that no other process on the machine can hold
 * or see port 9229, and the book's own port 5555 is free there. They need root
 * (or CAP_SYS_ADMIN); elsewhere they are skipped, with the reason in the name.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  Background,
  LOGGER,
  readText,
  run,
  SENDER,
  tempDir,
} from "./helpers.ts";

/** Where Deno's inspector listens when SIGUSR1 starts it. */
const INSPECTOR_PORT = 9229;
/** The book's port: free in a namespace of our own. */
const LOGGER_PORT = 5555;
/** How long a condition may take before the test fails, saying what it waited for. */
const DEADLINE_MS = 15_000;
/** SIGUSR1's number on Linux: bit 9 of /proc/PID/status's SigCgt. */
const SIGUSR1_NUMBER = 10;

/** A network namespace of its own, removed by `using`. */
class NetworkNamespace implements Disposable {
  private constructor(readonly name: string) {}

  /** A new namespace with loopback up, or why there can be none here. */
  static open(): NetworkNamespace | string {
    const name = `zmqlog-inspector-${Deno.pid}-${
      crypto.randomUUID().slice(0, 8)
    }`;
    const add = ip(["netns", "add", name]);
    if (add !== undefined) return `ip netns add is not permitted here: ${add}`;
    const namespace = new NetworkNamespace(name);
    const up = ip(["netns", "exec", name, "ip", "link", "set", "lo", "up"]);
    if (up !== undefined) {
      namespace[Symbol.dispose]();
      return `cannot bring loopback up in a new namespace: ${up}`;
    }
    return namespace;
  }

  /** `command args` run inside the namespace. */
  argv(command: string, args: string[]): [string, string[]] {
    return ["ip", ["netns", "exec", this.name, command, ...args]];
  }

  /** The TCP ports something listens on in the namespace, with the listener's pid. */
  async listeners(): Promise<Map<number, string>> {
    const [command, args] = this.argv("ss", ["-ltnpH"]);
    const out = await run(command, args);
    assert.equal(out.code, 0, out.stderr);
    const ports = new Map<number, string>();
    for (const line of out.stdout.split("\n").filter(Boolean)) {
      const local = line.trim().split(/\s+/)[3];
      ports.set(Number(local.slice(local.lastIndexOf(":") + 1)), line);
    }
    return ports;
  }

  /** Waits until something listens on `port`; returns its `ss` line. */
  async waitFor(port: number, what: string): Promise<string> {
    const deadline = Date.now() + DEADLINE_MS;
    while (true) {
      const line = (await this.listeners()).get(port);
      if (line !== undefined) return line;
      if (Date.now() > deadline) {
        throw new Error(
          `nothing listened on ${port} after ${DEADLINE_MS} ms: ${what}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20)); // a poll's pause, not a stand-in
    }
  }

  [Symbol.dispose](): void {
    ip(["netns", "delete", this.name]);
  }
}

/** Runs `ip ARGS`; undefined when it worked, else what it said. */
function ip(args: string[]): string | undefined {
  try {
    const out = new Deno.Command("ip", {
      args,
      stdout: "null",
      stderr: "piped",
    })
      .outputSync();
    return out.success
      ? undefined
      : new TextDecoder().decode(out.stderr).trim();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Whether process `pid` has a handler for SIGUSR1 installed (Deno's, after its grace period). */
async function catchesSigusr1(pid: number): Promise<boolean> {
  // Through cat: Deno lets a script read /proc only with --allow-all.
  const status = (await run("cat", [`/proc/${pid}/status`])).stdout;
  const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? "0";
  return (BigInt(`0x${caught}`) >> BigInt(SIGUSR1_NUMBER - 1) & 1n) === 1n;
}

/** Waits until `pid` catches SIGUSR1: Deno installs its listener 500 ms after start. */
async function waitForSigusr1Handler(pid: number): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!(await catchesSigusr1(pid))) {
    if (Date.now() > deadline) {
      throw new Error(
        `process ${pid} installed no SIGUSR1 handler within ${DEADLINE_MS} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20)); // a poll's pause, not a stand-in
  }
}

/** Runs a script (logger or sender) through its shebang inside `ns`, in `cwd`. */
async function inside(
  ns: NetworkNamespace,
  script: string,
  args: string[],
  cwd: string,
): Promise<string> {
  const [command, argv] = ns.argv(script, args);
  const out = await run(command, argv, { cwd });
  assert.equal(out.code, 0, `${script} ${args.join(" ")}: ${out.stderr}`);
  return out.stdout + out.stderr;
}

const probe = NetworkNamespace.open();
const skip = typeof probe === "string" ? probe : undefined;
if (typeof probe !== "string") probe[Symbol.dispose]();

Deno.test({
  name:
    `a logger run through its shebang never listens on ${INSPECTOR_PORT}, whatever the docs have it asked, and --help offers no other signal${
      skip ? ` (skipped: ${skip})` : ""
    }`,
  ignore: skip !== undefined,
  async fn() {
    using ns = NetworkNamespace.open() as NetworkNamespace;
    using dir = tempDir();
    const help = await inside(ns, LOGGER, ["--help"], dir.path);
    const offered = new Set(help.match(/SIG[A-Z0-9]+/g) ?? []);
    for (const signal of offered) {
      assert.ok(
        ["SIGHUP", "SIGTERM", "SIGINT"].includes(signal),
        `--help offers ${signal}, which this test does not send`,
      );
    }
    const [command, args] = ns.argv(LOGGER, []); // the book's plain logger
    await using logger = new Background(command, args, { cwd: dir.path });
    await ns.waitFor(LOGGER_PORT, "the logger's port");
    // Past Deno's grace period: from now on its SIGUSR1 listener is in place.
    await waitForSigusr1Handler(logger.pid);
    const asked: [string, () => Promise<unknown>][] = [
      ["a message", () => inside(ns, SENDER, ["hello", "there"], dir.path)],
      ["--status", () => inside(ns, LOGGER, ["--status"], dir.path)],
      [
        "--set-level",
        () => inside(ns, LOGGER, ["--set-level", "warn"], dir.path),
      ],
      ["--reopen", () => inside(ns, LOGGER, ["--reopen"], dir.path)],
      ["SIGHUP", async () => {
        logger.kill("SIGHUP");
        // The logger has heard it once it answers again.
        await inside(ns, LOGGER, ["--status"], dir.path);
      }],
    ];
    for (const [what, ask] of asked) {
      await ask();
      const listening = await ns.listeners();
      assert.deepEqual(
        [...listening.keys()],
        [LOGGER_PORT],
        `after ${what}: ${[...listening.values()].join("; ")}`,
      );
    }
    const end = await logger.stop("SIGTERM");
    assert.equal(end.code, 0, end.stderr);
    assert.equal(readText(`${dir.path}/log.txt`).split("\n")[0], "hello there");
    assert.deepEqual([...(await ns.listeners()).keys()], []);
  },
});

Deno.test({
  name:
    `SIGUSR1 to a logger run through its shebang opens Deno's inspector on 127.0.0.1:${INSPECTOR_PORT}, as the docs warn${
      skip ? ` (skipped: ${skip})` : ""
    }`,
  ignore: skip !== undefined,
  async fn() {
    using ns = NetworkNamespace.open() as NetworkNamespace;
    using dir = tempDir();
    const [command, args] = ns.argv(LOGGER, []);
    await using logger = new Background(command, args, { cwd: dir.path });
    await ns.waitFor(LOGGER_PORT, "the logger's port");
    await waitForSigusr1Handler(logger.pid);
    assert.ok(!(await ns.listeners()).has(INSPECTOR_PORT));
    logger.kill("SIGUSR1");
    const line = await ns.waitFor(
      INSPECTOR_PORT,
      "Deno no longer opens its inspector on SIGUSR1: update the warning in docs/hostile.md and this test",
    );
    assert.match(line, new RegExp(`127\\.0\\.0\\.1:${INSPECTOR_PORT} `));
    assert.match(line, new RegExp(`pid=${logger.pid},`));
    // The logger itself goes on: it still takes messages.
    await inside(ns, SENDER, ["still", "here"], dir.path);
    const end = await logger.stop("SIGTERM");
    assert.equal(end.code, 0, end.stderr);
    assert.equal(readText(`${dir.path}/log.txt`), "still here\n");
  },
});
