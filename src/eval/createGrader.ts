/** A grader by name: `builtin` (no Python) or `math-verify` (the Python helper). */
import { gradeResponse } from "./grade.js";
import type { Grader, GraderName } from "./grader.js";
import { MathVerifyGrader, type MathVerifyOptions } from "./mathVerify.js";

export const builtinGrader: Grader = {
  name: "builtin",
  async gradeAll(pairs) {
    return pairs.map(({ response, gold }) => {
      try {
        return gradeResponse(response, gold);
      } catch (error) {
        return { correct: false, extracted: null, error: `builtin grader failed: ${(error as Error).message}` };
      }
    });
  },
};

export function createGrader(name: GraderName, options: MathVerifyOptions = {}): Grader {
  return name === "builtin" ? builtinGrader : new MathVerifyGrader(options);
}
