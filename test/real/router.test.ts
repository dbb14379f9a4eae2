/**
 * The token router on the real pair (SmolLM2-135M student, Qwen2.5-Coder-0.5B teacher):
 * `relay router collect` records features that are exactly what the router computes while an
 * answer is generated; a collection killed mid-run resumes; `relay router train` writes a file
 * the product reads; a corrupt router file is named and the answer goes on under confidence.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { runRelay } from "../../src/core/controller.js";
import { createPolicy } from "../../src/core/policies.js";
import { mathPrompt } from "../../src/core/prompts.js";
import { FEATURE_NAMES } from "../../src/core/routing/features.js";
import { parseRouter, type RouterFile } from "../../src/core/routing/router.js";
import { seededRandom } from "../../src/core/random.js";
import { LlamaStudent } from "../../src/student/llamaStudent.js";
import { startLlamaServer } from "../../src/bench/llamaServer.js";
import { REAL_THREADS, REPO_ROOT, realModels } from "../fixtures/real.js";

const run = promisify(execFile);
const CLI = [join(REPO_ROOT, "src", "cli", "main.ts")];
const node = (args: string[], timeout = 600_000) => run(process.execPath, ["--import", "tsx", ...CLI, ...args], { cwd: REPO_ROOT, timeout, maxBuffer: 64 * 2 ** 20 });

interface Line {
  type: string;
  id?: string;
  question?: string;
  tokens?: Array<{ t: string; f: number[]; y: number }>;
}
const lines = (path: string): Line[] => readFileSync(path, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Line);

describe("the token router on the real student and teacher", () => {
  let dir: string;
  let models: Awaited<ReturnType<typeof realModels>>;
  let collection: string;
  const collect = (out: string, count: number, rollouts = 0) => ["router", "collect", "--student", models.smollm2, "--teacher-gguf", models.qwenCoder, "--out", out, "--count", String(count), "--rollouts", String(rollouts), "--max-tokens", "48", "--threads", String(REAL_THREADS), "--gpu", "cpu", "--context-size", "1024", "--no-progress"];

  before(async () => {
    models = await realModels();
    dir = mkdtempSync(join(tmpdir(), "relay-router-real-"));
    collection = join(dir, "collect.jsonl");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("collect: every student token with its features and the teacher's verdict; a killed run resumes without duplicates", async () => {
    // Killed once the first answer is written, then run again to the end.
    const child = spawn(process.execPath, ["--import", "tsx", ...CLI, ...collect(collection, 3, 1)], { cwd: REPO_ROOT, stdio: "ignore" });
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    const deadline = Date.now() + 300_000;
    while (Date.now() < deadline && !(existsSync(collection) && lines(collection).some((l) => l.type === "answer"))) await new Promise((r) => setTimeout(r, 200));
    child.kill("SIGKILL");
    await exited;
    const before = lines(collection).filter((l) => l.type === "answer").length;
    assert.ok(before >= 1 && before < 3, `killed after ${before} answer(s)`);
    const { stderr } = await node(collect(collection, 3, 1));
    assert.match(stderr, new RegExp(`${before} answer\\(s\\) already in`));
    const all = lines(collection);
    assert.equal(all[0].type, "settings");
    const answers = all.filter((l) => l.type === "answer");
    assert.equal(answers.length, 3);
    assert.equal(new Set(answers.map((a) => a.id)).size, 3, "no answer twice");
    for (const a of answers) {
      assert.ok((a.tokens?.length ?? 0) > 0);
      for (const t of a.tokens ?? []) {
        assert.equal(t.f.length, FEATURE_NAMES.length);
        assert.ok(t.y === 0 || t.y === 1);
      }
    }
    // The teacher disagrees somewhere in a 135M student's arithmetic.
    assert.ok(answers.some((a) => a.tokens?.some((t) => t.y === 1)));
  });

  test("the features collected are the numbers the router computes while the answer is generated", async () => {
    const answer = lines(collection).find((l) => l.type === "answer") as Required<Line>;
    // A router whose score depends on every feature: equal scores mean equal feature vectors.
    const random = seededRandom(5);
    const n = FEATURE_NAMES.length;
    const file: RouterFile = {
      format: "relay-router",
      version: 1,
      featureVersion: 1,
      features: [...FEATURE_NAMES],
      topK: 20,
      student: { name: "s", fingerprint: "x" },
      scaler: { mean: Array(n).fill(0), scale: Array(n).fill(1) },
      model: { kind: "logistic", weights: Array.from({ length: n }, () => random() - 0.5), bias: 0 },
      threshold: 1,
    };
    const router = parseRouter(file, "test");
    const student = await LlamaStudent.load({ model: models.smollm2, gpu: "cpu", threads: REAL_THREADS, contextSize: 1024, sequences: 1 });
    try {
      // Threshold 1: the router never calls, so the answer is the collected one.
      const policy = createPolicy("router", { router, threshold: 1 });
      const result = await runRelay({ task: mathPrompt(answer.question), student, policy, limits: { maxTokens: 48 } });
      await result.released;
      const scores = policy.scores ?? [];
      assert.equal(scores.length, answer.tokens.length);
      const worst = Math.max(...answer.tokens.map((t, i) => Math.abs(router.score(t.f) - scores[i])));
      // The collection keeps six decimals; nothing else may differ.
      assert.ok(worst < 1e-4, `largest score difference ${worst}`);
    } finally {
      await student.dispose();
    }
  });

  test("collect through an OpenAI-compatible server (llama-cpp-python serving the same teacher): its labels agree with the local teacher's", async () => {
    const server = await startLlamaServer({ repoRoot: REPO_ROOT, model: models.qwenCoder, alias: "qwen", contextSize: 2048, threads: REAL_THREADS });
    try {
      const remote = join(dir, "remote.jsonl");
      const local = join(dir, "local.jsonl");
      const args = (out: string) => collect(out, 2, 0).filter((a, i, all) => a !== "--teacher-gguf" && all[i - 1] !== "--teacher-gguf");
      await node([...args(remote), "--teacher-url", server.url, "--teacher-model", "qwen", "--teacher-template", "qwen"]);
      await node(collect(local, 2, 0));
      const remoteAnswers = lines(remote).filter((l) => l.type === "answer");
      const localAnswers = lines(local).filter((l) => l.type === "answer");
      assert.equal(remoteAnswers.length, 2);
      let same = 0;
      let all = 0;
      for (const [i, a] of remoteAnswers.entries()) {
        const b = localAnswers[i];
        assert.equal(a.question, b.question);
        assert.equal(a.tokens?.length, b.tokens?.length, "the student's own answer, token for token");
        a.tokens?.forEach((t, j) => {
          all++;
          if (t.y === b.tokens?.[j].y) same++;
        });
      }
      // One GGUF, two llama.cpp builds and two ways of asking (per boundary vs one pass): nearly the same verdicts.
      assert.ok(same / all >= 0.85, `labels agree on ${same} of ${all} tokens`);
      assert.ok(remoteAnswers.some((a) => a.tokens?.some((t) => t.y === 1)));
    } finally {
      await server.stop();
    }
  });

  test("train writes a router file the product reads; a corrupt one is named and the answer goes on under confidence", async () => {
    // Two shards' worth: the two collections of this run would do, one is enough for the format.
    const routerPath = join(dir, "router.json");
    const more = join(dir, "more.jsonl");
    await node(collect(more, 6, 0));
    await node(["router", "train", "--data", `${collection},${more}`, "--out", routerPath, "--label", "disagree"]);
    const file = JSON.parse(readFileSync(routerPath, "utf8")) as RouterFile;
    parseRouter(file, routerPath);
    assert.match(readFileSync(`${routerPath}.md`, "utf8"), /held-out ROC AUC/);
    const { stdout } = await node(["ask", "What is 2 + 3?", "--math", "--policy", "router", "--router", routerPath, "--student", models.smollm2, "--max-tokens", "12", "--threads", String(REAL_THREADS), "--gpu", "cpu", "--json"]);
    assert.ok((JSON.parse(stdout) as { text: string }).text.length > 0);

    const corrupt = join(dir, "corrupt.json");
    writeFileSync(corrupt, '{"format": "relay-router", "version": 1, "model": ');
    const asked = await node(["ask", "What is 2 + 3?", "--math", "--policy", "router", "--router", corrupt, "--student", models.smollm2, "--max-tokens", "12", "--threads", String(REAL_THREADS), "--gpu", "cpu", "--json"]);
    assert.match(asked.stderr, new RegExp(`Router file ${corrupt.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is not JSON.*goes on under the confidence policy`));
    assert.ok((JSON.parse(asked.stdout) as { text: string }).text.length > 0, "the answer was made");
  });
});
