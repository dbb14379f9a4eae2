/**
 * The product's defaults: one table for the command line and the editor, so a question asked
 * in the terminal and in the editor gets the same limits, teacher and student.
 *
 * - SETTING_DEFAULTS is every `relay.*` setting's default. package.json's
 *   `contributes.configuration` carries the same values (VS Code shows them in the Settings UI
 *   and the extension reads them from there at run time, src/extension/settings.ts).
 * - The `relay` command's option defaults are taken from it (src/cli/setup.ts), and so are the
 *   library defaults (the controller's limits, the policies, the teacher's timeout, the loaded
 *   model's context).
 * - test/unit/defaults.test.ts checks that package.json, the CLI's options and the library
 *   defaults all equal this table; the few deliberate differences are listed there with why.
 */
import { RECOMMENDED_STUDENT } from "./recommendedModel.js";

/** Every `relay.*` setting's default, keyed without the `relay.` prefix. */
export const SETTING_DEFAULTS = {
  // "" = none chosen yet: the editor downloads nothing until the user picks a model.
  "student.model": "",
  "student.gpu": "auto",
  "student.thinking": true,
  /** Tokens per context sequence. */
  "student.contextSize": 8192,
  /** 0 = adapted per answer (the thread governor). */
  "student.threads": 0,
  "teacher.url": "",
  "teacher.model": "",
  "teacher.apiStyle": "completions",
  /** "student" = the student's own chat template. */
  "teacher.promptTemplate": "student",
  "teacher.temperature": 0.7,
  "teacher.timeoutMs": 30_000,
  "teacher.maxContextTokens": 8192,
  /** Earlier turns of the chat a teacher call carries, in tokens (the question and the answer so far always go). */
  "teacher.historyTokens": 256,
  "teacher.prefillWarming": false,
  "teacher.inputPricePerMillion": 0,
  "teacher.outputPricePerMillion": 0,
  /** Target teacher share in percent; 0 = the thresholds as set. */
  "teacher.share": 0,
  "budget.limit": 100_000,
  "budget.period": "month",
  policy: "auto",
  "confidence.threshold": 0.2,
  "confidence.spanTokens": 16,
  "router.file": "",
  maxTokens: 1024,
  maxCallsPerAnswer: 8,
  maxSpanTokens: 128,
  "inline.enabled": true,
  /** "" = the student writes ghost text too. */
  "inline.model": "",
  "inline.teacher": false,
  "inline.languages": ["*"],
  "inline.debounceMs": 300,
  "inline.maxTokens": 64,
  /** Time caps on ghost text (llama.vscode's defaults); 0 = none. The run goes on in the background. */
  "inline.promptTimeoutMs": 500,
  "inline.predictTimeoutMs": 500,
  /** A teacher call from ghost text that misses this is stopped; the student's text is used. */
  "inline.teacherTimeoutMs": 1500,
  /** Tokens of repository context (other files' chunks, definitions) per completion; 0 = none. */
  "inline.contextTokens": 1024,
  /** Globs of files never used as context, besides files.exclude and .gitignore. */
  "inline.exclude": [] as readonly string[],
} as const;

export type SettingDefaultKey = keyof typeof SETTING_DEFAULTS;

/**
 * The `relay` command's student when none is given: the model the editor recommends on first
 * run (the editor itself starts with none and asks before a 1.8 GB download).
 */
export const DEFAULT_STUDENT_MODEL = RECOMMENDED_STUDENT.uri;

/** A loaded model's context when none is given: tokens per sequence, and the student's sequences (chat and inline at once). */
export const DEFAULT_MODEL_CONTEXT = {
  contextSize: SETTING_DEFAULTS["student.contextSize"],
  studentSequences: 2,
  /** A separate inline model's context (one sequence): ghost text sends at most ~7,500 characters around the cursor. */
  inlineContextSize: 4096,
} as const;

/** The teacher's deadline per request, and the longest silence of a reply once it started. */
export const DEFAULT_TEACHER_TIMEOUTS = {
  timeoutMs: SETTING_DEFAULTS["teacher.timeoutMs"],
  idleMs: 15_000,
} as const;
