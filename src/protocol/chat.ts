/**
 * The chat panel's messages between the extension host and the webview: one module of
 * discriminated unions, with zod schemas so each side validates what it receives.
 */
import * as z from "zod";
import { SPAN_KINDS } from "../core/spans.js";

export const SpanKindSchema = z.enum(SPAN_KINDS);

/** One labelled stretch of an answer, as the panel shows it. */
export const SpanViewSchema = z.object({
  kind: SpanKindSchema,
  text: z.string(),
  tokens: z.number(),
  model: z.string().optional(),
  durationMs: z.number().optional(),
  error: z.string().optional(),
  /** A thinking model's reasoning: shown in the collapsed "Thinking" section, not in the answer. */
  thought: z.boolean().optional(),
});

export const StatsViewSchema = z.object({
  generatedTokens: z.number(),
  studentTokens: z.number(),
  teacherTokens: z.number(),
  calls: z.number(),
  failedCalls: z.number(),
  deniedCalls: z.number(),
  callRatio: z.number(),
  teacherPromptTokens: z.number(),
  teacherCompletionTokens: z.number(),
  durationMs: z.number(),
  stopReason: z.string(),
  /** What the budget rose by for this answer (absent when no budget counted it, and in older chats). */
  teacherChargedTokens: z.number().optional(),
  /** Prefill-warming prompt tokens (in the charge, not in the calls). */
  warmingPromptTokens: z.number().optional(),
  /** Each teacher call's tokens, in order (the footer's hover). */
  callTokens: z
    .array(z.object({ promptTokens: z.number(), completionTokens: z.number(), charged: z.number().optional(), failed: z.boolean().optional() }))
    .optional(),
});

export const ChatTurnSchema = z.object({
  id: z.string(),
  question: z.string(),
  /** Shown above the answer instead of the question (e.g. "Explain line 12 of a.md"). */
  title: z.string().optional(),
  spans: z.array(SpanViewSchema),
  stats: StatsViewSchema.optional(),
  stopped: z.boolean().optional(),
  error: z.string().optional(),
  /** One quiet line under the answer: the student asked for help and did not get it (teacher off, budget spent). */
  notice: z.string().optional(),
});

/** What the welcome view needs to know: the first-run steps and where each stands. */
export const SetupViewSchema = z.object({
  student: z.object({
    state: z.enum(["none", "idle", "downloading", "loading", "ready", "failed"]),
    /** The chosen model's short name. */
    name: z.string().optional(),
    /** "120 MB of 1.8 GB" while downloading. */
    progress: z.string().optional(),
    error: z.string().optional(),
    /** With no model chosen: the last download the user asked for was cancelled, or failed (with why). */
    download: z.object({ outcome: z.enum(["cancelled", "failed"]), name: z.string(), error: z.string().optional() }).optional(),
  }),
  teacher: z.object({
    state: z.enum(["on", "restricted", "paused", "not-configured", "student-only"]),
    label: z.string(),
  }),
  recommended: z.object({ name: z.string(), size: z.string() }),
  /** The relay-trained student the welcome offers (downloaded as a checkpoint, converted on this machine). */
  relayTrained: z.object({ name: z.string(), size: z.string() }).optional(),
  /** Restricted Mode: nothing is downloaded, the teacher is off. */
  trusted: z.boolean(),
});

export const SETUP_ACTIONS = ["choose-model", "download-model", "relay-student", "configure-teacher", "student-only", "open-walkthrough"] as const;

export const ToWebviewSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("init"), turns: z.array(ChatTurnSchema), teacher: z.string(), busy: z.boolean(), setup: SetupViewSchema.optional() }),
  z.object({ type: z.literal("turn-start"), turn: ChatTurnSchema }),
  z.object({ type: z.literal("text"), id: z.string(), kind: z.enum(["student", "teacher"]), text: z.string(), thought: z.boolean().optional() }),
  z.object({ type: z.literal("teacher-start"), id: z.string(), granted: z.number(), model: z.string() }),
  z.object({ type: z.literal("span"), id: z.string(), span: SpanViewSchema }),
  z.object({ type: z.literal("turn-end"), turn: ChatTurnSchema }),
  z.object({ type: z.literal("cleared") }),
  z.object({ type: z.literal("status"), teacher: z.string(), busy: z.boolean() }),
  z.object({ type: z.literal("setup"), setup: SetupViewSchema }),
  /** A short line under the question box (e.g. why a question was not sent). */
  z.object({ type: z.literal("hint"), text: z.string() }),
]);

export const FromWebviewSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready") }),
  z.object({ type: z.literal("ask"), question: z.string().min(1).max(100_000) }),
  z.object({ type: z.literal("stop") }),
  z.object({ type: z.literal("insert-code"), code: z.string(), language: z.string().optional() }),
  z.object({ type: z.literal("copy-code"), code: z.string() }),
  z.object({ type: z.literal("setup-action"), action: z.enum(SETUP_ACTIONS) }),
]);

export type SpanView = z.infer<typeof SpanViewSchema>;
export type StatsView = z.infer<typeof StatsViewSchema>;
export type ChatTurn = z.infer<typeof ChatTurnSchema>;
export type SetupView = z.infer<typeof SetupViewSchema>;
export type SetupAction = (typeof SETUP_ACTIONS)[number];
export type ToWebview = z.infer<typeof ToWebviewSchema>;
export type FromWebview = z.infer<typeof FromWebviewSchema>;

/** Parses a message from the other side: the message, or `ok: false` and the reason it is not valid. */
export function parseToWebview(data: unknown): { ok: true; message: ToWebview } | { ok: false; error: string } {
  const r = ToWebviewSchema.safeParse(data);
  return r.success ? { ok: true, message: r.data } : { ok: false, error: r.error.message };
}

export function parseFromWebview(data: unknown): { ok: true; message: FromWebview } | { ok: false; error: string } {
  const r = FromWebviewSchema.safeParse(data);
  return r.success ? { ok: true, message: r.data } : { ok: false, error: r.error.message };
}
