/**
 * Records a teacher-share calibration: the student answers generated train problems alone and
 * every token's features are kept (`relay calibrate`, or `relay eval --sweep` on first use).
 */
import { runRelay } from "../core/controller.js";
import { RelayError } from "../core/errors.js";
import type { Student } from "../core/models.js";
import { mathPrompt } from "../core/prompts.js";
import { CALIBRATION_FORMAT, type CalibrationFile } from "../core/routing/calibration.js";
import { FEATURE_VERSION } from "../core/routing/features.js";
import type { ProgressSink } from "../eval/runEval.js";
import { itemId, type Dataset } from "../eval/datasets.js";
import { SHARE_CHECK_DATASET } from "../eval/shareCheck.js";
import { trainProblems } from "./problems.js";
import { RecordingPolicy } from "./recordingPolicy.js";

export interface CalibrateRun {
  student: Student;
  studentId: { name: string; fingerprint: string };
  count: number;
  seed: number;
  maxTokens: number;
  signal?: AbortSignal;
  progress?: ProgressSink;
}

/** Answers `count` generated train problems alone, keeping every token's features. */
export async function recordCalibration(run: CalibrateRun): Promise<CalibrationFile> {
  const problems = trainProblems(["arith", "words"], run.count, run.seed);
  const answers: CalibrationFile["answers"] = [];
  run.progress?.add(problems.length);
  for (const problem of problems) {
    const policy = new RecordingPolicy();
    const result = await runRelay({ task: mathPrompt(problem.question), student: run.student, policy, limits: { maxTokens: run.maxTokens }, signal: run.signal });
    if (result.stats.stopReason === "aborted") throw new RelayError("aborted", "Calibration was interrupted.");
    answers.push({ capped: result.stats.stopReason === "max-tokens", f: policy.tokens.map((t) => t.f) });
    run.progress?.advance({ label: "calibration" });
  }
  return { format: CALIBRATION_FORMAT, version: 1, featureVersion: FEATURE_VERSION, student: run.studentId, maxTokens: run.maxTokens, problems: { seed: run.seed, count: run.count }, answers };
}

/** The generated train problems `relay eval --share-check` answers: the calibration's own (its seed), the first `count`. */
export function shareCheckProblems(calibration: CalibrationFile, count: number): Dataset {
  const problems = trainProblems(["arith", "words"], count, calibration.problems.seed);
  const items = problems.map((p, index) => ({ dataset: SHARE_CHECK_DATASET, index, id: itemId(p.question, p.answer), question: p.question, gold: p.answer }));
  return { name: SHARE_CHECK_DATASET, path: `(${count} generated train problems, seed ${calibration.problems.seed})`, items, issues: [] };
}
