/** The eval report (aggregation, Markdown, SVG), the random router's calibration, the results file, and resuming. */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TaskPrompt } from "../../src/core/prompts.js";
import type { SessionOptions, StudentSession } from "../../src/core/models.js";
import { createPolicy } from "../../src/core/policies.js";
import { parseConditions, randomProbabilityFor, signatureOf, withProbability, withTeacher } from "../../src/eval/conditions.js";
import { parseDataset, type Dataset } from "../../src/eval/datasets.js";
import { buildReport, reportMarkdown, type EvalReport } from "../../src/eval/report.js";
import { ResultsFile, resultKey, type JudgeLine, type ResultLine, type RowStats } from "../../src/eval/results.js";
import { runEval } from "../../src/eval/runEval.js";
import { judgeMessages, parseVerdict } from "../../src/eval/judge.js";
import { frontierSvg } from "../../src/eval/svg.js";
import { wilsonInterval } from "../../src/eval/wilson.js";
import { MemoryStudent, MemoryTeacher, pieces, type ScriptPiece } from "../helpers/memoryModels.js";

const made: string[] = [];
const tmp = () => {
  made.push(mkdtempSync(join(tmpdir(), "relay-eval-unit-")));
  return made[made.length - 1];
};
after(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function row(dataset: string, condition: string, index: number, sample: number, correct: boolean, stats: Partial<RowStats>): ResultLine {
  const full: RowStats = {
    studentTokens: 0, teacherTokens: 0, generatedTokens: 0, calls: 0, failedCalls: 0, deniedCalls: 0, malformedTags: 0, ignoredCalls: 0,
    teacherPromptTokens: 0, teacherCompletionTokens: 0, teacherCachedPromptTokens: 0, durationMs: 0, teacherMs: 0, stopReason: "eos", ...stats,
  };
  const key = resultKey(condition, dataset, `id${index}`, index, sample);
  return { type: "result", key, dataset, condition, signature: condition, index, sample, itemId: `id${index}`, gold: "1", extracted: correct ? "1" : "2", correct, text: "", stats: full };
}

describe("buildReport: two graders on the same answers", () => {
  test("the first grader's verdicts count; per cell accuracy by each, agreement, and the answers they differ on", () => {
    const rows = [row("d1", "learned", 0, 0, true, {}), row("d1", "learned", 1, 0, true, {}), row("d1", "learned", 2, 0, false, {})];
    const verdicts = (correct: boolean[], extracted: string[]) => new Map(rows.map((r, i) => [r.key, { correct: correct[i], extracted: extracted[i] }]));
    const report = buildReport({
      cells: [{ dataset: "d1", condition: "learned", signature: "learned" }],
      rows,
      judgements: new Map(),
      calibrations: [],
      datasets: [{ name: "d1", items: [1, 2, 3], issues: [] }],
      graders: [
        { grader: "math-verify", verdicts: verdicts([true, true, false], ["1", "1", "2"]), errors: 0 },
        { grader: "builtin", verdicts: verdicts([true, false, false], ["1", "1 apple", "2"]), errors: 1 },
      ],
    });
    assert.equal(report.grader, "math-verify");
    const cmp = report.graderComparison!;
    assert.deepEqual(cmp.graders, ["math-verify", "builtin"]);
    assert.deepEqual([cmp.answers, cmp.agreeing, cmp.errors], [3, 2, [0, 1]]);
    assert.deepEqual(cmp.cells, [{ dataset: "d1", condition: "learned", answers: 3, accuracy: [2 / 3, 1 / 3], agreeing: 2 }]);
    assert.deepEqual(cmp.disagreements, [{ dataset: "d1", condition: "learned", index: 1, sample: 0, gold: "1", extracted: ["1", "1 apple"], correct: [true, false] }]);
    const md = reportMarkdown(report);
    assert.match(md, /Graders compared on the same answers \(math-verify counts above; builtin beside it\): they agree on 2 of 3 answers \(66\.67%\)/);
    assert.match(md, /\| d1 \| learned \| 3 \| 66\.67% \| 33\.33% \| 2\/3 \|/);
    assert.match(md, /\| d1 \| learned \| 1 \| `1` \| `1` \| `1 apple` \| right \| wrong \|/);
    assert.match(md, /could not grade \(counted wrong\): math-verify 0, builtin 1/);
    assert.match(md, /graded by Math-Verify 0\.9\.0/);
  });
});

describe("buildReport: code sets", () => {
  test("exact match is a column for infill cells only; code cells stay out of the graders' comparison; the note says pass@1", () => {
    const math = row("d1", "learned", 0, 0, true, {});
    const line = { ...row("lines", "learned", 0, 0, true, {}), exactMatch: false };
    const line2 = { ...row("lines", "learned", 1, 0, false, {}), exactMatch: true };
    const fn = row("fns", "learned", 0, 0, true, {});
    const rows = [math, line, line2, fn];
    const counting = new Map(rows.map((r) => [r.key, { correct: r.correct, extracted: "x" }]));
    const report = buildReport({
      cells: ["d1", "lines", "fns"].map((dataset) => ({ dataset, condition: "learned", signature: "learned" })),
      rows,
      judgements: new Map(),
      calibrations: [],
      datasets: [
        { name: "d1", items: [{}], issues: [] },
        { name: "lines", items: [{ code: {} }, { code: {} }], issues: [] },
        { name: "fns", items: [{ code: {} }], issues: [] },
      ],
      graders: [
        { grader: "math-verify", verdicts: counting, errors: 0 },
        { grader: "builtin", verdicts: new Map([[math.key, { correct: true, extracted: "x" }]]), errors: 0 },
      ],
    });
    assert.deepEqual(report.cells.map((c) => [c.dataset, c.exactMatch]), [["d1", null], ["lines", 0.5], ["fns", null]]);
    assert.deepEqual(report.graderComparison?.cells.map((c) => c.dataset), ["d1"]);
    assert.deepEqual(report.datasets.map((d) => d.code), [false, true, true]);
    const md = reportMarkdown(report);
    assert.match(md, /\| exact match \|/);
    assert.match(md, /\| lines \| learned \| 2×1 \| 50\.00% \| [^|]+ \| 50\.00% \|/);
    assert.match(md, /Code sets \(humaneval, humaneval-line\): accuracy is pass@1/);
  });

  test("a math-only report has neither the column nor the note", () => {
    const report = buildReport({ cells: [{ dataset: "d1", condition: "learned", signature: "learned" }], rows: [row("d1", "learned", 0, 0, true, {})], judgements: new Map(), calibrations: [], datasets: [{ name: "d1", items: [{}], issues: [] }] });
    assert.doesNotMatch(reportMarkdown(report), /exact match|pass@1/);
  });
});

describe("buildReport", () => {
  // learned on "d1": 2 items × 2 samples; on "d2": 1 item × 1 sample.
  const rows = [
    row("d1", "learned", 0, 0, true, { teacherTokens: 10, generatedTokens: 100, calls: 1, teacherPromptTokens: 1000, teacherCachedPromptTokens: 400, teacherCompletionTokens: 12, durationMs: 100 }),
    row("d1", "learned", 0, 1, false, { teacherTokens: 0, generatedTokens: 50, durationMs: 200 }),
    row("d1", "learned", 1, 0, true, { teacherTokens: 5, generatedTokens: 50, calls: 1, teacherPromptTokens: 500, teacherCompletionTokens: 6, durationMs: 300 }),
    row("d1", "learned", 1, 1, true, { teacherTokens: 5, generatedTokens: 0, calls: 1, teacherPromptTokens: 500, teacherCompletionTokens: 6, durationMs: 400 }),
    row("d2", "learned", 0, 0, false, { generatedTokens: 10, ignoredCalls: 2, durationMs: 1000 }),
    row("d1", "teacher-free", 0, 0, false, { generatedTokens: 80, durationMs: 50 }),
  ];
  const cells = [
    { dataset: "d1", condition: "learned", signature: "learned" },
    { dataset: "d2", condition: "learned", signature: "learned" },
    { dataset: "d1", condition: "teacher-free", signature: "teacher-free" },
  ];
  const datasets = [
    { name: "d1", items: [1, 2], issues: [] },
    { name: "d2", items: [1], issues: [{ dataset: "d2", line: 1, field: "problem", action: "repaired" as const, detail: "\\frac" }] },
  ];
  const pricing = { inputPerMillion: 2, cachedInputPerMillion: 1, outputPerMillion: 10 };

  test("per cell: avg@k accuracy, pooled call ratio, teacher tokens, cost, latency", () => {
    const report = buildReport({ cells, rows, judgements: new Map(), calibrations: [], datasets, pricing });
    const d1 = report.cells[0];
    assert.equal(d1.items, 2);
    assert.equal(d1.samples, 2);
    assert.equal(d1.answers, 4);
    assert.equal(d1.accuracy, 3 / 4);
    // Pooled: (10 + 0 + 5 + 5) / (100 + 50 + 50 + 0), not the mean of per-answer ratios.
    assert.equal(d1.callRatio, 20 / 200);
    assert.equal(d1.callsPerAnswer, 3 / 4);
    assert.equal(d1.teacherTokensIn, 2000);
    assert.equal(d1.teacherCachedTokensIn, 400);
    assert.equal(d1.teacherTokensOut, 24);
    assert.equal(d1.costUsd, ((2000 - 400) * 2 + 400 * 1 + 24 * 10) / 1e6);
    assert.equal(d1.costPerAnswerUsd, d1.costUsd / 4);
    assert.equal(d1.teacherTokensInPerAnswer, 500);
    assert.equal(d1.teacherCachedTokensInPerAnswer, 100);
    assert.equal(d1.meanLatencyMs, 250);
    assert.equal(d1.judgedAccuracy, null);
    assert.equal(report.cells[1].ignoredCalls, 2);
    assert.deepEqual(report.datasets, [
      { name: "d1", items: 2, code: false, repaired: 0, flagged: 0, skipped: 0 },
      { name: "d2", items: 1, code: false, repaired: 1, flagged: 0, skipped: 0 },
    ]);
  });

  test("macro averages: each dataset weighs the same", () => {
    const report = buildReport({ cells, rows, judgements: new Map(), calibrations: [], datasets });
    const learned = report.averages.find((a) => a.condition === "learned")!;
    assert.equal(learned.datasets, 2);
    assert.equal(learned.accuracy, (3 / 4 + 0) / 2);
    assert.equal(learned.callRatio, (0.1 + 0) / 2);
    assert.equal(learned.meanLatencyMs, (100 + 200 + 300 + 400 + 1000) / 5);
  });

  test("judged accuracy is kept apart from strict accuracy; unjudged failures are counted as pending", () => {
    const judge = (r: ResultLine, verdict: boolean | null): [string, JudgeLine] => [r.key, { type: "judge", key: r.key, model: "j", verdict, reply: "" }];
    const judgements = new Map([judge(rows[1], true), judge(rows[5], null)]);
    const report = buildReport({ cells, rows, judgements, calibrations: [], datasets, judgeModel: "j" });
    assert.equal(report.cells[0].accuracy, 3 / 4);
    assert.equal(report.cells[0].judgedAccuracy, 1);
    assert.equal(report.cells[1].judgedAccuracy, 0);
    assert.equal(report.cells[1].judgePending, 1);
    assert.equal(report.cells[2].judgedAccuracy, 0);
    assert.equal(report.cells[2].judgePending, 0);
    const md = reportMarkdown(report);
    assert.match(md, /\| dataset \| condition \| answers \| accuracy \| 95% CI \| judged \| call ratio \| gap recovered \|/);
    assert.match(md, /\| d1 \| learned \| 2×2 \| 75\.00% \| 30\.1–95\.4% \| 100\.00% \| 10\.00% \| – \| 0\.75 \| 500 \(100\) \| 2,000 \| 24 \| \$0\.0000 \| \$0\.0000 \| 0\.25 s \|/);
    assert.match(md, /\| d2 \| learned \| 1×1 \| 0\.00% \| 0\.0–79\.3% \| 0\.00% \(1 pending\) \|/);
    assert.match(md, /judged equivalent by j/);
  });

  test("Markdown: table, averages, data defects, cost note, incomplete banner", () => {
    const report = buildReport({ cells, rows, judgements: new Map(), calibrations: [], datasets, pricing, complete: false });
    const md = reportMarkdown(report);
    assert.match(md, /^# Relay evaluation\n\n\*\*Incomplete:\*\*/);
    assert.doesNotMatch(md, /judged/);
    // Per answer: 2,000 / 4 teacher input tokens, 400 / 4 of them cached; the cost over 4 answers.
    assert.match(md, /\| d1 \| learned \| 2×2 \| 75\.00% \| 30\.1–95\.4% \| 10\.00% \| – \| 0\.75 \| 500 \(100\) \| 2,000 \| 24 \| \$0\.0038 \| \$0\.0010 \| 0\.25 s \|/);
    assert.match(md, /Average over datasets[^\n]*\n\n\| condition \| datasets \| accuracy \|/);
    assert.match(md, /\| learned \| 2 \| 37\.50% \| 5\.00% \|/);
    assert.match(md, /- d2: 1 item\(s\) repaired, 0 flagged, 0 skipped/);
    assert.match(md, /Cost at \$2\/M input and \$10\/M output tokens/);
  });

  test("SVG: one marker per cell, one panel per dataset, escaped names, a never-calling condition as a reference line", () => {
    const named = rows.map((r) => ({ ...r, dataset: r.dataset === "d2" ? "a&b" : r.dataset }));
    const report = buildReport({ cells: cells.map((c) => ({ ...c, dataset: c.dataset === "d2" ? "a&b" : c.dataset })), rows: named, judgements: new Map(), calibrations: [], datasets });
    const svg = frontierSvg(report);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="760" height="\d+"/);
    assert.ok(svg.trimEnd().endsWith("</svg>"));
    assert.equal((svg.match(/<title>/g) ?? []).length, 3);
    assert.match(svg, />a&amp;b</);
    assert.doesNotMatch(svg, /a&b/);
    assert.match(svg, /<text[^>]*>teacher-free 0\.0%<\/text>/);
    assert.match(svg, /<text[^>]*>learned<\/text>/);
    // Tags balance (a cheap well-formedness check).
    const opened = (svg.match(/<[a-z]+(?:\s[^>]*)?(?<!\/)>/g) ?? []).length;
    const closed = (svg.match(/<\/[a-z]+>/g) ?? []).length;
    assert.equal(opened, closed);
  });
});

describe("accuracy intervals and the gap recovered", () => {
  const close = (actual: number, expected: number, tolerance = 1e-4) => assert.ok(Math.abs(actual - expected) < tolerance, `${actual} is not ${expected}`);

  test("Wilson score interval: hand-computed values; 0/n and n/n stay inside [0, 1]; no answers, no information", () => {
    // 8/80, z = 1.959964: centre (0.1 + z²/160) / (1 + z²/80) = 0.11833, half-width 0.06678.
    const [lo, hi] = wilsonInterval(8, 80);
    close(lo, 0.05155);
    close(hi, 0.18511);
    // 0/n: [0, z²/(n + z²)]; n/n mirrors it.
    assert.deepEqual(wilsonInterval(0, 10).map((x) => Number(x.toFixed(5))), [0, 0.27753]);
    assert.deepEqual(wilsonInterval(10, 10).map((x) => Number(x.toFixed(5))), [0.72247, 1]);
    assert.deepEqual(wilsonInterval(0, 0), [0, 1]);
    // A wider z, a wider interval.
    assert.ok(wilsonInterval(8, 80, 2.575829)[0] < lo);
  });

  // One dataset: student-only 1/10 right, teacher-only 9/10, a router sweep point 5/10.
  const answers = (dataset: string, condition: string, correct: number, teacherTokens: number) =>
    Array.from({ length: 10 }, (_, i) => row(dataset, condition, i, 0, i < correct, { teacherTokens, generatedTokens: 100 }));
  const sweepRows = [...answers("d", "student-only", 1, 0), ...answers("d", "teacher-only", 9, 100), ...answers("d", "router @5%", 5, 5), ...answers("d", "confidence @t=0.2", 3, 2)];
  const sweepCells = [
    { dataset: "d", condition: "student-only", signature: "student-only" },
    { dataset: "d", condition: "teacher-only", signature: "teacher-only" },
    // As runEval records a sweep point; the next one's policy comes from its name.
    { dataset: "d", condition: "router @5%", signature: "router @5%", policy: "router", threshold: 0.43125, targetShare: 0.05 },
    { dataset: "d", condition: "confidence @t=0.2", signature: "confidence @t=0.2" },
  ];
  const sweep = (without: string[] = []) =>
    buildReport({ cells: sweepCells.filter((c) => !without.includes(c.condition)), rows: sweepRows, judgements: new Map(), calibrations: [], datasets: [{ name: "d", items: Array(10).fill(0), issues: [] }] });

  test("per cell: policy, threshold, target share, the Wilson interval, the gap recovered between student and teacher alone", () => {
    const report = sweep();
    const [student, teacher, router, confidence] = report.cells;
    assert.deepEqual(report.cells.map((c) => c.policy), ["student-only", "teacher-only", "router", "confidence"]);
    assert.deepEqual([router.threshold, router.targetShare], [0.43125, 0.05]);
    assert.equal(confidence.threshold, undefined);
    assert.deepEqual(router.accuracyCi95, wilsonInterval(5, 10));
    close(router.gapRecovered!, 0.5, 1e-12);
    close(confidence.gapRecovered!, 0.25, 1e-12);
    assert.deepEqual([student.gapRecovered, teacher.gapRecovered], [0, 1]);
    assert.ok(sweep(["teacher-only"]).cells.every((c) => c.gapRecovered === null));
    assert.ok(sweep(["student-only"]).cells.every((c) => c.gapRecovered === null));
  });

  test("a teacher no better than the student: no gap to recover", () => {
    const worse = sweepRows.map((r) => (r.condition === "teacher-only" ? { ...r, correct: false } : r));
    const report = buildReport({ cells: sweepCells, rows: worse, judgements: new Map(), calibrations: [], datasets: [] });
    assert.ok(report.cells.every((c) => c.gapRecovered === null));
  });

  test("Markdown: the 95% CI and gap recovered columns, a sweep point's target and threshold, the footnote", () => {
    const md = reportMarkdown(sweep());
    assert.match(md, /\| dataset \| condition \| answers \| accuracy \| 95% CI \| call ratio \| gap recovered \| calls\/answer \|/);
    assert.match(md, /\| d \| router @5% \(t=0\.431\) \| 10×1 \| 50\.00% \| 23\.7–76\.3% \| 5\.00% \| 50\.0% \|/);
    assert.match(md, /\| d \| confidence @t=0\.2 \| 10×1 \| 30\.00% \| 10\.8–60\.3% \| 2\.00% \| 25\.0% \|/);
    assert.match(md, /\| d \| student-only \| 10×1 \| 10\.00% \| 1\.8–40\.4% \| 0\.00% \| 0\.0% \|/);
    assert.match(reportMarkdown(sweep(["teacher-only"])), /\| d \| router @5% \(t=0\.431\) \| 10×1 \| 50\.00% \| 23\.7–76\.3% \| 5\.00% \| – \|/);
    assert.match(md, /95% CI: Wilson score interval/);
    assert.match(md, /Gap recovered: \(accuracy − student-only's\) \/ \(teacher-only's − student-only's\) on the same dataset/);
  });
});

describe("random router calibration", () => {
  test("p = r / (k(1 − r) + r); near p ≈ r / (k(1 − r)) for small ratios", () => {
    assert.equal(randomProbabilityFor(0.25, 16), 0.25 / (16 * 0.75 + 0.25));
    assert.equal(randomProbabilityFor(0, 16), 0);
    assert.equal(randomProbabilityFor(1, 16), 1);
    const small = randomProbabilityFor(0.0107, 16);
    assert.ok(Math.abs(small - 0.0107 / (16 * (1 - 0.0107))) / small < 0.01);
  });

  test("measured: the real random policy at the calibrated p gives the target call ratio", () => {
    for (const [target, span] of [
      [0.25, 16],
      [0.0107, 16],
      [0.05, 32],
    ] as const) {
      const policy = createPolicy("random", { probability: randomProbabilityFor(target, span), spanTokens: span, seed: 7 });
      // Each student step either keeps its token or is replaced by a teacher span.
      let student = 0;
      let teacher = 0;
      while (student + teacher < 2_000_000) {
        const call = policy.onToken({ text: "" });
        if (call === null) student++;
        else teacher += call;
      }
      const measured = teacher / (student + teacher);
      assert.ok(Math.abs(measured - target) / target < 0.03, `${target}: measured ${measured}`);
    }
  });
});

describe("conditions", () => {
  test("teacher-free is the student-only policy under its own name; random without p is calibrated to the first relay condition", () => {
    const [learned, free, random] = parseConditions(["learned", "teacher-free", "random"], { spanTokens: 8 });
    assert.deepEqual([learned.name, learned.policy, learned.signature], ["learned", "learned", "learned"]);
    assert.deepEqual([free.name, free.policy, free.signature], ["teacher-free", "student-only", "teacher-free"]);
    assert.equal(random.calibrateTo, "learned");
    assert.equal(withProbability(random, 0.0123456789).signature, "random(k=8,p=0.0123457)");
    assert.equal(parseConditions(["random"], { randomP: 0.01 })[0].calibrateTo, undefined);
    assert.throws(() => parseConditions(["random", "teacher-free"]), /needs --random-p, or a relay condition/);
    assert.throws(() => parseConditions(["learned", "random"], { calibrateTo: "auto" }), /--calibrate-to auto: evaluate it too/);
    assert.throws(() => parseConditions(["nope"]), /Unknown condition nope/);
  });

  test("the teacher is part of the signature of the conditions that call it, and survives calibration", () => {
    const [learned, free, random] = parseConditions(["learned", "teacher-free", "random"]).map((c) => withTeacher(c, "teacher.gguf temperature=default"));
    assert.match(learned.signature, /^learned@[0-9a-f]{8}$/);
    assert.equal(free.signature, "teacher-free");
    assert.notEqual(withTeacher(parseConditions(["learned"])[0], "other.gguf").signature, learned.signature);
    assert.equal(withProbability(random, 0.5).signature, `${signatureOf("random", { probability: 0.5 })}@${learned.signature.split("@")[1]}`);
  });
});

describe("semantic judge", () => {
  test("verdicts: a leading YES/NO, else the last standalone one after any reasoning; otherwise none", () => {
    assert.equal(parseVerdict("YES"), true);
    assert.equal(parseVerdict("no."), false);
    assert.equal(parseVerdict("**Yes**, they match"), true);
    assert.equal(parseVerdict("<think>is 0.5 = 1/2? NO wait, yes</think>\nYES"), true);
    assert.equal(parseVerdict("Both are one half, so the verdict is YES"), true);
    assert.equal(parseVerdict("They differ. NO"), false);
    assert.equal(parseVerdict("I cannot tell"), null);
  });
  test("the request shows the problem, the reference and the student's answer, secrets redacted", () => {
    const [system, user] = judgeMessages({ question: "Find x. api_key = sk-abcdefghijklmnopqrstuvwxyz123456", gold: "\\frac{1}{2}", answer: "0.5" });
    assert.equal(system.role, "system");
    assert.match(system.content, /Reply with exactly one word: YES or NO/);
    assert.match(user.content, /^Problem:\nFind x\. /);
    assert.doesNotMatch(user.content, /sk-abcdefghijklmnopqrstuvwxyz123456/);
    assert.match(user.content, /Reference answer: \\frac\{1\}\{2\}\n\nStudent's final answer: 0\.5\n/);
  });
});

describe("results file", () => {
  test("appends lines, reads them back, refuses other settings, cuts a torn last line", async () => {
    const path = join(tmp(), "out", "results.jsonl");
    const file = await ResultsFile.open(path, { student: "s.gguf", maxTokens: 64 });
    const r = row("d", "learned", 0, 0, true, { generatedTokens: 3 });
    await file.append(r);
    await file.append({ type: "judge", key: r.key, model: "j", verdict: true, reply: "YES" });
    const again = await ResultsFile.open(path, { student: "s.gguf", maxTokens: 64 });
    assert.deepEqual(again.results.get(r.key), r);
    assert.equal(again.judgements.get(r.key)?.verdict, true);
    assert.deepEqual(again.warnings, []);

    await assert.rejects(ResultsFile.open(path, { student: "s.gguf", maxTokens: 32 }), /other settings \(maxTokens: 64 there, 32 now\)/);
    writeFileSync(path, readFileSync(path, "utf8") + "this is not json\n" + '{"type":"result","key":"torn');
    const torn = await ResultsFile.open(path, { student: "s.gguf", maxTokens: 64 });
    assert.equal(torn.results.size, 1);
    assert.deepEqual(torn.warnings, ["cut off a torn last line (28 characters) left by an interrupted run", "line 4 is not JSON; ignored"]);
    assert.ok(readFileSync(path, "utf8").endsWith("this is not json\n"));
  });
});

/** A student whose script depends on the question (the in-memory student plays one script). */
class PerQuestionStudent extends MemoryStudent {
  constructor(private readonly scripts: Array<[string, ScriptPiece[][]]>) {
    super([]);
  }
  override openSession(task: TaskPrompt, options: SessionOptions): Promise<StudentSession> {
    const script = this.scripts.find(([q]) => task.user.startsWith(q));
    if (!script) throw new Error(`no script for ${task.user}`);
    return new MemoryStudent(script[1]).openSession(task, options);
  }
}

describe("runEval with in-memory models", () => {
  // Q1: 3 student tokens + a 2-token span (ratio 2/5); Q2: 5 + 1 (ratio 1/6). The teacher
  // answers with as many "x" as it is asked for. Both answers are right.
  const student = new PerQuestionStudent([
    ["Q1", [pieces("Let", "<call>2</call>"), pieces(" so \\boxed{1}")]],
    ["Q2", [pieces("A", "B", "C", "<call>1</call>"), pieces(" \\boxed{2}")]],
  ]);
  const teacher = new MemoryTeacher((r) => ({ text: "x".repeat(r.maxTokens), finish: "length", model: "memory-teacher" }));
  const dataset: Dataset = { name: "mem", path: "mem.jsonl", ...parseDataset("mem", '{"problem": "Q1", "answer": "1"}\n{"problem": "Q2", "answer": "2"}\n') };
  const conditions = parseConditions(["learned", "random"]);

  async function evaluate(dir: string, limit?: number) {
    const results = await ResultsFile.open(join(dir, "results.jsonl"), { student: "memory" });
    const outcome = await runEval({ datasets: [dataset], conditions, limit, samples: 1, student, teacher, results, seed: 1, concurrency: 2 });
    return { outcome, report: buildReport({ ...outcome, datasets: [dataset] }) };
  }
  const stable = (r: EvalReport) => JSON.parse(JSON.stringify(r), (k, v: unknown) => (k === "meanLatencyMs" ? undefined : v)) as unknown;

  test("exact accuracy and call ratio; the random router calibrated to learned's pooled ratio", async () => {
    const { report } = await evaluate(tmp());
    const learned = report.cells.find((c) => c.condition === "learned")!;
    assert.equal(learned.accuracy, 1);
    assert.equal(learned.callRatio, 3 / 11);
    const p = Number(randomProbabilityFor(3 / 11, 16).toPrecision(6));
    assert.deepEqual(report.calibrations, [{ dataset: "mem", condition: "random", reference: "learned", targetRatio: 3 / 11, span: 16, probability: p }]);
    assert.equal(report.cells.find((c) => c.condition === "random")?.randomP, p);
  });

  test("resuming after a --limit run: learned answers are reused, the router's recalibrated ones are not; same report as one run", async () => {
    const dir = tmp();
    const first = await evaluate(dir, 1);
    assert.deepEqual([first.outcome.ran, first.outcome.reused], [2, 0]);
    // On Q1 alone learned's ratio is 2/5: another p than over both items.
    assert.equal(first.report.calibrations[0].targetRatio, 2 / 5);
    const second = await evaluate(dir);
    assert.deepEqual([second.outcome.ran, second.outcome.reused], [3, 1]);
    const fresh = await evaluate(tmp());
    assert.deepEqual(stable(second.report), stable(fresh.report));
    // The stale router answer stays in the file but not in the report.
    assert.equal(readFileSync(join(dir, "results.jsonl"), "utf8").trim().split("\n").length, 1 + 2 + 3);
    assert.equal(second.report.cells.reduce((n, c) => n + c.answers, 0), 4);
  });

  test("answers are graded once all are made, with today's grader: a stored grade from an older grader is redone", async () => {
    const dir = tmp();
    await evaluate(dir);
    const path = join(dir, "results.jsonl");
    // As an older grader would have left them: every answer marked wrong, nothing extracted.
    const stale = readFileSync(path, "utf8").replace(/"extracted":"[^"]*","correct":true/g, '"extracted":null,"correct":false');
    assert.notEqual(stale, readFileSync(path, "utf8"));
    writeFileSync(path, stale);
    const again = await evaluate(dir);
    assert.equal(again.outcome.ran, 0);
    assert.equal(again.report.cells.find((c) => c.condition === "learned")!.accuracy, 1);
    assert.equal(again.outcome.graders.length, 1);
    assert.equal(again.outcome.graders[0].grader, "builtin");
    assert.equal(again.report.grader, "builtin");
    assert.equal(again.report.graderComparison, null);
  });

  test("a condition that calls the teacher is refused without one", async () => {
    const results = await ResultsFile.open(join(tmp(), "r.jsonl"), {});
    await assert.rejects(runEval({ datasets: [dataset], conditions, samples: 1, student, results, seed: 1, concurrency: 1 }), /learned, random need\(s\) a teacher/);
  });
});
