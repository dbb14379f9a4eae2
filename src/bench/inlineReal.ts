/**
 * Benchmark 4b — ghost text on the real inline model (Qwen2.5-Coder-0.5B, scripts/real-models.sh)
 * the way the provider makes it, minus VS Code: an InlineJob under the default time caps fed by
 * runRelay (student-only), on this project's own TypeScript. The user writes real lines of
 * src/core/controller.ts anew (the line's rest is not in the document yet), a few characters per
 * request, and pauses after each request until its run has ended. Measured per request: request → first ghost text (what the job shows:
 * at a whole line, the end, or a cap), and request → the whole completion (what the user waited
 * before the caps). With and without repository context (chunks of other src/core files chosen
 * by selectContext within the default budget), and without context but with the cursor line's
 * typed text at the prefix's end (the infill layout before it moved into the middle, on a second
 * load of the model), one condition after the other on each line (one sequence per load, as the
 * inline model has; the first request of each warms the prompt and is not measured). After the
 * last request of each line the completion is "accepted" and the next one computed ahead: how
 * long that takes in the background, and how long a request then waits for it from the cache.
 * Then what the layout does to the answers: half-typed lines of HumanEval's solutions
 * (data/humaneval-line), completed under each layout, compared with the line's real rest.
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
/** Half-typed HumanEval lines completed under each infill layout (quick runs take fewer). */
const LAYOUT_ITEMS = { quick: 40, full: 120 };

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
  /** Prompt tokens the model evaluated (the rest was its cached prompt). */
  evaluatedTokens: Summary;
  /** Requests whose whole completion was exactly the rest of the real line. */
  restOfLineExact: number;
}

/** Half-typed lines completed under both infill layouts, graded by exact match of the line's rest. */
export interface LayoutQuality {
  items: number;
  lineInMiddle: number;
  prefix: number;
  /** Items right under one layout only. */
  onlyLineInMiddle: number;
  onlyPrefix: number;
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
  /** No context, the typed line at the prefix's end (the layout before): what the line in the middle saves. */
  prefixLayout: InlineRealCondition;
  layoutQuality: LayoutQuality;
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
  evaluated: number;
  text: string;
}

