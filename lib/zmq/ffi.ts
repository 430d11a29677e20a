/**
 * The libzmq binding: the C functions we call through Deno FFI, the loader
 * that opens them from npm:zeromq's addon, and the one place where a call
 * interrupted by a signal (EINTR) is retried. {@link ./zmq.ts} is the typed
 * API over it; no other module touches FFI. (The split follows zeromq.js,
 * whose `native.ts` and `load-addon.ts` keep the binding apart from the API.)
 *
 * Why FFI and not zeromq.js's own JavaScript API: it waits for its sockets
 * with libuv's `uv_poll`, and Deno's libuv layer stops a `uv_poll` handle
 * after its first callback (upstream Deno issue 36317, open), so a receiver
 * stalls after its first message as soon as a peer connects or goes. We call
 * libzmq's C API directly instead, in the native addon npm:zeromq ships
 * (libzmq 4.3.5 is linked into it; {@link ./addon.ts} finds it). Calls that
 * wait (`zmq_poll`, `zmq_ctx_term`) run on Deno's FFI worker threads. Handles
 * are plain integers and data moves only through our own buffers, so
 * `--allow-ffi` can stay scoped to ./node_modules.
 *
 * A signal that lands while libzmq is in a system call on this thread (the
 * CPU profiler's SIGPROF, a SIGHUP from logrotate) makes the call fail with
 * EINTR: every call is retried then, in one place, {@link call}.
 *
 * @module
 */

import { addonsFor, ZEROMQ_BUILD_DIR, ZEROMQ_BUILDS } from "./addon.ts";

const SYMBOLS = {
  zmq_errno: { parameters: [], result: "i32" },
  zmq_strerror: { parameters: ["i32"], result: "usize" },
  // From the C library the addon links to, only where Deno has no API that
  // works with --allow-ffi scoped to one library: Deno.UnsafePointerView (to
  // copy zmq_strerror's text) and Deno.UnsafePointer.of (an address) need
  // --allow-ffi for everything, and Deno cannot read the open-file limit.
  // These calls run outside Deno's permission checks, like libzmq itself.
  strlen: { parameters: ["usize"], result: "usize" },
  memcpy: { parameters: ["buffer", "usize", "usize"], result: "usize" },
  // memset(buffer, 0, 0) changes nothing and returns the buffer's address.
  address_of: {
    name: "memset",
    parameters: ["buffer", "i32", "usize"],
    result: "usize",
  },
  // To say what the open-file limit is when libzmq runs out of descriptors.
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  zmq_ctx_new: { parameters: [], result: "usize" },
  zmq_ctx_term: { parameters: ["usize"], result: "i32", nonblocking: true },
  zmq_socket: { parameters: ["usize", "i32"], result: "usize" },
  zmq_close: { parameters: ["usize"], result: "i32" },
  zmq_setsockopt: {
    parameters: ["usize", "i32", "buffer", "usize"],
    result: "i32",
  },
  zmq_bind: { parameters: ["usize", "buffer"], result: "i32" },
  zmq_connect: { parameters: ["usize", "buffer"], result: "i32" },
  zmq_send: { parameters: ["usize", "buffer", "usize", "i32"], result: "i32" },
  zmq_recv: { parameters: ["usize", "buffer", "usize", "i32"], result: "i32" },
  // zmq_recv into an address inside a buffer we hold: the logger's hot path
  // then makes no JavaScript object per message (no subarray to collect).
  zmq_recv_at: {
    name: "zmq_recv",
    parameters: ["usize", "usize", "usize", "i32"],
    result: "i32",
  },
  zmq_poll: {
    parameters: ["buffer", "i32", "i64"],
    result: "i32",
    nonblocking: true,
  },
  // The same on this thread: no hand-over from a worker thread and a promise
  // when a message arrives at an idle logger (see pollHere).
  zmq_poll_here: {
    name: "zmq_poll",
    parameters: ["buffer", "i32", "i64"],
    result: "i32",
  },
  zmq_getsockopt: {
    parameters: ["usize", "i32", "buffer", "buffer"],
    result: "i32",
  },
  zmq_socket_monitor: { parameters: ["usize", "buffer", "i32"], result: "i32" },
  zmq_curve_keypair: { parameters: ["buffer", "buffer"], result: "i32" },
  zmq_curve_public: { parameters: ["buffer", "buffer"], result: "i32" },
  zmq_z85_encode: {
    parameters: ["buffer", "buffer", "usize"],
    result: "usize",
  },
} as const;

