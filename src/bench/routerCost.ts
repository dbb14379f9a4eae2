/**
 * Benchmark 9 — what the token router costs per token, on the real SmolLM2-135M student:
 * a. decode tokens/s of answers under a policy that reads the chosen token's probability only
 *    (confidence: node-llama-cpp's generator) against the router policy, which needs the
 *    distribution's top-20 (one controlled evaluation per step), interleaved pairs, never calling;
 * b. the router's own work per token — the feature tracker and a logistic and an MLP forward
 *    pass — timed over the recorded tokens of those answers, against one decode step (goal < 1%).
 */
import { runRelay } from "../core/controller.js";
import { createPolicy, type TriggerPolicy } from "../core/policies.js";
import { mathPrompt } from "../core/prompts.js";
import { seededRandom } from "../core/random.js";
import { FEATURE_NAMES, FeatureTracker, type TokenView } from "../core/routing/features.js";
import { parseRouter, type RouterFile } from "../core/routing/router.js";
import { ensureRealModels } from "../io/realModels.js";
import { LlamaStudent } from "../student/llamaStudent.js";
import type { BenchEnv } from "./env.js";
import { repoRoot } from "./benchModels.js";
import { pairedRatio, round, roundSummary, summarize, type Summary } from "./stats.js";

export interface RouterCostResult {
  model: string;
  maxTokens: number;
  pairs: number;
  confidence: { tokensPerSecond: Summary };
  router: { tokensPerSecond: Summary };
  /** Median per-pair ratio router / confidence decode speed. */
  ratio: number;
  /** Per token: decode step (ms, the confidence path) and the router's work (µs). */
  decodeMsPerToken: number;
  featuresUs: number;
  logisticUs: number;
  mlpUs: number;
  /** (features + MLP) / one decode step. */
  routerShareOfDecode: number;
}

const QUESTIONS = ["What is 46 + 83?", "Lena has 34 cards and gives 15 of them to Jade. How many cards does Lena have left?", "A box holds 7 pencils. How many pencils are in 9 boxes?"];

function routerFile(kind: "logistic" | "mlp"): RouterFile {
  const r = seededRandom(3);
  const n = FEATURE_NAMES.length;
  const row = (m: number) => Array.from({ length: m }, () => r() - 0.5);
  const model: RouterFile["model"] =
    kind === "logistic"
      ? { kind, weights: row(n), bias: 0 }
      : { kind, hidden: [{ weights: Array.from({ length: 32 }, () => row(n)), bias: row(32) }, { weights: Array.from({ length: 16 }, () => row(32)), bias: row(16) }], output: { weights: row(16), bias: 0 } };
  return { format: "relay-router", version: 1, featureVersion: 1, features: [...FEATURE_NAMES], topK: 20, student: { name: "bench", fingerprint: "bench" }, scaler: { mean: Array(n).fill(0), scale: Array(n).fill(1) }, model };
}

/** Records what the policy was shown, so the router's work can be timed apart. */
function recording(inner: TriggerPolicy, seen: TokenView[]): TriggerPolicy {
  return {
    name: inner.name,
    needsProbabilities: inner.needsProbabilities,
    topK: inner.topK,
    teacherOnly: false,
    onToken: (token) => {
      seen.push(token);
      return inner.onToken(token);
    },
    onKept: (token) => inner.onKept(token),
    onCommand: (n) => inner.onCommand(n),
    onTeacherSpan: (text, tokens) => inner.onTeacherSpan(text, tokens),
  };
}

export async function runRouterCost(env: BenchEnv): Promise<RouterCostResult> {
  const models = await ensureRealModels(repoRoot());
  const student = await LlamaStudent.load({ model: models.smollm2, gpu: "cpu", threads: env.threads, contextSize: 1024, sequences: 1, logger: env.logger });
  const maxTokens = env.quick ? 64 : 128;
  const pairs = env.quick ? 4 : 8;
  const mlp = parseRouter(routerFile("mlp"), "bench");
  const logistic = parseRouter(routerFile("logistic"), "bench");
  const speeds = { confidence: [] as number[], router: [] as number[] };
  const msPerToken: number[] = [];
  const views: TokenView[] = [];
  try {
    for (let i = 0; i < pairs; i++) {
      const task = mathPrompt(QUESTIONS[i % QUESTIONS.length]);
      // Alternate which goes first, so drift on a shared machine cancels.
      const order = i % 2 === 0 ? (["confidence", "router"] as const) : (["router", "confidence"] as const);
      for (const which of order) {
        // Thresholds no token reaches: both answers are the student's own, token for token.
        const policy = which === "router" ? recording(createPolicy("router", { router: mlp, threshold: 2 }), views) : createPolicy("confidence", { threshold: 0 });
        const t0 = performance.now();
        const result = await runRelay({ task, student, policy, limits: { maxTokens } });
        await result.released;
        const ms = performance.now() - t0 - (result.stats.timeToFirstTokenMs ?? 0);
        const tokens = Math.max(1, result.stats.generatedTokens - 1);
        speeds[which].push((tokens / ms) * 1000);
        if (which === "confidence") msPerToken.push(ms / tokens);
      }
      env.progress(`router cost: pair ${i + 1}/${pairs}`);
    }
  } finally {
    await student.dispose();
  }
  const time = (fn: () => void) => {
    const t0 = performance.now();
    fn();
    return ((performance.now() - t0) * 1000) / views.length;
  };
  // The tracker alone, then with each model's forward pass; a few rounds, the fastest kept.
  const best = (fn: () => void) => Math.min(...Array.from({ length: 5 }, () => time(fn)));
  const walk = (score?: (f: number[]) => number) => () => {
    const tracker = new FeatureTracker();
    for (const v of views) {
      const f = tracker.features(v);
      if (score) score(f);
      tracker.commit(v);
    }
  };
  const featuresUs = best(walk());
  const logisticUs = Math.max(0, best(walk((f) => logistic.score(f))) - featuresUs);
  const mlpUs = Math.max(0, best(walk((f) => mlp.score(f))) - featuresUs);
  const decodeMsPerToken = summarize(msPerToken).median;
  return {
    model: "SmolLM2-135M-Instruct Q4_1",
    maxTokens,
    pairs,
    confidence: { tokensPerSecond: roundSummary(summarize(speeds.confidence)) },
    router: { tokensPerSecond: roundSummary(summarize(speeds.router)) },
    ratio: round(pairedRatio(speeds.router, speeds.confidence), 3),
    decodeMsPerToken: round(decodeMsPerToken, 2),
    featuresUs: round(featuresUs, 2),
    logisticUs: round(logisticUs, 2),
    mlpUs: round(mlpUs, 2),
    routerShareOfDecode: round((featuresUs + mlpUs) / 1000 / decodeMsPerToken, 5),
  };
}
