/** Dataset loaders on the six real benchmark files, and on the JSONL shapes they come in. */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { repairControlChars } from "../../src/eval/controlChars.js";
import { BENCHMARKS, BENCHMARK_NAMES, CODE_SETS, DATASET_NAMES, DEFAULT_DATA_DIR, GENERATED_SETS, describeIssues, loadDatasets, parseDataset, resolveDataset, type Dataset } from "../../src/eval/datasets.js";
import { answersMatch } from "../../src/eval/grade.js";
import { numericValue, symbolicallyEqual } from "../../src/eval/mathEngine.js";
import { normalizeAnswer, parseNumber } from "../../src/eval/normalize.js";

// Control characters other than the newline.
// eslint-disable-next-line no-control-regex -- looking for them is the point
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f]/;

describe("the six benchmark files (the package's data/ folder)", () => {
  let sets: Map<string, Dataset>;
  before(async () => {
    sets = new Map((await loadDatasets(BENCHMARK_NAMES, DEFAULT_DATA_DIR)).map((d) => [d.name, d]));
  });

  test("every item is read: GSM8K 1,319, MATH-500 500, Minerva 272, OlympiadBench 674, AIME 2024 30, AIME 2025 30", () => {
    assert.deepEqual(Object.fromEntries([...sets].map(([name, d]) => [name, d.items.length])), BENCHMARKS);
    assert.deepEqual(BENCHMARKS, { gsm8k: 1319, math500: 500, minervamath: 272, olympiadbench: 674, aime24: 30, aime25: 30 });
    for (const d of sets.values()) {
      assert.equal(d.issues.filter((i) => i.action === "skipped").length, 0, d.name);
      assert.equal(new Set(d.items.map((i) => i.id)).size, d.items.length, `${d.name}: ids are unique`);
      assert.deepEqual(d.items.map((i) => i.index), d.items.map((_, i) => i));
    }
  });

  test("gold answers are parsed: GSM8K numbers after ####, AIME integers, LaTeX elsewhere; each grades equal to itself", () => {
    const gsm = sets.get("gsm8k")!;
    for (const item of gsm.items) assert.match(item.gold, /^-?\d+(\.\d+)?$/, item.gold);
    // Golds written "#### 1,000" come out as plain numbers.
    assert.ok(gsm.items.some((i) => Number(i.gold) >= 1000));
    for (const name of ["aime24", "aime25"]) {
      for (const item of sets.get(name)!.items) assert.ok(/^\d{1,3}$/.test(item.gold), `${name}: ${item.gold}`);
    }
    assert.equal(sets.get("gsm8k")!.items[0].gold, "18");
    assert.equal(sets.get("math500")!.items[0].gold, "\\left( 3, \\frac{\\pi}{2} \\right)");
    assert.equal(sets.get("aime25")!.items[0].gold, "70");
    for (const d of sets.values()) {
      for (const item of d.items) {
        assert.ok(item.question.trim().length > 0 && item.gold.trim().length > 0, `${d.name} ${item.index}`);
        assert.ok(answersMatch(item.gold, item.gold), `${d.name} ${item.index}: ${item.gold}`);
      }
    }
  });

  test("the grader understands 2,820 of the 2,825 gold answers (number, constant, expression or words); 5 are compared as text", () => {
    const understood = (gold: string) => {
      const n = normalizeAnswer(gold).text;
      return parseNumber(n) !== null || numericValue(n) !== null || symbolicallyEqual(n, n) || /^[A-Za-z ]+$/.test(n);
    };
    const notUnderstood = [...sets.values()].flatMap((d) => d.items.filter((i) => !understood(i.gold)).map((i) => `${d.name} ${i.index}`));
    assert.deepEqual(notUnderstood.map((x) => x.split(" ")[0]), [...Array(4).fill("minervamath"), "olympiadbench"]);
    assert.equal(answersMatch("np.arcsin(10/13)", "np.arcsin(10/13)"), true);
  });

  test("AIME 2025's three broken LaTeX commands are repaired, nothing else is touched", () => {
    const aime25 = sets.get("aime25")!;
    assert.deepEqual(
      aime25.issues.map((i) => [i.line, i.field, i.action, i.detail]),
      [...Array(5).fill([19, "problem", "repaired", "\\frac"]), [20, "problem", "repaired", "\\triangle"], [28, "problem", "repaired", "\\frac"]],
    );
    assert.match(aime25.items[18].question, /\\prod\^\{63\}_\{k=4\} \\frac\{\\log_k \(5\^\{k\^2 - 1\}\)\}/);
    assert.match(aime25.items[19].question, /The circumcircle of \$\\triangle DEF\$ intersects/);
    assert.match(aime25.items[27].question, /can be expressed as \$\\frac\{m\}\{n\}\$/);
    for (const item of aime25.items) assert.doesNotMatch(item.question, CONTROL);
  });

  test("MATH-500's two tab items and GSM8K's one are flagged (real tabs, not eaten commands) and kept", () => {
    const math500 = sets.get("math500")!;
    assert.deepEqual([...new Set(math500.issues.map((i) => `${i.line} ${i.action}`))], ["18 flagged", "427 flagged"]);
    assert.match(math500.items[17].question, /\{\n\treturn 2\*sin\(3\*x \+ pi\) \+ 1;/);
    assert.match(math500.items[426].question, /have\tequal\tperimeters\.\tThe area/);
    assert.deepEqual([...new Set(sets.get("gsm8k")!.issues.map((i) => `${i.line} ${i.field} ${i.action}`))], ["1155 answer flagged"]);
    for (const name of ["minervamath", "olympiadbench", "aime24"]) assert.deepEqual(sets.get(name)!.issues, [], name);
    // Every control character left in any question was reported.
    for (const d of sets.values()) {
      const reported = new Set(d.issues.map((i) => i.line - 1));
      for (const item of d.items) if (CONTROL.test(item.question)) assert.ok(reported.has(item.index), `${d.name} ${item.index}`);
    }
    assert.match(describeIssues(sets.get("aime25")!) ?? "", /^aime25: 3 item\(s\) repaired, 0 flagged, 0 skipped\n {2}line 19 problem: repaired \\frac ×5\n/);
  });
});

describe("JSONL shapes", () => {
  test("question/problem/prompt fields; answer, GSM8K '#### n', numeric answers, or a \\boxed{} solution", () => {
    const text = [
      JSON.stringify({ question: "Q1?", answer: "work\n#### 1,234" }),
      "",
      JSON.stringify({ problem: "Q2?", answer: "\\frac{1}{2}" }),
      JSON.stringify({ problem: "Q3?", answer: 17 }),
      JSON.stringify({ prompt: "Q4?", solution: "So $x = \\boxed{\\sqrt{2}}$." }),
    ].join("\n");
    const { items, issues } = parseDataset("mixed", text);
    assert.deepEqual(items.map((i) => [i.index, i.question, i.gold]), [
      [0, "Q1?", "1234"],
      [1, "Q2?", "\\frac{1}{2}"],
      [2, "Q3?", "17"],
      [3, "Q4?", "\\sqrt{2}"],
    ]);
    assert.deepEqual(issues, []);
  });

  test("bad lines are skipped and reported, never silently", () => {
    const text = ['{"problem": "ok", "answer": "1"}', "{not json", '{"problem": "no gold"}', '{"text": "no question", "answer": "2"}', "[1, 2]"].join("\n");
    const { items, issues } = parseDataset("bad", text);
    assert.equal(items.length, 1);
    assert.deepEqual(issues.map((i) => [i.line, i.action]), [[2, "skipped"], [3, "skipped"], [4, "skipped"], [5, "skipped"]]);
    assert.match(issues[0].detail, /not valid JSON/);
    assert.match(issues[1].detail, /no gold answer/);
  });

  test("a UTF-8 BOM at the start of the file belongs to the file: the first item is read, nothing skipped", () => {
    const text = "\uFEFF" + [JSON.stringify({ question: "Q1?", answer: "1" }), JSON.stringify({ question: "Q2?", answer: "2" })].join("\r\n") + "\r\n";
    const { items, issues } = parseDataset("bom", text);
    assert.deepEqual(items.map((i) => [i.index, i.question, i.gold]), [[0, "Q1?", "1"], [1, "Q2?", "2"]]);
    assert.deepEqual(issues, []);
    // The same item with and without the BOM is the same item (its results are reused).
    assert.equal(items[0].id, parseDataset("plain", JSON.stringify({ question: "Q1?", answer: "1" })).items[0].id);
  });

  test("a BOM anywhere but the start is not the file's: that line is skipped and reported", () => {
    const { items, issues } = parseDataset("mid", [JSON.stringify({ question: "Q1?", answer: "1" }), "\uFEFF" + JSON.stringify({ question: "Q2?", answer: "2" })].join("\n"));
    assert.equal(items.length, 1);
    assert.deepEqual(issues.map((i) => [i.line, i.action]), [[2, "skipped"]]);
  });

  test("names resolve under the package's data/ folder (found from the module, not the working directory); other specs are paths", () => {
    const repo = resolve(import.meta.dirname, "..", "..");
    assert.equal(DEFAULT_DATA_DIR, join(repo, "data"));
    assert.deepEqual(resolveDataset("math500"), { name: "math500", path: join(repo, "data", "math500", "test.jsonl") });
    assert.deepEqual(resolveDataset("arith"), { name: "arith", path: join(repo, "data", "arith", "test.jsonl") });
    assert.deepEqual(resolveDataset("aime24", "/data"), { name: "aime24", path: "/data/aime24/test.jsonl" });
    assert.deepEqual(resolveDataset("/x/mine/test.jsonl"), { name: "mine", path: "/x/mine/test.jsonl" });
    assert.deepEqual(resolveDataset("extra.jsonl"), { name: "extra", path: join(process.cwd(), "extra.jsonl") });
  });

  test("a missing file is a clear error", async () => {
    await assert.rejects(loadDatasets(["gsm8k"], "/nonexistent"), /Cannot read dataset gsm8k at \/nonexistent\/gsm8k\/test\.jsonl \(the package's data folder is .*--data-dir names another/);
  });

  test("the generated arith set is named apart from the benchmarks, with its 200 integer answers", async () => {
    assert.deepEqual(GENERATED_SETS, { arith: 200 });
    assert.deepEqual(DATASET_NAMES, [...BENCHMARK_NAMES, "arith", "humaneval", "humaneval-line", "repo-line"]);
    assert.ok(!(BENCHMARK_NAMES as string[]).includes("arith"));
    const [arith] = await loadDatasets(["arith"]);
    assert.equal(arith.items.length, 200);
    assert.equal(arith.issues.length, 0);
    for (const item of arith.items) assert.match(item.gold, /^\d+$/);
  });

  test("the code sets load as code items: HumanEval's 164 functions, 1,033 masked lines", async () => {
    const [humaneval, lines] = await loadDatasets(["humaneval", "humaneval-line"]);
    assert.equal(humaneval.items.length, CODE_SETS.humaneval);
    assert.equal(lines.items.length, CODE_SETS["humaneval-line"]);
    assert.equal(humaneval.issues.length + lines.issues.length, 0);
    const first = humaneval.items[0];
    assert.equal(first.code?.kind, "function");
    assert.equal(first.code?.entryPoint, "has_close_elements");
    assert.equal(first.question, first.code?.prompt);
    assert.match(first.gold, /^ {4}for idx, elem in enumerate\(numbers\):/);
    for (const item of lines.items) {
      assert.equal(item.code?.kind, "line");
      assert.ok(item.gold.trim().length > 0 && !item.gold.includes("\n"));
    }
    assert.equal(new Set(lines.items.map((i) => i.id)).size, lines.items.length, "item ids collide");
  });

  test("a code record without its solution is reported, not dropped silently", () => {
    const { items, issues } = parseDataset("mine", JSON.stringify({ prompt: "def f():\n", test: "def check(c): pass", entry_point: "f" }));
    assert.equal(items.length, 0);
    assert.deepEqual(issues.map((i) => [i.field, i.action]), [["canonical_solution", "skipped"]]);
  });
});

describe("control-character repair", () => {
  test("form feed, tab, backspace and carriage return before a command's letters become a backslash", () => {
    assert.deepEqual(repairControlChars("\frac{1}{2} + \triangle + \boxed{3} + \right)"), {
      text: "\\frac{1}{2} + \\triangle + \\boxed{3} + \\right)",
      fixes: [
        { action: "repaired", detail: "\\frac" },
        { action: "repaired", detail: "\\triangle" },
        { action: "repaired", detail: "\\boxed" },
        { action: "repaired", detail: "\\right" },
      ],
    });
  });
  test("anything else is kept and flagged", () => {
    const { text, fixes } = repairControlChars("a\tb \u0001x \foo");
    assert.equal(text, "a\tb \u0001x \foo");
    assert.deepEqual(fixes.map((f) => f.action), ["flagged", "flagged", "flagged"]);
    assert.match(fixes[0].detail, /tab \(U\+0009\) kept as whitespace before "b"/);
    assert.match(fixes[1].detail, /control character U\+0001 kept/);
  });
});
