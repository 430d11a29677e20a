/**
 * A flood of large control-character messages takes at most twice the
 * memory of a normal load, in each format: 8 connections each sending 300
 * messages of 64 KiB of \x01 (each 256 KiB escaped, 384 KiB in JSON) against
 * 8 connections each sending 3,000 messages of 100 bytes, both measured in
 * the same run (a ratio: machines differ). The logger's peak resident memory
 * is its VmHWM once every line is in the file.
 */

import assert from "node:assert/strict";
import { formatLine } from "../lib/log/log_line.ts";
import {
  Background,
  freePort,
  PEERS,
  PYTHON,
  run,
  startLogger,
  tempDir,
  waitForSize,
} from "./helpers.ts";

/** The logger's peak resident memory so far, in MiB (VmHWM). */
async function peakMiB(pid: number): Promise<number> {
  // Deno reads /proc only with --allow-all; cat needs just --allow-run.
  const status = (await run("cat", [`/proc/${pid}/status`])).stdout;
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** A load: 8 connections, each `count` messages of `size` bytes of `byte`. */
interface Load {
  count: number;
  size: number;
  byte: number;
  /** What a message's bytes become in a line, as many times as long. */
  grows: { text: number; json: number };
}

const SENDERS = 8;
const NORMAL: Load = {
  count: 3000,
  size: 100,
  byte: 0x61,
  grows: { text: 1, json: 1 },
};
const FLOOD: Load = {
  count: 300,
  size: 65536,
  byte: 0x01,
  grows: { text: 4, json: 6 },
};

/** The logger's peak memory under `load`, with `args`, once all of it is in the file. */
async function peakUnder(args: string[], load: Load): Promise<number> {
  using dir = tempDir();
  const port = freePort();
  const log = `${dir.path}/log.txt`;
  await using logger = await startLogger(dir.path, port, args);
  const style = {
    timestamps: args.includes("--timestamps"),
    format: args.includes("json") ? "json" as const : "text" as const,
  };
  // Each line: its frame (time, JSON fields), the message grown, a newline.
  const frame = formatLine("", { level: "info", text: "" }, 0, style).length;
  const line = frame + load.size * load.grows[style.format] + 1;
  const senders = Array.from(
    { length: SENDERS },
    () =>
      new Background(PYTHON, [
        `${PEERS}flood_sender.py`,
        String(port),
        String(load.count),
        String(load.size),
        String(load.byte),
      ]),
  );
  try {
    for (const sender of senders) {
      const out = await sender.finish(60_000);
      assert.equal(out.code, 0, out.stderr);
    }
    await waitForSize(log, SENDERS * load.count * line, 60_000);
    return await peakMiB(logger.pid);
  } finally {
    for (const sender of senders) await sender.stop("SIGKILL");
    const end = await logger.stop();
    assert.equal(end.code, 0, end.stderr);
  }
}

for (const args of [[], ["--format", "json"], ["--timestamps"]]) {
  Deno.test(
    `a flood of 64 KiB control-character messages from 8 connections${
      args.length ? ` (${args.join(" ")})` : ""
    } peaks at most at twice the memory of a normal load of 100-byte messages`,
    async () => {
      const normal = await peakUnder(args, NORMAL);
      const flood = await peakUnder(args, FLOOD);
      const said = `normal load ${normal.toFixed(0)} MiB, flood ${
        flood.toFixed(0)
      } MiB (${(flood / normal).toFixed(2)}x)`;
      console.log(said);
      assert.ok(flood <= 2 * normal, said);
    },
  );
}
