/** Unit tests: the logger's --help. */

import assert from "node:assert/strict";
import { loggerUsage } from "./logger_usage.ts";

const DEFAULTS = {
  port: 5555,
  bind: "*",
  file: "./log.txt",
  maxMessageSize: 65536,
};

Deno.test("--help names --reopen as the way to make a running logger open its file again", () => {
  assert.match(
    loggerUsage(DEFAULTS),
    /--reopen +reopen a running logger's file\n[^]*--reopen\n\(or SIGHUP\) opens the log file again \(after logrotate\)/,
  );
});

Deno.test("--help fills in the defaults it is given", () => {
  const usage = loggerUsage({ ...DEFAULTS, port: 6000, file: "./other.log" });
  assert.match(usage, /TCP port to listen on \(default 6000\)/);
  assert.match(usage, /\(default \.\/other\.log\)/);
  assert.match(usage, /\.\/other\.log\.forward, where it keeps its place/);
});
