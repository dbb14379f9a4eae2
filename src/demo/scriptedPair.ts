/**
 * A scripted student/teacher pair of tiny GGUF models whose greedy output is known in advance
 * (see src/gguf/scripted.ts). `relay demo` runs a real relay through node-llama-cpp on them, and
 * the tests check exact texts, spans and call ratios against them.
 *
 * The student answers "What is 17 * 23?" and writes `<call>4</call>` twice (each tag split across
 * several tokens). The teacher, from any point the student stops at, writes what a teacher would:
 * the next words, then the rest of the answer, then end-of-sequence. Only the last token of a
 * prompt decides what a scripted model writes next, so each hand-over point ends on a distinct
 * character: "=" before the first call, ":" before the second; the student resumes after the
 * teacher's "." and "1".
 */
import { writeScriptedModel, type ScriptedModelSpec } from "../gguf/scripted.js";

export const DEMO_QUESTION = "What is 17 * 23?";

/** The student's tokens, in order; one list per stretch between teacher spans. */
export const STUDENT_SCRIPT = [
  ["We need", " 17 * 23.", " Split it:", " 17 * 20 = 340,", " and", " 17 * 3 =", "<ca", "ll>", "4", "</", "call>"],
  [" Adding them:", "<call>", "4</call>"],
  [". So 17 * 23 =", " \\boxed{391}."],
] as const;

/** The teacher's tokens from each entry point until end-of-sequence. */
export const TEACHER_SCRIPT = {
  /** After "... 17 * 3 =": the first span is " 51." in the student's tokens. */
  first: [" 51.", " Adding", " them: 340", " + 51 = 391.", " The answer", " is \\boxed{391}."],
  /** After "... Adding them:": the second span is " 391". */
  second: [" 391", ". So the", " answer is", " \\boxed{391}!"],
  /** From the prompt itself (teacher-only). */
  whole: ["17 * 23", " = 391", " because", " 17 * 20 = 340", " and 17 * 3 = 51;", " 340 + 51 = 391.", " Final answer:", " \\boxed{391}"],
} as const;

/** The student's hand-over points, the text after each, and where it resumes. */
const STUDENT_RESUME_AFTER = [".", "1"] as const;
const TEACHER_ENTRY = { first: "=", second: ":" } as const;

function chain(tokens: readonly string[], end: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < tokens.length; i++) pairs.push([tokens[i], tokens[i + 1]]);
  pairs.push([tokens[tokens.length - 1], end]);
  return pairs;
}

export const STUDENT_SPEC: ScriptedModelSpec = {
  pieces: STUDENT_SCRIPT.flat().filter((p) => p.length > 1),
  transitions: [
    ...chain(STUDENT_SCRIPT[0], STUDENT_SCRIPT[0][0]).slice(0, -1),
    [STUDENT_RESUME_AFTER[0], STUDENT_SCRIPT[1][0]],
    ...chain(STUDENT_SCRIPT[1], STUDENT_SCRIPT[1][0]).slice(0, -1),
    [STUDENT_RESUME_AFTER[1], STUDENT_SCRIPT[2][0]],
    ...chain(STUDENT_SCRIPT[2], "</s>"),
  ],
  defaultNext: STUDENT_SCRIPT[0][0],
};

export const TEACHER_SPEC: ScriptedModelSpec = {
  pieces: [...TEACHER_SCRIPT.first, ...TEACHER_SCRIPT.second, ...TEACHER_SCRIPT.whole],
  transitions: [
    [TEACHER_ENTRY.first, TEACHER_SCRIPT.first[0]],
    ...chain(TEACHER_SCRIPT.first, "</s>"),
    [TEACHER_ENTRY.second, TEACHER_SCRIPT.second[0]],
    ...chain(TEACHER_SCRIPT.second, "</s>"),
    ...chain(TEACHER_SCRIPT.whole, "</s>"),
  ],
  defaultNext: TEACHER_SCRIPT.whole[0],
};

/** What the user sees from the learned relay on the pair. */
export const EXPECTED_RELAY_TEXT =
  "We need 17 * 23. Split it: 17 * 20 = 340, and 17 * 3 = 51. Adding them: 391. So 17 * 23 = \\boxed{391}.";

export function writeScriptedPair(studentPath: string, teacherPath: string): void {
  writeScriptedModel(studentPath, STUDENT_SPEC);
  writeScriptedModel(teacherPath, TEACHER_SPEC);
}
