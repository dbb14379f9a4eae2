/**
 * Two `relay eval` runs of a single-line infill set compared item by item (e.g. with and without
 * repository context): exact match of each on the items both answered, with 95% Wilson intervals,
 * the items right in one run only, and the exact two-sided McNemar (sign) test on those. Exact
 * match is recomputed from each answer's text as the grader does (src/eval/codeExtract.ts), since
 * a results file keeps the grade made before code grading ran.
 *
 *   node --import tsx scripts/paired-exact-match.ts A/results.jsonl B/results.jsonl [--labels a,b] [--condition student-only]
 */
import { parseArgs } from "node:util";
import { extractLine, normalizeLine } from "../src/eval/codeExtract.js";
import { ResultsFile } from "../src/eval/results.js";
import { wilsonInterval } from "../src/eval/wilson.js";

/** Each answer of `condition` in a results file: right when its first line is the masked one. */
async function exactMatches(path: string, condition: string): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  for (const row of (await ResultsFile.read(path)).results.values()) {
    if (row.condition === condition) out.set(`${row.dataset}|${row.itemId}|${row.sample}`, normalizeLine(extractLine(row.text)) === normalizeLine(row.gold));
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

async function main(argv: string[]): Promise<void> {
  const { values, positionals: files } = parseArgs({ args: argv, allowPositionals: true, options: { labels: { type: "string", default: "A,B" }, condition: { type: "string", default: "student-only" } } });
  if (files.length !== 2) throw new Error("usage: paired-exact-match.ts A/results.jsonl B/results.jsonl [--labels a,b] [--condition student-only]");
  const condition = values.condition;
  const [la, lb] = values.labels.split(",");
  const a = await exactMatches(files[0], condition);
  const b = await exactMatches(files[1], condition);
  const both = [...a.keys()].filter((k) => b.has(k));
  const n = both.length;
  const rightA = both.filter((k) => a.get(k)).length;
  const rightB = both.filter((k) => b.get(k)).length;
  const onlyA = both.filter((k) => a.get(k) && !b.get(k)).length;
  const onlyB = both.filter((k) => !a.get(k) && b.get(k)).length;
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

await main(process.argv.slice(2));
