/**
 * The chat history as it is kept in the workspace's state: `{ version, turns }`, each turn a
 * ChatTurn. Loading goes through the schema, and an older shape is migrated, not dropped:
 * version 0 (Relay 0.1.0) stored the bare array of turns; a turn whose stats lack fields added
 * since, or that holds its answer as one `answer` string, is completed. A field that cannot be
 * read is left out alone (a bad figure of the stats gets its default), never the turn's text;
 * only a turn without a question is left out (and counted), never the whole history.
 */
import * as z from "zod";
import { ChatTurnSchema, SpanKindSchema, StatsViewSchema, type ChatTurn, type StatsView } from "./chat.js";

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

/** A span of any version: unknown kinds are read as the student's text, missing counts as 0, a bad field is left out. */
const LegacySpanSchema = z.object({
  kind: SpanKindSchema.catch("student"),
  text: z.string().catch(""),
  tokens: count,
  model: z.string().optional().catch(undefined),
  durationMs: z.number().optional().catch(undefined),
  error: z.string().optional().catch(undefined),
  thought: z.boolean().optional().catch(undefined),
});

const statsDefaults: Record<string, unknown> = Object.fromEntries(
  Object.entries(StatsViewSchema.shape)
    .filter(([, schema]) => !schema.safeParse(undefined).success)
    .map(([k]) => [k, k === "stopReason" ? "eos" : 0]),
);

/** Stats of any version, field by field: a missing or unreadable field gets its default, the others are kept. */
function statsOf(raw: Record<string, unknown>): StatsView {
  const stats: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(StatsViewSchema.shape)) {
    const field = schema.safeParse(raw[key]);
    const value = field.success ? field.data : statsDefaults[key];
    // An optional figure an older turn did not have stays absent.
    if (value !== undefined) stats[key] = value;
  }
  return stats as StatsView;
}

/** `value` without the keys whose value is undefined (a field left out is absent, not undefined). */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * A turn of any version, completed into the current shape. Only a turn without a question is
 * unreadable; any other field that does not fit is left out alone (stats: that one figure).
 */
const LegacyTurnSchema = z
  .object({
    id: z.string().optional().catch(undefined),
    question: z.string(),
    title: z.string().optional().catch(undefined),
    spans: z.array(LegacySpanSchema).optional().catch(undefined),
    /** Before labelled spans: the whole answer as one text. */
    answer: z.string().optional().catch(undefined),
    stats: z.record(z.string(), z.unknown()).optional().catch(undefined),
    stopped: z.boolean().optional().catch(undefined),
    error: z.string().optional().catch(undefined),
    notice: z.string().optional().catch(undefined),
  })
  .transform((t): ChatTurn =>
    defined({
      id: t.id ?? `migrated-${Math.random().toString(16).slice(2, 10)}`,
      question: t.question,
      title: t.title,
      spans: t.spans?.map(defined) ?? (t.answer ? [{ kind: "student" as const, text: t.answer, tokens: 0 }] : []),
      stats: t.stats ? statsOf(t.stats) : undefined,
      stopped: t.stopped,
      error: t.error,
      notice: t.notice,
    }),
  );

/**
 * Turns as stored, each read through the current schema or else completed field by field;
 * `repaired` counts the turns that needed it, `dropped` those without a question.
 */
export function loadTurns(raw: readonly unknown[]): { turns: ChatTurn[]; dropped: number; repaired: number } {
  const turns: ChatTurn[] = [];
  let dropped = 0;
  let repaired = 0;
  for (const item of raw) {
    const exact = ChatTurnSchema.safeParse(item);
    if (exact.success) {
      turns.push(exact.data);
      continue;
    }
    const turn = LegacyTurnSchema.pipe(ChatTurnSchema).safeParse(item);
    if (turn.success) {
      turns.push(turn.data);
      repaired++;
    } else dropped++;
  }
  return { turns, dropped, repaired };
}

/** Reads what the workspace state holds (undefined: nothing yet). */
export function loadHistory(stored: unknown): LoadedHistory {
  if (stored === undefined || stored === null) return { turns: [], dropped: 0, migrated: false };
  const current = z.object({ version: z.literal(HISTORY_VERSION), turns: z.array(ChatTurnSchema) }).safeParse(stored);
  if (current.success) return { turns: current.data.turns, dropped: 0, migrated: false };
  const raw = Array.isArray(stored) ? stored : (stored as { turns?: unknown }).turns;
  if (!Array.isArray(raw)) return { turns: [], dropped: 1, migrated: true };
  const { turns, dropped } = loadTurns(raw);
  return { turns, dropped, migrated: true };
}

export function storedHistory(turns: ChatTurn[]): StoredHistory {
  return { version: HISTORY_VERSION, turns };
}
