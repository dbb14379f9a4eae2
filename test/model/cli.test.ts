/** The `relay` command line as a user runs it (the built dist/cli.js), against real models. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { promisify } from "node:util";
import { LocalTeacher } from "../../src/teacher/localTeacher.js";
import { DEMO_QUESTION, EXPECTED_RELAY_TEXT } from "../../src/demo/scriptedPair.js";
import { scriptedPairPaths } from "../fixtures/pair.js";
import { startOpenAIServer, teacherBackend, type OpenAITestServer } from "../fixtures/openaiServer.js";

const run = promisify(execFile);
const relay = (args: string[]) => run(process.execPath, ["dist/cli.js", ...args], { env: { ...process.env, NO_COLOR: "1" } });

interface CliJson {
  text: string;
  spans: Array<{ kind: string; text: string; tokens: number }>;
  stats: { callRatio: number; calls: number; teacherTokens: number };
}

describe("relay CLI", () => {
  let paths: { student: string; teacher: string };
  let local: LocalTeacher;
  let server: OpenAITestServer;

  before(async () => {
    paths = await scriptedPairPaths();
    local = await LocalTeacher.load({ model: paths.teacher, gpu: "cpu", contextSize: 1024 });
    server = await startOpenAIServer(teacherBackend(local));
  });
  after(async () => {
    await server?.close();
    await local?.dispose();
  });

  test("ask --teacher-url --json prints one JSON object with text, spans and stats", async () => {
    const { stdout } = await relay(["ask", DEMO_QUESTION, "--student", paths.student, "--teacher-url", server.url, "--teacher-model", "scripted-teacher", "--policy", "learned", "--gpu", "cpu", "--json"]);
    const out = JSON.parse(stdout) as CliJson;
    assert.equal(out.text, EXPECTED_RELAY_TEXT);
    assert.deepEqual(out.spans.map((s) => s.kind), ["student", "teacher", "student", "teacher", "student"]);
    assert.equal(out.stats.callRatio, 8 / 24);
  });

  test("ask streams text, marks the teacher, prints stats; budget and teacher log work", async () => {
    const dir = mkdtempSync(join(tmpdir(), "relay-cli-"));
    const log = join(dir, "teacher.jsonl");
    const args = ["ask", DEMO_QUESTION, "--student", paths.student, "--teacher-gguf", paths.teacher, "--policy", "learned", "--gpu", "cpu", "--budget-tokens", "100000", "--ledger", join(dir, "ledger.jsonl")];
    const { stdout, stderr } = await relay(args);
    assert.equal(stdout, EXPECTED_RELAY_TEXT);
    assert.match(stderr, /asking teacher · 4 tokens/);
    assert.match(stderr, /call ratio 33\.33%/);
    assert.match(stderr, /budget\s+\d+ \/ 100000 teacher tokens this month/);
    // A URL teacher writes the request log.
    await relay(["ask", DEMO_QUESTION, "--student", paths.student, "--teacher-url", server.url, "--teacher-model", "scripted-teacher", "--policy", "learned", "--gpu", "cpu", "--json", "--teacher-log", log]);
    const entries = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { request: { prompt: string }; reply: string });
    assert.equal(entries.length, 2);
    assert.ok(entries[0].request.prompt.endsWith("17 * 3 ="));
  });

  test("demo --json runs the scripted relay", async () => {
    const { stdout } = await relay(["demo", "--json", "--dir", mkdtempSync(join(tmpdir(), "relay-demo-"))]);
    const out = JSON.parse(stdout) as CliJson;
    assert.equal(out.text, EXPECTED_RELAY_TEXT);
    assert.equal(out.stats.calls, 2);
  });

  test("a missing model is a clear error and exit code 1", async () => {
    await assert.rejects(relay(["ask", "hi", "--student", "/nope/model.gguf", "--gpu", "cpu"]), (e: { code: number; stderr: string }) => e.code === 1 && /Model file not found: \/nope\/model\.gguf \(model-not-found\)/.test(e.stderr));
  });
});
