/**
 * The differential test: the built-in grader against the paper's grader (Math-Verify 0.9.0, the
 * real library in its pinned Python environment) on a large generated table (see table.ts),
 * both run through `relay grade`, the command a user runs. Agreement must be at least 99%, and
 * every disagreement must be listed, with a reason, in disagreements.json beside this file — no
 * more, no fewer, so a grader change that moves any verdict shows up here.
 *
 * After a deliberate grader change: RELAY_UPDATE_DISAGREEMENTS=1 rewrites the file (keeping the
 * reasons of entries still there; new entries get an empty reason, which fails until written).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { BENCHMARK_NAMES, loadDatasets } from "../../src/eval/datasets.js";
import { buildTable, type TableRow } from "./table.js";

const run = promisify(execFile);
const FILE = resolve(import.meta.dirname, "disagreements.json");
const MAIN = resolve(import.meta.dirname, "..", "..", "src", "cli", "main.ts");

interface Verdict {
  correct: boolean;
  extracted: string | null;
  error?: string;
}

export interface Disagreement {
  dataset: string;
  index: number;
  kind: string;
  gold: string;
  response: string;
  /** What a correct grader says for this variant. */
  expect: boolean;
  builtin: Verdict;
  mathVerify: Verdict;
  reason: string;
}

interface DisagreementsFile {
  about: string;
  pairs: number;
  agreeing: number;
  agreement: string;
  disagreements: Disagreement[];
}

const key = (d: Pick<TableRow, "dataset" | "index" | "kind" | "response">) => `${d.dataset}|${d.index}|${d.kind}|${d.response}`;

async function grade(file: string, grader: string): Promise<Verdict[]> {
  // `relay grade` exits 1 when a line has an error: that is reported below, not thrown.
  const { stdout } = await run(process.execPath, ["--import", import.meta.resolve("tsx"), MAIN, "grade", "--grader", grader, file], { maxBuffer: 256 * 2 ** 20 }).catch((e: { stdout?: string; stderr?: string; code?: number }) => {
    if (e.code === 1 && e.stdout) return { stdout: e.stdout };
    throw new Error(`relay grade --grader ${grader} failed: ${e.stderr ?? e}`);
  });
  return stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Verdict);
}

test("the built-in grader agrees with math-verify on ≥ 99% of a generated table of every benchmark gold answer; every disagreement is listed with a reason", async (t) => {
  const datasets = await loadDatasets(BENCHMARK_NAMES);
  const rows = buildTable(datasets);
  const golds = new Set(rows.map((r) => `${r.dataset}|${r.index}`));
  assert.equal(golds.size, datasets.reduce((n, d) => n + d.items.length, 0), "every gold answer is in the table");
  assert.ok(rows.some((r) => !r.expect) && rows.some((r) => r.expect));

  const dir = mkdtempSync(join(tmpdir(), "relay-differential-"));
  const input = join(dir, "pairs.jsonl");
  writeFileSync(input, rows.map((r) => JSON.stringify({ response: r.response, gold: r.gold })).join("\n") + "\n");
  const [builtin, mathVerify] = [await grade(input, "builtin"), await grade(input, "math-verify")];
  assert.equal(builtin.length, rows.length);
  assert.equal(mathVerify.length, rows.length);
  const errors = [...builtin, ...mathVerify].filter((v) => v.error);
  assert.deepEqual(errors, [], "every pair is graded by both");

  const found: Disagreement[] = [];
  rows.forEach((r, i) => {
    if (builtin[i].correct !== mathVerify[i].correct) found.push({ ...r, builtin: builtin[i], mathVerify: mathVerify[i], reason: "" });
  });
  const agreeing = rows.length - found.length;
  const agreement = `${((agreeing / rows.length) * 100).toFixed(2)}%`;
  t.diagnostic(`${rows.length} pairs, ${agreeing} agree (${agreement}), ${found.length} disagreements`);
  if (process.env.RELAY_DIFF_DUMP) {
    writeFileSync(process.env.RELAY_DIFF_DUMP, rows.map((r, i) => JSON.stringify({ ...r, builtin: builtin[i], mathVerify: mathVerify[i] })).join("\n") + "\n");
  }

  const listed = JSON.parse(readFileSync(FILE, "utf8")) as DisagreementsFile;
  if (process.env.RELAY_UPDATE_DISAGREEMENTS) {
    const reasons = new Map(listed.disagreements.map((d) => [key(d), d.reason]));
    const updated: DisagreementsFile = {
      about: listed.about,
      pairs: rows.length,
      agreeing,
      agreement,
      disagreements: found.map((d) => ({ ...d, reason: reasons.get(key(d)) ?? "" })),
    };
    writeFileSync(FILE, JSON.stringify(updated, null, 2) + "\n");
    Object.assign(listed, updated);
  }

  assert.ok(agreeing / rows.length >= 0.99, `agreement ${agreement} is below 99%`);
  assert.deepEqual(
    found.map(key).sort(),
    listed.disagreements.map(key).sort(),
    "the disagreements are exactly those listed in test/grader/disagreements.json (RELAY_UPDATE_DISAGREEMENTS=1 rewrites it)",
  );
  const byKey = new Map(listed.disagreements.map((d) => [key(d), d]));
  for (const d of found) {
    const entry = byKey.get(key(d))!;
    assert.ok(entry.reason.trim().length > 0, `no reason given for ${key(d)}`);
    assert.deepEqual([entry.builtin.correct, entry.mathVerify.correct], [d.builtin.correct, d.mathVerify.correct], key(d));
  }
  assert.deepEqual([listed.pairs, listed.agreeing, listed.agreement], [rows.length, agreeing, agreement], "the file's figures are this run's");
});
