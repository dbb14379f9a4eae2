/**
 * Past conversations as they are kept in the workspace's state (version 2): every chat the
 * user had in this workspace, each with its turns, and which one is open. New Chat starts
 * another one instead of discarding the last; a conversation goes only when the user deletes it
 * (or when more than MAX_CONVERSATIONS are kept, the oldest first).
 *
 * Loading goes through the schema; the version-1 store (one list of turns, history.ts) becomes
 * the first conversation, so nothing of it is lost.
 */
import * as z from "zod";
import { ChatTurnSchema, type ChatTurn } from "./chat.js";
import { loadHistory, loadTurns } from "./history.js";

export const CONVERSATIONS_VERSION = 2;
export const MAX_CONVERSATIONS = 50;
export const MAX_TURNS = 50;

export const ConversationSchema = z.object({
  id: z.string(),
  /** Epoch milliseconds. */
  createdAt: z.number(),
  updatedAt: z.number(),
  turns: z.array(ChatTurnSchema),
});
export type Conversation = z.infer<typeof ConversationSchema>;

export interface StoredConversations {
  version: typeof CONVERSATIONS_VERSION;
  current: string;
  conversations: Conversation[];
}

export interface LoadedConversations {
  current: string;
  conversations: Conversation[];
  /** Conversations or turns that could not be read and were left out. */
  dropped: number;
  /** The stored shape was older (or partly unreadable) and should be stored again. */
  migrated: boolean;
}

/** A conversation whose turns are read one by one, its times replaced when unreadable. */
const LenientConversationSchema = (now: number) =>
  z.object({ id: z.string().catch(() => newConversationId(now)), createdAt: z.number().catch(now), updatedAt: z.number().catch(now), turns: z.array(z.unknown()) });

const StoreSchema = z.object({ version: z.literal(CONVERSATIONS_VERSION), current: z.string(), conversations: z.array(z.unknown()) });

export function newConversationId(now = Date.now()): string {
  return `c${now.toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

export function emptyConversation(now = Date.now()): Conversation {
  return { id: newConversationId(now), createdAt: now, updatedAt: now, turns: [] };
}

/**
 * Reads what the workspace state holds: `stored` (version 2) if present, else `legacy` (the
 * version-1 history of one chat) as the first conversation.
 */
export function loadConversations(stored: unknown, legacy: unknown, now = Date.now()): LoadedConversations {
  const parsed = StoreSchema.safeParse(stored);
  if (parsed.success) {
    let dropped = 0;
    let migrated = false;
    const conversations: Conversation[] = [];
    for (const item of parsed.data.conversations) {
      const exact = ConversationSchema.safeParse(item);
      if (exact.success) {
        conversations.push(exact.data);
        continue;
      }
      // One bad turn (or time) does not lose the conversation: its turns are read one by one.
      migrated = true;
      const c = LenientConversationSchema(now).safeParse(item);
      if (!c.success) {
        dropped++;
        continue;
      }
      const { turns, dropped: lost } = loadTurns(c.data.turns);
      dropped += lost;
      if (turns.length > 0) conversations.push({ ...c.data, turns });
    }
    const current = conversations.some((c) => c.id === parsed.data.current) ? parsed.data.current : newConversationId(now);
    return { current, conversations, dropped, migrated };
  }
  const old = loadHistory(legacy);
  if (old.turns.length === 0) return { current: newConversationId(now), conversations: [], dropped: old.dropped + (stored === undefined ? 0 : 1), migrated: stored !== undefined || legacy !== undefined };
  const first: Conversation = { id: newConversationId(now), createdAt: now, updatedAt: now, turns: old.turns.slice(-MAX_TURNS) };
  return { current: first.id, conversations: [first], dropped: old.dropped, migrated: true };
}

export function storedConversations(current: string, conversations: readonly Conversation[]): StoredConversations {
  // An empty conversation (a fresh New Chat) is not kept.
  const kept = conversations.filter((c) => c.turns.length > 0);
  return { version: CONVERSATIONS_VERSION, current, conversations: kept.slice(-MAX_CONVERSATIONS) };
}

/** The title shown in the list: the first question (or the explain title), on one line. */
export function conversationTitle(c: Pick<Conversation, "turns">, max = 60): string {
  const first = c.turns[0];
  if (!first) return "New chat";
  const text = (first.title ?? first.question).replace(/\s+/g, " ").trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Adds a finished turn to a conversation (at most MAX_TURNS kept, the oldest dropped). */
export function withTurn(c: Conversation, turn: ChatTurn, now = Date.now()): Conversation {
  return { ...c, updatedAt: now, turns: [...c.turns, turn].slice(-MAX_TURNS) };
}
