/**
 * docs/architecture.md is where comments and the Python modules point: every pointer names a
 * section that exists, no citation of the old out-of-repository design document is left, and
 * the layer table covers every folder the lint rules know.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";

const ROOT = new URL("../../", import.meta.url).pathname;
const DOC = readFileSync(join(ROOT, "docs/architecture.md"), "utf8");
const HEADINGS = new Set([...DOC.matchAll(/^##+ (.+)$/gm)].map((m) => m[1].trim()));

/** The project's own text files where comments live (no dependencies, builds or caches). */
function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (["node_modules", "dist", ".cache", ".git", "__pycache__", "test-results", "out"].includes(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (/\.(ts|js|mjs|py|sh|md)$/.test(name)) yield path;
  }
}

const FILES = ["src", "python", "test", "bench", "scripts", "docs", "webview"].flatMap((d) => [...sources(join(ROOT, d))]).concat([join(ROOT, "README.md"), join(ROOT, "eslint.config.js")]);

test('every pointer to docs/architecture.md names one of its sections', () => {
  let pointers = 0;
  for (const file of FILES) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/docs\/architecture\.md,\s+(?:#\s*)?"([^"]+)"/g)) {
      pointers++;
      const name = m[1].replace(/\s+/g, " ");
      assert.ok(HEADINGS.has(name), `${relative(ROOT, file)} points to "${name}", which is not a section of docs/architecture.md`);
    }
  }
  assert.ok(pointers >= 8, `only ${pointers} pointers found`);
});

test("no citation of the design document that was never in the repository", () => {
  for (const file of FILES) {
    if (file.endsWith("architectureDoc.test.ts")) continue;
    assert.doesNotMatch(readFileSync(file, "utf8"), /DESIGN(\.md| §)/, relative(ROOT, file));
  }
});

test("the layer table names every folder of src/ the lint rules know", async () => {
  const config: string = "../../eslint.config.js";
  const { SRC_FOLDERS } = (await import(config)) as { SRC_FOLDERS: string[] };
  const table = DOC.slice(DOC.indexOf("## Layers and import rules"), DOC.indexOf("## The life of a request"));
  for (const folder of SRC_FOLDERS) assert.match(table, new RegExp(`\`src/${folder}\``), folder);
});
