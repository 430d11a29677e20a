/**
 * Whether a file can be the runtime that `deno compile` joins a program to
 * (`denort`, given as DENORT_BIN): an ELF program for the target's
 * architecture, a Deno runtime of this Deno's version, and not the full
 * `deno` CLI (which "builds" a binary that only starts a REPL).
 * `scripts/compile.ts` refuses any other in one line, before it builds.
 *
 * @example
 * ```ts
 * import { checkRuntime } from "./scripts/denort.ts";
 * checkRuntime(Deno.execPath(), "x86_64-unknown-linux-gnu", Deno.version.deno);
 * // "... is the deno CLI, not its runtime denort: ..."
 * ```
 *
 * @module
 */

import { Buffer } from "node:buffer";

/** The ELF e_machine of each target's architecture. */
const ELF_MACHINES: Record<string, number> = { x86_64: 62, aarch64: 183 };
/** Names of the e_machine values one may meet, for the refusal's words. */
const ELF_MACHINE_NAMES: Record<number, string> = {
  3: "x86",
  8: "mips",
  20: "powerpc",
  21: "powerpc64",
  40: "arm",
  62: "x86_64",
  183: "aarch64",
  243: "riscv",
};
/**
 * A string that only the full `deno` CLI holds: the help text of its
 * `deno compile` subcommand (clap's help, in the `deno` crate's
 * cli/args/flags.rs). denort is built from cli/rt, without the CLI's argument
 * parser, and it cannot compile, so it cannot carry this text; the CLI always
 * does, on every target, since `deno compile --help` prints it. (`lsp` or
 * `fmt` strings would do too, but subcommand names are short words that a
 * runtime's other code may contain; this whole sentence is in no runtime.)
 */
export const CLI_MARKER =
  "Compiles the given script into a self contained executable";
/**
 * What every Deno runtime holds: its user agent `Deno/<version>`, which it
 * gives as `navigator.userAgent` and in fetch's User-Agent header, so denort
 * has it as much as the CLI. A program named "...-Deno/x.y.z" (the CLI embeds
 * "OTel-OTLP-Exporter-Deno/0.79.0") is not Deno's own user agent.
 */
const USER_AGENT = "Deno/";
/** How much of a file the scan reads at a time. */
export const SCAN_CHUNK = 4 * 1024 * 1024;
/** Bytes kept from one chunk to the next, so no marker is cut in two. */
export const SCAN_OVERLAP = 128;

/** What an ELF header says about its program. */
export interface ElfInfo {
  /** 32 or 64 (EI_CLASS). */
  bits: 32 | 64;
  /** e_machine: 62 is x86_64, 183 is aarch64. */
  machine: number;
  /** e_type: 2 an executable, 3 a position-independent one (or a library). */
  type: number;
}

/**
 * Reads an ELF header (the first 20 bytes of a file suffice); undefined if the
 * bytes are not one (no `\x7fELF` magic, or a big-endian one, which no Deno
 * target is).
 *
 * @example
 * ```ts
 * const head = new Uint8Array(64);
 * Deno.openSync("/bin/true").readSync(head);
 * elfInfo(head); // { bits: 64, machine: 62, type: 3 } on x86_64
 * elfInfo(new TextEncoder().encode("#!/bin/sh\n")); // undefined
 * ```
 */
export function elfInfo(header: Uint8Array): ElfInfo | undefined {
  if (header.length < 20) return undefined;
  if (
    header[0] !== 0x7f || header[1] !== 0x45 || header[2] !== 0x4c ||
    header[3] !== 0x46
  ) return undefined;
  if (header[4] !== 1 && header[4] !== 2) return undefined; // EI_CLASS
  if (header[5] !== 1) return undefined; // EI_DATA: little-endian only
  const view = new DataView(header.buffer, header.byteOffset, header.length);
  return {
    bits: header[4] === 2 ? 64 : 32,
    type: view.getUint16(16, true),
    machine: view.getUint16(18, true),
  };
}

/**
 * Why a program with this ELF header cannot be the runtime of `target`, or
 * undefined if it can: it must be a 64-bit executable for the target's
 * architecture.
 *
 * @example
 * ```ts
 * checkElf({ bits: 64, machine: 62, type: 3 }, "aarch64-unknown-linux-gnu");
 * // "is an x86_64 program, and the target is aarch64"
 * checkElf({ bits: 64, machine: 183, type: 3 }, "aarch64-unknown-linux-gnu");
 * // undefined
 * ```
 */
export function checkElf(elf: ElfInfo, target: string): string | undefined {
  const arch = target.split("-")[0];
  if (elf.type !== 2 && elf.type !== 3) {
    return "is not an executable program, so not a Deno runtime";
  }
  if (elf.bits !== 64 || elf.machine !== ELF_MACHINES[arch]) {
    const name = ELF_MACHINE_NAMES[elf.machine] ?? `machine ${elf.machine}`;
    const what = elf.bits === 64 ? name : `32-bit ${name}`;
    return `is ${
      /^[aeiou]|^x86/.test(what) ? "an" : "a"
    } ${what} program, and the target is ${arch}`;
  }
  return undefined;
}

