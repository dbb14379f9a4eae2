/**
 * Per-token features of the student's answer, the same numbers for router training (written by
 * `relay router collect`) and for the router at run time: one tracker, fed the same events.
 *
 * For each candidate token (sampled, not yet committed) the tracker sees its text and the
 * distribution's top-K probabilities; it then hears whether the token was kept and what text the
 * teacher spliced in. Everything is computed from what the runtime gives every GGUF student, so a
 * router can be trained for any student without touching its weights.
 */

/** What the student's runtime gives for one sampled token. */
export interface TokenView {
  /** The token's text ("" while a multi-byte character is incomplete). */
  text: string;
  /** Probability of the chosen token. */
  probability?: number;
  /** Top-K probabilities of the distribution, highest first. */
  top?: number[];
}

/** Bumped whenever a feature's meaning changes: a router of another version is refused. */
export const FEATURE_VERSION = 1;
/** The top-K the features are computed from. */
export const FEATURE_TOP_K = 20;
/** Window of the rolling entropy (Entropy Adaptive Decoding uses 5 tokens). */
export const ROLLING_WINDOW = 5;

export const TOKEN_CLASSES = ["newline", "digit", "operator", "punct", "word-start", "word-piece", "markup", "other"] as const;
export type TokenClass = (typeof TOKEN_CLASSES)[number];

