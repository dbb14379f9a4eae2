/**
 * The `relay` command line with bad input, as a user or an attacker gives it: every invalid
 * option is refused with a clear message and exit 2 before anything loads; empty prompts are
 * refused; long prompts come from stdin or a file and are refused for a student context they do
 * not fit, and cut for the teacher; teacher text cannot drive the terminal; the budget holds
 * across separate `relay ask` processes; an unwritable ledger says why.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { promisify } from "node:util";
import { replayLedger } from "../../src/core/budget.js";
import { LocalTeacher } from "../../src/teacher/localTeacher.js";
import { DEMO_QUESTION } from "../../src/demo/scriptedPair.js";
import { scriptedPairPaths } from "../fixtures/pair.js";
import { startOpenAIServer, teacherBackend, type OpenAITestServer } from "../fixtures/openaiServer.js";

const exec = promisify(execFile);
const env = { ...process.env, NO_COLOR: "1" };
const relay = (args: string[]) => exec(process.execPath, ["dist/cli.js", ...args], { env, maxBuffer: 1 << 24 });

/** Runs the CLI; resolves to its exit code and output, whatever the code. */
function run(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["dist/cli.js", ...args], { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}

/** Invalid options: [arguments after `ask hi`, the option named in the message]. */
const INVALID: Array<[string[], string]> = [
  [["--budget-tokens", "abc"], "--budget-tokens"],
  [["--budget-tokens", "-10"], "--budget-tokens"],
  [["--budget-tokens", "0"], "--budget-tokens"],
  [["--budget-tokens", "1.5"], "--budget-tokens"],
  [["--budget-period", "year"], "--budget-period"],
  [["--threshold", "2"], "--threshold"],
  [["--threshold", "NaN"], "--threshold"],
  [["--temperature", "-1"], "--temperature"],
  [["--temperature", ""], "--temperature"],
  [["--teacher-temperature", "9"], "--teacher-temperature"],
  [["--teacher-top-p", "0"], "--teacher-top-p"],
  [["--random-p", "5"], "--random-p"],
  [["--context-size", "1"], "--context-size"],
  [["--context-size", "1e9"], "--context-size"],
  [["--max-span", "0"], "--max-span"],
  [["--max-tokens", "0"], "--max-tokens"],
  [["--max-calls", "-1"], "--max-calls"],
  [["--max-context", "10"], "--max-context"],
  [["--span-tokens", "0"], "--span-tokens"],
  [["--fixed-span", "x"], "--fixed-span"],
  [["--seed", "-3"], "--seed"],
  [["--threads", "0"], "--threads"],
  [["--teacher-timeout", "5"], "--teacher-timeout"],
  [["--teacher-idle-timeout", "abc"], "--teacher-idle-timeout"],
  [["--teacher-url", "not-a-url"], "--teacher-url"],
  [["--teacher-url", "ftp://host/v1"], "--teacher-url"],
  [["--teacher-url", "http://user:pw@host/v1"], "--teacher-url"],
  [["--teacher-api", "grpc"], "--teacher-api"],
  [["--teacher-key-env", "NOT A NAME"], "--teacher-key-env"],
  [["--teacher-stop", ""], "--teacher-stop"],
  [["--gpu", "tpu"], "--gpu"],
  [["--policy", "sometimes"], "--policy"],
  [["--student", " "], "--student"],
  [["--system", ""], "--system"],
  [["--ledger", ""], "--ledger"],
  [["--no-such-option"], "no-such-option"],
];

describe("relay CLI input checks", () => {
  let paths: { student: string; teacher: string };
  let local: LocalTeacher;
  let server: OpenAITestServer;
  let osc: OpenAITestServer;
  const dir = mkdtempSync(join(tmpdir(), "relay-cli-inputs-"));

  before(async () => {
    paths = await scriptedPairPaths();
    local = await LocalTeacher.load({ model: paths.teacher, gpu: "cpu", contextSize: 4096 });
    server = await startOpenAIServer(teacherBackend(local));
    // A teacher whose reply carries an OSC escape (retitles the terminal) and a bell.
    osc = await startOpenAIServer(async () => ({ text: "\u001b]0;pwned\u0007 51.", finish: "length", promptTokens: 5, completionTokens: 4 }));
  });
  after(async () => {
    await server?.close();
    await osc?.close();
    await local?.dispose();
  });

  test(`${INVALID.length} invalid options: a clear message naming the option, exit 2, nothing loaded`, async () => {
    const wrong: string[] = [];
    for (const [args, name] of INVALID) {
      const { code, stderr } = await run(["ask", "hi", "--student", "/nope.gguf", ...args]);
      if (code !== 2 || !stderr.includes(name) || /Model file not found/.test(stderr)) wrong.push(`${args.join(" ")} → exit ${code}: ${stderr.trim().split("\n")[0]}`);
    }
    // Other commands share the same checks.
    for (const args of [["eval", "--data", ",", "--student", "x"], ["eval", "--data", "gsm8k", "--samples", "0"], ["eval", "--data", "gsm8k", "--input-price", "-1"], ["bench", "--threads", "0"], ["bench", "--only", "nope"]]) {
      const { code, stderr } = await run(args);
      if (code !== 2) wrong.push(`${args.join(" ")} → exit ${code}: ${stderr.trim().split("\n")[0]}`);
    }
    process.stdout.write(`# options: ${INVALID.length + 5} invalid invocations, ${INVALID.length + 5 - wrong.length} refused with exit 2\n`);
    assert.deepEqual(wrong, []);
  });

  test("an empty or whitespace-only question is refused; `-` reads stdin; --prompt-file reads a file", async () => {
    for (const q of ["", "   \n\t "]) {
      const { code, stderr } = await run(["ask", q, "--student", paths.student, "--gpu", "cpu"]);
      assert.equal(code, 2);
      assert.match(stderr, /question is empty/);
    }
    assert.equal((await run(["ask", "-", "--student", paths.student, "--gpu", "cpu"], "  \n")).code, 2);
    assert.equal((await run(["ask", "--student", paths.student, "--gpu", "cpu"])).code, 2, "no question at all");
    const common = ["--student", paths.student, "--teacher-gguf", paths.teacher, "--policy", "learned", "--gpu", "cpu", "--json"];
    const viaStdin = await run(["ask", "-", ...common], DEMO_QUESTION);
    assert.equal(viaStdin.code, 0, viaStdin.stderr);
    const file = join(dir, "q.txt");
    writeFileSync(file, DEMO_QUESTION);
    const viaFile = await run(["ask", "--prompt-file", file, ...common]);
    assert.equal(viaFile.code, 0, viaFile.stderr);
    assert.equal(JSON.parse(viaFile.stdout).text, JSON.parse(viaStdin.stdout).text);
  });

  test("a 126 KB prompt: refused for a student context it does not fit (exit 2, at once); cut for the teacher's --max-context", async () => {
    const huge = join(dir, "huge.txt");
    writeFileSync(huge, DEMO_QUESTION + " " + "lorem ipsum dolor sit amet ".repeat(4700));
    assert.ok(readFileSync(huge).length > 126_000);
    const started = Date.now();
    const refused = await run(["ask", "--prompt-file", huge, "--student", paths.student, "--gpu", "cpu", "--context-size", "2048"]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /The prompt is \d+ tokens; the student's context holds 2048.*\(prompt-too-long\)/);
    assert.ok(Date.now() - started < 60_000);
    // A prompt that fits the student but not the teacher: the teacher gets it cut, every time.
    const long = join(dir, "long.txt");
    writeFileSync(long, DEMO_QUESTION + " " + "lorem ipsum ".repeat(100));
    const from = server.requests.length;
    const { code, stderr } = await run(["ask", "--prompt-file", long, "--student", paths.student, "--teacher-url", server.url, "--teacher-model", "scripted-teacher", "--policy", "learned", "--gpu", "cpu", "--context-size", "2048", "--max-context", "256", "--json"]);
    assert.equal(code, 0, stderr);
    const sent = server.requests.slice(from).map((r) => String(r.body.prompt));
    assert.ok(sent.length >= 1);
    for (const p of sent) {
      assert.ok(p.includes("cut to fit the teacher's context") && p.length < readFileSync(long, "utf8").length / 2, `${p.length} chars sent`);
      assert.ok(p.includes(DEMO_QUESTION.slice(0, 10)), "the start of the question is kept");
    }
    assert.equal(new Set(sent.map((p) => p.slice(0, p.indexOf("cut to fit")))).size, 1, "the same cut in every request");
    assert.match(stderr, /cut for the teacher/);
  });

  test("control characters from the teacher never reach the terminal", async () => {
    const { code, stdout, stderr } = await run(["ask", DEMO_QUESTION, "--student", paths.student, "--teacher-url", osc.url, "--teacher-model", "m", "--policy", "learned", "--gpu", "cpu", "--max-tokens", "60"]);
    assert.equal(code, 0, stderr);
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(stdout.replace(/\r\n/g, "\n")), JSON.stringify(stdout));
    // The escape is shown, not interpreted (the span is cut to the 4 tokens granted).
    assert.match(stdout, /\u241b\]0;/);
  });

  test("a server's error body never drives the terminal: the warning, the failed span and --json show its escapes", async () => {
    // Retitle, clear screen, an OSC 8 link, bidi overrides (U+061C too), a C1 CSI and NEL, a bell.
    const body = "\u001b]0;pwned\u0007\u001b[2J\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\\u202e\u2066\u061c\u009b31m\u0085\u0007";
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    const actedOn = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
    const args = ["ask", DEMO_QUESTION, "--student", paths.student, "--teacher-url", server.url, "--teacher-model", "scripted-teacher", "--policy", "learned", "--gpu", "cpu", "--max-tokens", "60"];
    server.faults.push({ kind: "status", status: 400, message: body });
    const plain = await run(args);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, /\[warn\] teacher call failed: .*HTTP 400.*\u241b\]0;pwned\u2407/);
    for (const [name, text] of [["stdout", plain.stdout], ["stderr", plain.stderr]]) assert.ok(!actedOn.test(text.replace(/\r\n/g, "\n")), `${name}: ${JSON.stringify(text)}`);

    server.faults.push({ kind: "status", status: 400, message: body });
    const json = await run([...args, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    for (const [name, text] of [["stdout", json.stdout], ["stderr", json.stderr]]) assert.ok(!actedOn.test(text.replace(/\r\n/g, "\n")), `${name}: ${JSON.stringify(text)}`);
    // The same value, written as \u escapes: the failed span keeps the server's words.
    const failed = (JSON.parse(json.stdout) as { spans: Array<{ kind: string; error?: string }> }).spans.find((s) => s.kind === "failed-call");
    assert.ok(failed?.error?.includes("\u202e\u2066\u061c\u009b31m"), JSON.stringify(failed));
  });

  test("an unwritable ledger: exit 1 and the reason, before any teacher call", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    const from = server.requests.length;
    const { code, stderr } = await run(["ask", DEMO_QUESTION, "--student", paths.student, "--teacher-url", server.url, "--teacher-model", "scripted-teacher", "--policy", "learned", "--gpu", "cpu", "--budget-tokens", "1000", "--ledger", join(file, "ledger.jsonl")]);
    assert.equal(code, 1);
    assert.match(stderr, /budget ledger .*a-file\/ledger\.jsonl cannot be used: .*(ENOTDIR|EEXIST).*\(budget-ledger-unwritable\)/);
    assert.equal(server.requests.length, from);
  });

  test("3 `relay ask` processes × 4 trials on one ledger with a small budget: never more than the limit", { timeout: 300_000 }, async () => {
    const overspent: string[] = [];
    for (let trial = 0; trial < 4; trial++) {
      const ledger = join(dir, `race-${trial}.jsonl`);
      const limit = 120 + trial * 20;
      const args = ["ask", DEMO_QUESTION, "--student", paths.student, "--teacher-url", server.url, "--teacher-model", "scripted-teacher", "--policy", "learned", "--gpu", "cpu", "--threads", "1", "--json", "--budget-tokens", String(limit), "--budget-period", "total", "--ledger", ledger];
      const results = await Promise.all([0, 1, 2].map(() => relay(args)));
      const calls = results.reduce((n, r) => n + (JSON.parse(r.stdout) as { stats: { calls: number; deniedCalls: number } }).stats.calls, 0);
      const replay = replayLedger(readFileSync(ledger, "utf8").split("\n"), "total");
      if (replay.settled > limit) overspent.push(`trial ${trial}: ${replay.settled} > ${limit}`);
      assert.ok(calls >= 1 && calls < 6, `trial ${trial}: ${calls} calls granted`);
    }
    process.stdout.write(`# relay ask race: 3 processes × 4 trials, ${overspent.length} overspent\n`);
    assert.deepEqual(overspent, []);
  });
});
