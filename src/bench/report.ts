/**
 * The results of one benchmark run: the JSON document, and the same figures as tables (plain
 * text for the terminal, Markdown for README) — both rendered from the one report object, so
 * the tables can never disagree with the JSON.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { InlineLatencyResult } from "./inlineLatency.js";
import type { LoadSample, MachineInfo } from "./machine.js";
import type { MemoryResult } from "./memory.js";
import type { OverheadResult } from "./overhead.js";
import type { RealBenchResult } from "./real.js";
import type { RouterCostResult } from "./routerCost.js";
import type { RelayCostResult } from "./relayCost.js";
import type { Summary } from "./stats.js";
import type { ThreadsResult } from "./threads.js";
import type { LoadResult } from "./load.js";
import type { WarmingResult } from "./warming.js";

export const REPORT_SCHEMA = 1;

export interface ModelRecord {
  id: string;
  description: string;
  file: string;
  bytes: number;
  parameters: number;
  dims: Record<string, number>;
  type: string;
}

export interface Goal {
  name: string;
  goal: string;
  value: string;
  met: boolean;
}

export interface BenchReport {
  schema: number;
  command: string;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  quick: boolean;
  benchmarks: string[];
  threads: { used: number; source: "option" | "product default"; productDefault: number; cpuMathCores: number };
  machine: MachineInfo;
  load: { before: LoadSample; after: LoadSample; busy: boolean; note: string };
  models: { student: ModelRecord; teacher: ModelRecord };
  results: {
    overhead?: OverheadResult;
    relay?: RelayCostResult;
    inline?: InlineLatencyResult;
    memory?: MemoryResult;
    threads?: ThreadsResult;
    real?: RealBenchResult;
    router?: RouterCostResult;
    load?: LoadResult;
    warming?: WarmingResult;
  };
  errors: Record<string, string>;
  goals: Goal[];
}

export function goalsOf(results: BenchReport["results"]): Goal[] {
  const goals: Goal[] = [];
  const { overhead, relay, memory, threads, real, load, router } = results;
  if (overhead) {
    goals.push({ name: "controller overhead", goal: "relay / plain tokens/s ≥ 0.97", value: overhead.ratio.toFixed(3), met: overhead.ratio >= 0.97 });
    if (overhead.counts) {
      const c = overhead.counts;
      goals.push({ name: "controller overhead, counted", goal: "plain / relay ≥ 0.99 in tokens evaluated and native decode calls per token", value: `${c.evaluatedRatio.toFixed(3)}, ${c.decodeCallRatio.toFixed(3)}`, met: c.evaluatedRatio >= 0.99 && c.decodeCallRatio >= 0.99 });
    }
  }
  if (relay) {
    const extras = relay.contexts.map((c) => c.incremental.perRelay.extra.max);
    goals.push({
      name: "relay cost O(span)",
      goal: "student tokens evaluated per relay = span + a small constant (≤ 2) at every context length",
      value: `span + ${relay.contexts.map((c, i) => `${extras[i]} @${c.contextTokens}`).join(", ")}`,
      met: extras.every((x) => x >= 0 && x <= 2),
    });
  }
  if (memory) {
    const pss = memory.shared.pssBytes !== null && memory.separate.pssBytes !== null ? `; PSS ${mib(memory.shared.pssBytes)} vs ${mib(memory.separate.pssBytes)}` : "";
    goals.push({
      name: "one model for chat + inline",
      goal: "peak RSS of one shared load < two loads",
      value: `${mib(memory.shared.peakRssBytes)} vs ${mib(memory.separate.peakRssBytes)}${pss}`,
      met: memory.shared.peakRssBytes < memory.separate.peakRssBytes,
    });
  }
  if (real) {
    goals.push({ name: "controller overhead, real model", goal: `relay / plain tokens/s ≥ 0.97 on ${real.student}`, value: real.decode.ratio.toFixed(3), met: real.decode.ratio >= 0.97 });
  }
  if (router) {
    goals.push({ name: "router cost", goal: "the router's work per token (features + MLP) < 1% of one decode step", value: `${(router.routerShareOfDecode * 100).toFixed(3)}%`, met: router.routerShareOfDecode < 0.01 });
  }
  if (threads) {
    goals.push({ name: "thread default", goal: "the product default (chooseThreads) is the fastest setting", value: `product ${threads.productDefault}, fastest ${threads.fastest}`, met: threads.productDefaultIsFastest });
  }
  for (const m of load?.models ?? []) {
    const g = m.settings[0];
    goals.push({
      name: `threads under load, ${m.model}`,
      goal: "the product default (governor) decodes at ≥ 80% of the best fixed setting, quiet and loaded",
      value: `quiet ${g.quietVsBest.toFixed(2)} of ${m.bestQuiet}, loaded ${g.loadedVsBest.toFixed(2)} of ${m.bestLoaded}${m.pairedVsBest ? ` (paired: ${m.pairedVsBest.quiet.toFixed(2)}, ${m.pairedVsBest.loaded.toFixed(2)})` : ""}`,
      met: m.goalMet,
    });
  }
  return goals;
}

export function writeReport(path: string, report: BenchReport): { json: string; markdown: string } {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(report, null, 2) + "\n");
  return { json: path, markdown: writeMarkdown(path, report) };
}

/** Writes the Markdown tables beside the JSON file (`x.json` → `x.md`); returns its path. */
export function writeMarkdown(jsonPath: string, report: BenchReport): string {
  const markdown = jsonPath.replace(/\.json$/i, "") + ".md";
  writeFileSync(markdown, renderMarkdown(report));
  return markdown;
}

