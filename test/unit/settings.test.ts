/**
 * The `relay.*` settings layer (src/extension/settings.ts, no VS Code needed): package.json is
 * the one source of the defaults and agrees with the schemas; invalid values give a message
 * naming the setting and fall back; a workspace's own settings cannot raise what the teacher
 * costs (issue 12).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as z from "zod";
import { RelayError } from "../../src/core/errors.js";
import { createPolicy, type PolicyName } from "../../src/core/policies.js";
import { configuredRelayOptions } from "../../src/extension/relayOptions.js";
import { EXTENSION_ID, SETTING_KEYS, SETTING_SCHEMAS, SPEND_RULES, contributedDefaults, resolveSettings, type ExtensionManifest, type InspectedSetting } from "../../src/extension/settings.js";

const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as ExtensionManifest & { name: string; publisher: string };
const properties = manifest.contributes!.configuration!.properties!;

/** Settings a workspace may set freely: they choose the local student, not the teacher's work. */
/** Which models run here, and how: the workspace's choice (a model path is restricted in Restricted Mode). */
/** Time caps only decide when ghost text shows: the run and its teacher calls are the same either way. */
const FREE_PER_WORKSPACE = ["student.model", "student.gpu", "student.threads", "student.contextSize", "inline.model", "inline.promptTimeoutMs", "inline.predictTimeoutMs"];

function resolve(layers: { user?: Record<string, unknown>; workspace?: Record<string, unknown> }, trusted = true) {
  const inspect = (setting: string): InspectedSetting => ({ globalValue: layers.user?.[setting], workspaceValue: layers.workspace?.[setting] });
  return resolveSettings(manifest, inspect, { trusted });
}

test("the extension id the settings layer looks up is package.json's publisher.name", () => {
  assert.equal(EXTENSION_ID, `${manifest.publisher}.${manifest.name}`);
});

test("every contributed relay.* setting has a schema, and every schema a contributed setting", () => {
  assert.deepEqual(Object.keys(properties).map((k) => k.replace(/^relay\./, "")).sort(), [...SETTING_KEYS].sort());
});

test("the schemas agree with package.json on type, allowed values and range", () => {
  for (const key of SETTING_KEYS) {
    const contributed = properties[`relay.${key}`] as Record<string, unknown>;
    const schema = z.toJSONSchema(SETTING_SCHEMAS[key]) as Record<string, unknown>;
    assert.equal(schema.type, contributed.type, `relay.${key}: type`);
    assert.deepEqual(schema.enum, contributed.enum, `relay.${key}: enum`);
    assert.equal(schema.minimum, contributed.minimum, `relay.${key}: minimum`);
    const max = schema.maximum === Number.MAX_SAFE_INTEGER ? undefined : schema.maximum;
    assert.equal(max, contributed.maximum, `relay.${key}: maximum`);
  }
});

test("the defaults come from package.json (the one source) and all parse", () => {
  const defaults = contributedDefaults(manifest);
  for (const key of SETTING_KEYS) assert.deepEqual(defaults[key], properties[`relay.${key}`].default, `relay.${key}`);
  const { config, problems } = resolve({});
  assert.deepEqual(problems, []);
  assert.equal(config.student.model, properties["relay.student.model"].default);
  assert.equal(config.policy, "auto");
  assert.equal(config.maxCallsPerAnswer, properties["relay.maxCallsPerAnswer"].default);
  assert.deepEqual(config.inline.languages, ["*"]);
});

test("a default missing from package.json is an error that names the setting", () => {
  const broken = structuredClone(manifest);
  delete broken.contributes!.configuration!.properties!["relay.maxSpanTokens"];
  assert.throws(() => contributedDefaults(broken), /relay\.maxSpanTokens/);
});

test("an invalid user value gives a message naming the setting and the default is used", () => {
  const { config, problems } = resolve({ user: { "relay.maxSpanTokens": "lots", "relay.policy": "teacher-only", "relay.confidence.threshold": 2, "relay.teacher.url": "not-a-url" } });
  assert.equal(config.maxSpanTokens, 128);
  assert.equal(config.policy, "auto");
  assert.equal(config.confidence.threshold, properties["relay.confidence.threshold"].default);
  assert.equal(config.teacher.url, "");
  const bySetting = new Map(problems.map((p) => [p.setting, p]));
  assert.deepEqual([...bySetting.keys()].sort(), ["relay.confidence.threshold", "relay.maxSpanTokens", "relay.policy", "relay.teacher.url"]);
  assert.match(bySetting.get("relay.maxSpanTokens")!.message, /^relay\.maxSpanTokens: "lots" in your user settings is not valid \(.*expected number.*\); using the default 128\.$/);
  assert.match(bySetting.get("relay.policy")!.message, /"teacher-only".*not valid.*using the default "auto"/);
  assert.match(bySetting.get("relay.teacher.url")!.message, /http\(s\) URL/);
  for (const p of problems) assert.equal(p.source, "user");
});

