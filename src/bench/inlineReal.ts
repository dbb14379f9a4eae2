/**
 * Benchmark 4b — ghost text on the real inline model (Qwen2.5-Coder-0.5B, scripts/real-models.sh)
 * the way the provider makes it, minus VS Code: an InlineJob under the default time caps fed by
 * runRelay (student-only), on this project's own TypeScript. The user "types" real lines of
 * src/core/controller.ts back in, a few characters per request, and pauses after each request
 * until its run has ended. Measured per request: request → first ghost text (what the job shows:
 * at a whole line, the end, or a cap), and request → the whole completion (what the user waited
 * before the caps). With and without repository context (chunks of other src/core files chosen
 * by selectContext within the default budget), and without context but with the 1,500-character
 * suffix the editor sent before the suffix was cut, one condition after the other on each line (one
 * sequence, as the inline model has; the first request of each warms the prompt and is not
 * measured). After the last request of each line the completion is
 * "accepted" and the next one computed ahead: how long that takes in the background, and how
 * long a request then waits for it from the cache.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runRelay } from "../core/controller.js";
import { chunkAround, type ContextChunk } from "../core/contextChunks.js";
import { completionTask, type CompletionContext } from "../core/contextPrompt.js";
import { selectContext } from "../editor/contextSelect.js";
import { DEFAULT_MODEL_CONTEXT, SETTING_DEFAULTS } from "../core/defaults.js";
import { CompletionCache, trimCompletion, wantsMultiline } from "../editor/inline.js";
import { DEFAULT_INLINE_CONTEXT, inlineContext, type InlineContextOptions } from "../core/inlineWindow.js";
import { InlineJob, timers, type ShownBecause } from "../editor/inlineJob.js";
import { createPolicy } from "../core/policies.js";
import { readRealModels } from "../io/realModels.js";
import { LlamaStudent } from "../student/llamaStudent.js";
import { now, since, type BenchEnv } from "./env.js";
import { repoRoot } from "./benchModels.js";
import { roundSummary, summarize, type Summary } from "./stats.js";

/** Lines of controller.ts typed back in (each a real code line, at different places). */
const TARGET_LINES = [/this\.limits = \{ \.\.\.DEFAULT_LIMITS/, /const usage = serverTook\(error\)/, /this\.breaker\.success\(\);/, /const received = this\.req\.student\.countTokens\(text\);/];
const CONTEXT_FILES = ["spans.ts", "budgetGate.ts", "breaker.ts", "tagScanner.ts", "models.ts", "errors.ts"];
const CHARS_PER_REQUEST = 3;
/** The suffix the editor sent before it was cut to DEFAULT_INLINE_CONTEXT's (every keystroke evaluates it again). */
const LONG_SUFFIX_CHARS = 1500;

export interface InlineRealCondition {
  /** Request → first ghost text: what the request showed, or (nothing shown at the prompt cap) the run's end, when the provider asks again and the cache serves it. */
  firstGhostTextMs: Summary;
  /** Request → the request's answer (at a line, the end or a cap; possibly nothing). */
  answeredMs: Summary;
  wholeCompletionMs: Summary;
  /** Requests whose first answer came at each reason (a line, the run's end, a cap). */
  shownBecause: Partial<Record<ShownBecause, number>>;
  /** Requests that showed nothing at first (the prompt cap hit before any text). */
  emptyAtFirst: number;
  promptTokens: Summary;
}

export interface InlineRealResult {
  model: string;
  threads: number;
  caps: { promptMs: number; predictMs: number };
  maxTokens: number;
  contextTokens: { budget: number; sent: Summary };
  requests: number;
  plain: InlineRealCondition;
  withContext: InlineRealCondition;
  /** No context, the suffix as long as the editor sent before it was cut (LONG_SUFFIX_CHARS): what the cut saves. */
  longSuffix?: InlineRealCondition;
  longSuffixChars?: number;
  /** p50 with context / without. */
  contextP50Ratio: number;
  ahead: { readyAfterAcceptMs: Summary; servedFromCacheMs: Summary; accepts: number };
}

interface Sample {
  firstMs: number;
  wholeMs: number;
  because: ShownBecause;
  empty: boolean;
  promptTokens: number;
  text: string;
}

/** `window`: the prefix/suffix bounds (default: the provider's), to see what the suffix costs. */
export async function runInlineReal(env: BenchEnv, window: InlineContextOptions = DEFAULT_INLINE_CONTEXT): Promise<InlineRealResult> {
  const models = readRealModels();
  const root = repoRoot();
  const caps = { promptMs: SETTING_DEFAULTS["inline.promptTimeoutMs"], predictMs: SETTING_DEFAULTS["inline.predictTimeoutMs"] };
  const maxTokens = SETTING_DEFAULTS["inline.maxTokens"];
  const budget = SETTING_DEFAULTS["inline.contextTokens"];
  const targets = env.quick ? TARGET_LINES.slice(0, 2) : TARGET_LINES;
  const requestsPerLine = env.quick ? 4 : 6;
  const student = await LlamaStudent.load({ model: models.qwenCoder, gpu: "cpu", threads: env.threads, contextSize: DEFAULT_MODEL_CONTEXT.inlineContextSize, sequences: 1, thinking: false, logger: env.logger });
  try {
    const file = readFileSync(join(root, "src/core/controller.ts"), "utf8");
    const lines = file.split("\n");
    const chunks: ContextChunk[] = CONTEXT_FILES.map((name) => {
      const text = readFileSync(join(root, "src/core", name), "utf8").split("\n");
      const exported = Math.max(0, text.findIndex((l) => l.startsWith("export")));
      return { path: `/bench/src/core/${name}`, name: `src/core/${name}`, ...chunkAround(text, exported + 20), kind: "recent" as const };
    });
    const count = (text: string) => student.countTokens(text);

    /** One request: the job under the caps, and the run to its end. */
    const request = async (prefix: string, suffix: string, context: CompletionContext | undefined): Promise<Sample> => {
      const multiline = wantsMultiline(prefix, suffix);
      const task = completionTask(prefix, suffix, context);
      const t0 = now();
      const job = new InlineJob(prefix, suffix, multiline, caps, timers);
      const controller = new AbortController();
      const run = runRelay({
        task,
        student,
        policy: createPolicy("student-only"),
        limits: { maxTokens },
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === "text" && job.push(event.text)) controller.abort();
        },
      }).finally(() => job.end());
      const shown = await job.shown;
      const firstMs = since(t0);
      const result = await run;
      const wholeMs = since(t0);
      await result.released;
      return { firstMs, wholeMs, because: shown.because, empty: shown.text.trim() === "", promptTokens: student.promptTokens(task).length, text: trimCompletion(result.text, multiline, suffix) };
    };

    const samples = { plain: [] as Sample[], withContext: [] as Sample[], longSuffix: [] as Sample[] };
    const sent: number[] = [];
    const readyMs: number[] = [];
    const servedMs: number[] = [];
    const cache = new CompletionCache(250);
    for (const [li, target] of targets.entries()) {
      const at = lines.findIndex((l) => target.test(l));
      if (at < 0) throw new Error(`bench: no line matching ${target} in src/core/controller.ts`);
      const line = lines[at];
      const indent = /^\s*/.exec(line)![0];
      const before = lines.slice(0, at).join("\n") + "\n";
      const after = "\n" + lines.slice(at + 1).join("\n");
      const chosen = selectContext({ definitions: [], recent: chunks }, { current: { path: "/bench/src/core/controller.ts", fromLine: 0, toLine: 0 }, budgetTokens: budget, countTokens: count, allowed: () => true });
      const context: CompletionContext = { chunks: chosen, name: "src/core/controller.ts", repo: "relay" };
      sent.push(count(chosen.map((c) => c.text).join("\n")));
      let last: Sample | undefined;
      let lastPrefix = "";
      let lastSuffix = "";
      const order = li % 2 === 0 ? (["plain", "withContext", "longSuffix"] as const) : (["longSuffix", "withContext", "plain"] as const);
      for (const which of order) {
        // Request 0 warms the prompt: not measured.
        for (let r = 0; r <= requestsPerLine; r++) {
          const typed = indent + line.slice(indent.length, indent.length + r * CHARS_PER_REQUEST);
          const bounds = which === "longSuffix" ? { ...window, maxSuffixChars: LONG_SUFFIX_CHARS } : window;
          const { prefix, suffix } = inlineContext(before + typed, line.slice(typed.length) + after, bounds);
          const sample = await request(prefix, suffix, which === "withContext" ? context : undefined);
          if (r > 0) samples[which].push(sample);
          if (which === "plain") {
            last = sample;
            lastPrefix = prefix;
            lastSuffix = suffix;
          }
        }
        // Right after the plain requests (the prompt still cached): accept the last completion,
        // compute the next one ahead as the provider does, then ask for it.
        if (which === "plain" && last?.text) {
          const accepted = lastPrefix + last.text;
          const ahead = await request(accepted, lastSuffix, undefined);
          readyMs.push(ahead.wholeMs);
          cache.set(accepted, lastSuffix, { text: ahead.text || " ", teacher: [] });
          const t0 = now();
          const hit = cache.get(accepted, lastSuffix);
          servedMs.push(since(t0));
          if (!hit) throw new Error("bench: the precomputed suggestion was not served from the cache");
        }
      }
      env.progress(`  inline (real): line ${li + 1}/${targets.length} done`);
    }
    const condition = (s: Sample[]): InlineRealCondition => {
      const shownBecause: Partial<Record<ShownBecause, number>> = {};
      for (const x of s) shownBecause[x.because] = (shownBecause[x.because] ?? 0) + 1;
      return {
        firstGhostTextMs: roundSummary(summarize(s.map((x) => (x.empty ? x.wholeMs : x.firstMs))), 1),
        answeredMs: roundSummary(summarize(s.map((x) => x.firstMs)), 1),
        wholeCompletionMs: roundSummary(summarize(s.map((x) => x.wholeMs)), 1),
        shownBecause,
        emptyAtFirst: s.filter((x) => x.empty).length,
        promptTokens: roundSummary(summarize(s.map((x) => x.promptTokens)), 0),
      };
    };
    const plain = condition(samples.plain);
    const withContext = condition(samples.withContext);
    const longSuffix = condition(samples.longSuffix);
    env.progress(`  inline (real): first ghost text p50 ${plain.firstGhostTextMs.median} ms plain, ${withContext.firstGhostTextMs.median} ms with context`);
    return {
      model: "Qwen2.5-Coder-0.5B-Instruct",
      threads: env.threads,
      caps,
      maxTokens,
      contextTokens: { budget, sent: roundSummary(summarize(sent), 0) },
      requests: samples.plain.length,
      plain,
      withContext,
      longSuffix,
      longSuffixChars: LONG_SUFFIX_CHARS,
      contextP50Ratio: Math.round((withContext.firstGhostTextMs.median / plain.firstGhostTextMs.median) * 1000) / 1000,
      ahead: { readyAfterAcceptMs: roundSummary(summarize(readyMs), 1), servedFromCacheMs: roundSummary(summarize(servedMs), 4), accepts: readyMs.length },
    };
  } finally {
    await student.dispose();
  }
}
