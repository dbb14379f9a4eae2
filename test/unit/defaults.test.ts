/**
 * One table of defaults (src/core/defaults.ts) for the editor and the `relay` command: the
 * extension's contributed defaults (package.json, what the extension reads at run time), the
 * CLI's option defaults (the real `relay ask` and `relay eval` commands) and the library defaults
 * a missing option falls back to must all be that table. The deliberate differences are listed
 * below with their reason; any other difference fails.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Command, type Option } from "commander";
import { registerAsk } from "../../src/cli/ask.js";
import { registerEval } from "../../src/cli/eval.js";
import { DEFAULT_LIMITS } from "../../src/core/controller.js";
import { DEFAULT_MODEL_CONTEXT, DEFAULT_STUDENT_MODEL, DEFAULT_TEACHER_TIMEOUTS, SETTING_DEFAULTS, type SettingDefaultKey } from "../../src/core/defaults.js";
import { DEFAULT_POLICY_OPTIONS } from "../../src/core/policies.js";
import { RECOMMENDED_STUDENT } from "../../src/core/recommendedModel.js";
import { contributedDefaults, SETTING_KEYS, type ExtensionManifest } from "../../src/extension/settings.js";
import { DEFAULT_TEACHER_TEMPERATURE, DEFAULT_TEACHER_TIMEOUT_MS } from "../../src/teacher/openaiTeacher.js";

const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as ExtensionManifest;
const contributed = manifest.contributes!.configuration!.properties!;

/** The real command line's commands, built as main.ts builds them (nothing is parsed or run). */
const program = new Command();
registerAsk(program);
registerEval(program);
const command = (name: string) => program.commands.find((c) => c.name() === name)!;

/** The default a command's option has, failing when the command has no such option. */
function optionDefault(cmd: Command, flag: string): unknown {
  const option = cmd.options.find((o: Option) => o.long === flag);
  assert.ok(option, `${cmd.name()} has no ${flag} option`);
  return option.defaultValue;
}

/**
 * What `relay ask` does for each setting when the user gives no option: the option's default,
 * or (for an option without one) what the library falls back to. `undefined` in a CLI column
 * means "no option given" and is mapped to the setting's "none" value.
 */
const CLI: { [K in SettingDefaultKey]?: () => unknown } = {
  "student.gpu": () => optionDefault(command("ask"), "--gpu"),
  "student.thinking": () => optionDefault(command("ask"), "--thinking") === "on",
  "student.contextSize": () => optionDefault(command("ask"), "--context-size"),
  // No --threads: the governor adapts the count, which the editor's 0 means.
  "student.threads": () => optionDefault(command("ask"), "--threads") ?? 0,
  "teacher.url": () => optionDefault(command("ask"), "--teacher-url") ?? "",
  "teacher.model": () => optionDefault(command("ask"), "--teacher-model") ?? "",
  "teacher.apiStyle": () => optionDefault(command("ask"), "--teacher-api"),
  // No --teacher-template: the student's own template, which the editor's "student" means.
  "teacher.promptTemplate": () => optionDefault(command("ask"), "--teacher-template") ?? "student",
  // No --teacher-temperature / --teacher-timeout: the API teacher's own defaults.
  "teacher.temperature": () => optionDefault(command("ask"), "--teacher-temperature") ?? DEFAULT_TEACHER_TEMPERATURE,
  "teacher.timeoutMs": () => optionDefault(command("ask"), "--teacher-timeout") ?? DEFAULT_TEACHER_TIMEOUT_MS,
  "teacher.maxContextTokens": () => optionDefault(command("ask"), "--max-context"),
  "teacher.historyTokens": () => optionDefault(command("ask"), "--teacher-history"),
  // No --share: the thresholds as set, which the editor's 0 means.
  "teacher.share": () => optionDefault(command("ask"), "--share") ?? 0,
  "budget.period": () => optionDefault(command("ask"), "--budget-period"),
  policy: () => optionDefault(command("ask"), "--policy"),
  // No --threshold / --span-tokens: the policies' defaults.
  "confidence.threshold": () => optionDefault(command("ask"), "--threshold") ?? DEFAULT_POLICY_OPTIONS.threshold,
  "confidence.spanTokens": () => optionDefault(command("ask"), "--span-tokens") ?? DEFAULT_POLICY_OPTIONS.spanTokens,
  "router.file": () => optionDefault(command("ask"), "--router") ?? "",
  maxTokens: () => optionDefault(command("ask"), "--max-tokens"),
  maxCallsPerAnswer: () => optionDefault(command("ask"), "--max-calls"),
  maxSpanTokens: () => optionDefault(command("ask"), "--max-span"),
};

/** Settings whose CLI default differs on purpose, and why. */
const DIFFERENT_ON_PURPOSE: { [K in SettingDefaultKey]?: { cli: () => unknown; why: string } } = {
  "student.model": {
    cli: () => optionDefault(command("ask"), "--student"),
    why: "the editor starts with no student and offers the recommended one before a 1.8 GB download; `relay ask` downloads that same recommended model when run without --student",
  },
  "budget.limit": {
    cli: () => optionDefault(command("ask"), "--budget-tokens"),
    why: "the editor keeps a ledger per workspace; the command line has no workspace, so its budget (and its ledger file) is opted into with --budget-tokens",
  },
};

