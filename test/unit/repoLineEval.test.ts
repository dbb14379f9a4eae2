/** The repository-context infill set (repo-line): loading, its prompt with and without context, exact-match grading, --repo-context. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FILE_SEP_TOKEN } from "../../src/core/contextPrompt.js";
import { settingsOf, type EvalCommandOptions } from "../../src/cli/evalCommand.js";
import { parseRepoContext } from "../../src/cli/eval.js";
import { exactMatchGrader, needsSandbox } from "../../src/eval/codeGrader.js";
import { codePrompt } from "../../src/eval/codePrompts.js";
import { CODE_SETS, hasRepoContext, loadDatasets, parseDataset, withoutRepoContext } from "../../src/eval/datasets.js";
import { buildReport, reportMarkdown } from "../../src/eval/report.js";
import { ResultsFile } from "../../src/eval/results.js";

const record = {
  task_id: "pkg/a.py:L3",
  package: "pkg",
  version: "1.0",
  path: "pkg/a.py",
  line: 3,
  prompt: "from pkg.b import helper\n\ndef f(x):\n",
  suffix: "    return y\n",
  answer: "    y = helper(x, scale=2)",
  context: [{ name: "pkg/b.py", line: 4, symbol: "helper", text: "def helper(x, scale):\n    return x * scale" }, { name: 7, text: "no name: left out" }],
  repo: "pkg",
};

describe("repo-line: loading", () => {
  test("the shipped set: 258 line items without tests, each with its definitions as repository context", async () => {
    const [set] = await loadDatasets(["repo-line"]);
    assert.equal(set.items.length, CODE_SETS["repo-line"]);
    assert.equal(set.issues.length, 0);
    assert.equal(new Set(set.items.map((i) => i.id)).size, set.items.length, "item ids collide");
    for (const item of set.items) {
      const code = item.code;
      assert.ok(code && code.kind === "line" && code.exactOnly, item.id);
      assert.ok(item.gold.trim().length >= 15 && !item.gold.includes("\n"));
      assert.ok(code.prompt.endsWith("\n"));
      assert.ok(code.context && code.context.chunks.length > 0);
      assert.match(code.context.name, /\.py$/);
      assert.ok(["pytest", "packaging"].includes(code.context.repo));
      for (const chunk of code.context.chunks) {
        assert.equal(chunk.kind, "definition");
        assert.notEqual(chunk.name, code.context.name, "the definition is in another file");
        assert.ok(!chunk.text.split("\n").some((l) => l.trim() === item.gold.trim()), "the context does not hold the answer");
      }
    }
  });

  test("a record with prompt, suffix and answer but no tests is an exact-only line item; malformed chunks are left out", () => {
    const { items, issues } = parseDataset("mine", JSON.stringify(record));
    assert.equal(issues.length, 0);
    const [item] = items;
    assert.equal(item.gold, record.answer);
    assert.equal(item.code?.exactOnly, true);
    assert.deepEqual(item.code?.context, { name: "pkg/a.py", repo: "pkg", chunks: [{ path: "pkg/b.py", name: "pkg/b.py", line: 4, text: record.context[0].text, kind: "definition" }] });
    const bare = parseDataset("mine", JSON.stringify({ ...record, context: [] })).items[0];
    assert.equal(bare.code?.context, undefined);
    assert.equal(bare.id, item.id, "context is not part of the item's id: with and without compare item by item");
  });

  test("humaneval-line records are unchanged: tests run, no context", () => {
    const { items } = parseDataset("hl", JSON.stringify({ prompt: "def f():\n", suffix: "", answer: "    return 1", test: "def check(c): pass", entry_point: "f" }));
    assert.equal(items[0].code?.exactOnly, undefined);
    assert.equal(items[0].code?.context, undefined);
    assert.equal(needsSandbox(items.map((i) => i.code!)), true);
  });
});

describe("repo-line: the prompt", () => {
  test("with context: the completion carries the chunks (repository format for the student), the plain form for a chat teacher", () => {
    const { items } = parseDataset("mine", JSON.stringify(record));
    const prompt = codePrompt(items[0].code!);
    assert.equal(prompt.completion?.prefix, record.prompt);
    assert.equal(prompt.completion?.suffix, record.suffix);
    assert.equal(prompt.completion?.context?.chunks.length, 1);
    assert.equal(prompt.user, `# pkg/b.py\n${record.context[0].text}\n\n# pkg/a.py\n${record.prompt}`);
    assert.ok(!prompt.user.includes(FILE_SEP_TOKEN));
  });

  test("--repo-context off: the same items without context, the prompt as humaneval-line's", async () => {
    const parsed = parseDataset("repo-line", JSON.stringify(record));
    const sets = [{ name: "repo-line", path: "x", ...parsed }];
    assert.equal(hasRepoContext(sets), true);
    const off = withoutRepoContext(sets);
    assert.equal(hasRepoContext(off), false);
    assert.equal(off[0].items[0].id, sets[0].items[0].id);
    assert.equal(off[0].items[0].code?.exactOnly, true);
    assert.deepEqual(codePrompt(off[0].items[0].code!), { user: record.prompt, completion: { prefix: record.prompt, suffix: record.suffix } });
    assert.ok(sets[0].items[0].code?.context, "the loaded datasets are not changed");
  });
});

describe("repo-line: grading and settings", () => {
  test("exact match, whitespace normalized, is the verdict; no sandbox is needed", async () => {
    const { items } = parseDataset("mine", JSON.stringify(record));
    const task = items[0].code!;
    assert.equal(needsSandbox([task]), false);
    const verdicts = await exactMatchGrader.gradeAll([
      { response: "    y = helper(x,  scale=2)\n    return y", gold: record.answer, task },
      { response: "```python\n  y = helper(x, scale=2)   \n```", gold: record.answer, task },
      { response: "    y = helper(x)", gold: record.answer, task },
      { response: "\n\n", gold: record.answer, task },
    ]);
    assert.deepEqual(verdicts.map((v) => [v.correct, v.exactMatch]), [[true, true], [true, true], [false, false], [false, false]]);
    assert.equal(verdicts[3].extracted, null);
  });

  test("--repo-context is on or off, recorded in the settings only when an item has context; a results file refuses the other", async () => {
    assert.equal(parseRepoContext("off"), "off");
    assert.throws(() => parseRepoContext("maybe"), /--repo-context must be one of on, off/);
    const options = { student: "s.gguf", maxTokens: 48 } as EvalCommandOptions;
    assert.equal(settingsOf(options, true, "off").repoContext, "off");
    assert.equal("repoContext" in settingsOf(options, true), false);
    const dir = await mkdtemp(join(tmpdir(), "relay-repo-line-"));
    try {
      const path = join(dir, "results.jsonl");
      await ResultsFile.open(path, settingsOf(options, true, "on"));
      await assert.rejects(ResultsFile.open(path, settingsOf(options, true, "off")), /other settings \(repoContext: "on" there, "off" now\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("the report says accuracy is exact match for a set without tests, and pass@1 only for sets with tests", () => {
    const datasets = [{ name: "repo-line", items: [{ code: { exactOnly: true } }], issues: [] }];
    const report = buildReport({ cells: [], rows: [], judgements: new Map(), calibrations: [], datasets });
    assert.equal(report.datasets[0].exactOnly, true);
    const md = reportMarkdown(report);
    assert.match(md, /repo-line: lines of real package code with no tests to run, so accuracy is exact match/);
    assert.doesNotMatch(md, /pass@1/);
    const both = reportMarkdown(buildReport({ cells: [], rows: [], judgements: new Map(), calibrations: [], datasets: [...datasets, { name: "humaneval-line", items: [{ code: {} }], issues: [] }] }));
    assert.match(both, /accuracy is pass@1/);
    assert.match(both, /repo-line: .*accuracy is exact match/);
  });
});
