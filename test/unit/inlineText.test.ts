import { test } from "node:test";
import assert from "node:assert/strict";
import { CompletionCache, joinCompletion, joinOffsets, trimCompletion, wantsMultiline, type IndentStyle } from "../../src/editor/inline.js";
import { inlineContext, prefixStart } from "../../src/core/inlineWindow.js";

test("inline context is bounded and cut at line boundaries", () => {
  const before = Array.from({ length: 100 }, (_, i) => `line ${i}`).join("\n") + "\nconst x = ";
  const { prefix, suffix } = inlineContext(before, "\nafter 1\nafter 2\nafter 3", { maxPrefixChars: 50, maxSuffixChars: 12 });
  assert.ok(prefix.length <= 50);
  assert.match(prefix, /^line \d+\n/);
  assert.ok(prefix.endsWith("const x = "));
  assert.equal(suffix, "\nafter 1\n");
});

test("the prefix's start stays put while the user types, moving only in steps", () => {
  const doc = Array.from({ length: 400 }, (_, i) => `line ${i} ${"x".repeat(i % 17)}`).join("\n") + "\n";
  const options = { maxPrefixChars: 400, maxSuffixChars: 100 };
  const starts = new Set<string>();
  let previous: string | undefined;
  let moves = 0;
  // Type 300 characters at the end, one at a time: the window's first line changes rarely.
  for (let typed = 0; typed <= 300; typed++) {
    const before = doc + "y".repeat(typed);
    const { prefix } = inlineContext(before, "\n", options);
    assert.ok(prefix.length <= 400 && prefix.length >= 300 - 40, `prefix of ${prefix.length} chars`);
    assert.ok(before.endsWith(prefix));
    const first = prefix.slice(0, prefix.indexOf("\n"));
    if (previous !== undefined && first !== previous) moves++;
    previous = first;
    starts.add(first);
  }
  // A step is a quarter of the window (100 characters): 300 typed characters move it about 3 times, not ~20 (every line crossed).
  assert.ok(moves <= 4, `the start moved ${moves} times`);
  // The same window from a partial read of the document (as the extension reads it) is the same.
  const before = doc + "y".repeat(123);
  const offset = before.length;
  const from = Math.max(0, prefixStart(offset, 400) - 1);
  assert.deepEqual(inlineContext(before.slice(from), "\n", options, from), inlineContext(before, "\n", options));
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

test("cache: a new scope (another model, changed settings) drops every entry; the same scope keeps them", () => {
  const cache = new CompletionCache();
  cache.useScope("smollm2|settings-1");
  cache.set("total = ", "", { text: "1000", teacher: [] });
  cache.useScope("smollm2|settings-1");
  assert.equal(cache.get("total = ", "")?.text, "1000");
  cache.useScope("qwen|settings-1");
  assert.equal(cache.get("total = ", ""), undefined);
  assert.equal(cache.get("total = 1", ""), undefined, "no typed-through hit either");
  assert.equal(cache.size, 0);
});

const spaces = (n: number): IndentStyle => ({ insertSpaces: true, tabSize: n, indentSize: n });
const tabs: IndentStyle = { insertSpaces: false, tabSize: 4, indentSize: 4 };

test("join: the model's leading space token after typed indentation is dropped (SmolLM2's ' return' after 4 spaces)", () => {
  // What SmolLM2-135M and Qwen2.5-Coder really wrote after these prefixes (issue: 5 spaces in a 4-space file).
  assert.equal(joinCompletion("def add(a, b):\n    ", " return a + b", spaces(4)), "return a + b");
  assert.equal(joinCompletion("def add(a, b):\n  ", " return a + b", spaces(2)), "return a + b");
  assert.equal(joinCompletion("def add(a, b):\n\t", "\treturn a + b", tabs), "return a + b");
  assert.equal(joinCompletion("def add(a, b):\n    ", "return a + b", spaces(4)), "return a + b");
  assert.equal(joinCompletion("function add(a, b) {\n    ", " return {...a, b}\n}", spaces(4)), "return {...a, b}\n}");
});

test("join: indentation the code above calls for is kept, whole levels only, in the file's style", () => {
  // From column 0: the model's indentation, up to one level more than the block opener.
  assert.equal(joinCompletion("def f():\n", "    return 1", spaces(4)), "    return 1");
  assert.equal(joinCompletion("def f():\n", "    return 1", spaces(2)), "  return 1");
  assert.equal(joinCompletion("def f():\n", "    return 1", tabs), "\treturn 1");
  assert.equal(joinCompletion("def f():\n", "     return 1", spaces(4)), "    return 1");
  // Deeper code above: its level is allowed.
  assert.equal(joinCompletion("if a:\n        b()\n    ", "    c()", spaces(4)), "    c()");
  // The user's own deeper indentation stays; nothing is added to it.
  assert.equal(joinCompletion("x = 1\n        ", " y = 2", spaces(4)), "y = 2");
  // A whitespace-only first line (the completion starts a new line) is emptied.
  assert.equal(joinCompletion("def f():\n    ", "  \n    pass", spaces(4)), "\n    pass");
});

test("join: after text ending in a space the model's space is not doubled; further lines take the file's style", () => {
  assert.equal(joinCompletion("x = ", " 1000", spaces(4)), "1000");
  assert.equal(joinCompletion("x =", " 1000", spaces(4)), " 1000");
  assert.equal(joinCompletion("x = foo(", "a, b)", spaces(4)), "a, b)");
  assert.equal(joinCompletion("if (a) {", "\n    return 1;\n}", tabs), "\n\treturn 1;\n}");
  assert.equal(joinCompletion("if (a) {", "\n\treturn 1;\n}", spaces(4)), "\n    return 1;\n}");
  // A tab is tabSize columns: two tabs at tab size 2 are four spaces.
  assert.equal(joinCompletion("if (a) {", "\n\t\treturn 1;\n}", spaces(2)), "\n    return 1;\n}");
});

test("join: offsets into the model's text (teacher ranges) move with the rewritten indentation", () => {
  const model = " return a\n\tb + c";
  const joined = joinCompletion("def f():\n    ", model, spaces(4));
  assert.equal(joined, "return a\n    b + c");
  const map = joinOffsets("def f():\n    ", model, spaces(4));
  // "a" (offset 8), "b" (offset 11), the end.
  assert.equal(joined[map(8)], "a");
  assert.equal(joined[map(11)], "b");
  assert.equal(map(model.length), joined.length);
  assert.equal(map(0), 0);
});
