/** The teacher-request log file: asynchronous, in order, rotated so it cannot grow without bound. */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { TeacherLogEntry } from "../../src/core/teacherLog.js";
import { MemoryTeacherLog } from "../../src/core/teacherLog.js";
import { FileTeacherLog } from "../../src/io/fileTeacherLog.js";

const entry = (i: number): TeacherLogEntry => ({ ts: `2025-01-01T00:00:${String(i % 60).padStart(2, "0")}Z`, provider: "openai", model: "m", request: { prompt: `request ${i} ${"x".repeat(40)}` }, reply: "ok", durationMs: i });
const lines = (path: string) => (existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as TeacherLogEntry) : []);

test("record() returns before the write; flush() waits for it; entries stay in order", async () => {
  const dir = mkdtempSync(join(tmpdir(), "relay-tlog-"));
  try {
    const path = join(dir, "sub", "teacher-requests.jsonl");
    const next = new MemoryTeacherLog();
    const log = new FileTeacherLog(path, next);
    for (let i = 0; i < 20; i++) log.record(entry(i));
    assert.equal(existsSync(path), false, "written synchronously");
    assert.equal(next.entries.length, 20, "the next log hears of each entry at once");
    await log.flush();
    assert.deepEqual(lines(path).map((e) => e.durationMs), [...Array(20).keys()]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the file is rotated past maxBytes, keeping `keep` older files and losing no recent entry", async () => {
  const dir = mkdtempSync(join(tmpdir(), "relay-tlog-"));
  try {
    const path = join(dir, "teacher-requests.jsonl");
    const lineBytes = JSON.stringify(entry(0)).length + 1;
    const log = new FileTeacherLog(path, undefined, { maxBytes: lineBytes * 10, keep: 2 });
    for (let i = 0; i < 45; i++) log.record(entry(i));
    await log.close();
    for (const p of [path, `${path}.1`, `${path}.2`]) assert.ok(statSync(p).size <= lineBytes * 10 + 10, `${p} too large`);
    assert.equal(existsSync(`${path}.3`), false);
    const kept = [...lines(`${path}.2`), ...lines(`${path}.1`), ...lines(path)].map((e) => e.durationMs);
    // The newest entries, in order, without a gap.
    assert.deepEqual(kept, [...Array(kept.length).keys()].map((i) => 45 - kept.length + i));
    assert.ok(kept.length >= 25, `only ${kept.length} entries kept`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an existing file's size counts: a large log from an earlier session is rotated first", async () => {
  const dir = mkdtempSync(join(tmpdir(), "relay-tlog-"));
  try {
    const path = join(dir, "teacher-requests.jsonl");
    writeFileSync(path, `${JSON.stringify(entry(99))}\n`.repeat(50));
    const log = new FileTeacherLog(path, undefined, { maxBytes: 1000 });
    log.record(entry(1));
    await log.flush();
    assert.deepEqual(lines(path).map((e) => e.durationMs), [1]);
    assert.equal(lines(`${path}.1`).length, 50);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a write that fails is reported, and later writes still happen", async () => {
  const dir = mkdtempSync(join(tmpdir(), "relay-tlog-"));
  try {
    // The log's path is a folder: appending to it fails.
    const path = join(dir, "taken");
    const errors: unknown[] = [];
    mkdirSync(path);
    const log = new FileTeacherLog(path, undefined, { onError: (e) => errors.push(e) });
    log.record(entry(1));
    await log.flush();
    assert.equal(errors.length, 1);
    rmSync(path, { recursive: true });
    log.record(entry(2));
    await log.flush();
    assert.deepEqual(lines(path).map((e) => e.durationMs), [2]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
