/**
 * libzmq through Deno FFI: the only module that touches either. A small typed
 * API over libzmq's C functions: a {@link Context} makes {@link Socket}s,
 * which bind, connect, send, receive into a buffer and close; {@link poll}
 * waits for several at once.
 *
 * Why not zeromq.js's own JavaScript API: it waits for its sockets with
 * libuv's `uv_poll`, and Deno's libuv layer stops a `uv_poll` handle after its
 * first callback (upstream Deno issue 36317, open), so a receiver stalls after
 * its first message as soon as a peer connects or goes. We call libzmq's C
 * API directly instead, in the native addon npm:zeromq ships (libzmq 4.3.5 is
 * linked into it; {@link ./addon.ts} finds it). Calls that wait (`zmq_poll`,
 * `zmq_ctx_term`) run on Deno's FFI worker threads. Handles are plain integers
 * and data moves only through our own buffers, so `--allow-ffi` can stay
 * scoped to ./node_modules.
 *
 * A signal that lands while libzmq is in a system call on this thread (the
 * CPU profiler's SIGPROF, a SIGHUP from logrotate) makes the call fail with
 * EINTR: every call here is retried then, in one place, {@link call}.
 *
 * @example
 * ```ts
 * import { Context, ZMQ } from "./lib/zmq.ts";
 * await using context = new Context();
 * using push = context.socket(ZMQ.PUSH, { [ZMQ.LINGER]: -1 });
 * push.connect("tcp://localhost:5555");
 * push.send(new TextEncoder().encode("hello"), 0);
 * ```
 *
 * @module
 */

import { addonsFor, ZEROMQ_BUILD_DIR, ZEROMQ_BUILDS } from "./addon.ts";

const SYMBOLS = {
  zmq_errno: { parameters: [], result: "i32" },
  zmq_strerror: { parameters: ["i32"], result: "usize" },
  // From the C library the addon links to: to copy zmq_strerror's text, and
  // to remove the Unix socket file an ipc:// bind makes (libzmq leaves it).
  strlen: { parameters: ["usize"], result: "usize" },
  memcpy: { parameters: ["buffer", "usize", "usize"], result: "usize" },
  unlink: { parameters: ["buffer"], result: "i32" },
  // memset(buffer, 0, 0) changes nothing and returns the buffer's address:
  // Deno.UnsafePointer.of would need --allow-ffi for everything.
  address_of: {
    name: "memset",
    parameters: ["buffer", "i32", "usize"],
    result: "usize",
  },
  // To say what the open-file limit is when libzmq runs out of descriptors.
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  // ... and this process's user and umask, for the control socket: Deno's
  // own Deno.uid() and Deno.umask() would need --allow-sys=uid,umask.
  geteuid: { parameters: [], result: "u32" },
  umask: { parameters: ["u32"], result: "u32" },
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
  EAGAIN: 11,
  EADDRINUSE: 98,
  ENFILE: 23,
  EMFILE: 24,
  EVENT_CONNECT_RETRIED: 0x0004,
  EVENT_ACCEPT_FAILED: 0x0040,
  EVENT_HANDSHAKE_FAILED_NO_DETAIL: 0x0800,
  EVENT_HANDSHAKE_SUCCEEDED: 0x1000,
  EVENT_HANDSHAKE_FAILED_PROTOCOL: 0x2000,
  EVENT_HANDSHAKE_FAILED_AUTH: 0x4000,
} as const;

