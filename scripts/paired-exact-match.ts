/**
 * Two `relay eval` runs of a single-line infill set compared item by item (e.g. with and without
 * repository context): exact match of each on the items both answered, with 95% Wilson intervals,
 * the items right in one run only, and the exact two-sided McNemar (sign) test on those. Exact
 * match is recomputed from each answer's text as the grader does (src/eval/codeExtract.ts), since
 * a results file keeps the grade made before code grading ran.
 *
 *   node --import tsx scripts/paired-exact-match.ts A/results.jsonl B/results.jsonl [--labels a,b] [--condition student-only]
 */
import { readFileSync } from "node:fs";
import { extractLine, normalizeLine } from "../src/eval/codeExtract.js";
import { wilsonInterval } from "../src/eval/wilson.js";

interface Row {
  type: string;
  dataset: string;
  condition: string;
  itemId: string;
  index: number;
  sample: number;
  gold: string;
  text: string;
}

function exactMatches(path: string, condition: string): Map<string, { index: number; right: boolean }> {
  const out = new Map<string, { index: number; right: boolean }>();
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as Row;
    if (row.type !== "result" || row.condition !== condition) continue;
    out.set(`${row.dataset}|${row.itemId}|${row.sample}`, { index: row.index, right: normalizeLine(extractLine(row.text)) === normalizeLine(row.gold) });
  }
  return out;
}

/** Two-sided exact binomial test of k successes in n at p = 1/2 (McNemar on the discordant pairs). */
function signTest(k: number, n: number): number {
  if (n === 0) return 1;
  const logChoose = (m: number, r: number) => {
    let s = 0;
    for (let i = 1; i <= r; i++) s += Math.log(m - r + i) - Math.log(i);
    return s;
  };
  const tail = Math.min(k, n - k);
  let p = 0;
  for (let i = 0; i <= tail; i++) p += Math.exp(logChoose(n, i) - n * Math.LN2);
  return Math.min(1, 2 * p);
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function main(argv: string[]): void {
  const files = argv.filter((a, i) => !a.startsWith("--") && !argv[i - 1]?.startsWith("--"));
  const option = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (files.length !== 2) throw new Error("usage: paired-exact-match.ts A/results.jsonl B/results.jsonl [--labels a,b] [--condition student-only]");
  const condition = option("--condition") ?? "student-only";
  const [la, lb] = (option("--labels") ?? "A,B").split(",");
  const a = exactMatches(files[0], condition);
  const b = exactMatches(files[1], condition);
  const both = [...a.keys()].filter((k) => b.has(k));
  const n = both.length;
  const rightA = both.filter((k) => a.get(k)?.right).length;
  const rightB = both.filter((k) => b.get(k)?.right).length;
  const onlyA = both.filter((k) => a.get(k)?.right && !b.get(k)?.right).length;
  const onlyB = both.filter((k) => !a.get(k)?.right && b.get(k)?.right).length;
  const ci = (k: number) => wilsonInterval(k, n).map(pct).join("–");
  const lines = [
    `Paired exact match, ${condition}, on the ${n} item(s) answered in both runs (${a.size} in ${la}, ${b.size} in ${lb}):`,
    "",
    "| run | exact match | 95% Wilson CI |",
    "| --- | ---: | ---: |",
    `| ${la} | ${rightA}/${n} = ${pct(rightA / Math.max(1, n))} | ${ci(rightA)} |`,
    `| ${lb} | ${rightB}/${n} = ${pct(rightB / Math.max(1, n))} | ${ci(rightB)} |`,
    "",
    `Right in ${la} only: ${onlyA}; right in ${lb} only: ${onlyB}; right in both: ${rightA - onlyA}; in neither: ${n - rightA - onlyB}.`,
    `Difference ${la} − ${lb}: ${((rightA - rightB) / Math.max(1, n)) * 100 >= 0 ? "+" : ""}${(((rightA - rightB) / Math.max(1, n)) * 100).toFixed(1)} points; exact McNemar (sign) test on the ${onlyA + onlyB} discordant item(s): two-sided p = ${signTest(onlyA, onlyA + onlyB).toPrecision(2)}.`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

main(process.argv.slice(2));
