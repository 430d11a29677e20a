/**
 * Where the logger is, as the sender names it: `host:port` for people and
 * `tcp://host:port` for ZeroMQ (an IPv6 address in brackets).
 *
 * @example
 * ```ts
 * import { connectEndpoint } from "./endpoint.ts";
 * connectEndpoint("::1", 5555); // "tcp://[::1]:5555"
 * ```
 *
 * @module
 */

/**
 * How messages show the logger's host and port: an IPv6 address goes in
 * brackets, as in a URL, so the port stands apart.
 *
 * @example
 * ```ts
 * hostPort("localhost", 5555); // "localhost:5555"
 * hostPort("::1", 5555); // "[::1]:5555"
 * ```
 */
export function hostPort(host: string, port: number): string {
  const name = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `${name}:${port}`;
}

/**
 * The ZeroMQ endpoint to connect to for a host and port.
 *
 * @example
 * ```ts
 * connectEndpoint("localhost", 5555); // "tcp://localhost:5555"
 * connectEndpoint("fe80::1", 5555); // "tcp://[fe80::1]:5555"
 * ```
 */
export function connectEndpoint(host: string, port: number): string {
  return `tcp://${hostPort(host, port)}`;
}
