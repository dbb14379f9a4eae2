/**
 * One teacher request's charge: its budget reservation from reserve to settle or release, the
 * usage the answer's stats record, and what a failed request the server took is paid. The relay
 * loop decides when to call; this owns the money of one call (a warming request included).
 */

import type { BudgetGate, Reservation, SettledUsage, SettleUsage } from "./budgetGate.js";
import { RelayError, type RelayErrorCode } from "./errors.js";
import type { TeacherReply } from "./models.js";
import type { TeacherUsage } from "./spans.js";
import { plausibleUsage, reservedPromptTokens, type PlausibleUsage } from "./usage.js";

/** Teacher failures that mean the server did not take the request (nothing to charge). */
const NOT_TAKEN: ReadonlySet<RelayErrorCode> = new Set(["teacher-unreachable", "teacher-rejected", "teacher-redirect", "teacher-rate-limited", "teacher-server-error"]);

/**
 * Whether a failed teacher request may have been worked on by the server: then it is paid for,
 * at least what was sent and what came back, so a faulty server (a stream that stalls after
 * text, a corrupt body, a 200 that is not JSON, no reply in time) cannot be used to spend
 * without counting. A refusal (no connection, a 4xx, 429 or 5xx status, a redirect not
 * followed) is not; a reply that started with a 2xx always is; anything unknown is.
 */
export function serverTook(error: unknown): boolean {
  if (error instanceof RelayError && error.partial?.answered) return true;
  return !(error instanceof RelayError && NOT_TAKEN.has(error.code));
}

/** The text a failed request received before it failed. */
export function receivedBefore(error: unknown): string {
  return error instanceof RelayError ? (error.partial?.text ?? "") : "";
}

export interface ChargeOptions {
  budget: BudgetGate | undefined;
  /** Our count of the prompt sent (task prompt + answer so far). */
  promptTokens: number;
  /** Tokens asked for. */
  span: number;
  /** Tokens the teacher's server may add around the prompt (reserved, never a floor). */
  promptOverhead?: number;
  /** A ledger that fails while settling or releasing: reported here, never thrown into the answer. */
  onLedgerError: (error: unknown) => void;
}

export class TeacherCharge {
  private reservation: Reservation | null;

  private constructor(
    private readonly options: ChargeOptions,
    reservation: Reservation | null,
    /** Span tokens granted (fewer than asked when the budget is short). */
    readonly granted: number,
  ) {
    this.reservation = reservation;
  }

  /** Reserves prompt + span: the charge, or null when the budget refuses. A ledger failure throws. */
  static async open(options: ChargeOptions): Promise<TeacherCharge | null> {
    if (!options.budget) return new TeacherCharge(options, null, options.span);
    const reservation = await options.budget.reserve(options.promptTokens, options.span, { promptOverhead: options.promptOverhead });
    return reservation ? new TeacherCharge(options, reservation, reservation.granted) : null;
  }

  /** A reservation is held (not settled or released yet). */
  get held(): boolean {
    return this.reservation !== null;
  }

  /**
   * The provider's usage claim made sane for the stats (its tokenizer may count fewer tokens
   * than ours): whole, not negative, not above the reservation. Without a claim: our own counts,
   * the prompt sent and `received` completion tokens. The budget charges by its own stricter
   * bounds (never below what we sent and received), from the same claim.
   */
  usage(claim: TeacherReply["usage"], received: number, completionMax: number): PlausibleUsage {
    if (!claim) return { promptTokens: this.options.promptTokens, completionTokens: received };
    const promptMax = this.reservation?.promptTokens ?? reservedPromptTokens(this.options.promptTokens + (this.options.promptOverhead ?? 0));
    return plausibleUsage(claim, { promptSent: 0, promptMax, completionReceived: 0, completionMax });
  }

  /** Records what the call used; the tokens the budget charged (undefined without a budget or when the ledger failed). */
  async settle(usage: SettleUsage): Promise<number | undefined> {
    return chargedBy(await this.close((r) => r.settle(usage)));
  }

  /** The call did not happen, or the server refused it: nothing is charged. */
  async release(): Promise<void> {
    await this.close((r) => r.release());
  }

  /**
   * A failed request the server took (see serverTook): charged what was sent (our count of the
   * prompt) and the text received before the failure (at most the grant); the span's usage.
   */
  async chargeFailed(receivedTokens: number): Promise<TeacherUsage> {
    const promptTokens = this.options.promptTokens;
    const completionTokens = Math.min(this.granted, receivedTokens);
    const charged = await this.settle({ promptTokens, completionTokens, receivedTokens: completionTokens });
    return { promptTokens, completionTokens, estimated: true, ...(charged !== undefined ? { charged } : {}) };
  }

  /** Settles or releases once; a ledger failure is reported, never lost with the answer. */
  private async close(how: (reservation: Reservation) => Promise<SettledUsage | void>): Promise<SettledUsage | void> {
    const reservation = this.reservation;
    if (!reservation) return undefined;
    this.reservation = null;
    try {
      return await how(reservation);
    } catch (error) {
      this.options.onLedgerError(error);
      return undefined;
    }
  }
}

/** Tokens a settlement charged (prompt + completion), from what `Reservation.settle` returned. */
function chargedBy(settled: SettledUsage | void): number | undefined {
  if (!settled || typeof settled !== "object") return undefined;
  const { promptTokens, completionTokens } = settled as Partial<SettledUsage>;
  return typeof promptTokens === "number" && typeof completionTokens === "number" ? promptTokens + completionTokens : undefined;
}
