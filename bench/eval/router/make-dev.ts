/**
 * The router's development set: generated train-split problems (never benchmark or test items)
 * that are neither in the router's training collection (seed 0, 600 problems) nor in the
 * teacher-share calibration (seed 1, 60): choices such as the span are made here, never on the
 * reported benchmarks.
 *
 *   node --import tsx bench/eval/router/make-dev.ts > bench/eval/router/dev.jsonl
 */
import { trainProblems } from "../../../src/router/problems.js";

const used = new Set([...trainProblems(["arith", "words"], 600, 0), ...trainProblems(["arith", "words"], 60, 1)].map((p) => p.question));
const dev = trainProblems(["arith", "words"], 400, 2).filter((p) => !used.has(p.question)).slice(0, 80);
for (const p of dev) process.stdout.write(JSON.stringify({ question: p.question, answer: p.answer }) + "\n");
