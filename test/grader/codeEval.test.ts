/**
 * `relay eval` on code items end to end but for the models: scripted answers (in-memory student
 * and teacher) go through the real controller, the real sandbox grades them by running the
 * shipped HumanEval tests, and the report shows pass@1 and, for infill, exact match. Needs bwrap
 * (scripts/sandbox-setup.sh); without it these tests fail, naming it.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { SessionOptions, Student } from "../../src/core/models.js";
import type { TaskPrompt } from "../../src/core/prompts.js";
import { ExecutionGrader } from "../../src/eval/codeGrader.js";
import { parseConditions } from "../../src/eval/conditions.js";
import { loadDatasets, type Dataset } from "../../src/eval/datasets.js";
import { buildReport, reportMarkdown } from "../../src/eval/report.js";
import { ResultsFile } from "../../src/eval/results.js";
import { runEval } from "../../src/eval/runEval.js";
import { MemoryStudent, MemoryTeacher } from "../helpers/memoryModels.js";

/** A student whose answer depends on the task: `answerFor` sees what the model would be asked. */
function scriptedStudent(answerFor: (task: TaskPrompt) => string, seen: TaskPrompt[]): Student {
  const base = new MemoryStudent([]);
  return {
    name: "scripted",
    countTokens: (t) => base.countTokens(t),
    truncateToTokens: (t, n) => base.truncateToTokens(t, n),
    lastTokens: (t, n) => base.lastTokens(t, n),
    renderPrompt: (task) => base.renderPrompt(task),
    openSession(task: TaskPrompt, options: SessionOptions) {
      seen.push(task);
      return new MemoryStudent([[{ text: answerFor(task) }]]).openSession(task, options);
    },
  };
}