test("whitespace around the teacher URL and model is dropped", () => {
  const { config } = resolve({ user: { "relay.teacher.url": " http://127.0.0.1:8000/v1 ", "relay.teacher.model": " m " } });
  assert.equal(config.teacher.url, "http://127.0.0.1:8000/v1");
  assert.equal(config.teacher.model, "m");
});

test("the issue's workspace file (teacher-only, 0 calls, 1-token spans) cannot make the teacher work harder", () => {
  const { config, problems } = resolve({
    user: { "relay.policy": "learned", "relay.maxTokens": 120 },
    workspace: { "relay.policy": "teacher-only", "relay.maxCallsPerAnswer": 0, "relay.maxSpanTokens": 1 },
  });
  // teacher-only is no extension policy: rejected, the user's policy stays.
  assert.equal(config.policy, "learned");
  // Lower limits are cheaper: taken.
  assert.equal(config.maxCallsPerAnswer, 0);
  assert.equal(config.maxSpanTokens, 1);
  assert.equal(problems.length, 1);
  assert.equal(problems[0].setting, "relay.policy");
  assert.equal(problems[0].source, "workspace");
  assert.match(problems[0].message, /"teacher-only" in this workspace's settings is not valid .*using your setting "learned"/);
});

test("workspace values that would raise spend are capped by the user's value, with a message", () => {
  const user = {
    "relay.policy": "learned",
    "relay.maxCallsPerAnswer": 4,
    "relay.maxSpanTokens": 32,
    "relay.maxTokens": 256,
    "relay.confidence.threshold": 0.2,
    "relay.confidence.spanTokens": 8,
    "relay.inline.teacher": false,
    "relay.inline.enabled": false,
    "relay.inline.maxTokens": 16,
    "relay.inline.debounceMs": 500,
    "relay.inline.languages": ["python"],
  };
  const workspace = {
    "relay.policy": "auto",
    "relay.maxCallsPerAnswer": 50,
    "relay.maxSpanTokens": 1000,
    "relay.maxTokens": 100000,
    "relay.confidence.threshold": 0.99,
    "relay.confidence.spanTokens": 500,
    "relay.inline.teacher": true,
    "relay.inline.enabled": true,
    "relay.inline.maxTokens": 1000,
    "relay.inline.debounceMs": 0,
    "relay.inline.languages": ["*"],
  };
  const { values, problems } = resolve({ user, workspace });
  for (const [setting, value] of Object.entries(user)) assert.deepEqual(values[setting.replace("relay.", "") as keyof typeof values], value, setting);
  assert.deepEqual(problems.map((p) => p.setting).sort(), Object.keys(workspace).sort());
  for (const p of problems) assert.match(p.message, /would make the teacher cost more than your setting/);
});

test("workspace values that do not raise spend are taken", () => {
  const { config, problems } = resolve({
    user: { "relay.policy": "auto", "relay.inline.languages": ["python", "typescript"] },
    workspace: {
      "relay.policy": "learned",
      "relay.maxCallsPerAnswer": 2,
      "relay.confidence.threshold": 0.1,
      "relay.inline.teacher": false,
      "relay.inline.debounceMs": 900,
      "relay.inline.languages": ["python"],
      "relay.student.model": "/models/team-student.gguf",
    },
  });
  assert.deepEqual(problems, []);
  assert.equal(config.policy, "learned");
  assert.equal(config.maxCallsPerAnswer, 2);
  assert.equal(config.confidence.threshold, 0.1);
  assert.equal(config.inline.teacher, false);
  assert.equal(config.inline.debounceMs, 900);
  assert.deepEqual(config.inline.languages, ["python"]);
  assert.equal(config.student.model, "/models/team-student.gguf");
});

test("policies are ordered by what they may ask: student-only below all, auto above learned and confidence", () => {
  const policy = (user: string, ws: string) => resolve({ user: { "relay.policy": user }, workspace: { "relay.policy": ws } }).config.policy;
  assert.equal(policy("learned", "student-only"), "student-only");
  assert.equal(policy("auto", "confidence"), "confidence");
  assert.equal(policy("learned", "confidence"), "learned");
  assert.equal(policy("confidence", "learned"), "confidence");
  assert.equal(policy("student-only", "auto"), "student-only");
});

test("teacher and budget settings (application scope) are never taken from a workspace", () => {
  const { config, problems } = resolve({
    user: { "relay.teacher.url": "http://127.0.0.1:8000/v1", "relay.budget.limit": 1000 },
    workspace: { "relay.teacher.url": "http://attacker.example/v1", "relay.teacher.model": "gpt-expensive", "relay.budget.limit": 0 },
  });
  assert.equal(config.teacher.url, "http://127.0.0.1:8000/v1");
  assert.equal(config.teacher.model, "");
  assert.equal(config.budget.limit, 1000);
  assert.equal(problems.length, 3);
  for (const p of problems) assert.match(p.message, /can only be set in your user settings/);
});

test("in Restricted Mode a workspace's restricted settings (the student model, the inline model) are not used", () => {
  const layers = { workspace: { "relay.student.model": "/tmp/evil.gguf", "relay.inline.model": "/tmp/evil-coder.gguf" } };
  assert.equal(resolve(layers, false).config.student.model, properties["relay.student.model"].default);
  assert.equal(resolve(layers, true).config.student.model, "/tmp/evil.gguf");
  assert.equal(resolve(layers, false).config.inline.model, "");
  assert.equal(resolve(layers, true).config.inline.model, "/tmp/evil-coder.gguf");
});

test("a workspace-folder value counts like a workspace value", () => {
  const inspect = (setting: string): InspectedSetting => (setting === "relay.maxCallsPerAnswer" ? { globalValue: 3, workspaceValue: 2, workspaceFolderValue: 30 } : {});
  const { config, problems } = resolveSettings(manifest, inspect, { trusted: true });
  assert.equal(config.maxCallsPerAnswer, 3);
  assert.equal(problems.length, 1);
});

test("every setting is either free per workspace, capped by the user's value, or user-only", () => {
  for (const key of SETTING_KEYS) {
    const scope = properties[`relay.${key}`].scope;
    const userOnly = scope === "application" || scope === "machine";
    const capped = key in SPEND_RULES;
    assert.ok(FREE_PER_WORKSPACE.includes(key) || capped || userOnly, `relay.${key}: decide whether a workspace may raise it`);
    assert.ok(!(capped && userOnly), `relay.${key}: both capped and user-only`);
  }
});

test("createPolicy names an unknown policy instead of failing later", () => {
  assert.throws(
    () => createPolicy("teacher-onyl" as PolicyName),
    (error: unknown) => error instanceof RelayError && error.code === "invalid-argument" && /Unknown trigger policy "teacher-onyl"; choose one of learned, confidence, auto/.test(error.message),
  );
});

test("relay.teacher.prefillWarming reaches the relay request: off by default, on from the user's settings, never from a workspace", () => {
  assert.equal(configuredRelayOptions(resolve({}).config).warmTeacher, false);
  assert.equal(configuredRelayOptions(resolve({ user: { "relay.teacher.prefillWarming": true } }).config).warmTeacher, true);
  // Application scope: a workspace value is not read.
  assert.equal(configuredRelayOptions(resolve({ workspace: { "relay.teacher.prefillWarming": true } }).config).warmTeacher, false);
  const options = configuredRelayOptions(resolve({ user: { "relay.maxTokens": 300 } }).config, 40);
  assert.equal(options.limits.maxTokens, 40, "a job's own limit wins");
  assert.equal(configuredRelayOptions(resolve({ user: { "relay.maxTokens": 300 } }).config).limits.maxTokens, 300);
});

test("inline context: a workspace may add exclusions and lower the context, never drop the user's exclusions or raise it", () => {
  const user = { "relay.inline.exclude": ["**/secrets/**"], "relay.inline.contextTokens": 512 };
  const dropped = resolve({ user, workspace: { "relay.inline.exclude": ["**/*.env"], "relay.inline.contextTokens": 4096 } });
  assert.deepEqual(dropped.config.inline.exclude, ["**/secrets/**"]);
  assert.equal(dropped.config.inline.contextTokens, 512);
  assert.deepEqual(dropped.problems.map((p) => p.setting).sort(), ["relay.inline.contextTokens", "relay.inline.exclude"]);
  const added = resolve({ user, workspace: { "relay.inline.exclude": ["**/secrets/**", "**/*.env"], "relay.inline.contextTokens": 0 } });
  assert.deepEqual(added.problems, []);
  assert.deepEqual(added.config.inline.exclude, ["**/secrets/**", "**/*.env"]);
  assert.equal(added.config.inline.contextTokens, 0);
  const invalid = resolve({ user: { "relay.inline.exclude": [""], "relay.inline.promptTimeoutMs": -1 } });
  assert.deepEqual(invalid.problems.map((p) => p.setting).sort(), ["relay.inline.exclude", "relay.inline.promptTimeoutMs"]);
  assert.equal(invalid.config.inline.promptTimeoutMs, 500);
});
