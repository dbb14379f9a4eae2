/**
 * Router labels from a real student/teacher pair: where, in the student's own answer, would the
 * teacher have written something else? The two tokenizers differ, so the teacher's predictions
 * (at its own token boundaries) are aligned to the student's tokens by text: a student token is
 * labelled when the teacher, at a boundary inside that token's text, would not continue with the
 * answer's own text there.
 */

/** The teacher's greedy next token at one of its boundaries (character offset in the answer). */
export interface BoundaryPrediction {
  offset: number;
  text: string;
  eos: boolean;
  /** The teacher's probability of the answer's own next token there. */
  actualProbability?: number;
}

export interface TokenLabel {
  /** The teacher would write something else from inside this token. */
  disagree: boolean;
  /** The lowest probability the teacher gives the answer's own text inside this token (1: no boundary). */
  actualProbability: number;
  /** What the teacher would write there instead (its first differing token). */
  teacherText?: string;
}

/**
 * `tokens`: the student's token texts, in order; their concatenation is `answer`. A teacher
 * prediction at offset b disagrees when the teacher would end the answer there, or its token's
 * text is not what the answer has at b (a prediction running past the end of the answer agrees
 * if the answer's rest is its start).
 */
export function alignLabels(answer: string, tokens: readonly string[], predictions: readonly BoundaryPrediction[]): TokenLabel[] {
  const byOffset = new Map<number, BoundaryPrediction>();
  for (const p of predictions) if (p.offset < answer.length && !byOffset.has(p.offset)) byOffset.set(p.offset, p);
  const labels: TokenLabel[] = [];
  let start = 0;
  for (const text of tokens) {
    const end = start + text.length;
    const label: TokenLabel = { disagree: false, actualProbability: 1 };
    for (let b = start; b < end; b++) {
      const p = byOffset.get(b);
      if (!p) continue;
      label.actualProbability = Math.min(label.actualProbability, p.actualProbability ?? 1);
      if (!label.disagree && !agrees(answer, b, p)) {
        label.disagree = true;
        label.teacherText = p.eos ? "" : p.text;
      }
    }
    labels.push(label);
    start = end;
  }
  return labels;
}

function agrees(answer: string, at: number, p: BoundaryPrediction): boolean {
  if (p.eos) return false;
  if (p.text === "") return true;
  const rest = answer.slice(at);
  return rest.startsWith(p.text) || p.text.startsWith(rest);
}
