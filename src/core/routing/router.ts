/**
 * A learned token router: a small classifier over the tracker's features that scores, per
 * candidate token, how likely the teacher should write from here (R2R/CITER-style, for a student
 * whose weights are left alone). Trained by `relay router train`, stored as a small versioned
 * JSON file; inference is a standardisation and a logistic or MLP forward pass.
 */
import { z } from "zod";
import { RelayError } from "../errors.js";
import { FEATURE_NAMES, FEATURE_TOP_K, FEATURE_VERSION } from "./features.js";

export const ROUTER_FORMAT = "relay-router";
export const ROUTER_VERSION = 1;

const ModelId = z.object({
  name: z.string(),
  /** A sampled SHA-256 of the GGUF (see modelFingerprint): cheap enough to check on every load. */
  fingerprint: z.string(),
});
export type ModelId = z.infer<typeof ModelId>;

const finite = z.number().refine(Number.isFinite, "not a finite number");
const Layer = z.object({ weights: z.array(z.array(finite)), bias: z.array(finite) });
const Logistic = z.object({ kind: z.literal("logistic"), weights: z.array(finite), bias: finite });
const Mlp = z.object({ kind: z.literal("mlp"), hidden: z.array(Layer).min(1), output: z.object({ weights: z.array(finite), bias: finite }) });

export const RouterFileSchema = z.object({
  format: z.literal(ROUTER_FORMAT),
  version: z.number().int(),
  featureVersion: z.number().int(),
  features: z.array(z.string()),
  topK: z.number().int().positive(),
  student: ModelId,
  teacher: ModelId.optional(),
  scaler: z.object({ mean: z.array(finite), scale: z.array(finite) }),
  model: z.discriminatedUnion("kind", [Logistic, Mlp]),
  /** The span asked for per call and the cool-down the router was trained and calibrated with. */
  spanTokens: z.number().int().positive().optional(),
  /** Default decision threshold on the score (used when no teacher share is set). */
  threshold: z.number().min(0).max(1).optional(),
  /** What the training reported (AUC, operating point, importances): shown, never used. */
  metrics: z.record(z.string(), z.unknown()).optional(),
  created: z.string().optional(),
});
export type RouterFile = z.infer<typeof RouterFileSchema>;

export class Router {
  private readonly mean: number[];
  private readonly scale: number[];
  private readonly scratch: Float64Array;
  constructor(readonly file: RouterFile) {
    this.mean = file.scaler.mean;
    this.scale = file.scaler.scale.map((s) => (s === 0 ? 1 : s));
    this.scratch = new Float64Array(file.features.length);
  }

  get topK(): number {
    return this.file.topK;
  }

  /** The probability that the teacher should write from this token (0..1). */
  score(features: readonly number[]): number {
    const x = this.scratch;
    for (let i = 0; i < x.length; i++) x[i] = (features[i] - this.mean[i]) / this.scale[i];
    const m = this.file.model;
    if (m.kind === "logistic") return sigmoid(dot(m.weights, x) + m.bias);
    let h: ArrayLike<number> = x;
    for (const layer of m.hidden) {
      const out = new Float64Array(layer.bias.length);
      for (let j = 0; j < out.length; j++) out[j] = Math.max(0, dot(layer.weights[j], h) + layer.bias[j]);
      h = out;
    }
    return sigmoid(dot(m.output.weights, h) + m.output.bias);
  }
}

/**
 * Reads a router file's JSON. A file of another format or version, for other features, or
 * with weights that do not fit its features is refused with the reason, naming `source`.
 */
export function parseRouter(json: unknown, source: string): Router {
  const parsed = RouterFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RelayError("router-invalid", `${source} is not a Relay router file: ${issue.path.join(".") || "(top)"}: ${issue.message}.`);
  }
  const file = parsed.data;
  const fail = (why: string) => new RelayError("router-invalid", `${source}: ${why}.`);
  if (file.version !== ROUTER_VERSION) throw fail(`router file version ${file.version}; this Relay reads version ${ROUTER_VERSION} (train it again with \`relay router train\`)`);
  if (file.featureVersion !== FEATURE_VERSION || file.features.join(",") !== FEATURE_NAMES.join(",")) throw fail(`made for feature set ${file.featureVersion}; this Relay computes feature set ${FEATURE_VERSION} (collect and train again)`);
  if (file.topK > FEATURE_TOP_K) throw fail(`needs the top ${file.topK} probabilities; at most ${FEATURE_TOP_K} are computed`);
  const n = file.features.length;
  if (file.scaler.mean.length !== n || file.scaler.scale.length !== n) throw fail(`its scaler has ${file.scaler.mean.length} values for ${n} features`);
  const m = file.model;
  if (m.kind === "logistic" && m.weights.length !== n) throw fail(`its logistic model has ${m.weights.length} weights for ${n} features`);
  if (m.kind === "mlp") {
    let width = n;
    for (const [i, layer] of m.hidden.entries()) {
      if (layer.weights.length !== layer.bias.length || layer.weights.some((row) => row.length !== width)) throw fail(`hidden layer ${i + 1} does not fit its input of ${width}`);
      width = layer.bias.length;
    }
    if (m.output.weights.length !== width) throw fail(`its output layer has ${m.output.weights.length} weights for ${width} inputs`);
  }
  return new Router(file);
}

function dot(w: readonly number[], x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * x[i];
  return s;
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}
