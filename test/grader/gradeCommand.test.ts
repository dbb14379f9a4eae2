/**
 * `relay grade` as a user runs it (a fresh process): JSONL from a file or stdin, one verdict per
 * line, a bad line reported for that line while the rest are graded; both graders; and the
 * math-verify helper's failure modes (no Python, a Python without math-verify, a stuck pair).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { MathVerifyGrader } from "../../src/eval/mathVerify.js";

const MAIN = resolve(import.meta.dirname, "..", "..", "src", "cli", "main.ts");
const exec = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `relay grade …` with `stdin` piped in; never throws on a non-zero exit. */
function relayGrade(args: string[], stdin = "", env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), MAIN, "grade", ...args], { env: { ...process.env, ...env }, cwd: tmpdir() });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", fail);
    child.on("close", (code) => done({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const lines = (out: string) => out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);

const PAIRS = [
  { response: "The final answer is 391.", gold: "391" },
  { response: "Therefore, the answer is **391**.", gold: "391" },
  { response: "So the total is $\\boxed{11,\\! 111,\\! 111,\\! 100}$.", gold: "11111111100" },
  { response: "The answer is $\\boxed{\\text{(C)}}$.", gold: "C" },
  { response: "The roots are $\\boxed{2}$ and $\\boxed{-5}$.", gold: "-5, 2" },
  { response: "The rate is 28 percent.", gold: "28\\%" },
  { response: "<think>It is \\boxed{12}.</think>\nNo: the answer is \\boxed{13}.", gold: "12" },
  { response: "I do not know.", gold: "4" },
];
const EXPECTED = [true, true, true, true, true, true, false, false];
const INPUT = PAIRS.map((p) => JSON.stringify(p)).join("\n") + "\n";

for (const grader of ["builtin", "math-verify"]) {
  test(`relay grade --grader ${grader}: a file in, one {"correct", "extracted"} line per input line, in order`, async () => {
    const file = join(mkdtempSync(join(tmpdir(), "relay-grade-")), "pairs.jsonl");
    writeFileSync(file, INPUT);
    const out = await relayGrade(["--grader", grader, file]);
    assert.equal(out.code, 0, out.stderr);
    const verdicts = lines(out.stdout);
    assert.deepEqual(verdicts.map((v) => v.correct), EXPECTED);
    assert.deepEqual(Object.keys(verdicts[0]), ["correct", "extracted"]);
    assert.equal(verdicts[0].extracted, "391");
    assert.equal(verdicts[7].extracted, null);
  });
}

test("relay grade reads stdin (no file, or -) and skips blank lines", async () => {
  for (const args of [[], ["-"]]) {
    const out = await relayGrade(args, `\n${INPUT}\n\n`);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(lines(out.stdout).map((v) => v.correct), EXPECTED);
  }
});

test("a bad line gets a clear error for that line, on stdout and stderr; the rest are graded; exit code 1", async () => {
  const input = [JSON.stringify(PAIRS[0]), '{"response": "\\boxed{1}", "gold": ', JSON.stringify(PAIRS[1]), "[1, 2]", '{"response": 7, "gold": "7"}', JSON.stringify(PAIRS[7])].join("\n");
  for (const grader of ["builtin", "math-verify"]) {
    const out = await relayGrade(["--grader", grader], input);
    assert.equal(out.code, 1);
    const verdicts = lines(out.stdout);
    assert.equal(verdicts.length, 6);
    assert.deepEqual(verdicts.map((v) => v.correct), [true, false, true, false, false, false]);
    assert.match(String(verdicts[1].error), /^line 2: not valid JSON/);
    assert.equal(verdicts[3].error, "line 4: not a JSON object");
    assert.equal(verdicts[4].error, 'line 5: needs string fields "response" and "gold"');
    assert.equal(verdicts[0].error, undefined);
    assert.match(out.stderr, /relay grade: line 2: not valid JSON/);
    assert.match(out.stderr, /relay grade: line 4: not a JSON object/);
  }
});

test("a UTF-8 BOM at the start of the input (a file or stdin) is accepted: every line graded, exit 0", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "relay-grade-")), "bom.jsonl");
  writeFileSync(file, "\uFEFF" + INPUT.replace(/\n/g, "\r\n"));
  for (const [args, stdin] of [[[file], ""], [[], "\uFEFF" + INPUT]] as const) {
    const out = await relayGrade(["--grader", "builtin", ...args], stdin);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(lines(out.stdout).map((v) => v.correct), EXPECTED);
  }
});

