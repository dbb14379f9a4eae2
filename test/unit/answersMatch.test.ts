/** The strict grader: extraction, normalisation and equivalence, table-driven. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { answersMatch, answerText, extractAnswer, gradeResponse, gsm8kGold, lastBoxed } from "../../src/eval/grade.js";

/** [candidate, gold]: the same answer. */
const EQUIVALENT: Array<[string, string]> = [
  // Numbers: commas, trailing zeros, units, currency, percentages.
  ["42", "42"],
  ["42.0", "42"],
  ["42.00", "42"],
  ["-3", "-3.0"],
  ["1,000", "1000"],
  ["1000", "1,000"],
  ["1,234,567", "1234567"],
  ["10,\\!000", "10000"],
  ["5\\,000", "5000"],
  ["\\$18", "18"],
  ["\\$18.00", "18"],
  ["18 dollars", "18"],
  ["10\\text{ cm}", "10"],
  ["6.5 \\mathrm{~m}", "6.5"],
  ["12 \\text{ inches}^2", "12"],
  ["50\\%", "50"],
  ["0.5", "50\\%"],
  ["50%", "0.5"],
  ["25\\%", "25\\%"],
  ["10^\\circ", "10"],
  ["30^{\\circ}", "30"],
  ["90°", "90"],
  // Fractions and decimals.
  ["\\frac{1}{2}", "0.5"],
  ["0.5", "\\frac12"],
  ["\\dfrac{1}{2}", "\\frac{1}{2}"],
  ["1/2", "\\frac{1}{2}"],
  ["\\tfrac{3}{4}", "0.75"],
  ["0.25", "\\frac{1}{4}"],
  ["1.5", "\\frac{3}{2}"],
  ["-\\frac{3}{2}", "-1.5"],
  ["-\\frac{1}{1997}", "\\frac{-1}{1997}"],
  ["\\dfrac{17}{50}", "0.34"],
  ["0.35625", ".35625"],
  ["137\\frac{1}{2}", "137.5"],
  // Scientific notation and rounding to the gold's last digit (Minerva-style answers).
  ["4.4 \\times 10^{7}", "4.4e7"],
  ["44000000", "4.4e7"],
  ["3.61e-10", "3.61 \\times 10^{-10}"],
  ["2 \\cdot 10^{3}", "2000"],
  ["1e-3", "0.001"],
  // Math-Verify's rule for decimals: equal at 6 decimal places.
  ["0.333333", "\\frac{1}{3}"],
  ["0.053571", "\\frac{3}{56}"],
  ["3.3e12", "3300000000000"],
  // Thousands separators with thin spaces; the misses.
  ["11,\\! 111,\\! 111,\\! 100", "11111111100"],
  ["10,\\!080", "10080"],
  ["28 percent", "28\\%"],
  ["28\\%", "28"],
  // Radicals, pi, powers: through the Compute Engine.
  ["2\\sqrt{2}", "\\sqrt{8}"],
  ["\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}"],
  ["\\sqrt{2}/2", "\\frac{\\sqrt2}{2}"],
  ["\\frac{5\\sqrt{2}}{2}", "\\frac{5}{2}\\sqrt{2}"],
  ["6\\sqrt{2}", "\\sqrt{72}"],
  ["2^{10}", "1024"],
  ["2\\pi", "2 \\pi"],
  ["\\frac{\\pi}{2}", "\\frac12\\pi"],
  ["\\frac{100!}{2^{50}}", "100!/2^{50}"],
  ["\\frac{\\log 2}{\\log 2-\\log 3}", "\\frac{\\ln 2}{\\ln 2 - \\ln 3}"],
  ["0.7071067811865476", "\\frac{\\sqrt{2}}{2}"],
  ["\\infty", "\\infty"],
  ["6-5i", "6 - 5i"],
  // Expressions with variables.
  ["x^2+2x+1", "(x+1)^2"],
  ["p-q", "-q+p"],
  ["2n-1", "2 n - 1"],
  ["x^5 - x^4 + x^3 - x^2 + x - 1", "-1+x-x^2+x^3-x^4+x^5"],
  ["e^{t}/3", "\\frac{e^t}{3}"],
  ["m n-\\lfloor m / 2\\rfloor", "mn - \\lfloor \\frac{m}{2} \\rfloor"],
  ["\\sin^2 x+\\cos^2 x", "1"],
  ["x = 5", "5"],
  ["k=2n-1", "2 n-1"],
  ["y = 2x + 3", "2x+3"],
  ["\\theta = \\frac{\\pi}{4}", "\\frac{\\pi}{4}"],
  // Tuples, intervals, sets, lists, plus-minus.
  ["\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})"],
  ["(6, 31, -1)", "(6,31,-1)"],
  ["[2, 5)", "[2,5)"],
  ["\\left[ 1, 2 \\right]", "[1,2]"],
  ["(0,9) \\cup (9,36)", "(0, 9)\\cup(9, 36)"],
  ["\\{1,2\\}", "\\{2,1\\}"],
  ["3, 5", "5,3"],
  ["\\frac12, \\frac{32}{9}", "$\\frac{32}{9}$,$\\frac{1}{2}$"],
  ["(3,2), (1,1)", "$(1,1), (3,2)$"],
  ["3 \\pm 2\\sqrt{2}", "3+2\\sqrt{2}, 3-2\\sqrt{2}"],
  ["3+2\\sqrt{2}, 3-2\\sqrt{2}", "3 \\pm 2 \\sqrt{2}"],
  // Words and choices.
  ["\\text{Evelyn}", "Evelyn"],
  ["\\text{odd}", "\\text{Odd}"],
  ["\\text{(C)}", "C"],
  ["(C)", "\\text{(C)}"],
  ["\\textbf{(B)}", "B"],
  // Matrices: the brackets do not matter, the entries do.
  ["\\begin{bmatrix} -1/3 \\\\ 2/3 \\end{bmatrix}", "\\begin{pmatrix} -\\frac{1}{3} \\\\ \\frac{2}{3} \\end{pmatrix}"],
  // List items may be assignments.
  ["\\frac{\\pi}{3}+\\pi k, x=\\frac{\\pi}{6}+\\pi k", "x=\\frac{\\pi}{6}+\\pi k, \\frac{\\pi}{3}+\\pi k"],
  // Square brackets that group, and a cube root's index.
  ["\\frac{1}{\\left[e^{x}-1\\right]d^{2}}", "\\frac{1}{(e^{x}-1) d^{2}}"],
  ["\\sqrt[3]{2}", "2^{1/3}"],
];

