/**
 * What answers at the logger's address, when a handshake failed and libzmq
 * cannot say why: a ZeroMQ peer (and which security mechanism it asks for),
 * or something else (a web server, an SSH server, a syslog TCP input). It
 * opens a raw connection (a ZeroMQ STREAM socket), sends ZeroMQ's greeting
 * (ZMTP 3.0, RFC 23) and reads what comes back: every ZeroMQ peer sends its
 * own greeting at once.
 *
 * @example
 * ```ts
 * import { greetingAt } from "./greeting.ts";
 * greetingAt(context, "tcp://localhost:5555", 1000);
 * // { kind: "zeromq", mechanism: "CURVE" }
 * ```
 *
 * @module
 */

import { type Context, pollHere, ZMQ } from "../zmq/sockets.ts";

/** What answered at an address, as far as its first bytes tell. */
export type Greeting =
  /** A ZeroMQ peer, asking for this mechanism (`NULL`, `CURVE`, ...). */
  | { kind: "zeromq"; mechanism: string }
  /** Something else: the first bytes it sent. */
  | { kind: "other"; bytes: Uint8Array }
  /** It took the connection, then closed it without a byte. */
  | { kind: "closed" }
  /** It took the connection and sent nothing in the time given. */
  | { kind: "silent" }
  /** Nothing took the connection in the time given. */
  | { kind: "unreachable" };

/** A ZMTP greeting's length, and where its parts are (RFC 23). */
const GREETING_BYTES = 64;
const VERSION_AT = 10;
const MECHANISM_AT = 12;
const MECHANISM_BYTES = 20;

/** This side's greeting: ZMTP 3.0, the NULL mechanism, as a client. */
function ourGreeting(): Uint8Array<ArrayBuffer> {
  const greeting = new Uint8Array(GREETING_BYTES);
  greeting[0] = 0xff; // the signature: 0xFF, 8 bytes of padding, 0x7F
  greeting[9] = 0x7f;
  greeting[VERSION_AT] = 3;
  greeting.set(new TextEncoder().encode("NULL"), MECHANISM_AT);
  return greeting;
}

/**
 * Connects to `endpoint` (a tcp:// endpoint), greets it as ZeroMQ does and
 * tells from what comes back within `timeoutMs` what answers there. It
 * waits on this thread (a second at most is asked of it).
 *
 * @example
 * ```ts
 * greetingAt(context, "tcp://localhost:8080", 1000);
 * // { kind: "other", bytes: ... } for a web server that answered
 * ```
 */
export function greetingAt(
  context: Context,
  endpoint: string,
  timeoutMs: number,
): Greeting {
  using stream = context.socket(ZMQ.STREAM, {
    [ZMQ.LINGER]: 0,
    [ZMQ.IPV6]: endpoint.startsWith("tcp://[") ? 1 : 0,
  });
  stream.connect(endpoint, `Cannot connect to ${endpoint}`);
  const deadline = Date.now() + timeoutMs;
  let connected = false;
  let closed = false;
  const received: number[] = [];
  while (received.length < GREETING_BYTES) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const [events] = pollHere([stream], ZMQ.POLLIN, left);
    if (!(events & ZMQ.POLLIN)) continue;
    // [peer's routing id, bytes]; no bytes: connected, or closed.
    const [id, data] = stream.receiveFrames(GREETING_BYTES, 2) ?? [];
    if (id === undefined || data === undefined) continue;
    if (data.length > 0) {
      received.push(...data.subarray(0, GREETING_BYTES - received.length));
      if (!looksLikeZeroMQ(received) && received.includes(0x0a)) break;
    } else if (!connected) {
      connected = true;
      stream.sendFrames([id, ourGreeting()]);
    } else {
      closed = true;
      break;
    }
  }
  if (received.length > 0) return readGreeting(received);
  return { kind: closed ? "closed" : connected ? "silent" : "unreachable" };
}

/** Whether the bytes so far may be the start of a ZeroMQ greeting. */
function looksLikeZeroMQ(bytes: number[]): boolean {
  return bytes[0] === 0xff && (bytes.length < 10 || (bytes[9] & 1) === 1);
}

/** What the first bytes received say. */
function readGreeting(bytes: number[]): Greeting {
  if (!looksLikeZeroMQ(bytes) || bytes.length < VERSION_AT + 1) {
    return looksLikeZeroMQ(bytes)
      ? { kind: "zeromq", mechanism: "" }
      : { kind: "other", bytes: new Uint8Array(bytes) };
  }
  // ZMTP 2.0 (libzmq 3.x) has no mechanism: NULL, in effect.
  if (bytes[VERSION_AT] < 3) return { kind: "zeromq", mechanism: "NULL" };
  const field = bytes.slice(MECHANISM_AT, MECHANISM_AT + MECHANISM_BYTES);
  const end = field.indexOf(0);
  const mechanism = String.fromCharCode(
    ...(end === -1 ? field : field.slice(0, end)),
  );
  return { kind: "zeromq", mechanism };
}

/**
 * The first bytes something sent, as text a terminal shows safely: up to
 * 40 characters of printable ASCII, anything else as `\xNN`, in quotes.
 *
 * @example
 * ```ts
 * shownBytes(new TextEncoder().encode("SSH-2.0-OpenSSH_9.2\r\n")); // '"SSH-2.0-OpenSSH_9.2\\r\\n"'
 * ```
 */
export function shownBytes(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes.subarray(0, 40)) {
    text += byte === 0x0d
      ? "\\r"
      : byte === 0x0a
      ? "\\n"
      : byte === 0x22 || byte === 0x5c
      ? `\\${String.fromCharCode(byte)}`
      : byte >= 0x20 && byte < 0x7f
      ? String.fromCharCode(byte)
      : `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return `"${text}${bytes.length > 40 ? "..." : ""}"`;
}
