/**
 * `relay eval` end to end on the real node-llama-cpp, with a scripted student/teacher pair
 * whose answers are known: accuracy and call ratio are checked exactly against hand counts,
 * and interrupted runs, once resumed, give the same report as uninterrupted ones.
 *
 * The scripted student (the prompt's last token decides everything, so it answers every
 * question alike) writes "Adding up we get \boxed{" + "<call>2</call>" (5 tokens). With the
 * teacher's span "42" (2 tokens, the teacher continues "{" with "42") it resumes after the "2"
 * with "}. Done" (1 token): "…\boxed{42}. Done", 6 student + 2 teacher tokens, call ratio 1/4.
 * With its call refused (teacher-free) it goes on with "7}. Done" (1 token): "…\boxed{7}.
 * Done", 6 student tokens. Teacher-only: " The answer is \boxed{42}." (26 characters, one
 * student token each; 3 teacher tokens). So an item is right under learned and teacher-only
 * when its gold is 42 in any form, and under teacher-free when it is 7.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { writeScriptedModel, type ScriptedModelSpec } from "../../src/gguf/scripted.js";
import { LlamaStudent } from "../../src/student/llamaStudent.js";
import { LocalTeacher } from "../../src/teacher/localTeacher.js";
import { parseConditions, randomProbabilityFor, withTeacher } from "../../src/eval/conditions.js";
import { loadDatasets } from "../../src/eval/datasets.js";
import { buildReport, reportMarkdown, type EvalReport } from "../../src/eval/report.js";
import { ResultsFile } from "../../src/eval/results.js";
import { runEval, type EvalRun } from "../../src/eval/runEval.js";
import { ensureModel, fixtureName } from "../fixtures/gguf/cache.js";
import { startOpenAIServer, type OpenAITestServer } from "../fixtures/openaiServer.js";

const STUDENT: ScriptedModelSpec = {
  pieces: ["Adding up", " we get", " \\boxed{", "<call>", "2</call>", "}. Done", "7}. Done"],
  transitions: [
    ["Adding up", " we get"],
    [" we get", " \\boxed{"],
    [" \\boxed{", "<call>"],
    ["<call>", "2</call>"],
    // Call refused: the student's own (wrong) guess.
    ["2</call>", "7}. Done"],
    ["7}. Done", "</s>"],
    // After the teacher's "42": close the box.
    ["2", "}. Done"],
    ["}. Done", "</s>"],
  ],
  defaultNext: "Adding up",
};

const TEACHER: ScriptedModelSpec = {
  pieces: ["42", "}. Then", " The answer", " is", " \\boxed{42}."],
  transitions: [
    ["{", "42"],
    ["42", "}. Then"],
    ["}. Then", "</s>"],
    [" The answer", " is"],
    [" is", " \\boxed{42}."],
    [" \\boxed{42}.", "</s>"],
  ],
  defaultNext: " The answer",
};

// learned / teacher-only right: 42, \frac{84}{2}, 42.0, \$42; teacher-free right: 7.
const TINY_MATH = [
  { problem: "What is 40 + 2?", answer: "42" },
  // A form feed where "\f" of "\frac" was eaten by a JSON encoder: repaired on load.
  { problem: "What is \frac{84}{2}?", answer: "\\frac{84}{2}" },
  { problem: "Compute 6 * 7.", answer: "42.0" },
  { problem: "What is 3 + 4?", answer: "7" },
  { problem: "What is 43?", answer: "43" },
  { problem: "How many dollars is 42 dollars?", answer: "\\$42" },
];
const TINY_GSM = [
  { question: "Tom has 40 apples and buys 2. How many?", answer: "40 + 2 = 42\n#### 42" },
  { question: "Ann has 3 pens and gets 4. How many?", answer: "3 + 4 = 7\n#### 7" },
  { question: "A shop sells 1,000 cups and 42 mugs. How many items?", answer: "1000 + 42 = 1042\n#### 1,042" },
  { question: "What is 21 * 2?", answer: "21 * 2 = 42\n#### 42" },
];

const HAND = {
  "tiny-math": { learned: 4 / 6, "teacher-free": 1 / 6, "teacher-only": 4 / 6, items: 6 },
  "tiny-gsm": { learned: 2 / 4, "teacher-free": 1 / 4, "teacher-only": 2 / 4, items: 4 },
} as const;
const RATIO = { learned: 2 / 8, "teacher-free": 0, "teacher-only": 1 } as const;

const run = promisify(execFile);
// The eval command in a fresh process, registered the way src/cli/main.ts registers commands.
const CLI_CODE = `import { Command } from ${JSON.stringify(import.meta.resolve("commander"))};
import { registerEval } from ${JSON.stringify(pathToFileURL(resolve("src/cli/eval.ts")).href)};
const program = new Command().name("relay");
registerEval(program);
try { await program.parseAsync(process.argv.slice(2), { from: "user" }); }
catch (e) { process.stderr.write("relay: " + e.message + "\\n"); process.exitCode = 1; }
`;
let cliScript = "";
const relayEval = (args: string[]) => run(process.execPath, ["--import", "tsx", cliScript, "eval", ...args], { cwd: resolve("."), env: { ...process.env, NO_COLOR: "1" } });

/**
 * The report without what legitimately differs between two runs of the same answers:
 * wall-clock latency, and the teacher's prefix-cache hits (which depend on what it served before).
 */
