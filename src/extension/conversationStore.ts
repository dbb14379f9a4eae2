/**
 * The chat panel's conversations for one workspace: which one is open, the past ones, and
 * their storage in the workspace state. The one place that keeps an open conversation in the
 * list (a fresh New Chat is not stored until it gets a turn).
 */
import type { Logger } from "../core/logger.js";
import type { ChatTurn } from "../protocol/chat.js";
import { emptyConversation, loadConversations, storedConversations, withTurn, type Conversation } from "../protocol/conversations.js";

/** Version 1: one list of turns (protocol/history.ts); read once and migrated. */
const LEGACY_HISTORY_KEY = "relay.chat.history";
const CONVERSATIONS_KEY = "relay.chat.conversations";

/** What the store needs of VS Code's workspace state (a `vscode.Memento`). */
export interface StateStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

export class ConversationStore {
  private conversations: Conversation[];
  private openId: string;

  constructor(
    private readonly state: StateStore,
    log: Logger,
  ) {
    const loaded = loadConversations(state.get<unknown>(CONVERSATIONS_KEY), state.get<unknown>(LEGACY_HISTORY_KEY));
    this.conversations = loaded.conversations;
    this.openId = loaded.current;
    this.ensure(this.openId);
    if (loaded.dropped > 0) log.warn(`chat: ${loaded.dropped} unreadable part(s) of the saved chats were left out`);
    if (loaded.migrated) {
      void this.save();
      void state.update(LEGACY_HISTORY_KEY, undefined);
    }
  }

  get currentId(): string {
    return this.openId;
  }

  /** The open conversation (made again, empty, if it was deleted meanwhile). */
  get current(): Conversation {
    return this.ensure(this.openId);
  }

  has(id: string): boolean {
    return this.conversations.some((c) => c.id === id);
  }

  /** Past conversations that hold at least one turn, the most recently used first. */
  past(): Conversation[] {
    return this.conversations.filter((c) => c.turns.length > 0).sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /** Opens a new conversation, unless the open one is still empty. */
  startNew(): Thenable<void> {
    if (this.current.turns.length > 0) this.openFresh();
    return this.save();
  }

  /** Opens a past conversation; false when there is none with that id. An empty one left behind goes. */
  open(id: string): boolean {
    if (!this.has(id)) return false;
    this.conversations = this.conversations.filter((c) => c.turns.length > 0 || c.id === id);
    this.openId = id;
    void this.save();
    return true;
  }

  /** Deletes a conversation; true when it was the open one (an empty chat is open then). */
  delete(id: string): boolean {
    const wasOpen = id === this.openId;
    if (wasOpen) this.openFresh();
    this.conversations = this.conversations.filter((c) => c.id !== id);
    void this.save();
    return wasOpen;
  }

  /** A finished turn goes to the conversation it was asked in, even if another is open now. */
  addTurn(conversationId: string, turn: ChatTurn): Thenable<void> {
    this.ensure(conversationId);
    this.conversations = this.conversations.map((c) => (c.id === conversationId ? withTurn(c, turn) : c));
    return this.save();
  }

  private save(): Thenable<void> {
    return this.state.update(CONVERSATIONS_KEY, storedConversations(this.openId, this.conversations));
  }

  private openFresh(): void {
    const fresh = emptyConversation();
    this.conversations.push(fresh);
    this.openId = fresh.id;
  }

  private ensure(id: string): Conversation {
    let c = this.conversations.find((x) => x.id === id);
    if (!c) {
      c = { ...emptyConversation(), id };
      this.conversations.push(c);
    }
    return c;
  }
}
