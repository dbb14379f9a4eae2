/** Show Past Chats: a quick pick of the workspace's conversations, to reopen one or delete it. */
import * as vscode from "vscode";
import type { Logger } from "../core/logger.js";
import { conversationTitle } from "../protocol/conversations.js";
import type { ConversationStore } from "./conversationStore.js";

export interface PastChatActions {
  open(id: string): void;
  delete(id: string): void;
}

/** Newest first; the trash button deletes, picking reopens. Resolves when the picker closes. */
export async function pickPastChat(store: ConversationStore, actions: PastChatActions, log: Logger): Promise<void> {
  const remove: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon("trash"), tooltip: "Delete this chat" };
  type Item = vscode.QuickPickItem & { id: string };
  const items = (): Item[] =>
    store.past().map((c) => ({
      id: c.id,
      label: conversationTitle(c),
      description: `${c.turns.length} question${c.turns.length === 1 ? "" : "s"} · ${new Date(c.updatedAt).toLocaleString()}${c.id === store.currentId ? " · open" : ""}`,
      buttons: [remove],
    }));
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = "Relay: past chats in this workspace";
  pick.placeholder = "Pick a chat to reopen it; the trash button deletes it";
  pick.items = items();
  if (pick.items.length === 0) pick.placeholder = "No past chats in this workspace yet";
  await new Promise<void>((done) => {
    pick.onDidTriggerItemButton((e) => {
      actions.delete(e.item.id);
      log.info(`chat: deleted a past chat (${e.item.label})`);
      pick.items = items();
    });
    pick.onDidAccept(() => {
      const chosen = pick.selectedItems[0];
      pick.hide();
      if (chosen) actions.open(chosen.id);
    });
    pick.onDidHide(() => {
      pick.dispose();
      done();
    });
    pick.show();
  });
}