type Libzmq = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

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
function lib(): Libzmq {
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
    }`,
  );
}

/**
 * Why a compiled binary may not load its own libzmq, and the fix. Its FFI
 * permission, baked in at build time, names where a binary of the built
 * name sees its embedded files, `/tmp/deno-compile-<name>/`; renamed, or
 * started with TMPDIR set, it sees them elsewhere (Deno's cli/rt/binary.rs).
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
  return `Cannot load libzmq: this binary runs as ${name} with its files in ${where}/, and may load libzmq only from where the name it was built with puts them (under /tmp): give it back that name (a symbolic link of another name is fine) or build it as ${name} (deno task compile ${flag} ${name}), and leave TMPDIR unset`;
}

/**
 * Makes a libzmq call, again while a signal interrupts it (EINTR). Returns
 * its result; -1 (or a NULL handle) means failed, and {@link errno} says why.
 */
function call<T extends number | bigint>(fn: (zmq: Libzmq) => T): T {
  const zmq = lib();
  while (true) {
    const rc = fn(zmq);
    if ((rc !== -1 && rc !== 0n) || zmq.zmq_errno() !== ZMQ.EINTR) return rc;
  }
}

/** The error number of the last libzmq call that failed on this thread. */
function errno(): number {
  return lib().zmq_errno();
}

/** A ZmqError for the last failed call, `what` saying what we tried. */
function failure(what: string): ZmqError {
  const zmq = lib();
  const number = zmq.zmq_errno();
  const text = zmq.zmq_strerror(number);
  const bytes = new Uint8Array(Number(zmq.strlen(text)));
  zmq.memcpy(bytes, text, BigInt(bytes.length));
  return new ZmqError(number, new TextDecoder().decode(bytes), what);
}

/** Throws a ZmqError when `rc` is -1; returns `rc` otherwise. */
function check(rc: number, what: string): number {
  if (rc === -1) throw failure(what);
  return rc;
}

/** A NUL-terminated copy of `text`, for C. */
function cString(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${text}\0`);
}

/** Socket options by number, e.g. `{ [ZMQ.LINGER]: 0 }`; a string is passed as its bytes. */
export type SocketOptions = Record<number, number | string>;

/**
 * A ZeroMQ context: it owns the I/O thread and makes sockets. Terminate it
 * after its sockets are closed (`await using` does, in the right order when
 * the sockets are declared after it).
 */
export class Context implements AsyncDisposable {
  readonly handle: bigint;

  constructor() {
    const handle = call((zmq) => zmq.zmq_ctx_new());
    if (handle === 0n) throw failure("Cannot create a ZeroMQ context");
    this.handle = handle;
  }

  /** A new socket of `type` (ZMQ.PULL, ...) with `options` set. */
  socket(type: number, options: SocketOptions = {}): Socket {
    const handle = call((zmq) => zmq.zmq_socket(this.handle, type));
    if (handle === 0n) throw failure("Cannot create a ZeroMQ socket");
    const socket = new Socket(handle);
    try {
      for (const [option, value] of Object.entries(options)) {
        socket.set(Number(option), value);
      }
    } catch (err) {
      socket.close();
      throw err;
    }
    return socket;
  }

  /**
   * Ends the context once its sockets' queued messages are out (or their
   * linger ran out). zmq_ctx_term runs on a worker thread, where a signal may
   * interrupt it: it is then run again.
   */
  async terminate(): Promise<void> {
    for (let tries = 0; tries < 100; tries++) {
      if (await lib().zmq_ctx_term(this.handle) === 0) return;
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.terminate();
  }
}

/** A ZeroMQ socket; made by {@link Context.socket}, closed by `using`. */
export class Socket implements Disposable {
  #closed = false;
  /** The buffer {@link receiveAt} took last, and its address. */
  #buffer: Uint8Array | undefined;
  #address = 0;
  #maxSize = 0;
  #maxSizeArg = 0n;

  constructor(readonly handle: bigint) {}

  /** Sets an option; ZMQ_MAXMSGSIZE is a 64-bit integer, the others we use ints. */
  set(option: number, value: number | string): void {
    const bytes = typeof value === "string"
      ? new TextEncoder().encode(value)
      : option === ZMQ.MAXMSGSIZE
      ? new BigInt64Array([BigInt(value)])
      : new Int32Array([value]);
    check(
      call((zmq) =>
        zmq.zmq_setsockopt(this.handle, option, bytes, BigInt(bytes.byteLength))
      ),
      `Cannot set ZeroMQ socket option ${option}`,
    );
  }

  /** Listens at `endpoint`; a ZmqError says why not, after `what`. */
  bind(endpoint: string, what = `Cannot bind ${endpoint}`): void {
    const address = cString(endpoint);
    check(call((zmq) => zmq.zmq_bind(this.handle, address)), what);
  }

  /** Connects to `endpoint` (libzmq connects, and reconnects, in the background). */
  connect(endpoint: string, what = `Cannot connect to ${endpoint}`): void {
    const address = cString(endpoint);
    check(call((zmq) => zmq.zmq_connect(this.handle, address)), what);
  }

