/**
 * `--verify --verify-key KEY [--file LOG]...`: checks each log against its
 * seal file (lib/seal/verify_file.ts), and, given several in order (oldest
 * first, as logrotate numbers them backwards), that each file's chain goes
 * on from the one before. Prints a line for each finding, or one line per
 * log verified; the exit status is 0 only when all is verified.
 *
 * @example
 * ```ts
 * import { verifyLogs } from "./verify.ts";
 * await verifyLogs(["./log.txt.1", "./log.txt"], "zseal1-...");
 * // prints "./log.txt.1: verified 1200 lines, sealed from ... to ... (seal records 0-37)"; 0
 * ```
 *
 * @module
 */

import { describe } from "../base/errors.ts";
import { plural } from "../base/words.ts";
import { parseVerifyKey } from "./chain.ts";
import type { SealRecord } from "./record.ts";
import { sealCandidates } from "./seal_options.ts";
import { type CarriedKey, checkLog, type LogCheck } from "./verify_file.ts";

/** The seal file of `log` that is there, if any. */
function findSeal(log: string): string | undefined {
  for (const path of sealCandidates(log)) {
    try {
      Deno.statSync(path);
      return path;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return undefined;
}

/** Whether `first` goes on from `last`, the last record of the file before. */
function follows(last: SealRecord, first: SealRecord): boolean {
  return first.seq === last.seq + 1 && first.prev === last.mac;
}

/** The line that says a log is all verified. */
function verifiedLine(check: LogCheck): string {
  const { first, last } = check;
  return `${check.log}: verified ${plural(check.lines, "line")}, sealed from ${
    first!.time
  } to ${last!.time} (seal records ${first!.seq}-${last!.seq})`;
}

/**
 * Verifies `logs` in order with the verification key `keyText`, printing
 * what it finds; resolves to the exit status: 0 when all is verified.
 * `say` is told how a long walk to a file's first key goes (stderr).
 */
export async function verifyLogs(
  logs: string[],
  keyText: string,
  say?: (text: string) => void,
): Promise<number> {
  const firstKey = parseVerifyKey(keyText);
  let before: LogCheck | undefined;
  let carried: CarriedKey | undefined;
  let verified = true;
  for (const log of logs) {
    const check = await checkOne(log, firstKey, carried, say);
    if (before?.last && check.first && !follows(before.last, check.first)) {
      check.findings.unshift(
        `${log}: does not follow ${before.log}: its first seal record is ${check.first.seq}, and ${before.log} ends at record ${before.last.seq}${
          check.first.seq === before.last.seq + 1
            ? " with another chain value"
            : ""
        }`,
      );
    }
    if (!before && check.findings.length === 0 && check.first!.seq > 0) {
      // Whoever holds the current sealing key can start a chain anywhere:
      // only the link to record 0 shows that nothing before was replaced.
      check.findings.push(
        `${log}: its seal records ${check.first!.seq}-${
          check.last!.seq
        } check, but they go on from record ${
          check.first!.seq - 1
        } of an earlier file that was not given, so what came before (and whether it was replaced) is not verified: give every file from the one whose chain starts at record 0, oldest first (--file LOG.2 --file LOG.1 --file LOG)`,
      );
    }
    for (const note of check.notes) console.log(note);
    for (const finding of check.findings) console.log(finding);
    if (check.findings.length === 0) {
      console.log(verifiedLine(check));
    } else {
      verified = false;
    }
    before = check;
    carried = check.last && check.keyAfter
      ? { seq: check.last.seq + 1, key: check.keyAfter }
      : undefined;
  }
  return verified ? 0 : 1;
}

/** Checks one log, its missing files said as findings. */
async function checkOne(
  log: string,
  firstKey: Uint8Array<ArrayBuffer>,
  carried: CarriedKey | undefined,
  say: ((text: string) => void) | undefined,
): Promise<LogCheck> {
  const missing = (text: string, seal = "") => ({
    log,
    seal,
    findings: [text],
    notes: [],
    lines: 0,
  });
  const seal = findSeal(log);
  if (seal === undefined) {
    return missing(
      `${log}: no seal file: there is none at ${
        sealCandidates(log).join(" or ")
      }`,
    );
  }
  try {
    return await checkLog(log, seal, firstKey, carried, say);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      return missing(`${log}: missing (its seal file ${seal} is there)`, seal);
    }
    return missing(`${log}: cannot be read with ${seal}: ${describe(err)}`);
  }
}
