/** The controller's view of a token budget: reserve before a teacher call, settle after. */

/** What a call used, as the provider claims it; the budget charges a plausible amount. */
export interface SettleUsage {
  promptTokens: number;
  completionTokens: number;
  /** Tokens of text received (our own count): a completion costs at least this. */
  receivedTokens?: number;
  /** The provider's original claim when the caller already made it plausible (recorded). */
  claimed?: { promptTokens: number | string; completionTokens: number | string };
}

/** What was charged. */
export interface SettledUsage {
  promptTokens: number;
  completionTokens: number;
  claimed?: { promptTokens: number | string; completionTokens: number | string };
}

export interface Reservation {
  /** Span tokens granted (may be fewer than asked, to fit the budget). */
  readonly granted: number;
  /** Prompt tokens reserved: the most a prompt is charged. */
  readonly promptTokens?: number;
  /** Records what the call really used (clamped to what is plausible); the rest is returned. */
  settle(usage: SettleUsage): Promise<SettledUsage | void>;
  /** The call did not happen or failed before the provider counted anything. */
  release(): Promise<void>;
}

export interface BudgetGate {
  /**
   * Reserves prompt + span tokens, shrinking the span to fit; null when nothing fits.
   * `promptOverhead`: tokens the teacher's server may add around the prompt (a chat template's
   * role markers and default system prompt) — reserved, never a floor of the charge.
   */
  reserve(promptTokens: number, spanTokens: number, options?: { promptOverhead?: number }): Promise<Reservation | null>;
}
