/**
 * The optional semantic judge (the paper re-grades with gpt-4o-mini): answers the strict grader
 * marked wrong are shown, with the reference answer, to a model behind an OpenAI-compatible
 * chat API, which says whether they match. Its verdicts are kept apart from strict grading.
 */
import OpenAI from "openai";
import { redact } from "../core/redact.js";

export interface JudgeQuestion {
  question: string;
  gold: string;
  /** The extracted final answer, or the end of the response when none was found. */
  answer: string;
}

export interface JudgeVerdict {
  /** null: the reply said neither yes nor no. */
  verdict: boolean | null;
  reply: string;
}

export interface Judge {
  readonly model: string;
  judge(question: JudgeQuestion, signal?: AbortSignal): Promise<JudgeVerdict>;
}

export interface OpenAIJudgeOptions {
  baseURL: string;
  model: string;
  apiKey?: string;
  timeoutMs?: number;
  maxRetries?: number;
  /** Room for a short preamble before the verdict. */
  maxTokens?: number;
}

const SYSTEM =
  "You grade answers to math problems. Decide whether the student's final answer is mathematically equivalent to the reference answer " +
  "(equal values, the same set of solutions, an equivalent expression; different notation or units wording is fine). " +
  "Do not solve the problem yourself and do not judge the reasoning. Reply with exactly one word: YES or NO.";

export function judgeMessages(q: JudgeQuestion): Array<{ role: "system" | "user"; content: string }> {
  const user = `Problem:\n${redact(q.question)}\n\nReference answer: ${redact(q.gold)}\n\nStudent's final answer: ${redact(q.answer)}\n\nAre they equivalent? YES or NO.`;
  return [
    { role: "system", content: SYSTEM },
    { role: "user", content: user },
  ];
}

/** YES/NO at the start of the reply, else the last standalone one (after any reasoning). */
export function parseVerdict(reply: string): boolean | null {
  const text = reply.replace(/<think>[\s\S]*?<\/think>/g, "").trim();
  const first = /^\W*(yes|no)\b/i.exec(text);
  const words = [...text.matchAll(/\b(YES|NO)\b/g)];
  const word = first?.[1] ?? words.at(-1)?.[1];
  return word === undefined ? null : word.toLowerCase() === "yes";
}

export class OpenAIJudge implements Judge {
  readonly model: string;
  private readonly client: OpenAI;

  constructor(private readonly options: OpenAIJudgeOptions) {
    this.model = options.model;
    this.client = new OpenAI({
      baseURL: options.baseURL,
      // Local servers need no key; the SDK insists on a non-empty string.
      apiKey: options.apiKey || "none",
      timeout: options.timeoutMs ?? 60_000,
      maxRetries: options.maxRetries ?? 2,
    });
  }

  async judge(question: JudgeQuestion, signal?: AbortSignal): Promise<JudgeVerdict> {
    const completion = await this.client.chat.completions.create(
      { model: this.model, messages: judgeMessages(question), max_tokens: this.options.maxTokens ?? 16, temperature: 0 },
      { signal },
    );
    const reply = completion.choices[0]?.message?.content ?? "";
    return { verdict: parseVerdict(reply), reply };
  }
}