/** The libzmq constants we use (zmq.h; errno values are Linux's). */
export const ZMQ = {
  PAIR: 0,
  REQ: 3,
  REP: 4,
  PULL: 7,
  PUSH: 8,
  STREAM: 11,
  LINGER: 17,
  MAXMSGSIZE: 22,
  SNDHWM: 23,
  RCVHWM: 24,
  IMMEDIATE: 39,
  IPV6: 42,
  CURVE_SERVER: 47,
  CURVE_PUBLICKEY: 48,
  CURVE_SECRETKEY: 49,
  CURVE_SERVERKEY: 50,
  ZAP_DOMAIN: 55,
  RCVMORE: 13,
  DONTWAIT: 1,
  SNDMORE: 2,
  POLLIN: 1,
  POLLOUT: 2,
  EINTR: 4,
  ENODEV: 19,
  EAGAIN: 11,
  EADDRINUSE: 98,
  ENFILE: 23,
  EMFILE: 24,
  EVENT_CONNECTED: 0x0001,
  EVENT_CONNECT_DELAYED: 0x0002,
  EVENT_CONNECT_RETRIED: 0x0004,
  EVENT_DISCONNECTED: 0x0200,
  EVENT_ACCEPT_FAILED: 0x0040,
  EVENT_HANDSHAKE_FAILED_NO_DETAIL: 0x0800,
  EVENT_HANDSHAKE_SUCCEEDED: 0x1000,
  EVENT_HANDSHAKE_FAILED_PROTOCOL: 0x2000,
  EVENT_HANDSHAKE_FAILED_AUTH: 0x4000,
} as const;

export type Libzmq = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** A libzmq call failed: `errno` is libzmq's error number, `reason` its words. */
export class ZmqError extends Error {
  constructor(
    readonly errno: number,
    readonly reason: string,
    what: string,
  ) {
    super(`${what}: ${reason}`);
  }
}

let libzmq: Libzmq | undefined;

/**
 * libzmq, opened on first use from npm:zeromq's addon for this platform: the
 * first of the fitting builds that loads wins.
 */
export function lib(): Libzmq {
  if (libzmq) return libzmq;
  const problems: string[] = [];
  for (const build of addonsFor(Deno.build.target, ZEROMQ_BUILDS)) {
    try {
      libzmq = Deno.dlopen(new URL(build.path, ZEROMQ_BUILD_DIR), SYMBOLS)
        .symbols;
      return libzmq;
    } catch (err) {
      if (err instanceof Deno.errors.NotCapable) {
        // The same for every build: say it once, with what may fix it.
        throw new Error(
          Deno.build.standalone
            ? compiledLoadProblem(
              Deno.execPath(),
              ZEROMQ_BUILD_DIR,
              Deno.mainModule,
            )
            : `Cannot load libzmq: ${err.message}`,
        );
      }
      problems.push(err instanceof Error ? err.message : String(err));
    }
  }
  throw new Error(
    `Cannot load libzmq from npm:zeromq for ${Deno.build.target}: ${
      problems.join("; ") || "it has no build for this platform"
    }${Deno.build.standalone && problems.length > 0 ? COMPILED_TMP_HINT : ""}`,
  );
}

/**
 * Why a compiled binary may not load its own libzmq, and the fix. Its FFI
 * permission, baked in at build time, names where a binary of the built
 * name sees its embedded files, `/tmp/deno-compile-<name>/`; renamed, or
 * started with TMPDIR set, it sees them elsewhere (Deno's cli/rt/binary.rs).
 * The two causes get their own fix: a files directory outside /tmp means
 * TMPDIR is set; one under /tmp means the binary was renamed.
 *
 * @example
 * ```ts
 * compiledLoadProblem(
 *   "/usr/local/bin/zmq-logger",
 *   "file:///tmp/deno-compile-zmq-logger/node_modules/zeromq/build/manifest.json",
 *   "file:///tmp/deno-compile-zmq-logger/logging_basic.ts",
 * );
 * // "Cannot load libzmq: this binary runs as zmq-logger, ..."
 * ```
 */
