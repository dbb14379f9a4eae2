/**
 * Benchmark 6 — threads: decode speed at 1 and 2 threads and at node-llama-cpp's own default (a
 * context created without `threads` on a fresh Llama), in a child process so the Llama is
 * untouched by the product's thread choice. Reports the fastest setting and whether the
 * product's default (chooseThreads) is it. A setting that collapses (oversubscription) is cut
 * off after a time cap; its speed is still measured on the tokens it made.
 */
import type { Token } from "node-llama-cpp";
import { nodeLlamaCpp } from "../llama/llama.js";
import { chooseThreads } from "../llama/threads.js";
import { runChild } from "./child.js";
import type { BenchEnv } from "./env.js";
import { pseudoWords } from "./prompts.js";
import { round, roundSummary, summarize, type Summary } from "./stats.js";
import { timedTokens } from "./timedDecode.js";

export interface ThreadsChildSpec {
  kind: "threads";
  model: string;
  reps: number;
  maxTokens: number;
  capSeconds: number;
}

export interface ThreadSetting {
  label: string;
  /** Threads asked for; null: left to the library. */
  requested: number | null;
  /** The context's thread count as node-llama-cpp resolved it. */
  threads: number;
  decodeTokensPerSecond: Summary;
  promptTokensPerSecond: Summary;
  /** Runs cut off by the time cap. */
  capped: number;
}

export interface ThreadsChildResult {
  cpuMathCores: number;
  libraryMaxThreads: number;
  productDefault: number;
  settings: ThreadSetting[];
}

export interface ThreadsResult extends ThreadsChildResult {
  model: string;
  maxTokens: number;
  reps: number;
  capSeconds: number;
  /** The setting with the highest median decode speed. */
  fastest: string;
  fastestThreads: number;
  /** Whether the product's default thread count is the fastest one measured. */
  productDefaultIsFastest: boolean;
  /** Product default's median decode speed / the fastest one's. */
  productDefaultVsFastest: number;
}

export async function runThreads(env: BenchEnv): Promise<ThreadsResult> {
  const spec: ThreadsChildSpec = { kind: "threads", model: env.student.path, reps: env.quick ? 2 : 3, maxTokens: env.quick ? 48 : 64, capSeconds: env.quick ? 6 : 10 };
  const child = await runChild<ThreadsChildResult>(env.childCommand, spec, (line) => env.progress(`  ${line}`));
  const best = child.settings.reduce((a, b) => (b.decodeTokensPerSecond.median > a.decodeTokensPerSecond.median ? b : a));
  const product = child.settings.find((s) => s.threads === child.productDefault);
  return {
    model: env.student.id,
    maxTokens: spec.maxTokens,
    reps: spec.reps,
    capSeconds: spec.capSeconds,
    ...child,
    fastest: best.label,
    fastestThreads: best.threads,
    productDefaultIsFastest: best.threads === child.productDefault,
    productDefaultVsFastest: product ? round(product.decodeTokensPerSecond.median / best.decodeTokensPerSecond.median, 3) : NaN,
  };
}

/** In the child process: a fresh Llama, so `maxThreads` is the library's own default. */
export async function threadsChild(spec: ThreadsChildSpec): Promise<ThreadsChildResult> {
  const { getLlama, LlamaLogLevel } = await nodeLlamaCpp();
  const llama = await getLlama({ gpu: false, build: "never", progressLogs: false, logLevel: LlamaLogLevel.error });
  const libraryMaxThreads = llama.maxThreads;
  const productDefault = chooseThreads(llama.cpuMathCores);
  const model = await llama.loadModel({ modelPath: spec.model, gpuLayers: 0 });
  const candidates: Array<{ label: string; requested: number | null }> = [
    { label: "1 thread", requested: 1 },
    { label: "2 threads", requested: 2 },
    { label: `library default (${libraryMaxThreads})`, requested: null },
  ];
  if (![1, 2, libraryMaxThreads].includes(productDefault)) candidates.push({ label: `product default (${productDefault})`, requested: productDefault });
  const prompt: Token[] = model.tokenize(pseudoWords(24, 700).join(" "));
  const runs = new Map<string, { threads: number; decode: number[]; prompt: number[]; capped: number }>();
  try {
    for (let rep = 0; rep < spec.reps; rep++) {
      // Rotate the order so no setting always runs first.
      const order = candidates.map((_, i) => candidates[(i + rep) % candidates.length]);
      for (const c of order) {
        const context = await model.createContext({ contextSize: 512, sequences: 1, ...(c.requested === null ? {} : { threads: c.requested }) });
        try {
          const sequence = context.getSequence();
          const run = await timedTokens(sequence.evaluate(prompt, { temperature: 0, yieldEogToken: true }), { maxTokens: spec.maxTokens, capMs: spec.capSeconds * 1000 });
          const entry = runs.get(c.label) ?? { threads: context.idealThreads, decode: [], prompt: [], capped: 0 };
          entry.decode.push(run.tokensPerSecond);
          entry.prompt.push(prompt.length / (run.firstTokenMs / 1000));
          if (run.capped) entry.capped++;
          runs.set(c.label, entry);
          process.stderr.write(`threads: ${c.label} (${context.idealThreads}): ${(entry.decode[entry.decode.length - 1]).toFixed(1)} tok/s${run.capped ? " (capped)" : ""}\n`);
        } finally {
          await context.dispose();
        }
      }
    }
  } finally {
    await model.dispose();
  }
  return {
    cpuMathCores: llama.cpuMathCores,
    libraryMaxThreads,
    productDefault,
    settings: candidates.map((c) => {
      const r = runs.get(c.label)!;
      return {
        label: c.label,
        requested: c.requested,
        threads: r.threads,
        decodeTokensPerSecond: roundSummary(summarize(r.decode), 2),
        promptTokensPerSecond: roundSummary(summarize(r.prompt), 1),
        capped: r.capped,
      };
    }),
  };
}
