/**
 * Teacher-share calibration: the student answers generated train problems alone and every
 * token's features are kept (`relay calibrate`, or `relay eval --sweep` on first use). Any
 * scored policy's threshold for a target share is then picked from these traces by replaying
 * its rules (src/core/routing/share.ts) — on problems that are never evaluated.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { runRelay } from "../core/controller.js";
import { RelayError } from "../core/errors.js";
import type { PolicyName } from "../core/policies.js";
import { scoreThreshold } from "../core/policies.js";
import { mathPrompt } from "../core/prompts.js";
import { FEATURE_VERSION } from "../core/routing/features.js";
import type { Router } from "../core/routing/router.js";
import { thresholdForShare, type ReplayRules, type ScoreTrace, type ShareThreshold } from "../core/routing/share.js";
import { signalScore, type SignalName } from "../core/routing/signals.js";
import type { Student } from "../core/models.js";
import type { ProgressSink } from "../eval/runEval.js";
import { trainProblems } from "./problems.js";
import { RecordingPolicy } from "./recordingPolicy.js";

export const CALIBRATION_FORMAT = "relay-calibration";

export interface CalibrationFile {
  format: typeof CALIBRATION_FORMAT;
  version: 1;
  featureVersion: number;
  student: { name: string; fingerprint: string };
  maxTokens: number;
  /** Generator seed and count of the train problems answered. */
  problems: { seed: number; count: number };
  answers: Array<{ capped: boolean; f: number[][] }>;
}

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

/** Reads a calibration file; one for another student or feature set is refused, naming the file. */
export async function readCalibration(path: string, fingerprint: string): Promise<CalibrationFile> {
  let file: CalibrationFile;
  try {
    file = JSON.parse(await readFile(path, "utf8")) as CalibrationFile;
  } catch (error) {
    throw new RelayError("invalid-argument", `${path}: not a readable calibration file (${(error as Error).message}).`);
  }
  if (file.format !== CALIBRATION_FORMAT || !Array.isArray(file.answers)) throw new RelayError("invalid-argument", `${path} is not a Relay calibration file.`);
  if (file.featureVersion !== FEATURE_VERSION) throw new RelayError("invalid-argument", `${path} was made for feature set ${file.featureVersion}; run \`relay calibrate\` again.`);
  if (file.student?.fingerprint !== fingerprint) throw new RelayError("invalid-argument", `${path} was made for another student (${file.student?.name ?? "?"}); run \`relay calibrate\` for this one.`);
  return file;
}

/** Where `relay calibrate` keeps a student's calibration (one file per student). */
export function defaultCalibrationPath(fingerprint: string): string {
  const cache = process.env.RELAY_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "relay");
  return join(cache, "calibration", `${fingerprint}.json`);
}

export async function writeCalibration(path: string, file: CalibrationFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(file) + "\n");
  await rename(tmp, path);
}

/** A scored policy's score for each recorded token. */
export function traces(file: CalibrationFile, policy: PolicyName, router?: Router): ScoreTrace[] {
  const score = policy === "router" || (policy === "auto" && router) ? (f: number[]) => (router as Router).score(f) : (f: number[]) => signalScore((policy === "auto" ? "confidence" : policy) as SignalName, f);
  return file.answers.map((a) => ({ capped: a.capped, scores: a.f.map(score) }));
}

/**
 * The policy's threshold (in its own terms: a probability for confidence and auto) at which the
 * recorded answers replay to `share` of the tokens from the teacher.
 */
export function thresholdFor(file: CalibrationFile, policy: PolicyName, share: number, rules: Omit<ReplayRules, "maxTokens">, router?: Router): ShareThreshold {
  const found = thresholdForShare(traces(file, policy, router), share, { ...rules, maxTokens: file.maxTokens });
  const usesRouter = policy === "router" || (policy === "auto" && router !== undefined);
  // Confidence compares 1 − probability: its setting is the probability.
  return { expected: found.expected, threshold: usesRouter ? found.threshold : scoreThreshold(policy, found.threshold) };
}