describe("code sets through relay eval", () => {
  let humaneval: Dataset;
  let lines: Dataset;
  let grader: ExecutionGrader;
  let dir: string;
  before(async () => {
    [humaneval, lines] = await loadDatasets(["humaneval", "humaneval-line"]);
    grader = await ExecutionGrader.create();
    dir = await mkdtemp(join(tmpdir(), "relay-code-eval-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("pass@1 by running the tests: the canonical solution passes, a wrong one and a harmful one fail", async () => {
    const [first, second, third] = humaneval.items;
    const seen: TaskPrompt[] = [];
    const student = scriptedStudent((task) => {
      // Item 0: the canonical body as a chat answer would give it; item 1: a wrong function; item 2: one that writes outside and forks.
      if (task.user.includes(first.question.trimEnd())) return `Here it is:\n\n\`\`\`python\n${first.question}${first.gold}\`\`\`\n`;
      if (task.user.includes(second.question.trimEnd())) return `\`\`\`python\ndef ${second.code?.entryPoint}(paren_string):\n    return []\n\`\`\``;
      return `\`\`\`python\nimport os\ndef ${third.code?.entryPoint}(number):\n    open('/var/tmp/relay-escape', 'w')\n    os.fork()\n    return number % 1.0\n\`\`\``;
    }, seen);
    const results = await ResultsFile.open(join(dir, "fn", "results.jsonl"), { student: "scripted" });
    const run = () => runEval({ datasets: [humaneval], conditions: parseConditions(["student-only"]), limit: 3, samples: 1, student, results, seed: 1, concurrency: 2, codeGrader: grader });
    const outcome = await run();
    assert.deepEqual(outcome.rows.map((r) => r.correct), [true, false, false]);
    assert.match(seen[0].user, /^Complete the following Python function[\s\S]*```python\nfrom typing import List/);
    const report = buildReport({ ...outcome, datasets: [humaneval] });
    assert.equal(report.cells[0].accuracy, 1 / 3);
    assert.equal(report.cells[0].exactMatch, null);
    assert.match(reportMarkdown(report), /pass@1/);
    // Resumed: nothing is asked again, and the answers are graded again the same way.
    const again = await run();
    assert.deepEqual([again.ran, again.reused], [0, 3]);
    assert.deepEqual(again.rows.map((r) => r.correct), [true, false, false]);
  });

  it("infill: a completion of the prefix, its first line graded by running it and by exact match", async () => {
    const items = lines.items.slice(0, 3);
    const seen: TaskPrompt[] = [];
    const student = scriptedStudent((task) => {
      const item = items.find((i) => i.question === task.completion?.prefix);
      assert.ok(item, "the student was not given an item's prefix as a completion");
      assert.equal(task.completion?.suffix, item.code?.suffix);
      // Item 0: its line with other spacing, then more (only the first line counts); item 1: a
      // wrong line; item 2: another line that does the same (passes, but is no exact match).
      if (item === items[0]) return `${item.gold.replace(/ in /, "  in  ")}\nprint("more")\n`;
      if (item === items[1]) return "        pass\n";
      assert.equal(item.gold, "            if idx != idx2:");
      return "            if not idx == idx2:\n";
    }, seen);
    const results = await ResultsFile.open(join(dir, "line", "results.jsonl"), { student: "scripted" });
    const outcome = await runEval({ datasets: [lines], conditions: parseConditions(["student-only"]), limit: 3, samples: 1, student, results, seed: 1, concurrency: 1, codeGrader: grader });
    assert.equal(seen.length, 3);
    assert.deepEqual(outcome.rows.map((r) => [r.correct, r.exactMatch]), [[true, true], [false, false], [true, false]]);
    const report = buildReport({ ...outcome, datasets: [lines] });
    assert.equal(report.cells[0].accuracy, 2 / 3);
    assert.equal(report.cells[0].exactMatch, 1 / 3);
    assert.match(reportMarkdown(report), /\| exact match \|[\s\S]*\| 66\.67% \| [^|]+ \| 33\.33% \|/);
  });

  it("teacher-only answers are graded the same way", async () => {
    const item = humaneval.items[0];
    const student = scriptedStudent(() => "unused", []);
    const full = `\`\`\`python\n${item.question}${item.gold}\`\`\``;
    // Span by span (a character is a token here), ending the answer with the last one.
    const teacher = new MemoryTeacher(({ answer, maxTokens }) => {
      const text = full.slice(answer.length, answer.length + maxTokens);
      return { text, finish: answer.length + text.length >= full.length ? "eos" : "length", model: "memory-teacher" };
    });
    const results = await ResultsFile.open(join(dir, "teacher", "results.jsonl"), { student: "scripted" });
    const outcome = await runEval({ datasets: [humaneval], conditions: parseConditions(["teacher-only"]), limit: 1, samples: 1, student, teacher, results, seed: 1, concurrency: 1, codeGrader: grader });
    assert.equal(outcome.rows.length, 1);
    assert.equal(outcome.rows[0].stats.teacherTokens, outcome.rows[0].stats.generatedTokens);
    assert.equal(outcome.rows[0].text, full);
    assert.equal(outcome.rows[0].correct, true);
  });

  it("every canonical solution passes in the sandbox, and an empty body fails every problem", async () => {
    const canonical = await grader.gradeAll(humaneval.items.map((i) => ({ response: i.gold, gold: i.gold, task: i.code! })));
    assert.deepEqual(humaneval.items.filter((_, k) => !canonical[k].correct).map((i) => i.index), []);
    const empty = await grader.gradeAll(humaneval.items.map((i) => ({ response: "    pass\n", gold: i.gold, task: i.code! })));
    assert.deepEqual(humaneval.items.filter((_, k) => empty[k].correct).map((i) => i.index), []);
    // Every 25th infill item with its own line passes too.
    const some = lines.items.filter((i) => i.index % 25 === 0);
    const own = await grader.gradeAll(some.map((i) => ({ response: `${i.gold}\n`, gold: i.gold, task: i.code! })));
    assert.deepEqual(own.map((v) => [v.correct, v.exactMatch]), some.map(() => [true, true]));
  });

  it("relay eval without bwrap names it, and writes and loads nothing", async () => {
    const { execFile } = await import("node:child_process");
    const { promisify } = await import("node:util");
    const { existsSync } = await import("node:fs");
    const main = new URL("../../src/cli/main.ts", import.meta.url).pathname;
    const out = join(dir, "no-bwrap");
    const args = ["--import", "tsx", main, "eval", "--data", "humaneval", "--limit", "1", "--student", "/nonexistent.gguf", "--conditions", "student-only", "--out", out];
    await assert.rejects(promisify(execFile)(process.execPath, args, { env: { ...process.env, PATH: "/nonexistent" } }), (e: { code: number; stderr: string }) => {
      assert.equal(e.code, 1);
      assert.match(e.stderr, /needs `bwrap` \(Debian package bubblewrap\)[\s\S]*scripts\/sandbox-setup\.sh/);
      return true;
    });
    assert.equal(existsSync(out), false);
  });

  it("code items without a code grader are an error, not a silent zero", async () => {
    const results = await ResultsFile.open(join(dir, "none", "results.jsonl"), { student: "scripted" });
    const student = scriptedStudent(() => "    return 1\n", []);
    await assert.rejects(runEval({ datasets: [humaneval], conditions: parseConditions(["student-only"]), limit: 1, samples: 1, student, results, seed: 1, concurrency: 1 }), /no code grader/);
  });
});