// What a terminal acts on: C0 controls but \n and \t (ESC, BEL, …), DEL, C1 controls (U+009B is a
// CSI on its own), bidi characters that reorder the line (U+061C included).
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const ACTED_ON = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const HOSTILE = "\u001b]0;pwned\u0007\u001b[2J\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\\u202e\u061c\u009b31m\u0085";

test("relay grade's echo of its input never drives the terminal: stderr shows the escapes, stdout's JSON has them as \\u escapes", async () => {
  const input = [`${HOSTILE} is not JSON`, JSON.stringify({ response: `The answer is \\boxed{4${HOSTILE}}`, gold: "4" })].join("\n");
  const out = await relayGrade(["--grader", "builtin"], input);
  assert.equal(out.code, 1);
  assert.ok(!ACTED_ON.test(out.stderr), JSON.stringify(out.stderr));
  assert.ok(!ACTED_ON.test(out.stdout), JSON.stringify(out.stdout));
  assert.match(out.stderr, /relay grade: line 1: not valid JSON .*\u241b\]0;pwned\u2407/);
  // The JSON is the same value: the escapes decode to what was extracted.
  const [, second] = lines(out.stdout);
  assert.ok(String(second.extracted).includes("\u202e\u061c\u009b31m"), JSON.stringify(second));
});

test("a missing file and an unknown grader are clear usage errors (exit 2, as every relay usage error)", async () => {
  const missing = await relayGrade(["/nonexistent/pairs.jsonl"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /Cannot read \/nonexistent\/pairs\.jsonl/);
  const unknown = await relayGrade(["--grader", "regex"], INPUT);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--grader must be one of builtin, math-verify \(got "regex"\)/);
});

test("math-verify without a usable Python: a clear error naming the cause", async () => {
  const none = await relayGrade(["--grader", "math-verify"], INPUT, { RELAY_GRADER_PYTHON: "/nonexistent/python3" });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /Cannot run the math-verify helper with \/nonexistent\/python3: spawn \/nonexistent\/python3 ENOENT \(grader-failed\)/);
  // The system Python has no math-verify (the project never installs into it).
  const { stdout: system } = await exec("bash", ["-c", "command -v python3"]);
  const bare = await relayGrade(["--grader", "math-verify"], INPUT, { RELAY_GRADER_PYTHON: system.trim() });
  assert.equal(bare.code, 1);
  assert.match(bare.stderr, /exited before it was ready \(exit 1\)[\s\S]*ModuleNotFoundError: No module named 'math_verify'/);
});

test("a pair math-verify gives no verdict on in time is skipped with an error, and the rest are still graded", async () => {
  // 1 ms is less than any grading takes: every pair times out, each in a restarted helper.
  const grader = new MathVerifyGrader({ pairTimeoutMs: 1, workers: 1 });
  const verdicts = await grader.gradeAll(PAIRS.slice(0, 2));
  assert.equal(verdicts.length, 2);
  for (const v of verdicts) {
    assert.equal(v.correct, false);
    assert.match(v.error ?? "", /math-verify gave no verdict within 0.001 s; this pair was skipped/);
  }
  // With room to work, the same helper grades them.
  assert.deepEqual((await new MathVerifyGrader({ workers: 2 }).gradeAll(PAIRS)).map((v) => v.correct), EXPECTED);
});
