import { test } from "node:test";
import assert from "node:assert/strict";
import { CompletionCache, inlineContext, trimCompletion, wantsMultiline } from "../../src/core/inline.js";

test("inline context is bounded and cut at line boundaries", () => {
  const before = Array.from({ length: 100 }, (_, i) => `line ${i}`).join("\n") + "\nconst x = ";
  const { prefix, suffix } = inlineContext(before, "\nafter 1\nafter 2\nafter 3", { maxPrefixChars: 50, maxSuffixChars: 12 });
  assert.ok(prefix.length <= 50);
  assert.match(prefix, /^line \d+\n/);
  assert.ok(prefix.endsWith("const x = "));
  assert.equal(suffix, "\nafter 1\n");
});

test("multi-line when a block opens, one line otherwise", () => {
  assert.equal(wantsMultiline("function f() {", ""), true);
  assert.equal(wantsMultiline("def f(x):\n    ", "\n"), true);
  assert.equal(wantsMultiline("const y = ", "\n"), false);
  assert.equal(wantsMultiline("if (a) {", " }"), false);
  assert.equal(wantsMultiline("const f = () =>\n", ""), true);
});

test("completion trimming: one line, a block up to a blank line, no repeat of the suffix", () => {
  assert.equal(trimCompletion("a + b;\nconsole.log(1);", false, ""), "a + b;");
  assert.equal(trimCompletion("\n  return 1;\n}\n\nfunction g() {}", true, ""), "\n  return 1;\n}");
  assert.equal(trimCompletion("foo(a, b));", false, ");"), "foo(a, b)");
});

test("cache: exact hits, typed-through hits with shifted teacher ranges, LRU eviction", () => {
  const cache = new CompletionCache(2);
  cache.set("const x = ", "", { text: "compute(17, 23);", teacher: [{ start: 8, end: 15, model: "m", tokens: 3, latencyMs: 5 }] });
  assert.equal(cache.get("const x = ", "")?.text, "compute(17, 23);");
  const typed = cache.get("const x = comp", "");
  assert.equal(typed?.text, "ute(17, 23);");
  assert.deepEqual(typed?.teacher.map((t) => [t.start, t.end]), [[4, 11]]);
  assert.equal(cache.get("const x = cx", ""), undefined);
  assert.equal(cache.get("const x = ", "other suffix"), undefined);
  cache.set("a", "", { text: "1", teacher: [] });
  cache.set("b", "", { text: "2", teacher: [] });
  assert.equal(cache.size, 2);
  assert.equal(cache.get("const x = ", ""), undefined);
});
