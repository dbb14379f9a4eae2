/** Each test file's name is unique across tiers, so a failing file says which tier and what broke. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const testRoot = join(import.meta.dirname, "..");

test("no test file name is shared by two tiers", () => {
  const seen = new Map<string, string[]>();
  for (const tier of readdirSync(testRoot, { withFileTypes: true })) {
    if (!tier.isDirectory()) continue;
    for (const name of readdirSync(join(testRoot, tier.name))) {
      if (!name.endsWith(".test.ts")) continue;
      seen.set(name, [...(seen.get(name) ?? []), tier.name]);
    }
  }
  assert.ok(seen.size > 50, `found only ${seen.size} test files under ${testRoot}`);
  const shared = [...seen].filter(([, tiers]) => tiers.length > 1).map(([name, tiers]) => `${name} in ${tiers.join(", ")}`);
  assert.deepEqual(shared, []);
});
