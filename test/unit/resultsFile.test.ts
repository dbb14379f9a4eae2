/**
 * `relay eval --out D` and the files in D: the results file is read before anything is written,
 * and a file Relay did not write (no config line of its own first) is refused, byte for byte
 * untouched — never cut, never appended to. Its own file keeps working: a torn last line of an
 * interrupted run is cut, a BOM an editor added is accepted.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RESULTS_VERSION, ResultsFile, resultKey, type ResultLine } from "../../src/eval/results.js";
import { checkReportFiles } from "../../src/eval/results.js";

const made: string[] = [];
const tmp = () => {
  made.push(mkdtempSync(join(tmpdir(), "relay-results-")));
  return made[made.length - 1];
};
after(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const settings = { student: "s.gguf", maxTokens: 64 };
const config = JSON.stringify({ type: "config", version: RESULTS_VERSION, settings });

function row(index: number): ResultLine {
  const stats = { studentTokens: 1, teacherTokens: 0, generatedTokens: 1, calls: 0, failedCalls: 0, deniedCalls: 0, malformedTags: 0, ignoredCalls: 0, teacherPromptTokens: 0, teacherCompletionTokens: 0, teacherCachedPromptTokens: 0, durationMs: 1, teacherMs: 0, stopReason: "eos" as const };
  return { type: "result", key: resultKey("learned", "d", `id${index}`, index, 0), dataset: "d", condition: "learned", signature: "learned", index, sample: 0, itemId: `id${index}`, gold: "1", extracted: "1", correct: true, text: "x", stats };
}

/** Writes `content` as D/results.jsonl, expects open() to refuse it, and checks the bytes are the same after. */
async function refusedUntouched(content: string | Buffer, message: RegExp): Promise<void> {
  const dir = tmp();
  const path = join(dir, "results.jsonl");
  writeFileSync(path, content);
  const before = readFileSync(path);
  await assert.rejects(ResultsFile.open(path, settings), message);
  assert.deepEqual(readFileSync(path), before, "the file is untouched");
}

describe("a results file Relay did not write is refused and left untouched", () => {
  test("someone's notes without a final newline: not cut before refusing", async () => {
    await refusedUntouched("my notes\nabout the run\nlast line, no newline", /results\.jsonl is not a Relay results file.*it was left as it was\. Choose another --out/);
  });

  test("a file that is not JSONL at all: not appended to", async () => {
    await refusedUntouched("a,b,c\n1,2,3\n", /is not a Relay results file/);
  });

  test("JSON lines of something else (a dataset): not appended to", async () => {
    await refusedUntouched('{"question": "1+1?", "answer": "2"}\n{"question": "2+2?", "answer": "4"}\n', /is not a Relay results file/);
  });

  test("a first line that is a torn config, whitespace only, binary: refused", async () => {
    await refusedUntouched(config.slice(0, 20), /is not a Relay results file/);
    await refusedUntouched("\n\n  \n", /is not a Relay results file/);
    await refusedUntouched(Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0x01]), /is not a Relay results file/);
  });

  test("a results file of another version or other settings: refused, untouched (torn last line and all)", async () => {
    await refusedUntouched(JSON.stringify({ type: "config", version: 99, settings }) + "\n", /not a results file of this version/);
    await refusedUntouched(JSON.stringify({ type: "config", version: RESULTS_VERSION, settings: { ...settings, maxTokens: 32 } }) + "\n" + '{"type":"result","key":"to', /other settings \(maxTokens: 32 there, 64 now\)/);
  });

  test("a directory where the results file should be: a clear error", async () => {
    const dir = tmp();
    mkdirSync(join(dir, "results.jsonl"));
    await assert.rejects(ResultsFile.open(join(dir, "results.jsonl"), settings), /Cannot read the results file .*results\.jsonl/);
  });
});

describe("Relay's own results file", () => {
  test("a torn last line is still cut, and reported", async () => {
    const dir = tmp();
    const path = join(dir, "results.jsonl");
    const file = await ResultsFile.open(path, settings);
    await file.append(row(0));
    writeFileSync(path, readFileSync(path, "utf8") + '{"type":"result","key":"torn');
    const again = await ResultsFile.open(path, settings);
    assert.equal(again.results.size, 1);
    assert.deepEqual(again.warnings, ["cut off a torn last line (28 characters) left by an interrupted run"]);
    assert.ok(readFileSync(path, "utf8").endsWith("}\n"));
  });

  test("a BOM an editor added is accepted; the torn line is cut at the right byte", async () => {
    const dir = tmp();
    const path = join(dir, "results.jsonl");
    writeFileSync(path, "\uFEFF" + config + "\n" + JSON.stringify(row(0)) + "\n" + '{"type":"res');
    const file = await ResultsFile.open(path, settings);
    assert.equal(file.results.size, 1);
    await file.append(row(1));
    const lines = readFileSync(path, "utf8").replace(/^\uFEFF/, "").split("\n");
    assert.deepEqual(lines.map((l) => (l ? JSON.parse(l).type : "")), ["config", "result", "result", ""]);
  });
});

describe("the report files of --out", () => {
  test("report files with no results file beside them are someone else's: refused, untouched", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "report.md"), "# My own report\n");
    assert.throws(() => checkReportFiles(dir), /report\.md .*not written by relay eval.*choose another --out/);
    assert.equal(readFileSync(join(dir, "report.md"), "utf8"), "# My own report\n");
  });

  test("beside Relay's own results file, or in a new folder, they are Relay's", async () => {
    const dir = tmp();
    checkReportFiles(dir);
    checkReportFiles(join(dir, "not-yet"));
    writeFileSync(join(dir, "results.jsonl"), config + "\n");
    writeFileSync(join(dir, "report.md"), "# Relay eval\n");
    checkReportFiles(dir);
  });
});