export function compiledLoadProblem(
  execPath: string,
  addonUrl: string,
  mainModule: string,
): string {
  const name = execPath.split("/").pop();
  const flag = mainModule.endsWith("/log_cmd_basic.ts")
    ? "--sender-name"
    : "--logger-name";
  const where = new URL(addonUrl).pathname.replace(/\/node_modules\/.*$/, "");
  const tempDir = where.slice(0, where.lastIndexOf("/")) || "/";
  if (tempDir !== "/tmp") {
    return `Cannot load libzmq: this binary sees its files in ${where}/ as TMPDIR is set (to ${tempDir}), and may load libzmq only from under /tmp: start it with TMPDIR unset (if it still cannot, it was also renamed: give it back the name it was built with, or build it as ${name} with deno task compile ${flag} ${name})`;
  }
  return `Cannot load libzmq: this binary runs as ${name} with its files in ${where}/, and may load libzmq only from where the name it was built with puts them (under /tmp): give it back that name (a symbolic link of another name is fine) or build it as ${name} (deno task compile ${flag} ${name})`;
}

/**
 * What to add when a compiled binary's libzmq would not load for another
 * reason than its permission: Deno copies the addon into the temporary
 * directory and loads it from there, which a `/tmp` mounted noexec or
 * read-only refuses.
 */
const COMPILED_TMP_HINT =
  "; a compiled binary loads libzmq from a copy under /tmp: /tmp must be writable and not mounted noexec (see docs/pi.md)";

/**
 * Makes a libzmq call, again while a signal interrupts it (EINTR). Returns
 * its result; -1 (or a NULL handle) means failed, and {@link errno} says why.
 */
export function call<T extends number | bigint>(fn: (zmq: Libzmq) => T): T {
  const zmq = lib();
  while (true) {
    const rc = fn(zmq);
    if ((rc !== -1 && rc !== 0n) || zmq.zmq_errno() !== ZMQ.EINTR) return rc;
  }
}

/** The error number of the last libzmq call that failed on this thread. */
export function errno(): number {
  return lib().zmq_errno();
}

/** A ZmqError for the last failed call, `what` saying what we tried. */
export function failure(what: string): ZmqError {
  const zmq = lib();
  const number = zmq.zmq_errno();
  const text = zmq.zmq_strerror(number);
  const bytes = new Uint8Array(Number(zmq.strlen(text)));
  zmq.memcpy(bytes, text, BigInt(bytes.length));
  return new ZmqError(number, new TextDecoder().decode(bytes), what);
}

/** Throws a ZmqError when `rc` is -1; returns `rc` otherwise. */
export function check(rc: number, what: string): number {
  if (rc === -1) throw failure(what);
  return rc;
}

/** A NUL-terminated copy of `text`, for C. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${text}\0`);
}

/**
 * The address of a buffer's first byte, as a number for a "usize" argument
 * (user-space addresses fit in 53 bits). An ArrayBuffer's bytes do not move
 * while it is alive.
 */
export function bufferAddress(buffer: Uint8Array): number {
  return Number(lib().address_of(buffer as Uint8Array<ArrayBuffer>, 0, 0n));
}

/**
 * This process's limit on open files (soft, which Deno raises to the hard
 * limit at start), or undefined if the C library would not say.
 */
export function openFileLimit(): number | undefined {
  const limits = new BigUint64Array(2); // struct rlimit: soft, hard
  const RLIMIT_NOFILE = 7; // Linux
  if (lib().getrlimit(RLIMIT_NOFILE, new Uint8Array(limits.buffer)) !== 0) {
    return undefined;
  }
  return Number(limits[0]);
}
