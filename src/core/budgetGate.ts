/** The controller's view of a token budget: reserve before a teacher call, settle after. */

export interface Reservation {
  /** Span tokens granted (may be fewer than asked, to fit the budget). */
  readonly granted: number;
  /** Records what the call really used; the rest of the reservation is returned. */
  settle(usage: { promptTokens: number; completionTokens: number }): Promise<void>;
  /** The call did not happen or failed before the provider counted anything. */
  release(): Promise<void>;
}

export interface BudgetGate {
  /** Reserves prompt + span tokens, shrinking the span to fit; null when nothing fits. */
  reserve(promptTokens: number, spanTokens: number): Promise<Reservation | null>;
}
