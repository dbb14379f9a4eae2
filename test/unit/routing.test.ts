/**
 * The router's pure parts: features, training-free signals, the teacher-share replay, label
 * alignment, router inference on a hand-computed example, router files that must be refused,
 * the sweep's operating points and the random router calibrated to each, and the train-only
 * problem generator.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { RelayError } from "../../src/core/errors.js";
import { createPolicy } from "../../src/core/policies.js";
import { FEATURE_NAMES, FeatureTracker, tokenClass, topEntropy } from "../../src/core/routing/features.js";
import { alignLabels } from "../../src/core/routing/labels.js";
import { parseRouter, type RouterFile } from "../../src/core/routing/router.js";
import { replayRatio, thresholdForShare } from "../../src/core/routing/share.js";
import { signalScore } from "../../src/core/routing/signals.js";
import { expandSweep, parseConditions, randomProbabilityFor } from "../../src/eval/conditions.js";
import { ResultsFile } from "../../src/eval/results.js";
import { runEval } from "../../src/eval/runEval.js";
import { loadRouterFile } from "../../src/io/routerFile.js";
import { splitOf, trainProblems } from "../../src/router/problems.js";
import { MemoryStudent, MemoryTeacher } from "../helpers/memoryModels.js";

const at = (name: (typeof FEATURE_NAMES)[number]) => FEATURE_NAMES.indexOf(name);

test("token classes and the top-K entropy (the rest of the mass as one outcome)", () => {
  assert.deepEqual(["7", " 12", " +", " =", ".", "\n\n", " apples", "les", "\\boxed", "The"].map(tokenClass), ["digit", "digit", "operator", "operator", "punct", "newline", "word-start", "word-piece", "markup", "word-start"]);
  assert.equal(topEntropy([1]), 0);
  assert.ok(Math.abs(topEntropy([0.5, 0.5]) - Math.log(2)) < 1e-12);
  // 0.5, 0.25 and a tail of 0.25.
  assert.ok(Math.abs(topEntropy([0.5, 0.25]) - (0.5 * Math.log(2) + 2 * 0.25 * Math.log(4))) < 1e-12);
});

test("the tracker describes a candidate from the answer so far: position, line, after '=', digits, teacher text", () => {
  const t = new FeatureTracker();
  const feed = (text: string, top = [0.9, 0.05]) => {
    const view = { text, probability: top[0], top };
    const f = t.features(view);
    t.commit(view);
    return f;
  };
  const first = feed("So");
  assert.equal(first[at("line_start")], 1);
  assert.equal(first[at("log_position")], 0);
  for (const piece of [" 46", " +", " 83", " ="]) feed(piece);
  const digit = t.features({ text: " 2", probability: 0.4, top: [0.4, 0.3, 0.1] });
  assert.equal(digit[at("after_equals")], 1);
  assert.equal(digit[at("class_digit")], 1);
  assert.equal(digit[at("prev_operator")], 1);
  assert.equal(digit[at("equals_in_line")], 1);
  assert.equal(digit[at("number_digits")], 0);
  assert.ok(Math.abs(digit[at("log_position")] - Math.log(6)) < 1e-12);
  assert.ok(Math.abs(digit[at("margin")] - 0.1) < 1e-12);
  feed(" 1");
  assert.equal(t.features({ text: "2", probability: 0.9, top: [0.9] })[at("number_digits")], 0.25);
  // Teacher text: a call was made, the line restarts after its newline.
  t.teacher("29.\nSo", 4);
  const after = t.features({ text: " the", probability: 0.9, top: [0.9] });
  assert.equal(after[at("calls")], 1);
  assert.equal(after[at("log_since_call")], 0);
  assert.equal(after[at("line_start")], 0);
  assert.ok(Math.abs(after[at("log_line_position")] - Math.log(2)) < 1e-12);
});

test("training-free signals read the same features: confidence, entropy, margin, rolling entropy, step entropy", () => {
  const t = new FeatureTracker();
  const views = [
    { text: "A", probability: 0.5, top: [0.5, 0.5] },
    { text: " b", probability: 0.9, top: [0.9, 0.1] },
  ];
  const f0 = t.features(views[0]);
  t.commit(views[0]);
  const f1 = t.features(views[1]);
  assert.equal(signalScore("confidence", f0), 0.5);
  assert.ok(Math.abs(signalScore("entropy", f0) - Math.log(2)) < 1e-12);
  assert.equal(signalScore("margin", f0), 1);
  assert.ok(Math.abs(signalScore("rolling-entropy", f1) - (Math.log(2) + topEntropy([0.9, 0.1])) / 2) < 1e-12);
  assert.ok(Math.abs(signalScore("step-entropy", f0) - Math.log(2)) < 1e-12);
  assert.equal(signalScore("step-entropy", f1), -1, "not a step start: never");
});

test("scored policies call above their threshold, past the cool-down, and record every score", () => {
  const policy = createPolicy("entropy", { threshold: 0.5, cooldownTokens: 2, spanTokens: 8 });
  const flat = { text: " x", probability: 0.5, top: [0.5, 0.5] };
  const sure = { text: " y", probability: 1, top: [1] };
  const calls = [];
  for (const view of [flat, flat, sure, flat]) {
    const call = policy.onToken(view);
    calls.push(call);
    if (call === null) policy.onKept(view);
    else policy.onTeacherSpan("zz", 2);
  }
  assert.deepEqual(calls, [null, null, null, 8], "cool-down of 2, then the flat token calls");
  assert.equal(policy.scores?.length, 4);
  // Confidence keeps its meaning: below the probability threshold.
  const confidence = createPolicy("confidence", { threshold: 0.2, cooldownTokens: 0 });
  assert.equal(confidence.onToken({ text: "a", probability: 0.1 }), 16);
  assert.equal(confidence.onToken({ text: "a", probability: 0.3 }), null);
});

test("the teacher-share replay: span, cool-down, the token limit; the threshold for a share", () => {
  const trace = { scores: [0, 0, 0.9, 0, 0, 0, 0.8, 0, 0, 0], capped: false };
  // Cool-down 1: calls at 0.9 and 0.8 → 2×4 teacher tokens, 8 student tokens.
  assert.equal(replayRatio([trace], 0.5, { span: 4, cooldown: 1 }), 8 / 16);
  assert.equal(replayRatio([trace], 0.85, { span: 4, cooldown: 1 }), 4 / 13);
  assert.equal(replayRatio([trace], 0.95, { span: 4, cooldown: 1 }), 0);
  // A capped answer keeps its length: the calls displace student tokens.
  // (2 student tokens, a call of 4, 3 student tokens, then the second call gets the 1 token left.)
  assert.equal(replayRatio([{ ...trace, capped: true }], 0.5, { span: 4, cooldown: 1, maxTokens: 10 }), 5 / 10);
  const found = thresholdForShare([trace], 0.3, { span: 4, cooldown: 1 });
  assert.ok(found.threshold > 0.8 && found.threshold < 0.9, `${found.threshold}`);
  assert.equal(found.expected, 4 / 13);
});

test("labels: the teacher's predictions aligned to the student's tokens by text", () => {
  // Student tokens: "46 + 83 = " then "2", "29"; the teacher splits differently and predicts "1" at the result.
  const tokens = ["46", " +", " 83", " =", " 2", "29"];
  const answer = tokens.join("");
  const predictions = [
    { offset: 0, text: "46", eos: false, actualProbability: 0.9 },
    { offset: 2, text: " +", eos: false, actualProbability: 0.8 },
    { offset: 4, text: " 8", eos: false, actualProbability: 0.9 },
    { offset: 6, text: "3", eos: false, actualProbability: 0.9 },
    { offset: 7, text: " =", eos: false, actualProbability: 0.9 },
    { offset: 9, text: " 1", eos: false, actualProbability: 0.01 },
    { offset: 11, text: "2", eos: false, actualProbability: 0.95 },
  ];
  const labels = alignLabels(answer, tokens, predictions);
  assert.deepEqual(labels.map((l) => l.disagree), [false, false, false, false, true, false]);
  assert.equal(labels[4].teacherText, " 1");
  assert.equal(labels[4].actualProbability, 0.01);
  assert.equal(labels[2].actualProbability, 0.9, "two teacher boundaries inside one student token");
  // End of sequence where the answer goes on is a disagreement.
  assert.equal(alignLabels("ab", ["a", "b"], [{ offset: 1, text: "", eos: true }])[1].disagree, true);
});

function routerFile(model: RouterFile["model"]): RouterFile {
  const n = FEATURE_NAMES.length;
  return {
    format: "relay-router",
    version: 1,
    featureVersion: 1,
    features: [...FEATURE_NAMES],
    topK: 20,
    student: { name: "s", fingerprint: "aaaa" },
    teacher: { name: "t", fingerprint: "bbbb" },
    scaler: { mean: Array(n).fill(0).map((_, i) => (i === 0 ? 0.5 : 0)), scale: Array(n).fill(1).map((_, i) => (i === 0 ? 0.25 : 1)) },
    model,
  };
}

test("router inference against a hand-computed example (logistic and MLP)", () => {
  const n = FEATURE_NAMES.length;
  const x = Array(n).fill(0);
  x[0] = 0.25; // standardised: (0.25 − 0.5) / 0.25 = −1
  x[5] = 2; // entropy, standardised as is
  const w = Array(n).fill(0);
  w[0] = -1.5;
  w[5] = 0.5;
  // z = −1.5·(−1) + 0.5·2 − 1 = 1.5
  const logistic = parseRouter(routerFile({ kind: "logistic", weights: w, bias: -1 }), "test");
  assert.ok(Math.abs(logistic.score(x) - 1 / (1 + Math.exp(-1.5))) < 1e-12);
  // One hidden layer of two ReLUs: h = relu([−z0, z5]) = [1, 2]; out = 0.5·1 − 0.25·2 + 0.1 = 0.1
  const row = (i: number, v: number) => Array(n).fill(0).map((_, j) => (j === i ? v : 0));
  const mlp = parseRouter(routerFile({ kind: "mlp", hidden: [{ weights: [row(0, -1), row(5, 1)], bias: [0, 0] }], output: { weights: [0.5, -0.25], bias: 0.1 } }), "test");
  assert.ok(Math.abs(mlp.score(x) - 1 / (1 + Math.exp(-0.1))) < 1e-12);
});

test("a router file of another version, feature set, or with weights that do not fit is refused, naming it", () => {
  const n = FEATURE_NAMES.length;
  const good = routerFile({ kind: "logistic", weights: Array(n).fill(0), bias: 0 });
  const refuse = (file: unknown, pattern: RegExp) => assert.throws(() => parseRouter(file, "r.json"), (e: unknown) => e instanceof RelayError && e.code === "router-invalid" && pattern.test(e.message));
  refuse({ ...good, version: 2 }, /r\.json: router file version 2/);
  refuse({ ...good, featureVersion: 0 }, /feature set 0/);
  refuse({ ...good, features: FEATURE_NAMES.slice(1) }, /feature set/);
  refuse({ ...good, model: { kind: "logistic", weights: [1, 2], bias: 0 } }, /2 weights for/);
  refuse({ ...good, scaler: { mean: [0], scale: [1] } }, /scaler has 1 values/);
  refuse({ format: "something-else" }, /r\.json is not a Relay router file/);
  refuse({ ...good, model: { kind: "logistic", weights: Array(n).fill(Number.NaN), bias: 0 } }, /not a finite number|expected number/);
});

test("router files on disk: missing, not JSON, for another student → router-invalid naming the file; another teacher → a warning", async () => {
  const dir = mkdtempSync(join(tmpdir(), "relay-router-"));
  try {
    const n = FEATURE_NAMES.length;
    const path = join(dir, "router.json");
    const student = { fingerprint: "aaaa", name: "s" };
    await assert.rejects(loadRouterFile(join(dir, "none.json"), student), /none\.json does not exist/);
    writeFileSync(path, "{ not json");
    await assert.rejects(loadRouterFile(path, student), (e: unknown) => e instanceof RelayError && e.code === "router-invalid" && e.message.includes(path));
    writeFileSync(path, JSON.stringify(routerFile({ kind: "logistic", weights: Array(n).fill(0), bias: 0 })));
    await assert.rejects(loadRouterFile(path, { fingerprint: "cccc", name: "other" }), /trained for the student s \(aaaa\), not for other/);
    const loaded = await loadRouterFile(path, student, { fingerprint: "dddd", name: "new teacher" });
    assert.equal(loaded.warnings.length, 1);
    assert.match(loaded.warnings[0], /trained with the teacher t/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--sweep: shares, thresholds, points for one dataset only", async () => {
  const { parseSweep } = await import("../../src/cli/eval.js");
  assert.deepEqual(parseSweep("1,5"), [{ share: 0.01 }, { share: 0.05 }]);
  assert.deepEqual(parseSweep("t=0.1,0.3"), [{ threshold: 0.1 }, { threshold: 0.3 }]);
  const both = parseSweep("gsm8k:5", parseSweep("arith:2,5"));
  assert.deepEqual(both, [{ share: 0.02, dataset: "arith" }, { share: 0.05, dataset: "arith" }, { share: 0.05, dataset: "gsm8k" }]);
  assert.throws(() => parseSweep("0"), /--sweep must be a number/);
  const swept = expandSweep(parseConditions(["router", "random"], { calibrateTo: "router" }), both, () => 0.5);
  assert.deepEqual(
    swept.map((c) => [c.name, c.datasets]),
    [
      ["router @2%", ["arith"]],
      ["router @5%", ["arith", "gsm8k"]],
      ["random @2%", ["arith"]],
      ["random @5%", ["arith", "gsm8k"]],
    ],
  );
});

test("a sweep: one condition per point; the random router calibrated to the call ratio each point reached", async () => {
  const conditions = parseConditions(["student-only", "confidence", "random"], { spanTokens: 2, cooldownTokens: 0 });
  const swept = expandSweep(conditions, [{ threshold: 0.6 }, { threshold: 0.95 }], () => 0);
  assert.deepEqual(swept.map((c) => c.name), ["student-only", "confidence @t=0.6", "confidence @t=0.95", "random @t=0.6", "random @t=0.95"]);
  assert.deepEqual(swept.filter((c) => c.policy === "random").map((c) => c.calibrateTo), ["confidence @t=0.6", "confidence @t=0.95"]);
  const byShare = expandSweep(conditions, [{ share: 0.05 }], (c, share) => (c.policy === "confidence" ? share * 2 : NaN));
  assert.equal(byShare[1].options.threshold, 0.1);
  assert.equal(byShare[1].targetShare, 0.05);

  // The student's probabilities: 0.5 on every 4th token, 0.9 elsewhere; 12 tokens an answer.
  const pieces = Array.from({ length: 12 }, (_, i) => ({ text: ` w${i}`, probability: i % 4 === 3 ? 0.5 : 0.9 }));
  const student = new MemoryStudent([pieces, pieces.slice(6), pieces.slice(9), pieces.slice(11)]);
  const teacher = new MemoryTeacher(() => ({ text: "ab", finish: "length", model: "m" }));
  const dir = mkdtempSync(join(tmpdir(), "relay-sweep-"));
  try {
    const results = await ResultsFile.open(join(dir, "results.jsonl"), { s: "x" });
    const items = Array.from({ length: 4 }, (_, i) => ({ dataset: "d", index: i, id: `i${i}`, question: `q${i}`, gold: "1" }));
    const outcome = await runEval({ datasets: [{ name: "d", path: "", items, issues: [] }], conditions: swept, samples: 1, student, teacher, results, seed: 1, concurrency: 1 });
    assert.equal(outcome.calibrations.length, 2);
    for (const k of outcome.calibrations) {
      const rows = outcome.rows.filter((r) => r.condition === k.reference);
      const ratio = rows.reduce((n, r) => n + r.stats.teacherTokens, 0) / rows.reduce((n, r) => n + r.stats.generatedTokens, 0);
      assert.ok(ratio > 0, `${k.reference} made calls`);
      assert.equal(k.targetRatio, ratio, `${k.condition} is calibrated to ${k.reference}'s measured ratio`);
      assert.equal(k.probability, Number(randomProbabilityFor(ratio, 2).toPrecision(6)));
      assert.ok(outcome.cells.some((c) => c.condition === k.condition && c.randomP === k.probability && c.policy === "random"));
    }
    assert.ok(outcome.cells.filter((c) => c.policy === "confidence").every((c) => c.threshold !== undefined));
    // 0.6 calls at the 0.5 tokens only, 0.95 at every token.
    const ratio = (name: string) => {
      const rows = outcome.rows.filter((r) => r.condition === name);
      return rows.reduce((n, r) => n + r.stats.teacherTokens, 0) / rows.reduce((n, r) => n + r.stats.generatedTokens, 0);
    };
    assert.ok(ratio("confidence @t=0.6") < ratio("confidence @t=0.95"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("generated problems are train-split only: none of the arith test set, the split rule of its generator", () => {
  const test = readFileSync(new URL("../../data/arith/test.jsonl", import.meta.url), "utf8")
    .trim()
    .split("\n")
    .map((l) => (JSON.parse(l) as { question: string }).question);
  assert.ok(test.every((q) => splitOf(q) === "test"), "the Python generator's rule, reproduced");
  const problems = trainProblems(["arith", "words"], 3000, 0);
  assert.equal(problems.length, 3000);
  assert.equal(new Set(problems.map((p) => p.question)).size, 3000);
  const testSet = new Set(test);
  assert.equal(problems.filter((p) => testSet.has(p.question)).length, 0);
  assert.ok(problems.every((p) => splitOf(p.question) === "train" && /^-?\d+(\.\d+)?$/.test(p.answer)));
  assert.deepEqual(trainProblems(["arith"], 5, 3), trainProblems(["arith"], 5, 3), "deterministic per seed");
});

test("the share tracker: thresholds from the user's own answers (seeded until there are enough), the share the teacher really wrote", async () => {
  const { ShareTracker, OWN_ANSWERS_NEEDED } = await import("../../src/core/routing/shareTracker.js");
  const tracker = new ShareTracker();
  const rules = { span: 4, cooldown: 0 };
  assert.equal(tracker.threshold("router:x", 0.1, rules), undefined, "nothing to pick from");
  // A seed (relay calibrate's recording) where one token in ten scores 0.9.
  const seed = Array.from({ length: 5 }, () => ({ scores: Array.from({ length: 40 }, (_, i) => (i % 10 === 5 ? 0.9 : 0.1)), capped: false }));
  const seeded = tracker.threshold("router:x", 0.25, rules, seed);
  assert.ok(seeded && seeded.threshold > 0.1 && seeded.threshold < 0.9, JSON.stringify(seeded));
  assert.equal(seeded?.answers, 5);
  // Once the user's own answers are enough, only they count: here every token scores 0.5 or 0.6.
  for (let i = 0; i < OWN_ANSWERS_NEEDED; i++) tracker.record("router:x", Array.from({ length: 40 }, (_, j) => (j % 2 ? 0.6 : 0.5)), false, 24, 40);
  // (A call at every 0.6 makes 80% teacher tokens, at none 0%: 60% picks the calls.)
  const own = tracker.threshold("router:x", 0.6, rules, seed);
  assert.ok(own && own.threshold > 0.5 && own.threshold < 0.6, JSON.stringify(own));
  assert.equal(own?.answers, OWN_ANSWERS_NEEDED);
  assert.equal(tracker.own("confidence"), 0);
  assert.deepEqual(tracker.achieved(), { share: 0.6, answers: OWN_ANSWERS_NEEDED });
  assert.equal(own?.aimed, 0.6, "reached what was asked: no correction");
  const corrected = new ShareTracker();
  for (let i = 0; i < 12; i++) corrected.record("c", Array.from({ length: 40 }, (_, j) => j / 40), false, 8, 40);
  assert.equal(corrected.threshold("c", 0.25, rules)?.aimed, 0.25 * (0.25 / 0.2), "reached 20% for 25%: aim 31%");
  const few = new ShareTracker();
  for (let i = 0; i < 5; i++) few.record("c", [0.5], false, 8, 40);
  assert.equal(few.threshold("c", 0.25, rules)?.aimed, 0.25, "too few answers to correct");
  // It survives a restart through its snapshot.
  const again = new (await import("../../src/core/routing/shareTracker.js")).ShareTracker(JSON.parse(JSON.stringify(tracker.snapshot())));
  assert.deepEqual(again.achieved(), tracker.achieved());
});

test("--report-only: the cells of everything a results file holds, the signature written last per condition", async () => {
  const { cellsOfResults } = await import("../../src/eval/runEval.js");
  const dir = mkdtempSync(join(tmpdir(), "relay-cells-"));
  try {
    const results = await ResultsFile.open(join(dir, "results.jsonl"), { s: "x" });
    const stats = { studentTokens: 9, teacherTokens: 1, generatedTokens: 10, calls: 1, failedCalls: 0, deniedCalls: 0, malformedTags: 0, ignoredCalls: 0, teacherPromptTokens: 5, teacherCompletionTokens: 1, teacherCachedPromptTokens: 0, durationMs: 1, teacherMs: 1, stopReason: "eos" as const };
    const row = (condition: string, signature: string, index: number) => ({ type: "result" as const, key: `${signature}|d|${index}|i${index}|0`, dataset: "d", condition, signature, index, sample: 0, itemId: `i${index}`, gold: "1", extracted: "1", correct: true, text: "1", stats });
    await results.append(row("router @5%", "router(t=0.4,r=aaaa)@t1", 0));
    await results.append(row("router @5%", "router(t=0.41,r=bbbb)@t1", 0));
    await results.append(row("router @5%", "router(t=0.41,r=bbbb)@t1", 1));
    await results.append(row("random @5%", "random(p=0.00512,k=16)@t1", 0));
    await results.append(row("teacher-free", "teacher-free", 0));
    const { cells, rows } = cellsOfResults(results);
    const router = cells.find((c) => c.condition === "router @5%");
    assert.deepEqual(router, { dataset: "d", condition: "router @5%", signature: "router(t=0.41,r=bbbb)@t1", policy: "router", threshold: 0.41, targetShare: 0.05 });
    assert.equal(cells.find((c) => c.policy === "random")?.randomP, 0.00512);
    assert.equal(cells.find((c) => c.condition === "teacher-free")?.policy, "teacher-free");
    assert.equal(rows.filter((r) => r.condition === "router @5%").length, 2, "the stale signature's rows are left out");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ResultsFile.read: another run's results, whatever its settings, read without changing the file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "relay-read-"));
  try {
    const path = join(dir, "results.jsonl");
    const made = await ResultsFile.open(path, { student: "other.gguf" });
    const stats = { studentTokens: 1, teacherTokens: 0, generatedTokens: 1, calls: 0, failedCalls: 0, deniedCalls: 0, malformedTags: 0, ignoredCalls: 0, teacherPromptTokens: 0, teacherCompletionTokens: 0, teacherCachedPromptTokens: 0, durationMs: 1, teacherMs: 0, stopReason: "eos" as const };
    await made.append({ type: "result", key: "learned|d|0|i0|0", dataset: "d", condition: "learned", signature: "learned", index: 0, sample: 0, itemId: "i0", gold: "1", extracted: "1", correct: true, text: "1", stats });
    const before = readFileSync(path, "utf8");
    const read = await ResultsFile.read(path);
    assert.equal(read.results.size, 1);
    assert.equal(readFileSync(path, "utf8"), before);
    writeFileSync(join(dir, "bad.jsonl"), "not a results file\n");
    await assert.rejects(ResultsFile.read(join(dir, "bad.jsonl")), /is not a relay eval results file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
