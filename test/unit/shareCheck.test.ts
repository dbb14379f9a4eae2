/**
 * `relay eval --share-check`: a share point is run with the teacher on generated train problems
 * and its aim corrected by what it reached — here a student that grows sure of itself after the
 * teacher's text, so the replay of its answers alone (the calibration) over-estimates the share.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { CALIBRATION_FORMAT, thresholdFor, type CalibrationFile } from "../../src/core/routing/calibration.js";
import { FEATURE_NAMES, FEATURE_VERSION } from "../../src/core/routing/features.js";
import { correctedAim } from "../../src/core/routing/shareTracker.js";
import { expandSweep, parseConditions } from "../../src/eval/conditions.js";
import { buildReport, reportMarkdown } from "../../src/eval/report.js";
import { ResultsFile } from "../../src/eval/results.js";
import { checkShares, SHARE_CHECK_DATASET } from "../../src/eval/shareCheck.js";
import { shareCheckProblems } from "../../src/router/calibration.js";
import { splitOf } from "../../src/router/problems.js";
import { MemoryStudent, MemoryTeacher } from "../helpers/memoryModels.js";

const P_CHOSEN = FEATURE_NAMES.indexOf("p_chosen");
// Alone, the student is unsure on every 4th token; after the teacher's text, sure of everything.
const alone = Array.from({ length: 12 }, (_, i) => (i % 4 === 3 ? 0.5 : 0.9));
const features = (p: number) => FEATURE_NAMES.map((_, i) => (i === P_CHOSEN ? p : 0));
const calibration: CalibrationFile = {
  format: CALIBRATION_FORMAT,
  version: 1,
  featureVersion: FEATURE_VERSION,
  student: { name: "memory-student", fingerprint: "x" },
  maxTokens: 64,
  problems: { seed: 1, count: 4 },
  answers: Array.from({ length: 4 }, () => ({ capped: false, f: alone.map(features) })),
};
const rules = { span: 2, cooldown: 0 };

test("a share point checked on train problems: what it reached corrects its aim; threshold points and reruns are left as they are", async () => {
  const share = 0.4;
  // The replay: a call at each unsure token, 6 teacher tokens in 15 (40%).
  const open = thresholdFor(calibration, "confidence", share, rules);
  assert.equal(Number(open.expected.toFixed(4)), 0.4);
  const conditions = expandSweep(parseConditions(["confidence"], { spanTokens: 2, cooldownTokens: 0 }), [{ share }, { threshold: 0.7 }], (c, s) => thresholdFor(calibration, c.policy, s, rules).threshold);
  const first = Array.from({ length: 12 }, (_, i) => ({ text: ` w${i}`, probability: alone[i] }));
  const after = Array.from({ length: 8 }, (_, i) => ({ text: ` s${i}`, probability: 0.95 }));
  const student = new MemoryStudent([first, after, after]);
  const teacher = new MemoryTeacher(() => ({ text: "ab", finish: "length", model: "m" }));
  const dir = mkdtempSync(join(tmpdir(), "relay-share-check-"));
  try {
    const path = join(dir, "results.jsonl");
    const results = await ResultsFile.open(path, { s: "x" });
    const checked = await checkShares(conditions, { calibration, problems: shareCheckProblems(calibration, 4), rules }, { student, teacher, results, seed: 1, concurrency: 1 });
    assert.equal(checked.aborted, false);
    assert.equal(checked.checks.length, 1, "only the share point is checked");
    const [k] = checked.checks;
    // Live: 3 student tokens, one call (2 teacher tokens), then 8 sure ones: 2 of 13.
    assert.equal(k.problems, 4);
    assert.equal(k.reached, 2 / 13);
    assert.equal(k.aimed, correctedAim(share, 2 / 13));
    assert.ok(k.aimed > share);
    assert.equal(k.corrected, thresholdFor(calibration, "confidence", k.aimed, rules).threshold);
    assert.ok(k.corrected > (conditions[0].options.threshold as number), "a higher probability threshold: more calls");
    const [point, byThreshold] = checked.conditions;
    assert.equal(point.name, "confidence @40%");
    assert.equal(point.options.threshold, Number(k.corrected.toPrecision(6)));
    assert.notEqual(point.signature, conditions[0].signature, "answers of the uncorrected threshold are not reused for it");
    assert.deepEqual(byThreshold, conditions[1]);
    // The check's answers are on the generated problems, and a rerun reuses them.
    const lines = () => readFileSync(path, "utf8").trim().split("\n").filter((l) => l.includes('"result"'));
    assert.equal(lines().length, 4);
    assert.ok(lines().every((l) => l.includes(`"dataset":"${SHARE_CHECK_DATASET}"`)));
    assert.ok(shareCheckProblems(calibration, 40).items.every((i) => splitOf(i.question) === "train"), "never the arith test split");
    const sessions = student.sessions;
    const again = await checkShares(conditions, { calibration, problems: shareCheckProblems(calibration, 4), rules }, { student, teacher, results: await ResultsFile.open(path, { s: "x" }), seed: 1, concurrency: 1 });
    assert.equal(student.sessions, sessions, "nothing answered again");
    assert.deepEqual(again.checks, checked.checks);
    // The report says what was checked.
    const md = reportMarkdown(buildReport({ cells: [], rows: [], judgements: new Map(), calibrations: [], shareChecks: checked.checks, datasets: [] }));
    assert.match(md, /confidence @40%: threshold 0\.\d+ reached 15\.38%; aimed at \d+\.\d+% instead → threshold 0\.\d+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