  /**
   * Sends `bytes` as one message (with ZMQ.SNDMORE in `flags`, one frame).
   * Returns false when it would have to wait (EAGAIN, with ZMQ.DONTWAIT).
   */
  send(
    bytes: Uint8Array<ArrayBuffer>,
    flags: number = ZMQ.DONTWAIT,
    what = "Cannot send",
  ): boolean {
    const size = BigInt(bytes.length);
    const rc = call((zmq) => zmq.zmq_send(this.handle, bytes, size, flags));
    if (rc !== -1) return true;
    if (errno() === ZMQ.EAGAIN) return false;
    throw failure(what);
  }

  /** Sends `frames` as one multi-frame message, without waiting. */
  sendFrames(frames: Uint8Array<ArrayBuffer>[]): void {
    frames.forEach((frame, i) => {
      const more = i < frames.length - 1 ? ZMQ.SNDMORE : 0;
      this.send(frame, ZMQ.DONTWAIT | more);
    });
  }

  /**
   * Receives one message (or frame) into `buffer`, without waiting by
   * default. Returns its size, which may exceed `buffer.length` when it was
   * cut; -1 when nothing was waiting (EAGAIN).
   */
  receive(buffer: Uint8Array, flags: number = ZMQ.DONTWAIT): number {
    const size = BigInt(buffer.length);
    const rc = call((zmq) => zmq.zmq_recv(this.handle, buffer, size, flags));
    if (rc !== -1 || errno() === ZMQ.EAGAIN) return rc;
    throw failure("Cannot receive");
  }

  /**
   * {@link receive} into `buffer` from byte `at` on, at most `maxSize` bytes
   * (the caller makes sure they fit), without waiting: its size, or -1 when
   * nothing was waiting. It gives libzmq an address inside `buffer`, so the
   * logger's hot path makes no object per message (a subarray each was 14%
   * of its CPU time, in garbage collection).
   */
  receiveAt(buffer: Uint8Array, at: number, maxSize: number): number {
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.#address = bufferAddress(buffer);
    }
    if (maxSize !== this.#maxSize) {
      this.#maxSize = maxSize;
      this.#maxSizeArg = BigInt(maxSize);
    }
    const zmq = lib();
    while (true) {
      // A BigInt, not a number: Deno's fast call takes only BigInts for
      // "usize" (a number made it take the slow path: 1.4 CPU s per
      // million instead of 0.7).
      const rc = zmq.zmq_recv_at(
        this.handle,
        BigInt(this.#address + at),
        this.#maxSizeArg,
        ZMQ.DONTWAIT,
      );
      if (rc !== -1) return rc;
      const error = zmq.zmq_errno();
      if (error === ZMQ.EAGAIN) return -1;
      if (error !== ZMQ.EINTR) throw failure("Cannot receive");
    }
  }

  /**
   * Takes one waiting multi-frame message without waiting: its frames, each
   * cut at `maxBytes`; undefined when nothing is waiting.
   */
  receiveFrames(maxBytes = 256): Uint8Array<ArrayBuffer>[] | undefined {
    const frames: Uint8Array<ArrayBuffer>[] = [];
    const more = new Int32Array(1);
    const size = new BigUint64Array([4n]);
    do {
      const frame = new Uint8Array(maxBytes);
      const length = this.receive(frame);
      if (length === -1) return frames.length > 0 ? frames : undefined;
      frames.push(frame.slice(0, Math.min(length, maxBytes)));
      call((zmq) =>
        zmq.zmq_getsockopt(
          this.handle,
          ZMQ.RCVMORE,
          new Uint8Array(more.buffer),
          new Uint8Array(size.buffer),
        )
      );
    } while (more[0] !== 0);
    return frames;
  }

  /**
   * Publishes this socket's `events` (ZMQ.EVENT_...) on an inproc endpoint,
   * for a PAIR socket to connect to (libzmq's socket monitor).
   */
  monitor(endpoint: string, events: number, what: string): void {
    const address = cString(endpoint);
    check(
      call((zmq) => zmq.zmq_socket_monitor(this.handle, address, events)),
      what,
    );
  }

