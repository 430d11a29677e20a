/**
 * The size and free space of the file system that holds the log, for
 * `--stats --capacity`. Deno has no statfs of its own (there is no
 * `Deno.statfs`); its Node compatibility has `fs.statfsSync`, which needs
 * `--allow-sys=statfs` besides read permission for the path (which
 * `--stats` has). Running `df` would need `--allow-run`, a far wider grant.
 * The logger's permission set (deno.json) grants `statfs`; a `deno run`
 * without it does not know the space, and {@link DiskSpace} says why and how
 * to start the logger to know it.
 *
 * @example
 * ```ts
 * import { diskSpace } from "./disk_space.ts";
 * const disk = await diskSpace("./log.txt");
 * if ("available" in disk) console.log(disk.available, "bytes free");
 * ```
 *
 * @module
 */

import { describe } from "../base/errors.ts";
import { loggerRunCommand } from "../log/file_hints.ts";

/** The sys permission that lets Deno ask a file system's size and free space. */
export const STATFS_GRANT = "--allow-sys=statfs";

/** The file system that holds `path`: its size and the bytes free, or why they are not known. */
export type DiskSpace =
  | {
    path: string;
    /** Bytes in all. */
    size: number;
    /** Bytes a process without root may still write, as df's "Available". */
    available: number;
  }
  | {
    path: string;
    /** Why the space is not known. */
    unknown: string;
    /** What to do to know it, when that is a missing permission. */
    hint?: string;
  };

/**
 * The size and free space of the file system that holds `path`. Node's fs
 * (a few milliseconds to load) is loaded only when Deno may ask.
 *
 * @example
 * ```ts
 * await diskSpace("./log.txt"); // { path: "./log.txt", size: 8388608, available: 8380416 }
 * ```
 */
export async function diskSpace(path: string): Promise<DiskSpace> {
  const asking = { name: "sys", kind: "statfs" } as const;
  if (Deno.permissions.querySync(asking).state !== "granted") {
    return notGranted(path);
  }
  const { statfsSync } = await import("node:fs");
  try {
    const fs = statfsSync(path);
    // Counts are in fragments of frsize bytes (statvfs(3)), as df reads them.
    const unit = (fs as { frsize?: number }).frsize || fs.bsize;
    return { path, size: fs.blocks * unit, available: fs.bavail * unit };
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) return notGranted(path);
    return { path, unknown: describe(err) };
  }
}

/** Why the space of `path`'s file system is not known: the missing grant, and how to give it. */
function notGranted(path: string): DiskSpace {
  return {
    path,
    unknown: `Deno was not given ${STATFS_GRANT}`,
    hint: Deno.build.standalone
      ? `this binary was built without ${STATFS_GRANT}, so it cannot ask`
      : `start it as: ${
        loggerRunCommand({ write: [], read: [path] }, Deno.args).replace(
          "-P=logging_basic",
          `-P=logging_basic ${STATFS_GRANT}`,
        )
      }`,
  };
}
