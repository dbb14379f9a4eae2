/** The webview's side of the host connection: typed messages out, and the saved view state. */
import type { FromWebview } from "../src/protocol/chat.js";

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

/** What the panel keeps across being hidden and shown (the host keeps the history). */
export interface ViewState {
  draft: string;
}

export interface Host {
  post(message: FromWebview): void;
  state(): ViewState;
  saveState(state: ViewState): void;
}

export function connectHost(): Host {
  const acquire = (globalThis as { acquireVsCodeApi?: () => VsCodeApi }).acquireVsCodeApi;
  if (typeof acquire !== "function") throw new Error("Relay chat: acquireVsCodeApi() is not available (not running in a VS Code webview?)");
  const api = acquire();
  return {
    post: (message) => api.postMessage(message),
    state: () => {
      const s = api.getState() as Partial<ViewState> | undefined;
      return { draft: typeof s?.draft === "string" ? s.draft : "" };
    },
    saveState: (state) => api.setState(state),
  };
}
