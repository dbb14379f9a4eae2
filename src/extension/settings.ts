/**
 * The `relay.*` settings as one checked object. Pure (no `vscode`): config.ts feeds it what VS
 * Code's `inspect()` reports for each setting and the extension's own package.json.
 *
 * - package.json's `contributes.configuration` is the one source of the defaults (read at run
 *   time, as rust-analyzer does); the zod schemas below give each setting its type and range
 *   (a unit test checks that they agree with the contribution).
 * - A value that does not parse gives a message naming the setting, and the default (for a
 *   user value) or the user's value (for a workspace value) is used instead.
 * - A workspace's own .vscode/settings.json may not raise what the teacher costs: a workspace
 *   value of a setting that changes how much the teacher is asked is taken only when it is not
 *   costlier than the user's value (docs/architecture.md, "Defaults, settings and trust"). Settings contributed with `application` or
 *   `machine` scope (teacher URL, model, budget …) are never taken from a workspace, and in
 *   Restricted Mode the contribution's restricted settings are not either.
 */
import * as z from "zod";
import type { BudgetPeriod } from "../core/budget.js";
import type { PolicyName } from "../core/policies.js";
import { PROMPT_TEMPLATES, type PromptTemplateName } from "../core/promptTemplates.js";
import type { GpuSetting } from "../llama/llama.js";
import type { TeacherApiStyle } from "../teacher/openaiTeacher.js";

/** `publisher.name` in package.json: how the host finds the contribution. */
export const EXTENSION_ID = "relay-dev.relay";
export const SECTION = "relay";

const int = () => z.number().int();

/** Policies a user can choose in the extension (the others are evaluation baselines). */
export const EXTENSION_POLICIES = ["auto", "learned", "confidence", "router", "student-only"] as const satisfies readonly PolicyName[];
export type ExtensionPolicy = (typeof EXTENSION_POLICIES)[number];

const teacherUrl = z
  .string()
  .trim()
  .refine((s) => s === "" || /^https?:\/\/[^/\s]/i.test(s) && URL.canParse(s), "expected an http(s) URL, or empty for no teacher");

/** Type and range of every setting, keyed without the `relay.` prefix. */
export const SETTING_SCHEMAS = {
  // "" = none chosen yet (first run): nothing is downloaded until the user picks or downloads one.
  "student.model": z.string().trim(),
  "student.gpu": z.enum(["auto", "cpu", "cuda", "vulkan", "metal"] satisfies GpuSetting[]),
  "student.threads": int().min(0),
  "student.contextSize": int().min(256),
  "student.thinking": z.boolean(),
  policy: z.enum(EXTENSION_POLICIES),
  "confidence.threshold": z.number().min(0).max(1),
  "confidence.spanTokens": int().min(1),
  "router.file": z.string().trim(),
  "teacher.share": z.number().min(0).max(100),
  maxTokens: int().min(16),
  maxCallsPerAnswer: int().min(0),
  maxSpanTokens: int().min(1),
  "teacher.url": teacherUrl,
  "teacher.model": z.string().trim(),
  "teacher.apiStyle": z.enum(["completions", "chat-prefill", "chat"] satisfies TeacherApiStyle[]),
  "teacher.promptTemplate": z.enum(["student", ...PROMPT_TEMPLATES]),
  "teacher.temperature": z.number().min(0),
  "teacher.timeoutMs": int().min(1000),
  "teacher.maxContextTokens": int().min(256),
  "teacher.historyTokens": int().min(0),
  "teacher.prefillWarming": z.boolean(),
  "teacher.inputPricePerMillion": z.number().min(0),
  "teacher.outputPricePerMillion": z.number().min(0),
  "budget.limit": int().min(0),
  "budget.period": z.enum(["day", "week", "month", "total"] satisfies BudgetPeriod[]),
  "inline.enabled": z.boolean(),
  "inline.model": z.string().trim(),
  "inline.languages": z.array(z.string()),
  "inline.debounceMs": int().min(0),
  "inline.maxTokens": int().min(1),
  "inline.teacher": z.boolean(),
  "inline.promptTimeoutMs": int().min(0),
  "inline.predictTimeoutMs": int().min(0),
  "inline.teacherTimeoutMs": int().min(100),
  "inline.contextTokens": int().min(0),
  "inline.exclude": z.array(z.string().trim().min(1)),
} as const;

export type SettingKey = keyof typeof SETTING_SCHEMAS;
export type SettingValues = { [K in SettingKey]: z.infer<(typeof SETTING_SCHEMAS)[K]> };
export const SETTING_KEYS = Object.keys(SETTING_SCHEMAS) as SettingKey[];

/**
 * For each setting that changes how much the teacher is asked: whether a workspace value is no
 * costlier than the user's. Settings not listed here may be set per workspace freely (or are
 * application-scoped in package.json, so never taken from a workspace).
 */