/** Reads a results file written by writeReport. */
export function readReport(path: string): BenchReport {
  const report = JSON.parse(readFileSync(path, "utf8")) as BenchReport;
  if (report.schema !== REPORT_SCHEMA) throw new Error(`${path}: results schema ${report.schema}, expected ${REPORT_SCHEMA}`);
  return report;
}

interface Table {
  title: string;
  headers: string[];
  rows: string[][];
  notes?: string[];
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const f = (x: number | null, digits = 1) => (typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : "–");
const range = (s: Summary, digits = 1) => `${f(s.median, digits)} (${f(s.min, digits)}–${f(s.max, digits)})`;
const check = (ok: boolean) => (ok ? "✓" : "✗");

export function tables(report: BenchReport): Table[] {
  const out: Table[] = [];
  const { overhead, relay, inline, memory, threads, real, load, warming, router } = report.results;
  if (overhead) {
    out.push({
      title: `1. Controller overhead — ${overhead.model}, ${overhead.threads} thread(s), ${overhead.promptTokens}-token prompt, ${overhead.maxTokens} tokens × ${overhead.pairs} interleaved pairs`,
      headers: ["", "tokens/s median (min–max)", "decode tokens/s"],
      rows: [
        ["plain node-llama-cpp (sequence.evaluate)", range(overhead.plain.tokensPerSecond), range(overhead.plain.decodeTokensPerSecond)],
        ["relay controller, policy that never calls", range(overhead.relay.tokensPerSecond), range(overhead.relay.decodeTokensPerSecond)],
        ["ratio relay / plain (median of pairs; goal ≥ 0.97)", `${f(overhead.ratio, 3)} ${check(overhead.ratio >= 0.97)}`, f(overhead.decodeRatio, 3)],
      ],
      notes: [
        `Per-token time, relay − plain (median over pairs): ${f(overhead.perTokenOverheadMs, 3)} ms${overhead.perTokenOverheadMs < 0 ? " — negative: the controller's cost is below this run's noise" : ""}; ratio of the medians ${f(overhead.ratioOfMedians, 3)}.`,
        ...(overhead.spread
          ? [`Spread of the per-pair ratios: robust sd ${f(overhead.spread.sd, 3)}, 95% half-width of the median ±${f(overhead.spread.halfWidth, 3)}; interleaved pairs needed for ±1%: ${overhead.spread.pairsFor1Percent}, for ±3%: ${overhead.spread.pairsFor3Percent}.`]
          : []),
      ],
    });
    const c = overhead.counts;
    if (c) {
      out.push({
        title: `1b. Controller overhead by counts (noise cannot move them) — one counted run each, ${c.plain.tokens} / ${c.relay.tokens} tokens`,
        headers: ["per generated token", "plain node-llama-cpp", "relay controller", "plain / relay (goal ≥ 0.99)"],
        rows: [
          ["tokens evaluated (token meter)", f(c.plain.evaluatedPerToken, 3), f(c.relay.evaluatedPerToken, 3), `${f(c.evaluatedRatio, 3)} ${check(c.evaluatedRatio >= 0.99)}`],
          ["native decode calls (decodeBatch)", f(c.plain.decodeCallsPerToken, 3), f(c.relay.decodeCallsPerToken, 3), `${f(c.decodeCallRatio, 3)} ${check(c.decodeCallRatio >= 0.99)}`],
          ["all native addon calls", f(c.plain.addonCallsPerToken, 3), f(c.relay.addonCallsPerToken, 3), f(c.addonCallRatio, 3)],
        ],
        notes: [`Addon calls, relay: ${Object.entries(c.relay.calls).map(([k, v]) => `${k} ${v}`).join(", ")}; plain: ${Object.entries(c.plain.calls).map(([k, v]) => `${k} ${v}`).join(", ")}.`],
      });
    }
  }
  if (relay) {
    out.push({
      title: `2–3. Relay cost — a relay every ${relay.every} tokens (span ${relay.span}) to a local teacher (${relay.teacher}), ${relay.relaysPerAnswer} relays per answer; naive = re-send the whole context`,
      headers: ["context tokens", "span (student tokens)", "evaluated / relay", "naive: evaluated / relay", "relay ms (parts: teacher, student splice)", "naive: student splice ms", "decode step ms", "evaluated naive / ours", "wall time naive / ours: answer (after the prompt)"],
      rows: relay.contexts.map((c) => [
        String(c.contextTokens),
        f(c.incremental.perRelay.spanTokens.median),
        f(c.incremental.perRelay.evaluated.median),
        f(c.naive.perRelay.evaluated.median),
        `${f(c.incremental.perRelay.relayMs.median)} (${f(c.incremental.perRelay.teacherMs.median)}, ${f(c.incremental.perRelay.spliceStepMs.median)})`,
        f(c.naive.perRelay.spliceStepMs.median),
        f(c.incremental.decodeStepMs, 1),
        `${f(c.ratios.evaluatedPerRelay, 1)}× per relay, ${f(c.ratios.evaluatedTotal, 2)}× per answer`,
        `${f(c.ratios.wallTime, 2)}× (${f(c.ratios.afterPromptTime, 2)}×)`,
      ]),
      notes: [
        `Medians over the relays of one answer per context length, each part's median on its own (wall time: the whole answer of ${relay.maxTokens} tokens, prompt included; in brackets, without the prompt's evaluation, which is the same work in both). "evaluated / relay": tokens the student evaluates after a splice — span + ${relay.extraTokensMax} at most in this run.`,
      ],
    });
  }
  if (inline) {
    out.push({
      title: `4. Inline completion latency — ${inline.model}, ${inline.requests} requests on a ~${inline.promptTokens.first}-token prefix growing ${inline.charsTypedPerRequest} chars per request, warm model`,
      headers: ["", "first text p50 ms", "p95 ms", "min–max ms", "prompt tokens evaluated (median)"],
      rows: [
        ["relay core path (runRelay, student-only, maxTokens " + inline.maxTokens + ")", f(inline.relay.firstTextMs.median), f(inline.relay.firstTextMs.p95), `${f(inline.relay.firstTextMs.min)}–${f(inline.relay.firstTextMs.max)}`, f(inline.relay.evaluatedPromptTokens.median, 0)],
        ["raw node-llama-cpp (sequence.evaluate, same tokens)", f(inline.raw.firstTextMs.median), f(inline.raw.firstTextMs.p95), `${f(inline.raw.firstTextMs.min)}–${f(inline.raw.firstTextMs.max)}`, f(inline.raw.evaluatedPromptTokens.median, 0)],
        ["relay − raw (median of pairs) / ratio", `${f(inline.overheadMs, 2)} ms`, `${f(inline.ratioP95, 2)}×`, "", `${f(inline.ratioMedian, 2)}× median`],
      ],
    });
    const real = inline.real;
    if (real) {
      const row = (name: string, c: typeof real.plain) => [name, f(c.firstGhostTextMs.median), f(c.firstGhostTextMs.p95), f(c.wholeCompletionMs.median), f(c.wholeCompletionMs.p95), `${c.emptyAtFirst}/${c.firstGhostTextMs.n}`, `${f(c.promptTokens.median, 0)} (${f(c.evaluatedTokens.median, 0)})`, `${c.restOfLineExact}/${c.firstGhostTextMs.n}`];
      out.push({
        title: `4b. Ghost text on the real inline model — ${real.model}, ${real.threads} thread(s), caps ${real.caps.promptMs}/${real.caps.predictMs} ms, ${real.requests} requests per condition`,
        headers: ["", "first ghost text p50 ms", "p95 ms", "whole completion p50 ms", "p95 ms", "nothing at first", "prompt tokens, median (evaluated)", "rest of line exact"],
        rows: [
          row("no context", real.plain),
          row(`with context (~${f(real.contextTokens.sent.median, 0)} of ${real.contextTokens.budget} tokens)`, real.withContext),
          ["with / without context (p50)", `${f(real.contextP50Ratio, 2)}×`, "", "", "", "", "", ""],
          row("no context, typed line at the prefix's end (the layout before)", real.prefixLayout),
          [`next suggestion computed ahead after an accept (${real.ahead.accepts})`, `${f(real.ahead.servedFromCacheMs.median, 3)} from the cache`, "", `${f(real.ahead.readyAfterAcceptMs.median)} ready after the accept`, f(real.ahead.readyAfterAcceptMs.p95), "", "", ""],
        ],
        notes: [
          "First ghost text: what a request showed (at a whole line, the run's end or the predict cap); where the prompt cap hit first with nothing to show, the run's end (the provider asks again and the cache serves it). Whole completion: what the user waited before the caps. Rest of line exact: the whole completion is the real line's rest.",
          `Infill layouts on ${real.layoutQuality.items} half-typed HumanEval lines (uncapped, exact match of the line's rest): typed line in the middle ${real.layoutQuality.lineInMiddle}, at the prefix's end ${real.layoutQuality.prefix}; right under one only: ${real.layoutQuality.onlyLineInMiddle} / ${real.layoutQuality.onlyPrefix}.`,
        ],
      });
    } else if (inline.realError) {
      out.push({ title: "4b. Ghost text on the real inline model — not run", headers: ["why"], rows: [[inline.realError]] });
    }
  }
  if (memory) {
    out.push({
      title: `5. Memory — ${memory.model} (${mib(memory.modelBytes)} file), context ${memory.contextSize} per sequence, each case in its own process`,
      headers: ["", "peak RSS", "RSS at end (anon + file)", "PSS at end"],
      rows: [
        ["llama.cpp runtime only (no model)", mib(memory.baseline.peakRssBytes), `${mib(memory.baseline.rssBytes)} (${mib(memory.baseline.rssAnonBytes)} + ${mib(memory.baseline.rssFileBytes)})`, memory.baseline.pssBytes === null ? "–" : mib(memory.baseline.pssBytes)],
        ["one model, 2 sequences, 2 concurrent requests", mib(memory.shared.peakRssBytes), `${mib(memory.shared.rssBytes)} (${mib(memory.shared.rssAnonBytes)} + ${mib(memory.shared.rssFileBytes)})`, memory.shared.pssBytes === null ? "–" : mib(memory.shared.pssBytes)],
        ["two loads, 1 sequence each, 1 request on each", mib(memory.separate.peakRssBytes), `${mib(memory.separate.rssBytes)} (${mib(memory.separate.rssAnonBytes)} + ${mib(memory.separate.rssFileBytes)})`, memory.separate.pssBytes === null ? "–" : mib(memory.separate.pssBytes)],
        ["two loads / one", `${f(memory.peakRatio, 2)}× (+${mib(memory.savedBytes)})`, "", memory.pssRatio === null ? "–" : `${f(memory.pssRatio, 2)}×`],
      ],
    });
  }
  if (threads) {
    out.push({
      title: `6. Threads — ${threads.model}, decode ${threads.maxTokens} tokens × ${threads.reps} (cap ${threads.capSeconds} s); math cores ${threads.cpuMathCores}, library maxThreads ${threads.libraryMaxThreads}`,
      headers: ["setting", "threads", "decode tokens/s median (min–max)", "prompt tokens/s"],
      rows: [
        ...threads.settings.map((s) => [
          s.label + (s.capped ? ` (capped ×${s.capped})` : ""),
          String(s.threads),
          // JSON turns NaN into null: no run of this setting made a second token before the cap.
          s.decodeTokensPerSecond.n > 0 ? range(s.decodeTokensPerSecond) : `≈ 0 (no 2nd token within ${threads.capSeconds} s)`,
          f(s.promptTokensPerSecond.median),
        ]),
        ["product default (chooseThreads)", String(threads.productDefault), `fastest: ${threads.fastest} ${check(threads.productDefaultIsFastest)}`, `${f(threads.productDefaultVsFastest, 2)}× of fastest`],
      ],
    });
  }
  if (real) {
    out.push({
      title: `7a. Real model decode — ${real.student}, ${real.threads} thread(s), ${real.decode.promptTokens}-token prompt, ${real.decode.maxTokens} tokens × ${real.decode.pairs} interleaved pairs (${real.decode.order})`,
      headers: ["", "tokens/s median (min–max)"],
      rows: [
        ["plain node-llama-cpp (sequence.evaluate)", range(real.decode.plain.tokensPerSecond)],
        ["relay controller, policy that never calls", range(real.decode.relay.tokensPerSecond)],
        ["ratio relay / plain (median of pairs; goal ≥ 0.97)", `${f(real.decode.ratio, 3)} ${check(real.decode.ratio >= 0.97)}`],
      ],
    });
    const r = real.relay;
    out.push({
      title: `7b. One relay against a real server — ${real.server} serving ${real.teacher} (completions), student ${real.student}; a relay every ${r.every} tokens (span ${r.span}), ${r.relaysPerAnswer} per answer; naive = the student re-sends the whole context after each relay`,
      headers: ["context tokens", "relay ms, ours (teacher HTTP, student splice)", "relay ms, naive (teacher HTTP, student splice)", "naive / ours: relay (answer)", "server prompt tokens per relay", "server-reported cached tokens per relay (ours; naive)"],
      rows: r.contexts.map((c) => [
        String(c.contextTokens),
        `${f(c.incremental.relayMs.median)} (${f(c.incremental.teacherMs.median)}, ${f(c.incremental.spliceStepMs.median)})`,
        `${f(c.naive.relayMs.median)} (${f(c.naive.teacherMs.median)}, ${f(c.naive.spliceStepMs.median)})`,
        `${f(c.ratios.relayTime, 2)}× (${f(c.ratios.wallTime, 2)}×)`,
        c.incremental.serverPromptTokens.join(" / "),
        `${c.incremental.serverCachedTokens.join(" / ")}; ${c.naive.serverCachedTokens.join(" / ")}`,
      ]),
      notes: [
        "Medians over the relays of one answer. The server keeps its own prompt cache either way (the cached tokens come from its log: llama-cpp-python's usage does not report them); the naive student pays for re-evaluating the whole context on its side.",
      ],
    });
  }
  for (const m of load?.models ?? []) {
    out.push({
      title: `8. Threads under load — ${m.model}, decode ${m.maxTokens} tokens; phases ${m.phases.join(" / ")}, ${m.repsPerPhase} interleaved answers per setting per phase; governor ceiling ${m.ceiling}`,
      headers: ["setting", "quiet tokens/s median (min–max)", "loaded tokens/s median (min–max)", "quiet vs best", "loaded vs best"],
      rows: m.settings.map((s) => [
        s.label + (s.capped ? ` (capped ×${s.capped})` : ""),
        range(s.quiet),
        range(s.loaded),
        `${f(s.quietVsBest, 2)}${s.threads === null ? ` ${check(s.quietVsBest >= 0.8)}` : ""}`,
        `${f(s.loadedVsBest, 2)}${s.threads === null ? ` ${check(s.loadedVsBest >= 0.8)}` : ""}`,
      ]),
      notes: [
        `Governor threads per answer, by phase: ${m.governorThreads.map((t) => t.join(",")).join(" | ")}; changes: ${m.governorChanges.join("; ") || "none"}.`,
        ...(m.pairedVsBest ? [`Paired (each governor answer / the best fixed setting's answer of the same round, median): quiet ${f(m.pairedVsBest.quiet, 2)}, loaded ${f(m.pairedVsBest.loaded, 2)}.`] : []),
        `Best fixed: quiet ${m.bestQuiet}, loaded ${m.bestLoaded}. ${load!.note}.`,
      ],
    });
  }
  if (warming) {
    const w = warming;
    const side = (label: string, x: WarmingResult["on"]) => [label, range(x.firstTokenMs), range(x.relayMs), `${f(x.cachedShare * 100, 0)}%`, String(x.warmingPromptTokens)];
    out.push({
      title: `9. Teacher prefill warming — ${w.server} serving ${w.teacher} (completions, streamed), student ${w.student}; ${w.contextTokens}-token prompts, one relay after ${w.every} student tokens, ${w.threads} thread(s) each; answers alternate off / on`,
      headers: ["warming", "</call> → first teacher token, ms median (min–max)", "</call> → reply spliced, ms", "relay prompt cached (server log), median", "warming prompt tokens sent (all answers)"],
      rows: [side("off", w.off), side("on (forced: assumePromptCache)", w.on)],
      notes: [
        `on / off, median first-token time: ${f(w.firstTokenRatio, 2)}; warming still running at the call in ${w.answers.filter((a) => a.warmingPending).length} of ${w.answers.filter((a) => a.warming).length} answers (the server serves one request at a time, so the call waits for it).`,
        "This server reports no cached tokens in its usage, so the product would not warm it (warming goes only to servers that do); the cached share comes from its log.",
      ],
    });
  }
  if (router) {
    const r = router;
    out.push({
      title: `10. Token router cost — ${r.model}, ${r.maxTokens}-token answers × ${r.pairs} interleaved pairs, policies that never call`,
      headers: ["", "tokens/s median (min–max)"],
      rows: [
        ["confidence (the chosen token's probability: the generator)", range(r.confidence.tokensPerSecond)],
        ["router (the top-20 probabilities: one controlled evaluation per step)", range(r.router.tokensPerSecond)],
        ["ratio router / confidence (median of pairs)", f(r.ratio, 3)],
      ],
      notes: [
        `Per token: one decode step ${f(r.decodeMsPerToken, 2)} ms; the router's own work ${f(r.featuresUs, 2)} µs for the features + ${f(r.logisticUs, 2)} µs (logistic) or ${f(r.mlpUs, 2)} µs (MLP 32-16) = ${f(r.routerShareOfDecode * 100, 3)}% of a decode step with the MLP (goal < 1%) ${check(r.routerShareOfDecode < 0.01)}.`,
      ],
    });
  }
  return out;
}

function header(report: BenchReport): string[] {
  const m = report.machine;
  const load = report.load;
  return [
    `${m.cpuModel}, ${m.logicalCpus} vCPU${m.cgroupCpuLimit ? ` (cgroup limit ${m.cgroupCpuLimit})` : ""}, ${mib(m.totalMemoryBytes)} RAM, ${m.platform} ${m.arch}, Node ${m.node}, node-llama-cpp ${m.versions["node-llama-cpp"]}, CPU back-end`,
    `student ${report.models.student.id} (${mib(report.models.student.bytes)}), ${report.threads.used} thread(s) (${report.threads.source}); ${report.quick ? "quick run" : "full run"} of ${report.durationSeconds.toFixed(0)} s on ${report.startedAt.slice(0, 10)}`,
    `load average before ${load.before.loadavg.join(" ")}${load.before.busy !== undefined ? ` (CPUs ${(load.before.busy * 100).toFixed(0)}% busy)` : ""}, after ${load.after.loadavg.join(" ")}${load.busy ? " — " + load.note : ""}`,
  ];
}

export function renderText(report: BenchReport): string {
  const lines: string[] = [...header(report), ""];
  for (const t of tables(report)) {
    lines.push(t.title);
    const widths = t.headers.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? "").length)));
    const fmt = (cells: string[]) => "  " + cells.map((c, i) => (c ?? "").padEnd(widths[i])).join("  ").trimEnd();
    lines.push(fmt(t.headers), "  " + widths.map((w) => "-".repeat(w)).join("  "));
    for (const r of t.rows) lines.push(fmt(r));
    for (const n of t.notes ?? []) lines.push(`  ${n}`);
    lines.push("");
  }
  for (const [name, error] of Object.entries(report.errors)) lines.push(`${name}: FAILED — ${error}`);
  if (report.goals.length) {
    lines.push("Goals");
    for (const g of report.goals) lines.push(`  ${check(g.met)} ${g.name}: ${g.goal} — ${g.value}`);
  }
  return lines.join("\n") + "\n";
}

export function renderMarkdown(report: BenchReport): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const lines: string[] = [...header(report).map((l) => l + "  "), ""];
  for (const t of tables(report)) {
    lines.push(`**${esc(t.title)}**`, "");
    lines.push(`| ${t.headers.map(esc).join(" | ")} |`, `|${t.headers.map(() => "---").join("|")}|`);
    for (const r of t.rows) lines.push(`| ${r.map(esc).join(" | ")} |`);
    for (const n of t.notes ?? []) lines.push("", n);
    lines.push("");
  }
  for (const [name, error] of Object.entries(report.errors)) lines.push(`- ${name}: FAILED — ${esc(error)}`);
  if (report.goals.length) {
    lines.push("Goals:", "");
    for (const g of report.goals) lines.push(`- ${check(g.met)} ${g.name}: ${esc(g.goal)} — ${esc(g.value)}`);
  }
  return lines.join("\n") + "\n";
}
