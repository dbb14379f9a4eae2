import assert from "node:assert/strict";
import { test } from "node:test";
import { teacherLogMarkdown, type TeacherLogEntry } from "../../src/core/teacherLog.js";

const entry = (over: Partial<TeacherLogEntry>): string =>
  JSON.stringify({ ts: "2026-12-07T12:44:12.345Z", provider: "openai", model: "qwen", url: "http://127.0.0.1:8000/v1/completions", style: "completions", request: { prompt: "What is 2+2?" }, reply: " 4", finish: "length", usage: { promptTokens: 170, completionTokens: 16 }, durationMs: 1204, ...over });

test("the request log reads as a table, newest first, then each request's text as sent and the reply", () => {
  const md = teacherLogMarkdown(
    [
      entry({}),
      "{not json",
      entry({ ts: "2026-12-07T12:45:00.000Z", style: "chat", request: { messages: [{ role: "user", content: "Why ```x```?" }] }, error: "HTTP 503", reply: undefined, usage: undefined }),
      "",
    ],
    "/home/u/teacher-requests.jsonl",
  );
  const lines = md.split("\n");
  assert.ok(lines.includes("| # | time | URL | model | style | tokens in/out | ms | result |"));
  const rows = lines.filter((l) => /^\| \d+ \|/.test(l));
  assert.deepEqual(rows, [
    "| 2 | 2026-12-07 12:45:00 |  | qwen | chat | – | 1,204 | failed: HTTP 503 |".replace("|  |", "| http://127.0.0.1:8000/v1/completions |"),
    "| 1 | 2026-12-07 12:44:12 | http://127.0.0.1:8000/v1/completions | qwen | completions | 170/16 | 1,204 | length |",
  ]);
  assert.match(md, /Raw log \(JSON lines\): \/home\/u\/teacher-requests\.jsonl/);
  assert.match(md, /1 line of it could not be read/);
  // A text holding a fence is shown inside a longer one.
  assert.match(md, /````text\n\[user\]\nWhy ```x```\?\n````/);
  assert.match(md, /Failed: HTTP 503/);
  assert.match(md, /Received:\n\n```text\n 4\n```/);
});

test("an empty log says so", () => {
  assert.match(teacherLogMarkdown([], "/x.jsonl"), /No teacher requests yet\./);
});
