/**
 * Which trigger policy an answer runs under: the router file (`relay.router.file`) loaded and
 * checked against the loaded student, a teacher share (`relay.teacher.share`) turned into the
 * policy's threshold from the student's own scores, and the share the teacher really wrote,
 * for the status bar's tooltip. A router that cannot be used is said once, and answers go on
 * under the confidence policy.
 */
import { stat } from "node:fs/promises";
import * as vscode from "vscode";
import { errorMessage, isRelayError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { createPolicy, DEFAULT_POLICY_OPTIONS, type PolicyName, type TagMemory, type TriggerPolicy } from "../core/policies.js";
import { policyThreshold, traces, type CalibrationFile } from "../core/routing/calibration.js";
import type { Router } from "../core/routing/router.js";
import type { RelayStats } from "../core/spans.js";
import { ShareTracker, type ShareSnapshot } from "../core/routing/shareTracker.js";
import { defaultCalibrationPath, readCalibration } from "../io/calibrationFile.js";
import { loadRouterFile } from "../io/routerFile.js";
import { modelFingerprint } from "../llama/fingerprint.js";
import { showRelayError } from "./fixActions.js";
import type { RelayConfig } from "./settings.js";

const SNAPSHOT_KEY = "relay.share";

export interface ChosenPolicy {
  policy: TriggerPolicy;
  /** The tracker's key: the policy whose scores these are. */
  key: string;
}

interface StudentRef {
  path: string;
  name: string;
}

export class RoutingService implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the achieved share or the target changed (the status bar re-renders). */
  readonly onDidChange = this.changed.event;
  private fingerprints = new Map<string, Promise<string>>();
  private router: { path: string; mtimeMs: number; student: string; router?: Router; tag?: string } | undefined;
  private calibration: { fingerprint: string; file?: CalibrationFile } | undefined;
  private tracker: { fingerprint: string; tracker: ShareTracker } | undefined;
  private target: { share: number; policy: string; threshold?: number } | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: Logger,
  ) {}

  /** The policy for one answer of `student` under `config`. */
  async policy(config: RelayConfig, student: StudentRef, memory: TagMemory): Promise<ChosenPolicy> {
    const fingerprint = await this.fingerprint(student.path);
    const router = config.router.file && (config.policy === "router" || config.policy === "auto") ? await this.loadRouter(config.router.file, student, fingerprint) : undefined;
    let name: PolicyName = config.policy;
    if (name === "router" && !router) name = "confidence";
    const usesRouter = name === "router" || (name === "auto" && router !== undefined);
    const key = usesRouter ? `router:${this.router?.tag ?? ""}` : name;
    const options = {
      threshold: config.confidence.threshold,
      spanTokens: config.confidence.spanTokens,
      router: router?.router,
      routerThreshold: undefined as number | undefined,
    };
    if (name === "router") options.threshold = router?.router.file.threshold ?? options.threshold;
    const scored = name === "confidence" || name === "auto" || name === "router";
    this.target = undefined;
    if (config.teacher.share > 0 && scored) {
      const share = config.teacher.share / 100;
      const rules = { span: config.confidence.spanTokens, cooldown: DEFAULT_POLICY_OPTIONS.cooldownTokens, maxCalls: config.maxCallsPerAnswer, maxTokens: config.maxTokens };
      const seed = await this.seed(fingerprint, usesRouter ? "router" : "confidence", router?.router);
      const found = this.trackerFor(fingerprint).threshold(key, share, rules, seed);
      if (found) {
        const t = policyThreshold(usesRouter ? "router" : "confidence", found.threshold);
        if (name === "auto" && usesRouter) options.routerThreshold = t;
        else options.threshold = t;
        this.target = { share, policy: usesRouter ? "router" : "confidence", threshold: t };
      } else this.target = { share, policy: usesRouter ? "router" : "confidence" };
    }
    return { policy: createPolicy(name, options, memory), key };
  }

  /** An answer finished: its scores calibrate the share, its teacher tokens measure it. */
  async record(student: StudentRef, chosen: ChosenPolicy, stats: RelayStats): Promise<void> {
    const scores = chosen.policy.scores;
    if (!scores || stats.stopReason === "aborted" || stats.stopReason === "model-unloaded") return;
    const fingerprint = await this.fingerprint(student.path);
    const tracker = this.trackerFor(fingerprint);
    tracker.record(chosen.key, scores, stats.stopReason === "max-tokens", stats.teacherTokens, stats.generatedTokens);
    await this.context.globalState.update(`${SNAPSHOT_KEY}.${fingerprint}`, tracker.snapshot());
    this.changed.fire();
  }

  /** "Teacher share: 4.8% of tokens over the last 20 answers (target 5%)", or nothing to say. */
  describe(): string | undefined {
    const achieved = this.tracker?.tracker.achieved();
    const target = this.target;
    if (!achieved && !target) return undefined;
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    const got = achieved ? `${pct(achieved.share)} of tokens over the last ${achieved.answers} answer(s)` : "no answers yet";
    if (!target) return `Teacher share: ${got}.`;
    const how = target.threshold === undefined ? "; the threshold is picked once the student has answered (or run `relay calibrate`)" : ` (${target.policy} threshold ${target.threshold.toPrecision(3)})`;
    return `Teacher share: ${got}; target ${pct(target.share)}${how}.`;
  }

  private trackerFor(fingerprint: string): ShareTracker {
    if (this.tracker?.fingerprint !== fingerprint) {
      const snapshot = this.context.globalState.get<ShareSnapshot>(`${SNAPSHOT_KEY}.${fingerprint}`);
      this.tracker = { fingerprint, tracker: new ShareTracker(snapshot) };
    }
    return this.tracker.tracker;
  }

  /** `relay calibrate`'s recording for this student, when there is one, as the policy's scores. */
  private async seed(fingerprint: string, policy: PolicyName, router?: Router) {
    if (this.calibration?.fingerprint !== fingerprint) {
      const file = await readCalibration(defaultCalibrationPath(fingerprint), fingerprint).catch(() => undefined);
      this.calibration = { fingerprint, file };
    }
    return this.calibration.file ? traces(this.calibration.file, policy, router) : [];
  }

  private fingerprint(path: string): Promise<string> {
    let found = this.fingerprints.get(path);
    if (!found) {
      found = modelFingerprint(path);
      this.fingerprints.set(path, found);
      found.catch(() => this.fingerprints.delete(path));
    }
    return found;
  }

  /** The router for this student, loaded once per file version; undefined (said once) when it cannot be used. */
  private async loadRouter(path: string, student: StudentRef, fingerprint: string): Promise<{ router: Router } | undefined> {
    const mtimeMs = await stat(path).then((s) => s.mtimeMs, () => -1);
    const cached = this.router;
    if (cached && cached.path === path && cached.mtimeMs === mtimeMs && cached.student === fingerprint) return cached.router ? { router: cached.router } : undefined;
    try {
      const { router, warnings } = await loadRouterFile(path, { fingerprint, name: student.name });
      for (const w of warnings) this.log.warn(w);
      const tag = (await import("node:crypto")).createHash("sha256").update(JSON.stringify(router.file)).digest("hex").slice(0, 8);
      this.router = { path, mtimeMs, student: fingerprint, router, tag };
      this.log.info(`router loaded: ${path} (${router.file.model.kind}, trained for ${router.file.student.name})`);
      return { router };
    } catch (error) {
      this.router = { path, mtimeMs, student: fingerprint };
      if (!isRelayError(error, "router-invalid")) this.log.error(`router: ${errorMessage(error)}`);
      this.log.warn(`${errorMessage(error)} Answers go on under the confidence policy.`);
      void showRelayError(error);
      return undefined;
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}