const atMost = (ws: number, user: number) => ws <= user;
const onlyIfUserAllows = (ws: boolean, user: boolean) => !ws || user;
/** The policies at most as costly as each one: auto = learned + confidence as a fallback. */
const POLICIES_NOT_COSTLIER: Record<ExtensionPolicy, readonly ExtensionPolicy[]> = {
  "student-only": ["student-only"],
  learned: ["student-only", "learned"],
  confidence: ["student-only", "confidence"],
  router: ["student-only", "router"],
  auto: ["student-only", "learned", "confidence", "auto"],
};
export const SPEND_RULES: { [K in SettingKey]?: (workspace: SettingValues[K], user: SettingValues[K]) => boolean } = {
  policy: (ws, user) => POLICIES_NOT_COSTLIER[user].includes(ws),
  "confidence.threshold": atMost,
  "confidence.spanTokens": atMost,
  "teacher.share": atMost,
  maxTokens: atMost,
  maxCallsPerAnswer: atMost,
  maxSpanTokens: atMost,
  // Reasoning is more tokens, so more chances to call.
  "student.thinking": onlyIfUserAllows,
  "inline.enabled": onlyIfUserAllows,
  "inline.teacher": onlyIfUserAllows,
  "inline.maxTokens": atMost,
  // A longer wait lets more inline calls run to their end.
  "inline.teacherTimeoutMs": atMost,
  // A shorter debounce asks more often.
  "inline.debounceMs": (ws, user) => ws >= user,
  // More context is more code sent along with a teacher call.
  "inline.contextTokens": atMost,
  // A workspace may add exclusions, never drop the user's.
  "inline.exclude": (ws, user) => user.every((glob) => ws.includes(glob)),
  "inline.languages": (ws, user) => user.includes("*") || ws.every((l) => l !== "*" && user.includes(l)),
};

export interface RelayConfig {
  student: { model: string; gpu: GpuSetting; threads: number; contextSize: number; thinking: boolean };
  policy: ExtensionPolicy;
  confidence: { threshold: number; spanTokens: number };
  /** A router file from `relay router train` ("" = none). */
  router: { file: string };
  maxTokens: number;
  maxCallsPerAnswer: number;
  maxSpanTokens: number;
  teacher: {
    url: string;
    model: string;
    apiStyle: TeacherApiStyle;
    /** `completions`: the chat format the task prompt is rendered in ("student": the student's own). */
    promptTemplate: PromptTemplateName | "student";
    temperature: number;
    timeoutMs: number;
    maxContextTokens: number;
    /** Earlier turns a teacher call carries, in tokens. */
    historyTokens: number;
    prefillWarming: boolean;
    /** Target teacher share in percent (0: the thresholds as set). */
    share: number;
    inputPricePerMillion: number;
    outputPricePerMillion: number;
  };
  budget: { limit: number; period: BudgetPeriod };
  /** `model`: a separate model for ghost text ("" = the student). */
  inline: {
    enabled: boolean;
    model: string;
    languages: string[];
    debounceMs: number;
    maxTokens: number;
    teacher: boolean;
    /** Time caps (0 = none): request → first text, first text → what is shown. */
    promptTimeoutMs: number;
    predictTimeoutMs: number;
    /** A teacher call from ghost text that misses this is stopped (the student's text is used). */
    teacherTimeoutMs: number;
    /** Repository context per completion, in tokens (0 = none). */
    contextTokens: number;
    /** Globs of files never used as context (besides files.exclude and .gitignore). */
    exclude: string[];
  };
}

/** The part of package.json read here. */
export interface ExtensionManifest {
  contributes?: { configuration?: { properties?: Record<string, { default?: unknown; scope?: string } & Record<string, unknown>> } };
  capabilities?: { untrustedWorkspaces?: { restrictedConfigurations?: string[] } };
}

/** What VS Code's `WorkspaceConfiguration.inspect()` reports (language overrides aside). */
export interface InspectedSetting {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

export interface SettingProblem {
  /** The full setting id, e.g. "relay.policy". */
  setting: string;
  /** Where the value that was not used came from. */
  source: "user" | "workspace";
  message: string;
}

export interface ResolvedSettings {
  config: RelayConfig;
  values: SettingValues;
  problems: SettingProblem[];
}

const show = (value: unknown) => JSON.stringify(value) ?? String(value);

const defaultsOf = new WeakMap<ExtensionManifest, SettingValues>();

/** The defaults of package.json's contribution, checked against the schemas (once per manifest). */
export function contributedDefaults(manifest: ExtensionManifest): SettingValues {
  let defaults = defaultsOf.get(manifest);
  if (!defaults) defaultsOf.set(manifest, (defaults = readDefaults(manifest)));
  return defaults;
}

function readDefaults(manifest: ExtensionManifest): SettingValues {
  const properties = manifest.contributes?.configuration?.properties ?? {};
  const out: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const property = properties[`${SECTION}.${key}`];
    if (!property || !("default" in property)) throw new Error(`package.json contributes no default for ${SECTION}.${key}`);
    const parsed = SETTING_SCHEMAS[key].safeParse(property.default);
    if (!parsed.success) throw new Error(`package.json's default for ${SECTION}.${key} is invalid: ${parsed.error.issues[0]?.message}`);
    out[key] = parsed.data;
  }
  return out as SettingValues;
}

