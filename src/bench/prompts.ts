/**
 * Benchmark prompts: seeded pseudo-words cut to a target token count. The benchmark models'
 * vocabularies are "▁" + letter strings, so such text tokenizes like prose in a real model
 * (a few characters per token).
 */
import type { TaskPrompt } from "../core/prompts.js";
import { seededRandom } from "../core/random.js";

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

/** `count` seeded lowercase words of 2–9 letters. */
export function pseudoWords(count: number, seed: number): string[] {
  const random = seededRandom(seed);
  const words: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = 2 + Math.floor(random() * 8);
    let word = "";
    for (let j = 0; j < length; j++) word += LETTERS[Math.floor(random() * LETTERS.length)];
    words.push(word);
  }
  return words;
}

/**
 * A task whose templated prompt is as close to `targetTokens` tokens as whole words allow
 * (never more). `promptLength` measures a task the way the student will see it.
 */
export function taskOfLength(targetTokens: number, seed: number, promptLength: (task: TaskPrompt) => number): TaskPrompt {
  const words = pseudoWords(Math.max(8, targetTokens * 2), seed);
  const make = (n: number): TaskPrompt => ({ user: words.slice(0, n).join(" ") });
  let lo = 1;
  let hi = words.length;
  if (promptLength(make(lo)) > targetTokens) return make(lo);
  // The largest word count whose prompt fits.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (promptLength(make(mid)) <= targetTokens) lo = mid;
    else hi = mid - 1;
  }
  return make(lo);
}

/** Code-like lines (`name = call(arg, arg);`, some indented) made of seeded pseudo-words. */
export function pseudoCode(lines: number, seed: number): string {
  const random = seededRandom(seed);
  const words = pseudoWords(lines * 4, seed + 1);
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const [a, b, c, d] = words.slice(i * 4, i * 4 + 4);
    const indent = "  ".repeat(Math.floor(random() * 3));
    out.push(`${indent}${a} = ${b}(${c}, ${d});`);
  }
  return out.join("\n") + "\n";
}

/** The longest run of whole code lines whose token count stays within `targetTokens`. */
export function codeOfLength(targetTokens: number, seed: number, length: (text: string) => number): string {
  let lo = 1;
  let hi = Math.max(2, targetTokens);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (length(pseudoCode(mid, seed)) <= targetTokens) lo = mid;
    else hi = mid - 1;
  }
  return pseudoCode(lo, seed);
}
