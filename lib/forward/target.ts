/**
 * Where `--forward` sends lines (`tcp://HOST:PORT` or `relp://HOST:PORT`),
 * and whether Deno may go there: checked before the logger opens anything,
 * with the command that would let it. Small, so the command line reads
 * `--forward` without loading the forwarder.
 *
 * @example
 * ```ts
 * import { parseForwardUrl } from "./target.ts";
 * parseForwardUrl("relp://logs.lan:2514").protocol; // "relp"
 * ```
 *
 * @module
 */

import { UsageError } from "../base/errors.ts";
import { loggerRunCommand } from "../log/file_hints.ts";

/** Where lines are forwarded: the protocol and the server. */
export interface ForwardTarget {
  protocol: "tcp" | "relp";
  host: string;
  port: number;
  /** As given: tcp://HOST:PORT or relp://HOST:PORT. */
  url: string;
}

/** The saved place, beside the log: LOG.forward. */
export const STATE_SUFFIX = ".forward";

/**
 * Reads `--forward`: tcp://HOST:PORT or relp://HOST:PORT.
 *
 * @example
 * ```ts
 * parseForwardUrl("relp://logs.local:2514").port; // 2514
 * ```
 */
export function parseForwardUrl(text: string): ForwardTarget {
  const match = /^(tcp|relp):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/
    .exec(text);
  const port = Number(match?.[3]);
  if (match === null || port < 1 || port > 65535) {
    throw new UsageError(
      `Cannot forward as '--forward' must be tcp://HOST:PORT or relp://HOST:PORT: current value is ${
        JSON.stringify(text)
      }`,
    );
  }
  return {
    protocol: match[1] as "tcp" | "relp",
    host: match[2].replace(/^\[(.*)\]$/, "$1"),
    port,
    url: text,
  };
}

/**
 * The permissions forwarding needs that Deno was not given, as flags; empty
 * when it has them all.
 */
export function missingPermissions(
  file: string,
  target: ForwardTarget,
): string[] {
  const state = `${file}${STATE_SUFFIX}`;
  const host = target.host.includes(":") ? `[${target.host}]` : target.host;
  const wants: [Deno.PermissionDescriptor, string][] = [
    [
      { name: "net", host: `${host}:${target.port}` },
      `--allow-net=${host}:${target.port}`,
    ],
    [{ name: "read", path: state }, `--allow-read=${state}`],
    [{ name: "write", path: state }, `--allow-write=${state}`],
  ];
  return wants.filter(([want]) =>
    Deno.permissions.querySync(want).state !== "granted"
  )
    .map(([, flag]) => flag);
}

/**
 * Why Deno may not forward from `file` to `target`, with the command that
 * would let it; undefined when it may. A compiled binary's permissions were
 * fixed when it was built, so it is told to run the script instead.
 *
 * @example
 * ```ts
 * forwardPermissionProblem("./log.txt", parseForwardUrl("relp://logs.lan:2514"));
 * // "Cannot forward to relp://logs.lan:2514 as Deno may not connect to it (...); start the logger as: deno run ..."
 * ```
 */
export function forwardPermissionProblem(
  file: string,
  target: ForwardTarget,
  args: string[] = Deno.args,
): string | undefined {
  const missing = missingPermissions(file, target);
  if (missing.length === 0) return undefined;
  if (Deno.build.standalone) {
    return `Cannot forward to ${target.url} as this binary may not connect to it: its permissions were fixed when it was built; run logging_basic.ts with deno run to forward (see docs/syslog.md)`;
  }
  const place = `${file}${STATE_SUFFIX}`;
  const host = target.host.includes(":") ? `[${target.host}]` : target.host;
  const command = loggerRunCommand({
    write: [file, place],
    read: [file, place, "./keys"],
    net: `${host}:${target.port}`,
  }, args);
  const what = missing.some((flag) => flag.startsWith("--allow-net"))
    ? "connect to it"
    : "keep its place";
  return `Cannot forward to ${target.url} as Deno may not ${what} (${
    missing.join(" ")
  }); start the logger as: ${command}`;
}
