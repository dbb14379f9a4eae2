/**
 * The confidence policy on real probabilities: SmolLM2 answers 20 fixed GSM8K questions (the
 * first 20 of the test split, committed in test/fixtures/gsm8k-20.jsonl) relayed at the
 * product's default threshold with a local Qwen2.5-Coder teacher. The distribution of the
 * student's top-1 probability and the calls per answer go to bench/results/real-confidence.{json,md},
 * from which the default threshold was chosen (docs/evaluation.md, "Choosing the confidence threshold").
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runRelay } from "../../src/core/controller.js";
import { createPolicy, DEFAULT_POLICY_OPTIONS, type TriggerPolicy } from "../../src/core/policies.js";
import { mathPrompt } from "../../src/core/prompts.js";
import { LlamaStudent } from "../../src/student/llamaStudent.js";
import { LocalTeacher } from "../../src/teacher/localTeacher.js";
import { buildReport, replayCalls, writeReport, type AnswerRecord } from "../helpers/confidenceReport.js";
import { REAL_THREADS, REPO_ROOT, realModels } from "../fixtures/real.js";

const MAX_TOKENS = 64;
const REPORT = join(REPO_ROOT, "bench", "results", "real-confidence.json");
const questions = readFileSync(join(REPO_ROOT, "test", "fixtures", "gsm8k-20.jsonl"), "utf8")
  .trim()
  .split("\n")
  .map((line) => (JSON.parse(line) as { question: string }).question);

/** The product's confidence policy at its defaults, recording every probability it is shown. */
function recordingPolicy(probabilities: number[]): TriggerPolicy {
  const inner = createPolicy("confidence");
  return {
    name: inner.name,
    needsProbabilities: true,
    topK: inner.topK,
    teacherOnly: false,
    onToken: (token) => {
      if (token.probability !== undefined) probabilities.push(token.probability);
      return inner.onToken(token);
    },
    onKept: (token) => inner.onKept(token),
    onCommand: (n) => inner.onCommand(n),
    onTeacherSpan: (text, tokens) => inner.onTeacherSpan(text, tokens),
  };
}

let student: LlamaStudent;
let teacher: LocalTeacher;
before(async () => {
  const models = await realModels();
  student = await LlamaStudent.load({ model: models.smollm2, gpu: "cpu", threads: REAL_THREADS, contextSize: 1024, sequences: 1 });
  teacher = await LocalTeacher.load({ model: models.qwenCoder, gpu: "cpu", threads: REAL_THREADS, contextSize: 1024 });
});
after(async () => {
  await teacher?.dispose();
  await student?.dispose();
});

test("top-1 probabilities and calls per answer at the default threshold, over 20 GSM8K questions", async () => {
  assert.equal(questions.length, 20);
  const answers: AnswerRecord[] = [];
  for (const question of questions) {
    const probabilities: number[] = [];
    const result = await runRelay({ task: mathPrompt(question), student, teacher, policy: recordingPolicy(probabilities), limits: { maxTokens: MAX_TOKENS } });
    await result.released;
    answers.push({
      probabilities,
      calls: result.stats.calls,
      studentTokens: result.stats.studentTokens,
      teacherTokens: result.stats.teacherTokens,
      callRatio: result.stats.callRatio,
      stopReason: result.stats.stopReason,
    });
  }
  const report = buildReport({ student: "SmolLM2-135M-Instruct Q4_1", teacher: "Qwen2.5-Coder-0.5B-Instruct (local GGUF)", maxTokens: MAX_TOKENS }, answers);
  writeReport(REPORT, report);

  // Real probabilities: spread over (0, 1], neither all certain nor uniform noise.
  for (const p of answers.flatMap((a) => a.probabilities)) assert.ok(p > 0 && p <= 1, String(p));
  assert.ok(report.tokens >= 20 * 32, `${report.tokens} tokens`);
  assert.ok(report.quantiles.p50 > 0.4 && report.quantiles.p50 < 0.97, `median ${report.quantiles.p50}`);
  // The default sits in the low tail: a few per cent of the tokens, not most and not none.
  const atDefault = report.thresholds.find((t) => t.threshold === DEFAULT_POLICY_OPTIONS.threshold)!;
  assert.ok(atDefault.shareBelow >= 0.01 && atDefault.shareBelow <= 0.15, `share below the default: ${atDefault.shareBelow}`);
  // Relayed for real: it calls in some answers but not at the cool-down's every chance.
  const cap = replayCalls(new Array<number>(MAX_TOKENS).fill(0), DEFAULT_POLICY_OPTIONS.threshold);
  assert.equal(cap, Math.floor(MAX_TOKENS / (DEFAULT_POLICY_OPTIONS.cooldownTokens + 1)));
  assert.ok(report.atDefault.answersWithACall >= 4, `answers with a call: ${report.atDefault.answersWithACall}`);
  assert.ok(report.atDefault.meanCallsPerAnswer >= 0.2 && report.atDefault.meanCallsPerAnswer <= 0.8 * cap, `calls per answer ${report.atDefault.meanCallsPerAnswer} (at most ${cap})`);
  assert.ok(report.atDefault.meanCallRatio > 0 && report.atDefault.meanCallRatio < 0.3, `call ratio ${report.atDefault.meanCallRatio}`);
  // The old default (0.35) called at almost every chance the cool-down allows.
  const old = report.thresholds.find((t) => t.threshold === 0.35)!;
  assert.ok(old.replayedCallsPerAnswer > atDefault.replayedCallsPerAnswer);
});
