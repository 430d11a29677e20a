/** Unit tests: a seal record as a line, and read back. */

import assert from "node:assert/strict";
import { mac, newKey } from "./chain.ts";
import { lineTags } from "./line_tags.ts";
import {
  formatRecord,
  parseRecord,
  type RecordFields,
  SEAL_TAG,
  withMac,
} from "./record.ts";
import { parseWire } from "../log/wire.ts";

const FIELDS: RecordFields = {
  seq: 12,
  kind: "write",
  offset: 1200,
  length: 8,
  lines: 2,
  sha256: "a".repeat(64),
  prev: "b".repeat(64),
  tags: lineTags(new TextEncoder().encode("abc\ndef\n")),
};

Deno.test("a record is a log line of its own tag, with its MAC before the tags, and reads back", () => {
  const signed = formatRecord(FIELDS, "2026-12-03T10:00:00.123Z", "pi");
  const sealed = mac(newKey(), signed);
  const line = withMac(signed, sealed);
  assert.match(line, / prev=b{64} mac=[0-9a-f]{64} tags=/);
  const message = parseWire(line);
  assert.equal(message.tag, SEAL_TAG);
  assert.equal(message.host, "pi");
  assert.equal(message.sent, "2026-12-03T10:00:00.123Z");
  const record = parseRecord(line)!;
  assert.equal(record.signed, signed);
  assert.equal(record.mac, sealed);
  assert.equal(record.time, "2026-12-03T10:00:00.123Z");
  assert.deepEqual([...record.tags], [...FIELDS.tags]);
  for (
    const field of [
      "seq",
      "kind",
      "offset",
      "length",
      "lines",
      "sha256",
      "prev",
    ] as const
  ) {
    assert.equal(record[field], FIELDS[field], field);
  }
});

Deno.test("a line cut short, changed out of shape, or too long is no record", () => {
  const line = withMac(
    formatRecord(FIELDS, "2026-12-03T10:00:00.123Z", "pi"),
    "c".repeat(64),
  );
  assert.ok(parseRecord(line));
  assert.equal(parseRecord(line.slice(0, 200)), undefined);
  assert.equal(parseRecord(line.replace("seq=12", "seq=x")), undefined);
  assert.equal(parseRecord(line.replace(" mac=", " MAC=")), undefined);
  assert.equal(parseRecord(line + "A".repeat(70_000)), undefined);
  assert.equal(parseRecord("hello"), undefined);
});
