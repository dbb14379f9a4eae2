/**
 * One inline completion as it is generated, under time caps (llama.vscode's `t_max_prompt_ms`
 * and `t_max_predict_ms`): the request that started it gets an answer when one line is ready,
 * when the run ends, or when a cap is hit (what was generated so far, cut at a sensible
 * boundary); the run itself goes on in the background until it ends, so a later keystroke that
 * agrees with its text is served from it. No timers of its own: the caller's `schedule` runs
 * them (tests drive time by hand).
 */

/** Runs `fn` after `ms`; returns a function that cancels it. */
export type Schedule = (ms: number, fn: () => void) => () => void;

/** The product's schedule: real timers. */
export const timers: Schedule = (ms, fn) => {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
};

/** 0 = no cap. */
export interface InlineCaps {
  /** From the request to the first generated text. */
  promptMs: number;
  /** From the first generated text to what is shown. */
  predictMs: number;
}

/** Why the first answer was given. */
export type ShownBecause = "line" | "end" | "prompt-cap" | "predict-cap";

export interface Shown {
  /** What to show now ("" when nothing is ready: the prompt cap hit before any text). */
  text: string;
  because: ShownBecause;
}

/**
 * Cuts text generated so far to what may be shown: whole lines where a line has ended (for
 * several lines), else the first line; never inside an escape sequence (`"\`, `\u00`, `\x4`) or
 * half a surrogate pair, where the next token would change what the characters mean (a lone
 * backslash shown now would escape whatever the user types next).
 */
export function cutAtBoundary(text: string, multiline: boolean): string {
  let out = text;
  const firstBreak = out.indexOf("\n", out.startsWith("\n") ? 1 : 0);
  if (multiline) {
    const last = out.lastIndexOf("\n");
    if (last > 0 && out.slice(0, last).trim() !== "") return out.slice(0, last);
  } else if (firstBreak >= 0) {
    return out.slice(0, firstBreak);
  }
  const escape = /\\(?:u[0-9a-fA-F]{0,3}|u\{[0-9a-fA-F]*|x[0-9a-fA-F]?)?$/.exec(out);
  if (escape && oddBackslashesEndAt(out, escape.index)) out = out.slice(0, escape.index);
  if (/[\uD800-\uDBFF]$/.test(out)) out = out.slice(0, -1);
  return out;
}

/** Whether the backslash at `at` is itself unescaped (an odd run of backslashes ends there). */
function oddBackslashesEndAt(text: string, at: number): boolean {
  let n = 0;
  for (let i = at; i >= 0 && text[i] === "\\"; i--) n++;
  return n % 2 === 1;
}

/** Whether a single-line completion has its line: some text, then a line break. */
export function hasWholeLine(text: string): boolean {
  return /\S[^\n]*\n/.test(text);
}

export class InlineJob {
  /** Everything generated so far. */
  text = "";
  private phase: "prompt" | "predict" | "ended" = "prompt";
  private cancelTimer: () => void = () => {};
  private answer!: (shown: Shown) => void;
  private answered = false;
  private settle!: (text: string) => void;
  /** The first request's answer. */
  readonly shown: Promise<Shown>;
  /** The whole text once the run has ended (aborted or not). */
  readonly ended: Promise<string>;

  constructor(
    readonly prefix: string,
    readonly suffix: string,
    readonly multiline: boolean,
    private readonly caps: InlineCaps,
    private readonly schedule: Schedule,
  ) {
    this.shown = new Promise((resolve) => (this.answer = resolve));
    this.ended = new Promise((resolve) => (this.settle = resolve));
    this.arm(caps.promptMs, "prompt-cap");
  }

  get running(): boolean {
    return this.phase !== "ended";
  }

  /**
   * New text from the model. Returns true when a single-line completion has its line: nothing
   * more is needed (the caller stops the run).
   */
  push(text: string): boolean {
    if (this.phase === "ended" || text.length === 0) return false;
    this.text += text;
    if (this.phase === "prompt") {
      this.phase = "predict";
      this.arm(this.caps.predictMs, "predict-cap");
    }
    if (!this.multiline && hasWholeLine(this.text)) {
      this.give("line");
      return true;
    }
    return false;
  }

  /** The run is over (finished, stopped or failed): the first request gets the text if it still waits. */
  end(): void {
    if (this.phase === "ended") return;
    this.phase = "ended";
    this.cancelTimer();
    this.give("end");
    this.settle(this.text);
  }

  /**
   * What this job has for a later request at `prefix`/`suffix`: the text the user typed since
   * the job's own prefix when it agrees with what was generated (or may still), else undefined.
   */
  typedAgreeing(prefix: string, suffix: string): string | undefined {
    if (suffix !== this.suffix || !prefix.startsWith(this.prefix)) return undefined;
    const typed = prefix.slice(this.prefix.length);
    if (typed.includes("\n")) return undefined;
    const agrees = this.text.startsWith(typed) || (this.running && typed.startsWith(this.text));
    return agrees ? typed : undefined;
  }

  private arm(ms: number, because: ShownBecause): void {
    this.cancelTimer();
    if (ms <= 0 || this.answered) return;
    this.cancelTimer = this.schedule(ms, () => this.give(because));
  }

  private give(because: ShownBecause): void {
    if (this.answered) return;
    this.answered = true;
    this.cancelTimer();
    const text = because === "prompt-cap" ? "" : because === "end" ? this.text : cutAtBoundary(this.text, this.multiline);
    this.answer({ text, because });
  }
}