/** `window`: the prefix/suffix bounds (default: the provider's), to see what the suffix costs. */
export async function runInlineReal(env: BenchEnv, window: InlineContextOptions = DEFAULT_INLINE_CONTEXT): Promise<InlineRealResult> {
  const models = readRealModels();
  const root = repoRoot();
  const caps: { promptMs: number; predictMs: number } = { promptMs: SETTING_DEFAULTS["inline.promptTimeoutMs"], predictMs: SETTING_DEFAULTS["inline.predictTimeoutMs"] };
  const maxTokens = SETTING_DEFAULTS["inline.maxTokens"];
  const budget = SETTING_DEFAULTS["inline.contextTokens"];
  const targets = env.quick ? TARGET_LINES.slice(0, 2) : TARGET_LINES;
  const requestsPerLine = env.quick ? 4 : 6;
  const load = (infillLayout: "line-in-middle" | "prefix") =>
    LlamaStudent.load({ model: models.qwenCoder, gpu: "cpu", threads: env.threads, contextSize: DEFAULT_MODEL_CONTEXT.inlineContextSize, sequences: 1, thinking: false, infillLayout, logger: env.logger });
  const student = await load("line-in-middle");
  let before: LlamaStudent | undefined;
  try {
    before = await load("prefix");
    const file = readFileSync(join(root, "src/core/controller.ts"), "utf8");
    const lines = file.split("\n");
    const chunks: ContextChunk[] = CONTEXT_FILES.map((name) => {
      const text = readFileSync(join(root, "src/core", name), "utf8").split("\n");
      const exported = Math.max(0, text.findIndex((l) => l.startsWith("export")));
      return { path: `/bench/src/core/${name}`, name: `src/core/${name}`, ...chunkAround(text, exported + 20), kind: "recent" as const };
    });
    const count = (text: string) => student.countTokens(text);

    /** One request: the job under the caps, and the run to its end. */
    const request = async (prefix: string, suffix: string, context: CompletionContext | undefined, model = student, caps_ = caps): Promise<Sample> => {
      const multiline = wantsMultiline(prefix, suffix);
      const task = completionTask(prefix, suffix, context);
      const t0 = now();
      const job = new InlineJob(prefix, suffix, multiline, caps_, timers);
      const controller = new AbortController();
      const run = runRelay({
        task,
        student: model,
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
      return { firstMs, wholeMs, because: shown.because, empty: shown.text.trim() === "", promptTokens: model.promptTokens(task).length, evaluated: result.stats.promptTokens, text: trimCompletion(result.text, multiline, suffix) };
    };

    const samples = { plain: [] as Sample[], withContext: [] as Sample[], prefixLayout: [] as Sample[] };
    const exact = { plain: 0, withContext: 0, prefixLayout: 0 };
    const sent: number[] = [];
    const readyMs: number[] = [];
    const servedMs: number[] = [];
    const cache = new CompletionCache(250);
    for (const [li, target] of targets.entries()) {
      const at = lines.findIndex((l) => target.test(l));
      if (at < 0) throw new Error(`bench: no line matching ${target} in src/core/controller.ts`);
      const line = lines[at];
      const indent = /^\s*/.exec(line)![0];
      const above = lines.slice(0, at).join("\n") + "\n";
      const after = "\n" + lines.slice(at + 1).join("\n");
      const chosen = selectContext({ definitions: [], recent: chunks }, { current: { path: "/bench/src/core/controller.ts", fromLine: 0, toLine: 0 }, budgetTokens: budget, countTokens: count, allowed: () => true });
      const context: CompletionContext = { chunks: chosen, name: "src/core/controller.ts", repo: "relay" };
      sent.push(count(chosen.map((c) => c.text).join("\n")));
      let last: Sample | undefined;
      let lastPrefix = "";
      let lastSuffix = "";
      const order = li % 2 === 0 ? (["plain", "withContext", "prefixLayout"] as const) : (["prefixLayout", "withContext", "plain"] as const);
      for (const which of order) {
        // Request 0 warms the prompt: not measured.
        for (let r = 0; r <= requestsPerLine; r++) {
          const typed = indent + line.slice(indent.length, indent.length + r * CHARS_PER_REQUEST);
          // The line is being written: its rest is not in the document yet.
          const { prefix, suffix } = inlineContext(above + typed, after, window);
          const sample = await request(prefix, suffix, which === "withContext" ? context : undefined, which === "prefixLayout" ? before : student);
          if (r > 0) {
            samples[which].push(sample);
            if (sample.text.trim() === line.slice(typed.length).trim()) exact[which]++;
          }
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
    const condition = (s: Sample[], restOfLineExact: number): InlineRealCondition => {
      const shownBecause: Partial<Record<ShownBecause, number>> = {};
      for (const x of s) shownBecause[x.because] = (shownBecause[x.because] ?? 0) + 1;
      return {
        firstGhostTextMs: roundSummary(summarize(s.map((x) => (x.empty ? x.wholeMs : x.firstMs))), 1),
        answeredMs: roundSummary(summarize(s.map((x) => x.firstMs)), 1),
        wholeCompletionMs: roundSummary(summarize(s.map((x) => x.wholeMs)), 1),
        shownBecause,
        emptyAtFirst: s.filter((x) => x.empty).length,
        promptTokens: roundSummary(summarize(s.map((x) => x.promptTokens)), 0),
        evaluatedTokens: roundSummary(summarize(s.map((x) => x.evaluated)), 0),
        restOfLineExact,
      };
    };
    const plain = condition(samples.plain, exact.plain);
    const withContext = condition(samples.withContext, exact.withContext);
    const prefixLayout = condition(samples.prefixLayout, exact.prefixLayout);
    const layoutQuality = await compareLayouts(env, { lineInMiddle: student, prefix: before }, (prefix, suffix, model) => request(prefix, suffix, undefined, model, { promptMs: 0, predictMs: 0 }));
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
      prefixLayout,
      layoutQuality,
      contextP50Ratio: Math.round((withContext.firstGhostTextMs.median / plain.firstGhostTextMs.median) * 1000) / 1000,
      ahead: { readyAfterAcceptMs: roundSummary(summarize(readyMs), 1), servedFromCacheMs: roundSummary(summarize(servedMs), 4), accepts: readyMs.length },
    };
  } finally {
    await before?.dispose();
    await student.dispose();
  }
}

/**
 * Half-typed lines of HumanEval's solutions (data/humaneval-line: one item per line of at least 12
 * characters after its indentation, every k-th so that solutions of all lengths come in), the
 * first half typed: the completion under each layout, uncapped, against the line's real rest.
 */
async function compareLayouts(
  env: BenchEnv,
  models: { lineInMiddle: LlamaStudent; prefix: LlamaStudent },
  complete: (prefix: string, suffix: string, model: LlamaStudent) => Promise<Sample>,
): Promise<LayoutQuality> {
  const all = readFileSync(join(repoRoot(), "data/humaneval-line/test.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { prompt: string; suffix: string; answer: string })
    .filter((x) => x.answer.trim().length >= 12);
  const count = env.quick ? LAYOUT_ITEMS.quick : LAYOUT_ITEMS.full;
  const step = Math.max(1, Math.floor(all.length / count));
  const items = all.filter((_, i) => i % step === 0).slice(0, count);
  const q: LayoutQuality = { items: items.length, lineInMiddle: 0, prefix: 0, onlyLineInMiddle: 0, onlyPrefix: 0 };
  for (const [i, item] of items.entries()) {
    const indent = /^\s*/.exec(item.answer)![0];
    const typed = item.answer.slice(0, indent.length + Math.ceil((item.answer.length - indent.length) / 2));
    const rest = item.answer.slice(typed.length).trim();
    const { prefix, suffix } = inlineContext(item.prompt + typed, "\n" + item.suffix);
    const right = async (model: LlamaStudent) => (await complete(prefix, suffix, model)).text.trim() === rest;
    const [a, b] = [await right(models.lineInMiddle), await right(models.prefix)];
    q.lineInMiddle += Number(a);
    q.prefix += Number(b);
    q.onlyLineInMiddle += Number(a && !b);
    q.onlyPrefix += Number(b && !a);
    if ((i + 1) % 10 === 0) env.progress(`  inline (real): layouts compared on ${i + 1}/${items.length} half-typed lines`);
  }
  return q;
}
