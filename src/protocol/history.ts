/**
 * The chat history as it is kept in the workspace's state: `{ version, turns }`, each turn a
 * ChatTurn. Loading goes through the schema, and an older shape is migrated, not dropped:
 * version 0 (Relay 0.1.0) stored the bare array of turns; a turn whose stats lack fields added
 * since, or that holds its answer as one `answer` string, is completed. Only a turn that cannot
 * be read at all is left out (and counted), never the whole history.
 */
import * as z from "zod";
import { ChatTurnSchema, SpanKindSchema, StatsViewSchema, type ChatTurn } from "./chat.js";

export const HISTORY_VERSION = 1;

export interface StoredHistory {
  version: typeof HISTORY_VERSION;
  turns: ChatTurn[];
}

export interface LoadedHistory {
  turns: ChatTurn[];
  /** Turns that could not be read and were left out. */
  dropped: number;
  /** The stored shape was older and has been migrated (store it again). */
  migrated: boolean;
}

const count = z.number().finite().nonnegative().catch(0);

/** A span of any version: unknown kinds are read as the student's text, missing counts as 0. */
const LegacySpanSchema = z.object({
  kind: SpanKindSchema.catch("student"),
  text: z.string().catch(""),
  tokens: count,
  model: z.string().optional().catch(undefined),
  durationMs: z.number().optional().catch(undefined),
  error: z.string().optional().catch(undefined),
});

const statsDefaults = Object.fromEntries(
  Object.entries(StatsViewSchema.shape)
    .filter(([, schema]) => !schema.safeParse(undefined).success)
    .map(([k]) => [k, k === "stopReason" ? "eos" : 0]),
);

/** A turn of any version, completed into the current shape. */
const LegacyTurnSchema = z
  .object({
    id: z.string().optional(),
    question: z.string(),
    title: z.string().optional().catch(undefined),
    spans: z.array(LegacySpanSchema).optional(),
    /** Before labelled spans: the whole answer as one text. */
    answer: z.string().optional(),
    stats: z.record(z.string(), z.unknown()).optional().catch(undefined),
    stopped: z.boolean().optional().catch(undefined),
    error: z.string().optional().catch(undefined),
  })
  .transform((t, ctx): ChatTurn => {
    const stats = t.stats ? StatsViewSchema.safeParse({ ...statsDefaults, ...t.stats }) : undefined;
    if (stats && !stats.success) ctx.issues.push({ code: "custom", message: "unreadable stats", input: t.stats });
    return {
      id: t.id ?? `migrated-${Math.random().toString(16).slice(2, 10)}`,
      question: t.question,
      title: t.title,
      spans: t.spans ?? (t.answer ? [{ kind: "student", text: t.answer, tokens: 0 }] : []),
      stats: stats?.success ? stats.data : undefined,
      stopped: t.stopped,
      error: t.error,
    };
  });

/** Reads what the workspace state holds (undefined: nothing yet). */
export function loadHistory(stored: unknown): LoadedHistory {
  if (stored === undefined || stored === null) return { turns: [], dropped: 0, migrated: false };
  const current = z.object({ version: z.literal(HISTORY_VERSION), turns: z.array(ChatTurnSchema) }).safeParse(stored);
  if (current.success) return { turns: current.data.turns, dropped: 0, migrated: false };
  const raw = Array.isArray(stored) ? stored : (stored as { turns?: unknown }).turns;
  if (!Array.isArray(raw)) return { turns: [], dropped: 1, migrated: true };
  const turns: ChatTurn[] = [];
  let dropped = 0;
  for (const item of raw) {
    const exact = ChatTurnSchema.safeParse(item);
    const turn = exact.success ? exact : LegacyTurnSchema.pipe(ChatTurnSchema).safeParse(item);
    if (turn.success) turns.push(turn.data);
    else dropped++;
  }
  return { turns, dropped, migrated: true };
}

export function storedHistory(turns: ChatTurn[]): StoredHistory {
  return { version: HISTORY_VERSION, turns };
}
