/**
 * `relay eval --data gsm8k --limit 5` from a folder with no ../shared and no data of its own:
 * the benchmarks ship with the package and are found from it, not from the working directory.
 * Run as a user runs it (the built dist/cli.js), graded by math-verify with the built-in
 * grader's verdicts on the same answers compared in the report.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { EvalReport } from "../../src/eval/report.js";
import { scriptedPairPaths } from "../fixtures/pair.js";

const run = promisify(execFile);
const CLI = resolve("dist", "cli.js");

test("relay eval --data gsm8k,arith --limit 5 works from any folder, with both graders on the same answers", async () => {
  const { student } = await scriptedPairPaths();
  const cwd = mkdtempSync(join(tmpdir(), "relay-anywhere-"));
  assert.ok(!existsSync(join(cwd, "..", "shared")) && !existsSync(join(cwd, "data")), "nothing to find beside the working directory");
  const args = [CLI, "eval", "--data", "gsm8k,arith", "--limit", "5", "--student", student, "--conditions", "student-only", "--grader", "math-verify"];
  const { stderr } = await run(process.execPath, [...args, "--gpu", "cpu", "--threads", "1", "--context-size", "2048", "--max-tokens", "32", "--out", "out", "--no-progress"], { cwd, env: { ...process.env, NO_COLOR: "1" } });
  assert.match(stderr, /10 answer\(s\) made, 0 reused/);
  const report = JSON.parse(readFileSync(join(cwd, "out", "report.json"), "utf8")) as EvalReport;
  assert.deepEqual(report.datasets.map((d) => [d.name, d.items]), [["gsm8k", 1319], ["arith", 200]]);
  assert.deepEqual(report.cells.map((c) => [c.dataset, c.condition, c.answers]), [["gsm8k", "student-only", 5], ["arith", "student-only", 5]]);
  assert.equal(report.grader, "math-verify");
  assert.deepEqual(report.graderComparison?.graders, ["math-verify", "builtin"]);
  assert.equal(report.graderComparison?.answers, 10);
  assert.deepEqual(report.graderComparison?.errors, [0, 0]);
  assert.match(readFileSync(join(cwd, "out", "report.md"), "utf8"), /Graders compared on the same answers \(math-verify counts above; builtin beside it\)/);
});