/** Editor-only settings: there is no command-line counterpart. */
const EDITOR_ONLY: SettingDefaultKey[] = [
  "teacher.prefillWarming",
  "teacher.inputPricePerMillion",
  "teacher.outputPricePerMillion",
  "inline.enabled",
  "inline.model",
  "inline.teacher",
  "inline.languages",
  "inline.debounceMs",
  "inline.maxTokens",
  "inline.promptTimeoutMs",
  "inline.predictTimeoutMs",
  "inline.teacherTimeoutMs",
  "inline.contextTokens",
  "inline.exclude",
];

test("package.json contributes exactly the table's settings, each with the table's default", () => {
  const keys = Object.keys(SETTING_DEFAULTS).sort();
  assert.deepEqual(Object.keys(contributed).map((k) => k.replace(/^relay\./, "")).sort(), keys);
  assert.deepEqual([...SETTING_KEYS].sort(), keys, "the extension's settings schemas cover the table");
  for (const key of keys as SettingDefaultKey[]) assert.deepEqual(contributed[`relay.${key}`].default, SETTING_DEFAULTS[key], `relay.${key}`);
  // What the extension reads at run time.
  const defaults = contributedDefaults(manifest);
  for (const key of SETTING_KEYS) assert.deepEqual(defaults[key], SETTING_DEFAULTS[key], `relay.${key} as the extension resolves it`);
});

test("the CLI answers with the table's defaults (relay ask)", () => {
  for (const [key, cli] of Object.entries(CLI) as [SettingDefaultKey, () => unknown][]) {
    assert.deepEqual(cli(), SETTING_DEFAULTS[key], `relay.${key}: the CLI's default`);
  }
});

test("every setting is compared, differs on purpose (with a reason), or is editor-only", () => {
  for (const key of Object.keys(SETTING_DEFAULTS) as SettingDefaultKey[]) {
    const places = [key in CLI, key in DIFFERENT_ON_PURPOSE, EDITOR_ONLY.includes(key)].filter(Boolean).length;
    assert.equal(places, 1, `relay.${key} must be in exactly one of CLI, DIFFERENT_ON_PURPOSE, EDITOR_ONLY`);
  }
  assert.equal(DIFFERENT_ON_PURPOSE["student.model"]!.cli(), RECOMMENDED_STUDENT.uri);
  assert.equal(DEFAULT_STUDENT_MODEL, RECOMMENDED_STUDENT.uri, "one constant for the recommended student");
  assert.equal(DIFFERENT_ON_PURPOSE["budget.limit"]!.cli(), undefined);
  for (const [key, { why }] of Object.entries(DIFFERENT_ON_PURPOSE)) assert.ok(why.length > 20, `relay.${key}: say why`);
});

test("relay eval shares ask's model and limit options, with the same defaults", () => {
  for (const flag of ["--gpu", "--thinking", "--context-size", "--teacher-api", "--policy", "--max-tokens", "--max-calls", "--max-span", "--max-context", "--teacher-history", "--student"]) {
    assert.deepEqual(optionDefault(command("eval"), flag), optionDefault(command("ask"), flag), flag);
  }
});

test("the library defaults are the table's (what a caller that passes nothing gets)", () => {
  assert.deepEqual(DEFAULT_LIMITS, {
    maxTokens: SETTING_DEFAULTS.maxTokens,
    maxCallsPerAnswer: SETTING_DEFAULTS.maxCallsPerAnswer,
    maxSpanTokens: SETTING_DEFAULTS.maxSpanTokens,
    maxContextTokens: SETTING_DEFAULTS["teacher.maxContextTokens"],
    teacherHistoryTokens: SETTING_DEFAULTS["teacher.historyTokens"],
  });
  assert.equal(DEFAULT_POLICY_OPTIONS.threshold, SETTING_DEFAULTS["confidence.threshold"]);
  assert.equal(DEFAULT_POLICY_OPTIONS.spanTokens, SETTING_DEFAULTS["confidence.spanTokens"]);
  assert.equal(DEFAULT_TEACHER_TIMEOUT_MS, SETTING_DEFAULTS["teacher.timeoutMs"]);
  assert.equal(DEFAULT_TEACHER_TIMEOUTS.timeoutMs, SETTING_DEFAULTS["teacher.timeoutMs"]);
  assert.equal(DEFAULT_TEACHER_TEMPERATURE, SETTING_DEFAULTS["teacher.temperature"]);
  assert.equal(DEFAULT_MODEL_CONTEXT.contextSize, SETTING_DEFAULTS["student.contextSize"]);
});

test("no hard-coded copies of the model-context defaults are left in the loading code", () => {
  for (const file of ["src/student/llamaStudent.ts", "src/teacher/localTeacher.ts", "src/llama/loadModel.ts", "src/extension/studentService.ts"]) {
    const text = readFileSync(new URL(`../../${file}`, import.meta.url), "utf8");
    assert.doesNotMatch(text, /max:\s*8192|sequences:\s*2\b/, file);
  }
});