/** What a scan of a whole file found. */
export interface RuntimeScan {
  /** Whether it holds `CLI_MARKER`: it is the full deno CLI. */
  cli: boolean;
  /** The versions in its `Deno/<version>` user agents; none: not Deno. */
  versions: string[];
}

/**
 * Scans a file (a runtime is about 100 MB) in chunks for the full CLI's
 * marker and Deno's user agent, without holding it in memory.
 *
 * @example
 * ```ts
 * scanRuntime(Deno.execPath());
 * // { cli: true, versions: ["2.9.5"] }
 * scanRuntime("/bin/true"); // { cli: false, versions: [] }
 * ```
 */
export function scanRuntime(path: string): RuntimeScan {
  const cliMarker = Buffer.from(CLI_MARKER);
  const agent = Buffer.from(USER_AGENT);
  const versions = new Set<string>();
  let cli = false;
  using file = Deno.openSync(path);
  const buffer = Buffer.alloc(SCAN_OVERLAP + SCAN_CHUNK);
  let kept = 0; // bytes at the start of buffer carried from the last chunk
  let first = true;
  while (true) {
    let filled = kept;
    // Fill the chunk; a read may return fewer bytes than asked.
    let end = false;
    while (filled < buffer.length) {
      const n = file.readSync(buffer.subarray(filled));
      if (n === null) {
        end = true;
        break;
      }
      filled += n;
    }
    const window = buffer.subarray(0, filled);
    if (!cli && window.includes(cliMarker)) cli = true;
    // A user agent is read where its whole version is in this window; one
    // nearer the end is read again from the next window, which keeps it.
    const last = end ? filled : filled - SCAN_OVERLAP + 1;
    for (
      let at = window.indexOf(agent, first ? 0 : 1);
      at !== -1 && at < last;
      at = window.indexOf(agent, at + 1)
    ) {
      if (at > 0 && window[at - 1] === 0x2d) continue; // "...-Deno/"
      const version = window.subarray(at + agent.length, at + 40)
        .toString("latin1").match(/^(\d+\.\d+\.\d+)/)?.[1];
      if (version) versions.add(version);
    }
    if (end) break;
    // Keep the tail: the byte before a marker and the marker itself.
    window.copy(buffer, 0, filled - SCAN_OVERLAP);
    kept = SCAN_OVERLAP;
    first = false;
  }
  return { cli, versions: [...versions] };
}

/**
 * Why the file at `path` cannot be the runtime (denort) that `deno compile`
 * joins a program to for `target`, in words that follow "DENORT_BIN <path>";
 * or undefined if it can. It must be a readable file, a 64-bit ELF program for
 * the target's architecture, not the full deno CLI (whose binary only starts a
 * REPL), a Deno runtime, and of `denoVersion`, the Deno that compiles.
 *
 * @example
 * ```ts
 * checkRuntime(Deno.execPath(), Deno.build.target, Deno.version.deno);
 * // "is the deno CLI, not its runtime denort: take denort from the release
 * //  zip denort-x86_64-unknown-linux-gnu.zip of the same Deno version"
 * checkRuntime("/bin/true", "aarch64-unknown-linux-gnu", "2.9.5");
 * // "is an x86_64 program, and the target is aarch64"
 * ```
 */
export function checkRuntime(
  path: string,
  target: string,
  denoVersion: string,
): string | undefined {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "does not exist";
    return `cannot be read: ${(err as Error).message}`;
  }
  if (!info.isFile) return "is not a file";
  const header = new Uint8Array(64);
  try {
    using file = Deno.openSync(path);
    file.readSync(header);
  } catch (err) {
    return `cannot be read: ${(err as Error).message}`;
  }
  const elf = elfInfo(header);
  if (!elf) return "is not a Deno runtime: not an ELF program";
  const wrong = checkElf(elf, target);
  if (wrong) return wrong;
  const scan = scanRuntime(path);
  if (scan.cli) {
    return `is the deno CLI, not its runtime denort: take denort from the release zip denort-${target}.zip of the same Deno version`;
  }
  if (scan.versions.length === 0) return "is not a Deno runtime";
  if (!scan.versions.includes(denoVersion)) {
    return otherDeno(scan.versions, denoVersion);
  }
  return undefined;
}

/**
 * Why a runtime whose user agents name `versions`, none of them
 * `denoVersion`, cannot be joined to a program: one version is another
 * Deno's denort; several are named, oldest first, so none is hidden.
 *
 * @example
 * ```ts
 * otherDeno(["2.9.4"], "2.9.5"); // "is denort 2.9.4, and this Deno is 2.9.5"
 * otherDeno(["2.10.0", "2.9.4"], "2.9.5");
 * // "names Deno 2.9.4 and 2.10.0, none of them this Deno (2.9.5)"
 * ```
 */
export function otherDeno(versions: string[], denoVersion: string): string {
  const sorted = versions.toSorted((a, b) =>
    a.localeCompare(b, "en", { numeric: true })
  );
  if (sorted.length === 1) {
    return `is denort ${sorted[0]}, and this Deno is ${denoVersion}`;
  }
  const named = `${sorted.slice(0, -1).join(", ")} and ${sorted.at(-1)}`;
  return `names Deno ${named}, none of them this Deno (${denoVersion})`;
}
