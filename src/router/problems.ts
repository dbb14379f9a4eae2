/**
 * Generated training problems for routers and teacher-share calibration: the `arith` kinds and
 * word problems of more shapes and phrasings (money, time, sharing, comparisons, two and three
 * steps), with known numeric answers. Only the train split is ever produced: a problem's split
 * is decided by the SHA-256 of its text exactly as the `arith` test set's generator decides it
 * (python/relaytools/arith.py, `split_of`), so no evaluation item can be generated here; the six
 * benchmarks are never used.
 */
import { createHash } from "node:crypto";
import { seededRandom } from "../core/random.js";

export interface Problem {
  id: string;
  /** "arith" or "words": which generator family. */
  family: string;
  question: string;
  answer: string;
}

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

const NAMES = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jade", "Kofi", "Lena", "Maya", "Noah", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq"];
const THINGS = ["apples", "pencils", "marbles", "stickers", "books", "coins", "cards", "shells", "cookies", "stamps", "beads", "toy cars"];

type Maker = (r: Rand) => [string, number];

/** The `arith` generator's kinds (same shapes and ranges). */
const ARITH: Maker[] = [
  (r) => {
    const [a, b] = [int(r, 12, 89), int(r, 12, 89)];
    return [`What is ${a} + ${b}?`, a + b];
  },
  (r) => {
    const a = int(r, 40, 99);
    const b = int(r, 11, a - 5);
    return [`What is ${a} - ${b}?`, a - b];
  },
  (r) => {
    const [a, b] = [int(r, 3, 12), int(r, 3, 15)];
    return [`What is ${a} times ${b}?`, a * b];
  },
  (r) => {
    const [n, t, a, b] = [pick(r, NAMES), pick(r, THINGS), int(r, 5, 40), int(r, 3, 30)];
    return [`${n} has ${a} ${t} and buys ${b} more. How many ${t} does ${n} have now?`, a + b];
  },
  (r) => {
    const n = pick(r, NAMES);
    const m = pick(r, NAMES.filter((x) => x !== n));
    const t = pick(r, THINGS);
    const a = int(r, 20, 60);
    const b = int(r, 3, a - 4);
    return [`${n} has ${a} ${t} and gives ${b} of them to ${m}. How many ${t} does ${n} have left?`, a - b];
  },
  (r) => {
    const [t, a, b] = [pick(r, THINGS), int(r, 3, 9), int(r, 4, 12)];
    return [`A box holds ${b} ${t}. How many ${t} are in ${a} boxes?`, a * b];
  },
  (r) => {
    const [n, t, a, b, c] = [pick(r, NAMES), pick(r, THINGS), int(r, 2, 6), int(r, 3, 9), int(r, 2, 15)];
    return [`${n} buys ${a} bags of ${t} with ${b} ${t} in each bag, then finds ${c} more. How many ${t} does ${n} have?`, a * b + c];
  },
];