/**
 * Resolves every setting from the defaults, the user's value and the workspace's value, as
 * described at the top of this file.
 */
export function resolveSettings(manifest: ExtensionManifest, inspect: (setting: string) => InspectedSetting | undefined, options: { trusted: boolean }): ResolvedSettings {
  const defaults = contributedDefaults(manifest);
  const properties = manifest.contributes?.configuration?.properties ?? {};
  const restricted = new Set(manifest.capabilities?.untrustedWorkspaces?.restrictedConfigurations ?? []);
  const problems: SettingProblem[] = [];
  const values: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) values[key] = resolveOne(key, defaults[key]);
  return { config: toConfig(values as SettingValues), values: values as SettingValues, problems };

  function resolveOne<K extends SettingKey>(key: K, fallback: SettingValues[K]): SettingValues[K] {
    const setting = `${SECTION}.${key}`;
    const schema = SETTING_SCHEMAS[key] as unknown as z.ZodType<SettingValues[K]>;
    const seen = inspect(setting) ?? {};
    const check = (value: unknown, source: SettingProblem["source"], instead: SettingValues[K], insteadName: string): SettingValues[K] | undefined => {
      const parsed = schema.safeParse(value);
      if (parsed.success) return parsed.data;
      const where = source === "user" ? "your user settings" : "this workspace's settings";
      problems.push({ setting, source, message: `${setting}: ${show(value)} in ${where} is not valid (${parsed.error.issues[0]?.message ?? "invalid"}); using ${insteadName} ${show(instead)}.` });
      return undefined;
    };

    const user = seen.globalValue === undefined ? fallback : (check(seen.globalValue, "user", fallback, "the default") ?? fallback);
    const raw = seen.workspaceFolderValue !== undefined ? seen.workspaceFolderValue : seen.workspaceValue;
    if (raw === undefined) return user;
    const scope = properties[setting]?.scope;
    if (scope === "application" || scope === "machine") {
      problems.push({ setting, source: "workspace", message: `${setting} can only be set in your user settings: the value in this workspace's settings is ignored.` });
      return user;
    }
    if (!options.trusted && restricted.has(setting)) return user; // Restricted Mode: VS Code says so itself
    const workspace = check(raw, "workspace", user, "your setting");
    if (workspace === undefined) return user;
    const notCostlier = SPEND_RULES[key] as ((ws: SettingValues[K], u: SettingValues[K]) => boolean) | undefined;
    if (notCostlier && !notCostlier(workspace, user)) {
      problems.push({
        setting,
        source: "workspace",
        message: `${setting}: ${show(workspace)} in this workspace's settings would make the teacher cost more than your setting ${show(user)}; using ${show(user)}. Change it in your user settings to allow it.`,
      });
      return user;
    }
    return workspace;
  }
}

function toConfig(v: SettingValues): RelayConfig {
  return {
    student: { model: v["student.model"], gpu: v["student.gpu"], threads: v["student.threads"], contextSize: v["student.contextSize"], thinking: v["student.thinking"] },
    policy: v.policy,
    confidence: { threshold: v["confidence.threshold"], spanTokens: v["confidence.spanTokens"] },
    router: { file: v["router.file"] },
    maxTokens: v.maxTokens,
    maxCallsPerAnswer: v.maxCallsPerAnswer,
    maxSpanTokens: v.maxSpanTokens,
    teacher: {
      url: v["teacher.url"],
      model: v["teacher.model"],
      apiStyle: v["teacher.apiStyle"],
      promptTemplate: v["teacher.promptTemplate"],
      temperature: v["teacher.temperature"],
      timeoutMs: v["teacher.timeoutMs"],
      maxContextTokens: v["teacher.maxContextTokens"],
      historyTokens: v["teacher.historyTokens"],
      prefillWarming: v["teacher.prefillWarming"],
      share: v["teacher.share"],
      inputPricePerMillion: v["teacher.inputPricePerMillion"],
      outputPricePerMillion: v["teacher.outputPricePerMillion"],
    },
    budget: { limit: v["budget.limit"], period: v["budget.period"] },
    inline: {
      enabled: v["inline.enabled"],
      model: v["inline.model"],
      languages: v["inline.languages"],
      debounceMs: v["inline.debounceMs"],
      maxTokens: v["inline.maxTokens"],
      teacher: v["inline.teacher"],
      promptTimeoutMs: v["inline.promptTimeoutMs"],
      predictTimeoutMs: v["inline.predictTimeoutMs"],
      teacherTimeoutMs: v["inline.teacherTimeoutMs"],
      contextTokens: v["inline.contextTokens"],
      exclude: v["inline.exclude"],
    },
  };
}