  /** Closes the socket (once; again is harmless). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    call((zmq) => zmq.zmq_close(this.handle));
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Waits up to `timeoutMs` (-1: no limit) until one of `sockets` has one of
 * `events` (ZMQ.POLLIN, ZMQ.POLLOUT; one for all, or one per socket);
 * returns the events each has. It runs on a worker thread, so the caller
 * must not use the sockets meanwhile. A signal that interrupts the wait
 * counts as the time running out.
 */
export async function poll(
  sockets: Socket[],
  events: number | number[],
  timeoutMs: number,
): Promise<number[]> {
  const items = pollItems(sockets, events);
  const rc = await lib().zmq_poll(
    new Uint8Array(items.buffer),
    sockets.length,
    BigInt(Math.round(timeoutMs)),
  );
  // zmq_poll ran on a worker thread, whose errno we cannot read here; the
  // only error it can meet with our sockets is EINTR: no events, then.
  if (rc === -1) return sockets.map(() => 0);
  return sockets.map((_, i) => items.getInt16(16 * i + 14, true));
}

/**
 * {@link poll} on this thread: it blocks the event loop while it waits, so
 * the logger uses it only when idle, with a short timeout, and lets the
 * event loop run (signals) after each; the one-shot sender, which has
 * nothing else to do, to wait for the logger. A signal that interrupts the wait
 * counts as the time running out.
 */
export function pollHere(
  sockets: Socket[],
  events: number | number[],
  timeoutMs: number,
): number[] {
  const items = pollItems(sockets, events);
  const rc = lib().zmq_poll_here(
    new Uint8Array(items.buffer),
    sockets.length,
    BigInt(Math.round(timeoutMs)),
  );
  if (rc === -1) return sockets.map(() => 0);
  return sockets.map((_, i) => items.getInt16(16 * i + 14, true));
}

/** zmq_pollitem_t on 64-bit: void *socket; int fd; short events, revents. */
function pollItems(sockets: Socket[], events: number | number[]): DataView {
  const items = new DataView(new ArrayBuffer(16 * sockets.length));
  sockets.forEach((socket, i) => {
    items.setBigUint64(16 * i, socket.handle, true);
    items.setInt16(
      16 * i + 12,
      Array.isArray(events) ? events[i] : events,
      true,
    );
  });
  return items;
}

/**
 * The address of a buffer's first byte, as a number for a "usize" argument
 * (user-space addresses fit in 53 bits). An ArrayBuffer's bytes do not move
 * while it is alive.
 */
function bufferAddress(buffer: Uint8Array): number {
  return Number(lib().address_of(buffer as Uint8Array<ArrayBuffer>, 0, 0n));
}

/** A new CurveZMQ key pair from libzmq, as Z85 text (40 characters each). */
export function curveKeyPair(): { publicKey: string; secretKey: string } {
  const publicKey = new Uint8Array(41);
  const secretKey = new Uint8Array(41);
  check(
    call((zmq) => zmq.zmq_curve_keypair(publicKey, secretKey)),
    "Cannot make a CurveZMQ key pair",
  );
  return { publicKey: z85Text(publicKey), secretKey: z85Text(secretKey) };
}

/** The public key that belongs to a secret key, both Z85. */
export function curvePublicKey(secretKey: string): string {
  const publicKey = new Uint8Array(41);
  const secret = cString(secretKey);
  check(
    call((zmq) => zmq.zmq_curve_public(publicKey, secret)),
    "Cannot check a CurveZMQ key",
  );
  return z85Text(publicKey);
}

/** A 32-byte key (as libzmq hands it to a ZAP handler) in Z85. */
export function z85Encode(raw: Uint8Array<ArrayBuffer>): string {
  const z85 = new Uint8Array(41);
  lib().zmq_z85_encode(z85, raw, 32n);
  return z85Text(z85);
}

function z85Text(z85: Uint8Array): string {
  return new TextDecoder().decode(z85.subarray(0, 40));
}

/**
 * Removes a file through the C library: the socket file an `ipc://` bind left
 * behind, which Deno's own API could remove only with a write permission.
 */
export function unlinkFile(path: string): void {
  lib().unlink(cString(path));
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

/** This process's effective user id: the owner of what it creates, as peers see it. */
export function effectiveUserId(): number {
  return lib().geteuid();
}

/**
 * Sets the process's umask through the C library; returns the one it had.
 * Files libzmq makes meanwhile (an `ipc://` bind's socket) get it.
 */
export function setUmask(mask: number): number {
  return lib().umask(mask);
}