/** Word problems of other shapes and phrasings. */
const WORDS: Maker[] = [
  (r) => {
    const [n, price, count] = [pick(r, NAMES), int(r, 2, 12), int(r, 2, 9)];
    const item = pick(r, ["notebooks", "sandwiches", "tickets", "plants", "pens"]);
    return [`${n} buys ${count} ${item} at $${price} each. How many dollars does ${n} spend?`, price * count];
  },
  (r) => {
    const [n, start, spent] = [pick(r, NAMES), int(r, 30, 120), int(r, 5, 29)];
    return [`${n} had $${start}. After buying lunch, ${n} had $${start - spent} left. How much did lunch cost, in dollars?`, spent];
  },
  (r) => {
    const per = int(r, 3, 9);
    const kids = int(r, 2, 8);
    const t = pick(r, THINGS);
    return [`${per * kids} ${t} are shared equally among ${kids} children. How many ${t} does each child get?`, per];
  },
  (r) => {
    const [a, b] = [int(r, 12, 60), int(r, 5, 40)];
    const [n, m] = [pick(r, NAMES), pick(r, NAMES)];
    return n === m ? [`A shelf has ${a} books and another has ${b} more than that. How many books are on the second shelf?`, a + b] : [`${n} read ${a} pages on Monday and ${b} pages on Tuesday. ${m} read ${a + b + 7} pages in all. How many more pages did ${m} read than ${n}?`, 7];
  },
  (r) => {
    const [speed, hours] = [int(r, 20, 70), int(r, 2, 6)];
    return [`A train travels at ${speed} miles per hour for ${hours} hours. How many miles does it travel?`, speed * hours];
  },
  (r) => {
    const [start, minutes] = [int(r, 1, 9), int(r, 15, 50)];
    return [`A movie starts at ${start}:00 and lasts 2 hours and ${minutes} minutes. How many minutes long is the movie?`, 120 + minutes];
  },
  (r) => {
    const [rows, cols, missing] = [int(r, 3, 9), int(r, 4, 12), int(r, 1, 6)];
    return [`A garden has ${rows} rows of ${cols} tulips, but ${missing} tulips did not bloom. How many tulips bloomed?`, rows * cols - missing];
  },
  (r) => {
    const [n, a, b, c] = [pick(r, NAMES), int(r, 10, 40), int(r, 5, 25), int(r, 2, 9)];
    return [`${n} collected ${a} shells on Saturday and ${b} on Sunday, then lost ${c}. How many shells does ${n} have now?`, a + b - c];
  },
  (r) => {
    const [weeks, perDay] = [int(r, 2, 5), int(r, 2, 9)];
    return [`Each day a bakery sells ${perDay} cakes. How many cakes does it sell in ${weeks} weeks?`, weeks * 7 * perDay];
  },
  (r) => {
    const [total, groups] = [int(r, 4, 12), int(r, 3, 8)];
    return [`There are ${total * groups} students on a trip. Each van carries ${total} students. How many vans are needed?`, groups];
  },
  (r) => {
    const [a, b] = [int(r, 100, 900), int(r, 100, 900)];
    return [`Compute ${a} plus ${b}.`, a + b];
  },
  (r) => {
    const [a, b] = [int(r, 11, 30), int(r, 11, 30)];
    return [`Find the product of ${a} and ${b}.`, a * b];
  },
  (r) => {
    const [x, y] = [int(r, 2, 20), int(r, 2, 20)];
    return [`If x = ${x} and y = ${y}, what is 3x + 2y?`, 3 * x + 2 * y];
  },
  (r) => {
    const [n, age, years] = [pick(r, NAMES), int(r, 5, 40), int(r, 2, 15)];
    return [`${n} is ${age} years old. How old will ${n} be in ${years} years?`, age + years];
  },
  (r) => {
    const [price, pct] = [int(r, 2, 20) * 10, pick(r, [10, 20, 25, 50])];
    return [`A jacket costs $${price}. It is on sale for ${pct}% off. What is the sale price in dollars?`, price - (price * pct) / 100];
  },
];

/** "test" for one problem in five, fixed by the text alone (the arith generator's rule). */
export function splitOf(question: string): "train" | "test" {
  return createHash("sha256").update(question, "utf8").digest()[0] % 5 === 0 ? "test" : "train";
}

/**
 * `count` distinct train problems of the families asked for (alternating), deterministic per
 * seed. Problems whose text falls in the test split are skipped.
 */
export function trainProblems(families: readonly ("arith" | "words")[], count: number, seed = 0): Problem[] {
  const r = seededRandom(seed * 7919 + 17);
  const seen = new Set<string>();
  const out: Problem[] = [];
  let misses = 0;
  while (out.length < count && misses < 100_000) {
    const family = families[out.length % families.length];
    const [question, answer] = pick(r, family === "arith" ? ARITH : WORDS)(r);
    if (seen.has(question) || splitOf(question) !== "train") {
      misses++;
      continue;
    }
    seen.add(question);
    out.push({ id: createHash("sha256").update(question).digest("hex").slice(0, 12), family, question, answer: String(answer) });
  }
  return out;
}
