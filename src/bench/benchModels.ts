/**
 * The benchmark models: random-weight GGUFs of realistic dimensions, generated once and cached in
 * `<repo>/.cache/bench-models/` (git-ignored). A file's name carries a hash of everything that
 * decides its bytes, so a changed preset never reuses a stale file.
 */
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeOnce } from "../io/writeOnce.js";
import { QWEN3_0_6B_LIKE, SMALL, writeRandomModel, type RandomModelDims, type RandomModelOptions } from "../gguf/randomWeights.js";

/** Bump when the GGUF writer changes what it writes for the same parameters. */
export const BENCH_MODEL_FORMAT = 1;

export interface BenchModelSpec {
  /** Short id used in file names and in the results. */
  id: string;
  description: string;
  dims: RandomModelDims;
  options: RandomModelOptions;
}

export interface BenchModel extends BenchModelSpec {
  path: string;
  bytes: number;
  /** Parameters (weights), for the results. */
  parameters: number;
  /** Seconds spent writing it in this run; 0 when it came from the cache. */
  generatedSeconds: number;
}

/** Shaped like Qwen3-0.6B (vocabulary 151,936, 1024 wide, 28 blocks, GQA 16/8, FFN 3072), Q8_0. */
export const STUDENT_0_6B: BenchModelSpec = {
  id: "qwen3-0.6b-like-q8_0",
  description: "random weights, Qwen3-0.6B-like dims (vocab 151936, embd 1024, 28 blocks, heads 16/8, ffn 3072), Q8_0",
  dims: { ...QWEN3_0_6B_LIKE },
  options: { type: "q8_0", seed: 6 },
};

/** For `--quick`: a small model of the same kind (vocabulary 32k, 256 wide, 4 blocks), ~13 MB. */
export const STUDENT_QUICK: BenchModelSpec = {
  id: "quick-12m-q8_0",
  description: "random weights, small llama (vocab 32768, embd 256, 4 blocks, heads 4/2, ffn 768), Q8_0",
  dims: { vocab: 32768, embd: 256, blocks: 4, heads: 4, headsKv: 2, ffn: 768, contextLength: 32768 },
  options: { type: "q8_0", seed: 6 },
};

/**
 * The local teacher of the relay benchmark: tiny, so that a relay's wall time is mostly the
 * student's side (the benchmark is about what a relay costs the student). Its vocabulary is a
 * prefix of the 0.6B student's (same generator) and as large as the quick one's, so its text
 * tokenizes cleanly for both; a large vocabulary also makes an early end-of-sequence unlikely.
 */
export const TEACHER_TINY: BenchModelSpec = {
  id: "teacher-tiny-q8_0",
  description: "random weights, tiny llama (vocab 32768, embd 256, 2 blocks, heads 4/2, ffn 512), Q8_0 — the local teacher",
  dims: { ...SMALL, vocab: 32768, contextLength: 32768 },
  options: { type: "q8_0", seed: 11 },
};

export function benchModelDir(root = repoRoot()): string {
  return join(root, ".cache", "bench-models");
}

/** The project folder: the nearest one up from the working directory with a package.json. */
export function repoRoot(from = process.cwd()): string {
  let dir = resolve(from);
  while (!existsSync(join(dir, "package.json"))) {
    const parent = resolve(dir, "..");
    if (parent === dir) return resolve(from);
    dir = parent;
  }
  return dir;
}

export function benchModelFileName(spec: BenchModelSpec): string {
  const hash = createHash("sha256")
    .update(JSON.stringify([BENCH_MODEL_FORMAT, spec.dims, spec.options]))
    .digest("hex")
    .slice(0, 12);
  return `${spec.id}-${hash}.gguf`;
}

/** Weights of a llama model with these dims (tied output). */
export function parameterCount(d: RandomModelDims): number {
  const headDim = d.embd / d.heads;
  const perBlock = d.embd * d.heads * headDim * 2 + d.embd * d.headsKv * headDim * 2 + 3 * d.embd * d.ffn + 2 * d.embd;
  return d.vocab * d.embd + d.blocks * perBlock + d.embd;
}

/** The path of the cached model, written first when absent (see writeOnce). */
export async function ensureBenchModel(spec: BenchModelSpec, dir = benchModelDir(), log: (line: string) => void = () => {}): Promise<BenchModel> {
  const path = join(dir, benchModelFileName(spec));
  const t0 = performance.now();
  const wrote = await writeOnce(path, (tmp) => {
    log(`writing ${spec.id} to ${path} ...`);
    writeRandomModel(tmp, spec.dims, spec.options);
  });
  const generatedSeconds = wrote ? (performance.now() - t0) / 1000 : 0;
  if (wrote) log(`wrote ${spec.id} (${(statSync(path).size / 1e6).toFixed(0)} MB) in ${generatedSeconds.toFixed(1)} s`);
  return { ...spec, path, bytes: statSync(path).size, parameters: parameterCount(spec.dims), generatedSeconds };
}
