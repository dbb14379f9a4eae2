/**
 * A closed-loop check of a sweep's teacher shares (`relay eval --share-check N`). The threshold
 * for a share is picked by replaying the student's own answers (made without the teacher), and
 * the replay misses what a real call changes: after the teacher's text the student writes other
 * words, often surer ones. So each share point is first run with the teacher on N generated
 * train problems, and its aim is corrected by the share it reached there — the correction the
 * extension makes from the user's own answers (correctedAim). Never on the eval items.
 */
import { thresholdFor, type CalibrationFile } from "../core/routing/calibration.js";
import type { Router } from "../core/routing/router.js";
import type { ReplayRules } from "../core/routing/share.js";
import { correctedAim } from "../core/routing/shareTracker.js";
import { isScored, withThreshold, type Condition } from "./conditions.js";
import type { Dataset } from "./datasets.js";
import { runEval, type EvalRun } from "./runEval.js";

export const SHARE_CHECK_DATASET = "share-check";

/** What one sweep point's check found. */
export interface ShareCheck {
  condition: string;
  share: number;
  /** The open-loop threshold and the share it reached on the train problems. */
  threshold: number;
  reached: number;
  /** The corrected aim and its threshold (the one the eval runs). */
  aimed: number;
  corrected: number;
  problems: number;
}

/**
 * Runs every share point of `conditions` on `problems` (generated train problems, from
 * shareCheckProblems in src/router/calibration.ts; answers kept in `run.results`, so a rerun
 * reuses them) and returns the conditions with corrected thresholds. Points given as
 * thresholds, and other conditions, pass through unchanged.
 */
export async function checkShares(
  conditions: readonly Condition[],
  check: { calibration: CalibrationFile; problems: Dataset; rules: Omit<ReplayRules, "maxTokens">; router?: Router },
  run: Omit<EvalRun, "datasets" | "conditions" | "limit" | "samples">,
): Promise<{ conditions: Condition[]; checks: ShareCheck[]; aborted: boolean }> {
  const points = conditions.filter((c) => isScored(c.policy) && c.targetShare !== undefined);
  if (points.length === 0) return { conditions: [...conditions], checks: [], aborted: false };
  const outcome = await runEval({ ...run, datasets: [check.problems], conditions: points.map((c) => ({ ...c, datasets: undefined })), samples: 1 });
  if (outcome.aborted || outcome.failures.length > 0) return { conditions: [...conditions], checks: [], aborted: true };
  const checks = new Map<string, ShareCheck>();
  for (const c of points) {
    const rows = outcome.rows.filter((r) => r.signature === c.signature);
    const generated = rows.reduce((n, r) => n + r.stats.generatedTokens, 0);
    const reached = generated > 0 ? rows.reduce((n, r) => n + r.stats.teacherTokens, 0) / generated : 0;
    const share = c.targetShare as number;
    const aimed = correctedAim(share, reached);
    const corrected = thresholdFor(check.calibration, c.policy, aimed, check.rules, check.router).threshold;
    checks.set(c.name, { condition: c.name, share, threshold: c.options.threshold as number, reached, aimed, corrected, problems: rows.length });
  }
  return {
    conditions: conditions.map((c) => {
      const found = checks.get(c.name);
      return found ? withThreshold(c, found.corrected) : c;
    }),
    checks: [...checks.values()],
    aborted: false,
  };
}

/** One point's check in a sentence (the log, the report). */
export function shareCheckLine(k: ShareCheck): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  return `${k.condition}: threshold ${Number(k.threshold.toPrecision(4))} reached ${pct(k.reached)}; aimed at ${pct(k.aimed)} instead → threshold ${Number(k.corrected.toPrecision(4))}`;
}

/** The check as Markdown lines for the report. */
export function shareCheckLines(checks: readonly ShareCheck[]): string[] {
  if (checks.length === 0) return [];
  return ["", `Teacher shares checked with the teacher on ${checks[0].problems} generated train problems (--share-check; the threshold each point runs with is the corrected one):`, "", ...checks.map((k) => `- ${shareCheckLine(k)}`)];
}
