/**
 * Where libzmq is: npm:zeromq ships prebuilt native addons, one per platform,
 * each with libzmq linked in, and lists them in its `build/manifest.json`.
 * This module picks the ones that fit a target; {@link ./zmq_ffi.ts} opens one,
 * and `scripts/compile.ts` embeds one in a standalone binary. Kept apart from
 * the binding, as zeromq.js keeps `load-addon.ts` apart from `native.ts`.
 *
 * @example
 * ```ts
 * import { addonsFor, ZEROMQ_BUILDS } from "./addon.ts";
 * addonsFor("x86_64-unknown-linux-gnu", ZEROMQ_BUILDS)[0].path;
 * // "linux/x64/node/glibc-127-Release/addon.node"
 * ```
 *
 * @module
 */

import manifest from "zeromq/build/manifest.json" with { type: "json" };

/** One build of the zeromq addon, as build/manifest.json describes it. */
export interface AddonBuild {
  os: string;
  arch: string;
  libc: string;
  abi: number;
  /** Relative to zeromq's build/ directory. */
  path: string;
}

/**
 * The addon builds listed in a manifest: its keys are JSON descriptions of
 * each build, its values the paths.
 *
 * @example
 * ```ts
 * parseManifest('{"{\\"os\\":\\"linux\\",\\"arch\\":\\"x64\\",\\"libc\\":\\"glibc\\",\\"abi\\":127}":"linux/x64/a.node"}');
 * // [{ os: "linux", arch: "x64", libc: "glibc", abi: 127, path: "linux/x64/a.node" }]
 * ```
 */
export function parseManifest(text: string): AddonBuild[] {
  return fromManifest(JSON.parse(text));
}

function fromManifest(entries: Record<string, string>): AddonBuild[] {
  return Object.entries(entries).map(([key, path]) => ({
    ...JSON.parse(key),
    path,
  }));
}

/** The builds of the installed npm:zeromq. */
export const ZEROMQ_BUILDS: AddonBuild[] = fromManifest(manifest);

/** The URL of zeromq's build/ directory; a build's path is relative to it. */
export const ZEROMQ_BUILD_DIR: string = import.meta.resolve(
  "zeromq/build/manifest.json",
);

/**
 * The builds that fit `target` (a Deno target triple), best first: same OS,
 * CPU and C library, highest Node ABI first (the builds differ in the glibc
 * version they need, so a loader tries them in turn).
 *
 * @example
 * ```ts
 * addonsFor("aarch64-unknown-linux-gnu", ZEROMQ_BUILDS)[0].path;
 * // "linux/arm64/node/glibc-127-Release/addon.node"
 * ```
 */
export function addonsFor(target: string, builds: AddonBuild[]): AddonBuild[] {
  const [cpu, , os, env] = target.split("-");
  const arch = cpu === "aarch64" ? "arm64" : "x64";
  const libc = os === "darwin" ? "libc" : env === "musl" ? "musl" : "glibc";
  return builds
    .filter((b) => b.os === os && b.arch === arch && b.libc === libc)
    .sort((a, b) => b.abi - a.abi);
}

/**
 * The build a standalone binary for `target` embeds: the first one the
 * loader would try there.
 *
 * @example
 * ```ts
 * addonFor("x86_64-unknown-linux-gnu", ZEROMQ_BUILDS).abi; // 127
 * ```
 */
export function addonFor(target: string, builds: AddonBuild[]): AddonBuild {
  const [best] = addonsFor(target, builds);
  if (best === undefined) {
    throw new Error(`npm:zeromq has no addon for ${target}`);
  }
  return best;
}