export const FEATURE_NAMES = [
  "p_chosen",
  "log_p_chosen",
  "p1",
  "p2",
  "margin",
  "entropy",
  "tail_mass",
  "chosen_rank_gt0",
  "rolling_entropy",
  "rolling_min_p",
  "line_start",
  "step_entropy",
  ...TOKEN_CLASSES.map((c) => `class_${c}`),
  ...TOKEN_CLASSES.map((c) => `prev_${c}`),
  "after_equals",
  "number_digits",
  "log_position",
  "log_line_position",
  "log_since_call",
  "calls",
  "repeats",
  "equals_in_line",
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** The class of a token's text: digits, an operator, punctuation, a word's start or piece, a newline. */
export function tokenClass(text: string): TokenClass {
  if (text.includes("\n")) return "newline";
  const t = text.trimStart();
  if (t === "") return text === "" ? "other" : "punct";
  if (/^\d+$/.test(t)) return "digit";
  if (/^[+\-*/=×÷^%<>±·]+$/.test(t)) return "operator";
  if (/[\\{}$]/.test(t)) return "markup";
  if (/^[A-Za-z\u00C0-\uFFFF']+$/.test(t)) return t.length < text.length || /^[A-Z]/.test(t) ? "word-start" : "word-piece";
  if (/^[.,;:!?()[\]"'`_|&#@~-]+$/.test(t)) return "punct";
  return "other";
}

/** Entropy (nats) of the top-K with the rest of the mass as one more outcome. */
export function topEntropy(top: readonly number[]): number {
  let h = 0;
  let mass = 0;
  for (const p of top) {
    if (p > 0) h -= p * Math.log(p);
    mass += p;
  }
  const tail = 1 - mass;
  if (tail > 1e-9) h -= tail * Math.log(tail);
  return h;
}

/** The distribution's numbers for one token: the parts the training-free signals use. */
export interface Distribution {
  pChosen: number;
  p1: number;
  p2: number;
  entropy: number;
  tail: number;
  /** The chosen token is not the most likely one (sampling). */
  notTop: boolean;
}

export function distributionOf(view: TokenView): Distribution {
  const top = view.top ?? (view.probability === undefined ? [] : [view.probability]);
  const p1 = top[0] ?? view.probability ?? 1;
  const pChosen = view.probability ?? p1;
  const p2 = top[1] ?? 0;
  const mass = top.reduce((a, b) => a + b, 0);
  return { pChosen, p1, p2, entropy: topEntropy(top.length ? top : [pChosen]), tail: Math.max(0, 1 - mass), notTop: pChosen < p1 - 1e-6 };
}

/**
 * Follows one answer: the student's kept tokens and the teacher's spliced text. `features()`
 * describes a candidate token in that context without changing the state.
 */
export class FeatureTracker {
  /** The answer so far (the student's raw token texts and the teacher's text). */
  private answer = "";
  private tokens = 0;
  private lineTokens = 0;
  private sinceCall = 0;
  private calls = 0;
  private prevClass: TokenClass = "newline";
  private lineEntropy = 0;
  private equalsInLine = 0;
  private numberDigits = 0;
  private readonly recentEntropy: number[] = [];
  private readonly recentP: number[] = [];

  /** The feature vector of a candidate token, in FEATURE_NAMES order. */
  features(view: TokenView): number[] {
    const d = distributionOf(view);
    const cls = tokenClass(view.text);
    const entropies = [...this.recentEntropy.slice(-(ROLLING_WINDOW - 1)), d.entropy];
    const ps = [...this.recentP.slice(-(ROLLING_WINDOW - 1)), d.pChosen];
    const lineStart = this.lineTokens === 0 ? 1 : 0;
    const trimmed = this.answer.trimEnd();
    const tail = (view.text.length ? this.answer.slice(-12) + view.text : "").slice(-12);
    const repeats = tail.length >= 8 && this.answer.slice(0, -1).includes(tail) ? 1 : 0;
    return [
      d.pChosen,
      Math.log(Math.max(d.pChosen, 1e-6)),
      d.p1,
      d.p2,
      d.p1 - d.p2,
      d.entropy,
      d.tail,
      d.notTop ? 1 : 0,
      mean(entropies),
      Math.min(...ps),
      lineStart,
      lineStart ? d.entropy : this.lineEntropy,
      ...TOKEN_CLASSES.map((c) => (c === cls ? 1 : 0)),
      ...TOKEN_CLASSES.map((c) => (c === this.prevClass ? 1 : 0)),
      trimmed.endsWith("=") ? 1 : 0,
      cls === "digit" ? Math.min(this.numberDigits, 4) / 4 : 0,
      Math.log1p(this.tokens),
      Math.log1p(this.lineTokens),
      Math.log1p(this.sinceCall),
      Math.min(this.calls, 8),
      repeats,
      Math.min(this.equalsInLine, 4),
    ];
  }

  /** The candidate was kept: it is part of the answer now. */
  commit(view: TokenView): void {
    const d = distributionOf(view);
    if (this.lineTokens === 0) this.lineEntropy = d.entropy;
    push(this.recentEntropy, d.entropy);
    push(this.recentP, d.pChosen);
    this.addText(view.text, 1);
    this.sinceCall++;
  }

  /** The teacher's text was spliced in (`tokens`: its length in the student's tokens). */
  teacher(text: string, tokens: number): void {
    this.calls++;
    this.addText(text, tokens);
    this.sinceCall = 0;
  }

  private addText(text: string, tokens: number): void {
    if (!text) {
      this.tokens += tokens;
      this.lineTokens += tokens;
      return;
    }
    this.answer += text;
    if (this.answer.length > 4096) this.answer = this.answer.slice(-2048);
    this.tokens += tokens;
    const line = text.lastIndexOf("\n");
    if (line >= 0) {
      const after = text.slice(line + 1);
      this.lineTokens = after.length > 0 ? 1 : 0;
      this.equalsInLine = count(after, "=");
    } else {
      this.lineTokens += tokens;
      this.equalsInLine += count(text, "=");
    }
    this.numberDigits = this.answer.match(/\d+$/)?.[0].length ?? 0;
    this.prevClass = tokens === 1 ? tokenClass(text) : lastClass(text);
  }
}

function lastClass(text: string): TokenClass {
  if (/\n\s*$/.test(text)) return "newline";
  const last = text.match(/(\s*)(\d+|[A-Za-z']+|\S)$/);
  return last ? tokenClass(last[0]) : "other";
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function push(list: number[], value: number): void {
  list.push(value);
  if (list.length > ROLLING_WINDOW) list.shift();
}

function count(text: string, char: string): number {
  let n = 0;
  for (const c of text) if (c === char) n++;
  return n;
}
