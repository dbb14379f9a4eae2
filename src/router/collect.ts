/**
 * `relay router collect`: training data for a token router from the real student/teacher pair.
 * For each generated train problem the student answers alone (greedy), recording every token's
 * features exactly as the router computes them at run time; one teacher evaluation over the
 * whole answer gives the teacher's next token at each of its boundaries, aligned to the
 * student's tokens by text (labels); on a budgeted subset, R2R-style rollouts check whether
 * handing a position to the teacher turns a wrong final answer into a right one. One JSON line
 * per answer and per rollout, appended as each is done: a rerun resumes.
 */
import { appendFile, mkdir, readFile, truncate } from "node:fs/promises";
import { dirname } from "node:path";
import { runRelay } from "../core/controller.js";
import { RelayError, isAbortError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { silentLogger } from "../core/logger.js";
import type { TriggerPolicy } from "../core/policies.js";
import { mathPrompt } from "../core/prompts.js";
import { FEATURE_NAMES, FEATURE_TOP_K, FEATURE_VERSION } from "../core/routing/features.js";
import { alignLabels } from "../core/routing/labels.js";
import { gradeResponse } from "../eval/grade.js";
import type { ProgressSink } from "../eval/runEval.js";
import type { LlamaStudent } from "../student/llamaStudent.js";
import type { Teacher } from "../core/models.js";
import type { BoundaryPrediction } from "../core/routing/labels.js";
import { predictAtBoundaries } from "./boundaryPredictions.js";
import type { Problem } from "./problems.js";
import { RecordingPolicy, round } from "./recordingPolicy.js";

/** What the collected lines depend on: a file made under other settings is not appended to. */
export interface CollectSettings {
  type: "settings";
  featureVersion: number;
  features: readonly string[];
  topK: number;
  student: { name: string; fingerprint: string };
  teacher: { name: string; fingerprint: string };
  maxTokens: number;
  rolloutSpan: number;
}

export interface TokenRecord {
  /** The token's text. */
  t: string;
  /** Its features (FEATURE_NAMES order). */
  f: number[];
  /** 1: the teacher would write something else from inside this token. */
  y: 0 | 1;
  /** The teacher's probability of the answer's own text here (1: no teacher boundary inside). */
  pa: number;
  /** What the teacher would write instead. */
  tt?: string;
}

export interface AnswerLine {
  type: "answer";
  id: string;
  family: string;
  question: string;
  gold: string;
  text: string;
  correct: boolean;
  extracted: string | null;
  /** The answer stopped at the token limit. */
  capped: boolean;
  tokens: TokenRecord[];
}

export interface RolloutLine {
  type: "rollout";
  id: string;
  /** The student token replaced by the call (index into the answer's tokens). */
  at: number;
  span: number;
  correct: boolean;
  extracted: string | null;
  teacherTokens: number;
  generatedTokens: number;
}

export interface CollectRun {
  student: LlamaStudent;
  /** A local GGUF teacher gives every position in one evaluation (`predictions`); any other is asked per boundary. */
  teacher: Teacher & { predictions?(promptText: string, answer: string, signal?: AbortSignal): Promise<BoundaryPrediction[]> };
  settings: CollectSettings;
  problems: Problem[];
  /** The JSON-lines file (created, or resumed when its settings match). */
  out: string;
  /** Rollouts per wrong answer, at its earliest disagreements (0: none). */
  rollouts: number;
  signal?: AbortSignal;
  progress?: ProgressSink;
  logger?: Logger;
}

export interface CollectOutcome {
  answers: number;
  rollouts: number;
  reused: number;
  aborted: boolean;
}

/** Calls the teacher once, in place of the student's `at`-th token. */
class ForcedCallPolicy implements TriggerPolicy {
  readonly name = "fixed-span" as const;
  readonly needsProbabilities = false;
  readonly topK = 0;
  readonly teacherOnly = false;
  private seen = 0;
  constructor(
    private readonly at: number,
    private readonly span: number,
  ) {}
  onToken(): number | null {
    return this.seen++ === this.at ? this.span : null;
  }
  onKept(): void {}
  onCommand(): null {
    return null;
  }
  onTeacherSpan(): void {
    this.seen = Number.NEGATIVE_INFINITY;
  }
}

export async function collect(run: CollectRun): Promise<CollectOutcome> {
  const log = run.logger ?? silentLogger;
  const done = await openCollection(run.out, run.settings);
  if (done.torn) log.warn(`${run.out}: its last line was cut off (an interrupted run); it is made again`);
  const outcome: CollectOutcome = { answers: 0, rollouts: 0, reused: 0, aborted: false };
  run.progress?.add(run.problems.length);
  for (const problem of run.problems) {
    if (run.signal?.aborted) break;
    try {
      let answer: AnswerLine | null | undefined = done.answers.get(problem.id);
      if (answer) outcome.reused++;
      else {
        answer = await answerAlone(run, problem);
        if (!answer) break;
        await append(run.out, answer);
        outcome.answers++;
      }
      if (!answer.correct) {
        for (const at of rolloutPositions(answer, run.rollouts)) {
          if (done.rollouts.has(`${problem.id}|${at}`)) continue;
          const line = await rollout(run, problem, at);
          if (!line) break;
          await append(run.out, line);
          outcome.rollouts++;
        }
      }
      run.progress?.advance({ label: problem.family, correct: answer.correct });
    } catch (error) {
      if (isAbortError(error) || run.signal?.aborted) break;
      throw error;
    }
  }
  outcome.aborted = Boolean(run.signal?.aborted);
  log.debug(`router collect: ${outcome.answers} answers, ${outcome.rollouts} rollouts, ${outcome.reused} reused`);
  return outcome;
}

/**
 * The `n` student tokens where the teacher disagrees most strongly (the lowest probability it
 * gives the student's own text; the earlier one on a tie), in answer order. Most disagreements
 * are harmless word choices the teacher also finds likely; the strong ones are worth a rollout.
 */
export function rolloutPositions(answer: AnswerLine, n: number): number[] {
  return answer.tokens
    .map((t, i) => ({ i, y: t.y, pa: t.pa }))
    .filter((t) => t.y === 1)
    .sort((a, b) => a.pa - b.pa || a.i - b.i)
    .slice(0, n)
    .map((t) => t.i)
    .sort((a, b) => a - b);
}

async function answerAlone(run: CollectRun, problem: Problem): Promise<AnswerLine | null> {
  const policy = new RecordingPolicy();
  const task = mathPrompt(problem.question);
  const result = await runRelay({ task, student: run.student, policy, limits: { maxTokens: run.settings.maxTokens }, signal: run.signal });
  if (result.stats.stopReason === "aborted") return null;
  // The answer as the teacher would continue it: every token the student kept, tags and all.
  const tokens = policy.tokens;
  const answer = tokens.map((t) => t.t).join("");
  const promptText = run.teacher.renderPrompt?.(task) ?? run.student.renderPrompt(task);
  // Where each student token starts in the answer (an incomplete character's tokens have no text).
  const starts: number[] = [];
  let at = 0;
  for (const t of tokens) {
    if (t.t.length > 0) starts.push(at);
    at += t.t.length;
  }
  const predictions = run.teacher.predictions ? await run.teacher.predictions(promptText, answer, run.signal) : await predictAtBoundaries(run.teacher, task, promptText, answer, starts, run.signal);
  const labels = alignLabels(answer, tokens.map((t) => t.t), predictions);
  const grade = gradeResponse(result.text, problem.answer);
  return {
    type: "answer",
    id: problem.id,
    family: problem.family,
    question: problem.question,
    gold: problem.answer,
    text: result.text,
    correct: grade.correct,
    extracted: grade.extracted,
    capped: result.stats.stopReason === "max-tokens",
    tokens: tokens.map((t, i) => ({ ...t, y: labels[i].disagree ? 1 : 0, pa: round(labels[i].actualProbability), ...(labels[i].teacherText !== undefined ? { tt: labels[i].teacherText } : {}) })),
  };
}

async function rollout(run: CollectRun, problem: Problem, at: number): Promise<RolloutLine | null> {
  const result = await runRelay({
    task: mathPrompt(problem.question),
    student: run.student,
    teacher: run.teacher,
    policy: new ForcedCallPolicy(at, run.settings.rolloutSpan),
    limits: { maxTokens: run.settings.maxTokens, maxSpanTokens: run.settings.rolloutSpan },
    signal: run.signal,
  });
  if (result.stats.stopReason === "aborted") return null;
  const grade = gradeResponse(result.text, problem.answer);
  return { type: "rollout", id: problem.id, at, span: run.settings.rolloutSpan, correct: grade.correct, extracted: grade.extracted, teacherTokens: result.stats.teacherTokens, generatedTokens: result.stats.generatedTokens };
}

interface Collected {
  answers: Map<string, AnswerLine>;
  rollouts: Set<string>;
  /** The last line was cut off (a killed run) and dropped. */
  torn?: boolean;
}

/** Reads a collection to resume it; a new file starts with its settings line. */
async function openCollection(path: string, settings: CollectSettings): Promise<Collected> {
  const collected: Collected = { answers: new Map(), rollouts: new Set() };
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    await mkdir(dirname(path), { recursive: true });
    await append(path, settings);
    return collected;
  }
  const lines = text.split("\n");
  const torn = lines.pop();
  const [head, ...rest] = lines;
  let first: unknown;
  try {
    first = JSON.parse(head ?? "");
  } catch {
    first = undefined;
  }
  const have = first as Partial<CollectSettings> | undefined;
  if (have?.type !== "settings") throw new RelayError("invalid-argument", `${path} is not a router collection (no settings line first).`);
  const differs = (["featureVersion", "topK", "maxTokens", "rolloutSpan"] as const).filter((k) => have[k] !== settings[k]);
  if (have.student?.fingerprint !== settings.student.fingerprint) differs.push("student" as never);
  if (have.teacher?.fingerprint !== settings.teacher.fingerprint) differs.push("teacher" as never);
  if (differs.length > 0) throw new RelayError("invalid-argument", `${path} was collected with another ${differs.join(", ")}; use another --out (or remove it to start over).`);
  if (torn) {
    // Our own file, its last line cut off by a killed run: that line is dropped and made again.
    await truncate(path, Buffer.byteLength(text) - Buffer.byteLength(torn));
    collected.torn = true;
  }
  for (const [i, raw] of rest.entries()) {
    let line: AnswerLine | RolloutLine;
    try {
      line = JSON.parse(raw) as AnswerLine | RolloutLine;
    } catch {
      throw new RelayError("invalid-argument", `${path}: line ${i + 2} is not JSON.`);
    }
    if (line.type === "answer") collected.answers.set(line.id, line);
    else if (line.type === "rollout") collected.rollouts.add(`${line.id}|${line.at}`);
  }
  return collected;
}

export function collectSettings(student: { name: string; fingerprint: string }, teacher: { name: string; fingerprint: string }, maxTokens: number, rolloutSpan: number): CollectSettings {
  return { type: "settings", featureVersion: FEATURE_VERSION, features: FEATURE_NAMES, topK: FEATURE_TOP_K, student, teacher, maxTokens, rolloutSpan };
}

async function append(path: string, line: object): Promise<void> {
  await appendFile(path, JSON.stringify(line) + "\n", "utf8");
}