/** [candidate, gold]: different answers. */
const DIFFERENT: Array<[string, string]> = [
  ["41", "42"],
  ["42.1", "42"],
  ["420", "42"],
  ["1000", "100"],
  ["500", "5\\%"],
  ["0.3", "\\frac{1}{3}"],
  ["0.333", "\\frac{1}{3}"],
  ["3.14", "\\pi"],
  ["3.14159", "\\pi"],
  ["1.7", "1.6"],
  // Decimals are not rounded to the gold's last digit (as Math-Verify: 6 decimal places).
  ["1.62", "1.6"],
  ["27.394", "27.39"],
  ["4.43e7", "4.4e7"],
  // Below 1e-6 every value rounds to 0 at 6 places: 6 significant digits must agree.
  ["5.6e-24", "4.6e-24"],
  ["3.88e-19", "2.88e-19"],
  // Not an identity, though the engine's own check said so (it is not used).
  ["\\frac{2}{b-a}\\left(e^{-a t}-e^{-b t}\\right)", "\\frac{1}{b-a}\\left(e^{-a t}-e^{-b t}\\right)"],
  ["(t + \\frac{2}{2} \\sin{2t}) u(t)", "(t + \\frac{1}{2} \\sin{2t}) u(t)"],
  ["8, 221", "8221"],
  ["1.66", "1.6"],
  ["27.4", "27.39"],
  ["70", "70.4"],
  ["0", "0.1"],
  ["5.4e-9", "5.3e-9"],
  ["12345678901234567891", "12345678901234567890"],
  ["2^{1009}+1", "2^{1009}"],
  ["\\frac{1}{2}", "\\frac{1}{3}"],
  ["2\\sqrt{3}", "\\sqrt{8}"],
  ["3\\sqrt{2}", "2\\sqrt{3}"],
  ["\\frac{\\sqrt{3}}{2}", "\\frac{\\sqrt{2}}{2}"],
  ["10", "10\\sqrt{2}"],
  ["\\sqrt{2}", "2"],
  ["-\\infty", "\\infty"],
  ["6+5i", "6-5i"],
  ["(x+1)^2", "x^2+1"],
  ["x^2", "x^3"],
  ["2x+3", "2x+4"],
  ["x", "y"],
  ["y = 3x + 2", "y = 2x + 3"],
  ["[1,2]", "[1,2)"],
  ["[2,5]", "(2,5)"],
  ["(1,2)", "(2,1)"],
  ["\\{1,2\\}", "\\{1,3\\}"],
  ["3", "3, 5"],
  ["3, 5", "3, 5, 7"],
  ["1,2,3", "1,2,4"],
  ["3+2\\sqrt{2}", "3 \\pm 2\\sqrt{2}"],
  ["\\text{Alice}", "Evelyn"],
  ["A", "B"],
  ["", "5"],
  ["np.arcsin(10/13)", "\\arcsin(10/13) + 1"],
  ["\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} 2 \\\\ 1 \\end{pmatrix}"],
  ["\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "(1, 2)"],
];

describe("answersMatch: equivalent pairs", () => {
  for (const [candidate, gold] of EQUIVALENT) {
    test(`${candidate}  ≡  ${gold}`, () => assert.equal(answersMatch(candidate, gold), true));
  }
});

describe("answersMatch: different pairs", () => {
  for (const [candidate, gold] of DIFFERENT) {
    test(`${candidate}  ≢  ${gold}`, () => assert.equal(answersMatch(candidate, gold), false));
  }
});

test("the table has at least 80 pairs, both kinds well represented", () => {
  assert.ok(EQUIVALENT.length + DIFFERENT.length >= 80);
  assert.ok(EQUIVALENT.length >= 40 && DIFFERENT.length >= 40);
});

describe("extraction", () => {
  test("last \\boxed{} with nested braces", () => {
    assert.equal(lastBoxed("so \\boxed{\\frac{1}{2}} and then \\boxed{\\frac{\\sqrt{3}}{2}}."), "\\frac{\\sqrt{3}}{2}");
    assert.equal(lastBoxed("\\boxed{\\left\\{ 1, 2 \\right\\}}"), "\\left\\{ 1, 2 \\right\\}");
    assert.equal(lastBoxed("\\boxed{\\text{(C)}}"), "\\text{(C)}");
  });
  test("a cut-off last box falls back to the one before; \\boxed 5 and \\fbox", () => {
    assert.equal(lastBoxed("first \\boxed{7} then \\boxed{\\frac{1"), "7");
    assert.equal(lastBoxed("the answer is $\\boxed 5$."), "5");
    assert.equal(lastBoxed("\\fbox{12}"), "12");
    assert.equal(lastBoxed("\\boxedfoo{3}"), null);
    assert.equal(lastBoxed("no answer here"), null);
  });
  test("GSM8K gold answers and #### lines", () => {
    assert.equal(gsm8kGold("Janet sells 9 eggs.\n#### 18"), "18");
    assert.equal(gsm8kGold("So 1,200 + 300 = 1,500\n#### 1,500"), "1500");
    assert.equal(gsm8kGold("#### -3"), "-3");
    assert.equal(gsm8kGold("no marker"), null);
    assert.equal(extractAnswer("Total is 72.\n#### 72"), "72");
  });
  test("Math-Verify's order: boxed first, then 'final answer is', 'answer:', then the last math or number", () => {
    assert.equal(extractAnswer("The final answer is 391."), "391");
    assert.equal(extractAnswer("Therefore, the answer is **391**."), "391");
    assert.equal(extractAnswer("We get 12 apples. The final answer is $\\frac{3}{4}$, since 7 > 2."), "\\frac{3}{4}");
    assert.equal(extractAnswer("So 5 + 7 = 12. Answer: 12 and that is 3 more than 9"), "12");
    assert.equal(extractAnswer("The answer is \\boxed{7}. The final answer is 8."), "7");
    assert.equal(extractAnswer("I think 72 is right."), "72");
    assert.equal(extractAnswer("She paid $18 in all"), "18");
    assert.equal(extractAnswer("That is 1,234 people."), "1234");
    assert.equal(extractAnswer("The answer is 28 percent."), "28\\%");
    assert.equal(extractAnswer("Putting it together, we get $(1, 2)$."), "(1, 2)");
    assert.equal(extractAnswer("It is 2 + 3 in the end"), "2 + 3");
    assert.equal(extractAnswer("No digits at all."), null);
  });
  test("several boxes close together or joined by and/or/commas are one list answer; far apart, the last wins", () => {
    assert.equal(extractAnswer("The roots are $\\boxed{2}$ and $\\boxed{3}$."), "2,3");
    assert.equal(extractAnswer("\\boxed{1}, \\boxed{5}, \\boxed{9}"), "1,5,9");
    assert.equal(extractAnswer("At first \\boxed{4}. Let me check this again very carefully before I commit to the final result. It is \\boxed{5}."), "5");
    assert.equal(lastBoxed("The roots are \\boxed{2} and \\boxed{3}."), "3");
  });
  test("only the text after <think>…</think> is graded; an unclosed block has no answer", () => {
    assert.equal(extractAnswer("<think>It could be \\boxed{5}.</think>\nSo the answer is \\boxed{7}."), "7");
    assert.equal(extractAnswer("<think>First try \\boxed{5}</think> then <think>\\boxed{6}</think> The final answer is 8."), "8");
    assert.equal(extractAnswer("<think>The answer is \\boxed{5}, I think, but"), null);
    assert.equal(answerText("no reasoning here"), "no reasoning here");
    assert.equal(answerText("</think>only the closing tag (the template opened it)"), "only the closing tag (the template opened it)");
  });
  test("gradeResponse grades the extracted answer", () => {
    assert.deepEqual(gradeResponse("We get $x = \\boxed{\\dfrac{1}{2}}$.", "0.5"), { extracted: "\\dfrac{1}{2}", correct: true });
    assert.deepEqual(gradeResponse("Answer: \\boxed{41}", "42"), { extracted: "41", correct: false });
    assert.deepEqual(gradeResponse("I give up.", "42"), { extracted: null, correct: false });
  });
  test("the issue's misses are graded right", () => {
    const cases: Array<[string, string]> = [
      ["So the total is $\\boxed{11,\\! 111,\\! 111,\\! 100}$.", "11111111100"],
      ["The answer is $\\boxed{\\text{(C)}}$.", "C"],
      ["The roots are $\\boxed{2}$ and $\\boxed{-5}$.", "-5, 2"],
      ["The rate is 28 percent.", "28\\%"],
      ["The final answer is 391.", "391"],
      ["Therefore, the answer is **391**.", "391"],
    ];
    for (const [response, gold] of cases) assert.equal(gradeResponse(response, gold).correct, true, `${response} vs ${gold}`);
  });
});