function stable(report: EvalReport): unknown {
  return JSON.parse(JSON.stringify(report), (key, value: unknown) => (key === "meanLatencyMs" || key === "teacherCachedTokensIn" || key === "teacherCachedTokensInPerAnswer" ? undefined : value));
}
const stableMarkdown = (md: string) => md.replace(/\| [\d.]+ s \|/g, "| - |").replace(/\| ([\d,.]+) \([\d,.]+\) \|/g, "| $1 (-) |");

describe("relay eval on a scripted pair", () => {
  let dir: string;
  let student: string;
  let teacher: string;
  let math: string;
  let gsm: string;
  let common: string[];

  before(async () => {
    student = await ensureModel(fixtureName("eval-student", STUDENT), (p) => writeScriptedModel(p, STUDENT));
    teacher = await ensureModel(fixtureName("eval-teacher", TEACHER), (p) => writeScriptedModel(p, TEACHER));
    dir = mkdtempSync(join(tmpdir(), "relay-eval-"));
    // A file, not `node -e`: node-llama-cpp re-runs process.execArgv to test its binary.
    cliScript = join(dir, "relay-eval-cli.mts");
    writeFileSync(cliScript, CLI_CODE);
    math = join(dir, "tiny-math.jsonl");
    gsm = join(dir, "tiny-gsm.jsonl");
    writeFileSync(math, TINY_MATH.map((x) => JSON.stringify(x)).join("\n") + "\n");
    writeFileSync(gsm, TINY_GSM.map((x) => JSON.stringify(x)).join("\n") + "\n");
    // One thread each: the student and the local teacher compute at the same time, and more
    // threads than cores spin against each other (shared/notes/cpu-threads.md).
    common = ["--data", `${math},${gsm}`, "--student", student, "--teacher-gguf", teacher, "--gpu", "cpu", "--threads", "1", "--context-size", "512", "--max-tokens", "64"];
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  test("CLI: accuracy, call ratio and teacher tokens match the hand counts; report files written", async () => {
    const out = join(dir, "full");
    const args = [...common, "--conditions", "learned,teacher-free,teacher-only", "--samples", "2", "--input-price", "1", "--output-price", "2", "--out", out, "--json"];
    const { stdout, stderr } = await relayEval(args);
    const report = JSON.parse(stdout) as EvalReport;
    assert.match(stderr, /tiny-math: 1 item\(s\) repaired, 0 flagged, 0 skipped\n {2}line 2 problem: repaired \\frac/);

    for (const [dataset, hand] of Object.entries(HAND)) {
      const cell = (condition: string) => {
        const found = report.cells.find((c) => c.dataset === dataset && c.condition === condition);
        assert.ok(found, `${dataset} ${condition}`);
        return found;
      };
      const answers = hand.items * 2;
      for (const condition of ["learned", "teacher-free", "teacher-only"] as const) {
        const c = cell(condition);
        assert.equal(c.items, hand.items);
        assert.equal(c.samples, 2);
        assert.equal(c.answers, answers);
        assert.equal(c.accuracy, hand[condition], `${dataset} ${condition} accuracy`);
        assert.equal(c.callRatio, RATIO[condition], `${dataset} ${condition} call ratio`);
        assert.equal(c.noAnswer, 0);
      }
      // One call per learned answer; the teacher wrote 2 of its tokens ("42", "}. Then"), cut to "42".
      assert.equal(cell("learned").callsPerAnswer, 1);
      assert.equal(cell("learned").teacherTokensOut, 2 * answers);
      assert.equal(cell("teacher-free").callsPerAnswer, 0);
      assert.equal(cell("teacher-free").ignoredCalls, answers);
      assert.equal(cell("teacher-free").teacherTokensIn, 0);
      assert.equal(cell("teacher-only").teacherTokensOut, 3 * answers);
      for (const c of ["learned", "teacher-only"]) {
        const { teacherTokensIn, teacherTokensOut, costUsd } = cell(c);
        assert.ok(teacherTokensIn > 0);
        assert.equal(costUsd, (teacherTokensIn * 1 + teacherTokensOut * 2) / 1e6);
      }
    }
    assert.equal(report.averages.find((a) => a.condition === "learned")?.accuracy, (4 / 6 + 2 / 4) / 2);

    const md = readFileSync(join(out, "report.md"), "utf8");
    // accuracy, its 95% interval, call ratio, gap recovered, calls per answer.
    assert.match(md, /\| tiny-math \| learned \| 6×2 \| 66\.67% \| [\d.]+–[\d.]+% \| 25\.00% \| [^|]+ \| 1\.00 \|/);
    assert.match(md, /\| tiny-gsm \| teacher-free \| 4×2 \| 25\.00% \| [\d.]+–[\d.]+% \| 0\.00% \| [^|]+ \| 0\.00 \|/);
    assert.deepEqual(JSON.parse(readFileSync(join(out, "report.json"), "utf8")), report);
    const svg = readFileSync(join(out, "frontier.svg"), "utf8");
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.equal((svg.match(/<title>/g) ?? []).length, report.cells.length);
    // One line per answer after the settings line: 3 conditions × (6 + 4) items × 2 samples.
    const lines = readFileSync(join(out, "results.jsonl"), "utf8").trim().split("\n");
    assert.equal(lines.length, 1 + 3 * 10 * 2);

    // Rerunning finds every answer done.
    const again = await relayEval(args);
    assert.match(again.stderr, /0 answer\(s\) made, 60 reused/);
    assert.deepEqual(stable(JSON.parse(again.stdout) as EvalReport), stable(report));
  });

  test("CLI: the random router is calibrated to learned's call ratio; a --limit run, then the full run, ends with the same report as one uninterrupted run", async () => {
    const conditions = ["--conditions", "learned,random"];
    const whole = JSON.parse((await relayEval([...common, ...conditions, "--out", join(dir, "whole"), "--json"])).stdout) as EvalReport;
    // Learned's measured ratio is 1/4 on both datasets: p = r / (k(1 − r) + r) with k = 16.
    const p = Number(randomProbabilityFor(0.25, 16).toPrecision(6));
    assert.equal(p, 0.0204082);
    assert.deepEqual(whole.calibrations.map((c) => [c.dataset, c.reference, c.targetRatio, c.span, c.probability]), [
      ["tiny-math", "learned", 0.25, 16, p],
      ["tiny-gsm", "learned", 0.25, 16, p],
    ]);
    for (const random of whole.cells.filter((c) => c.condition === "random")) {
      assert.equal(random.randomP, p);
      assert.equal(random.targetCallRatio, 0.25);
    }

    const part = JSON.parse((await relayEval([...common, ...conditions, "--out", join(dir, "parts"), "--limit", "2", "--json"])).stdout) as EvalReport;
    assert.equal(part.cells.find((c) => c.condition === "learned")?.items, 2);
    const rest = await relayEval([...common, ...conditions, "--out", join(dir, "parts"), "--json"]);
    // All 8 answers of the first run are reused: learned's call ratio is 1/4 on every item,
    // so the random router's calibration, and with it its p, is the same over all items.
    assert.match(rest.stderr, /12 answer\(s\) made, 8 reused/);
    assert.deepEqual(stable(JSON.parse(rest.stdout) as EvalReport), stable(whole));
    const md = (name: string) => stableMarkdown(readFileSync(join(dir, name, "report.md"), "utf8"));
    assert.equal(md("parts"), md("whole"));
    assert.match(md("whole"), /- tiny-math: p = 0\.0204082 \(span 16\) for learned's call ratio 25\.00%; measured \d+\.\d\d%/);
  });

  test("CLI: a results file made with other settings is refused", async () => {
    await assert.rejects(
      relayEval([...common.slice(0, -1), "32", "--conditions", "learned", "--out", join(dir, "whole")]),
      (e: { code: number; stderr: string }) => e.code === 1 && /holds results made with other settings \(maxTokens: 64 there, 32 now\)/.test(e.stderr),
    );
  });

  test("CLI: a D/results.jsonl that relay eval did not write is refused before anything loads, byte for byte untouched", async () => {
    for (const content of ["my notes\nlast line without a newline", "a,b\n1,2\n"]) {
      const out = mkdtempSync(join(dir, "not-ours-"));
      const path = join(out, "results.jsonl");
      writeFileSync(path, content);
      await assert.rejects(
        relayEval([...common, "--conditions", "teacher-free", "--out", out]),
        (e: { code: number; stderr: string }) => e.code === 1 && /results\.jsonl is not a Relay results file .*left as it was/.test(e.stderr) && !/student loaded/.test(e.stderr),
      );
      assert.equal(readFileSync(path, "utf8"), content);
    }
  });

  test("CLI: a BOM at the start of a dataset is accepted; a line that cannot be read is reported and the run exits 1", async () => {
    const own = ["--student", student, "--gpu", "cpu", "--threads", "1", "--context-size", "512", "--max-tokens", "64", "--conditions", "teacher-free", "--json"];
    const bom = join(dir, "bom-math.jsonl");
    writeFileSync(bom, "\uFEFF" + [TINY_MATH[3], TINY_MATH[4]].map((x) => JSON.stringify(x)).join("\r\n") + "\r\n");
    const { stdout } = await relayEval(["--data", bom, ...own, "--out", join(dir, "bom")]);
    const report = JSON.parse(stdout) as EvalReport;
    assert.equal(report.cells[0].answers, 2, "both items, the first one too");
    assert.equal(report.cells[0].accuracy, 1 / 2);
    assert.equal(report.datasets[0].skipped, 0);

    const broken = join(dir, "broken-math.jsonl");
    writeFileSync(broken, [JSON.stringify(TINY_MATH[3]), "{not json", JSON.stringify(TINY_MATH[4])].join("\n") + "\n");
    await assert.rejects(relayEval(["--data", broken, ...own, "--out", join(dir, "broken")]), (e: { code: number; stdout: string; stderr: string }) => {
      assert.equal(e.code, 1);
      assert.match(e.stderr, /line 2 -: skipped not valid JSON/);
      assert.match(e.stderr, /1 dataset line\(s\) could not be read and were not evaluated \(broken-math line 2\)/);
      // The rest was evaluated and reported.
      assert.equal((JSON.parse(e.stdout) as EvalReport).cells[0].answers, 2);
      return true;
    });
  });

  describe("in process", () => {
    let llamaStudent: LlamaStudent;
    let localTeacher: LocalTeacher;
    let server: OpenAITestServer;

    before(async () => {
      llamaStudent = await LlamaStudent.load({ model: student, gpu: "cpu", threads: 1, contextSize: 512, sequences: 2 });
      localTeacher = await LocalTeacher.load({ model: teacher, gpu: "cpu", threads: 1, contextSize: 512 });
      // A judge that accepts 42 for the gold 1042, and nothing else.
      server = await startOpenAIServer(async (prompt) => {
        const yes = /Reference answer: 1042\b/.test(prompt) && /final answer: 42\b/.test(prompt);
        return { text: yes ? "YES" : "NO", finish: "stop", promptTokens: 50, completionTokens: 1 };
      });
    });
    after(async () => {
      await server?.close();
      await localTeacher?.dispose();
      await llamaStudent?.dispose();
    });

    async function evaluate(out: string, extra: Partial<EvalRun> = {}): Promise<EvalReport> {
      const datasets = await loadDatasets([math, gsm]);
      const conditions = parseConditions(["learned", "teacher-free", "random"]).map((c) => withTeacher(c, teacher));
      const results = await ResultsFile.open(join(out, "results.jsonl"), { student, maxTokens: 64 });
      const outcome = await runEval({ datasets, conditions, samples: 1, student: llamaStudent, teacher: localTeacher, results, limits: { maxTokens: 64 }, seed: 1, concurrency: 2, ...extra });
      return buildReport({ ...outcome, datasets, judgeModel: extra.judge?.model, complete: !outcome.aborted });
    }

    test("aborted mid-way, a torn last line, then resumed: the same report as an uninterrupted run", async () => {
      const whole = await evaluate(join(dir, "ip-whole"));
      const out = join(dir, "ip-parts");
      const controller = new AbortController();
      let answered = 0;
      const partial = await evaluate(out, { signal: controller.signal, progress: { add() {}, advance: () => ++answered === 5 && controller.abort() } });
      assert.equal(partial.complete, false);
      assert.ok(partial.cells.reduce((n, c) => n + c.answers, 0) < 30);
      // A process killed while writing leaves half a line.
      appendFileSync(join(out, "results.jsonl"), '{"type":"result","key":"learned|tiny');
      const resumed = await evaluate(out);
      assert.equal(resumed.complete, true);
      assert.deepEqual(stable(resumed), stable(whole));
      assert.equal(stableMarkdown(reportMarkdown(resumed)), stableMarkdown(reportMarkdown(whole)));
      assert.ok(readFileSync(join(out, "results.jsonl"), "utf8").split("\n").every((l) => l === "" || JSON.parse(l)));
    });

    test("the semantic judge re-grades strict failures over the OpenAI API, afterwards too; strict and judged accuracy stay apart", async () => {
      const { OpenAIJudge } = await import("../../src/eval/judge.js");
      const judge = new OpenAIJudge({ baseURL: server.url, model: "judge-model" });
      // The answers are all in the file already: only the judge runs.
      const report = await evaluate(join(dir, "ip-whole"), { judge });
      const learnedGsm = report.cells.find((c) => c.dataset === "tiny-gsm" && c.condition === "learned")!;
      // Strict: 2/4. The judge accepts "42" for "#### 1,042" (its rule); the 4th item stays wrong.
      assert.equal(learnedGsm.accuracy, 2 / 4);
      assert.equal(learnedGsm.judgedAccuracy, 3 / 4);
      assert.equal(learnedGsm.judgePending, 0);
      const learnedMath = report.cells.find((c) => c.dataset === "tiny-math" && c.condition === "learned")!;
      assert.equal(learnedMath.judgedAccuracy, learnedMath.accuracy);
      // Only strict failures were sent: per condition and dataset, the wrong answers.
      const wrong = report.cells.reduce((n, c) => n + Math.round((1 - c.accuracy) * c.answers), 0);
      assert.equal(server.requests.length, wrong);
      const body = server.requests[0].body as { messages: Array<{ content: string }>; model: string };
      assert.equal(body.model, "judge-model");
      assert.match(body.messages[1].content, /Reference answer: .+\n\nStudent's final answer: /);
      assert.match(reportMarkdown(report), /\| judged \|/);
      // A rerun judges nothing again.
      server.requests.length = 0;
      await evaluate(join(dir, "ip-whole"), { judge });
      assert.equal(server.requests.length, 0);
    });
  });
});
