/**
 * libzmq as a small typed API: a {@link Context} makes {@link Socket}s, which
 * bind, connect, send, receive into a buffer and close; {@link poll} waits for
 * several at once. The C functions themselves, their loader and the EINTR
 * retry are in {@link ./zmq_ffi.ts}; this module and that one are the only
 * ones that touch libzmq.
 *
 * @example
 * ```ts
 * import { Context, ZMQ } from "./sockets.ts";
 * await using context = new Context();
 * using push = context.socket(ZMQ.PUSH, { [ZMQ.LINGER]: -1 });
 * push.connect("tcp://localhost:5555");
 * push.send(new TextEncoder().encode("hello"), 0);
 * ```
 *
 * @module
 */

import {
  bufferAddress,
  call,
  check,
  cString,
  errno,
  failure,
  lib,
  ZMQ,
} from "./ffi.ts";

// The binding's own exports, so that users of libzmq import this module only.
export { compiledLoadProblem, openFileLimit, ZMQ, ZmqError } from "./ffi.ts";

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
  /** Where {@link receiveFrames} takes each frame before it is copied out. */
  #scratch = new Uint8Array(0);

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
   * logger's hot path makes no object per message for the garbage collector
   * (bench/results.md, Issue 18).
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
      // "usize"; a number takes the slow path, at twice the CPU.
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
   * cut at `maxBytes`, the first `maxFrames` of them (the rest are taken and
   * dropped, so memory stays bounded whatever the peer sends); undefined
   * when nothing is waiting.
   */
  receiveFrames(
    maxBytes = 256,
    maxFrames = 16,
  ): Uint8Array<ArrayBuffer>[] | undefined {
    // One scratch frame per socket: the logger asks its helper sockets
    // after every batch, mostly to find nothing, and a fresh buffer each
    // time was a malloc and a free for nothing (bench/results.md, Issue 28).
    if (this.#scratch.length < maxBytes) {
      this.#scratch = new Uint8Array(maxBytes);
    }
    const scratch = this.#scratch.subarray(0, maxBytes);
    let length = this.receive(scratch);
    if (length === -1) return undefined;
    const frames: Uint8Array<ArrayBuffer>[] = [];
    const more = new Int32Array(1);
    const size = new BigUint64Array([4n]);
    while (true) {
      if (frames.length < maxFrames) {
        frames.push(scratch.slice(0, Math.min(length, maxBytes)));
      }
      call((zmq) =>
        zmq.zmq_getsockopt(
          this.handle,
          ZMQ.RCVMORE,
          new Uint8Array(more.buffer),
          new Uint8Array(size.buffer),
        )
      );
      if (more[0] === 0) return frames;
      // The rest of a message is there once its first frame is.
      length = this.receive(scratch);
      if (length === -1) return frames;
    }
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
 * A set of sockets to wait on, again and again: the zmq_pollitem_t array is
 * made once, not per wait (the logger waits thousands of times a second
 * under a steady trickle of messages, and each array was a malloc and a
 * free: bench/results.md, Issue 28).
 *
 * @example
 * ```ts
 * const poller = new Poller([pull, control], ZMQ.POLLIN);
 * const [message, request] = poller.here(200); // events of each, or 0s after 200 ms
 * ```
 */
export class Poller {
  readonly #items: DataView;
  readonly #bytes: Uint8Array<ArrayBuffer>;

  /** `events` (ZMQ.POLLIN, ZMQ.POLLOUT): one for all, or one per socket. */
  constructor(readonly sockets: Socket[], events: number | number[]) {
    const buffer = new ArrayBuffer(16 * sockets.length);
    this.#items = new DataView(buffer);
    this.#bytes = new Uint8Array(buffer);
    // zmq_pollitem_t on 64-bit: void *socket; int fd; short events, revents.
    sockets.forEach((socket, i) => {
      this.#items.setBigUint64(16 * i, socket.handle, true);
      this.#items.setInt16(
        16 * i + 12,
        Array.isArray(events) ? events[i] : events,
        true,
      );
    });
  }

  /**
   * Waits up to `timeoutMs` (-1: no limit) until one of the sockets has one
   * of its events; returns the events each has. It runs on a worker thread,
   * so the caller must not use the sockets meanwhile. A signal that
   * interrupts the wait counts as the time running out.
   */
  async wait(timeoutMs: number): Promise<number[]> {
    const rc = await lib().zmq_poll(
      this.#bytes,
      this.sockets.length,
      BigInt(Math.round(timeoutMs)),
    );
    // zmq_poll ran on a worker thread, whose errno we cannot read here; the
    // only error it can meet with our sockets is EINTR: no events, then.
    return this.#events(rc);
  }

  /**
   * {@link wait} on this thread: it blocks the event loop while it waits,
   * so the logger uses it only when idle, with a short timeout, and lets
   * the event loop run (signals) after each; the one-shot sender, which has
   * nothing else to do, to wait for the logger.
   */
  here(timeoutMs: number): number[] {
    const rc = lib().zmq_poll_here(
      this.#bytes,
      this.sockets.length,
      BigInt(Math.round(timeoutMs)),
    );
    return this.#events(rc);
  }

  #events(rc: number): number[] {
    if (rc === -1) return this.sockets.map(() => 0);
    return this.sockets.map((_, i) => this.#items.getInt16(16 * i + 14, true));
  }
}

/**
 * Waits up to `timeoutMs` (-1: no limit) until one of `sockets` has one of
 * `events`, once (see {@link Poller.wait}); returns the events each has.
 */
export function poll(
  sockets: Socket[],
  events: number | number[],
  timeoutMs: number,
): Promise<number[]> {
  return new Poller(sockets, events).wait(timeoutMs);
}

/**
 * {@link poll} on this thread, once (see {@link Poller.here}): it blocks
 * the event loop while it waits.
 */
export function pollHere(
  sockets: Socket[],
  events: number | number[],
  timeoutMs: number,
): number[] {
  return new Poller(sockets, events).here(timeoutMs);
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
