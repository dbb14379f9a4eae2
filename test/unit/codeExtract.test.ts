/** Reading code out of model answers, checked by what the built program does (run here with the plain python3, no model). */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { extractFunctionCompletion, extractLine, keepDefinitions, normalizeLine } from "../../src/eval/codeExtract.js";
import { codePrompt } from "../../src/eval/codePrompts.js";
import { codeTaskOf, programOf, type CodeTask } from "../../src/eval/codeTask.js";

const task: CodeTask = {
  kind: "function",
  prompt: 'from typing import List\n\n\ndef helper(x):\n    return x * 2\n\n\ndef double_all(xs: List[int]) -> List[int]:\n    """Doubles every number.\n    >>> double_all([1])\n    [2]\n    """\n',
  suffix: "",
  test: "def check(candidate):\n    assert candidate([1, 2]) == [2, 4]\n    assert candidate([]) == []\n",
  entryPoint: "double_all",
};

/** Runs the program with python3 (outside any sandbox: these programs are the test's own). */
function passes(program: string): boolean {
  try {
    execFileSync("python3", ["-c", program], { stdio: "pipe", timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

const passesWith = (answer: string) => passes(programOf(task, extractFunctionCompletion(answer, task)));

describe("function answers", () => {
  it("a fenced block with the whole function (and an example call after it)", () => {
    const answer = "Here you go:\n\n```python\nfrom typing import List\n\ndef double_all(xs: List[int]) -> List[int]:\n    return [helper(x) for x in xs]\n\nprint(double_all([3]))\nassert double_all([1]) == [9]\n```\nThis doubles each.";
    const completion = extractFunctionCompletion(answer, task);
    assert.doesNotMatch(completion, /print|assert|Here|doubles each/);
    assert.ok(passes(programOf(task, completion)));
  });

  it("a helper the answer defines before the function is kept", () => {
    assert.ok(passesWith("```python\nimport math\n\ndef triple_half(x):\n    return math.floor(x * 2)\n\ndef double_all(xs):\n    return [triple_half(x) for x in xs]\n\nprint(double_all([1]))\n```"));
  });

  it("the block that defines the function, not an earlier usage example", () => {
    const answer = "Usage:\n```\n>>> double_all([1])\n```\n```python\ndef double_all(xs):\n    return [2 * x for x in xs]\n```";
    assert.ok(passesWith(answer));
  });

  it("a raw continuation of the prompt: the body, cut where top-level code starts", () => {
    assert.ok(passesWith("    return [helper(x) for x in xs]\n\n\nif __name__ == '__main__':\n    raise SystemExit(1)\n"));
  });

  it("a body written without indentation is indented under the function", () => {
    assert.ok(passesWith("```python\nout = [x * 2 for x in xs]\nreturn out\n```"));
  });

  it("a body in a fence, indented", () => {
    assert.ok(passesWith("```python\n    return list(map(helper, xs))\n```"));
  });

  it("an answer cut at its token limit inside an unclosed fence", () => {
    assert.ok(passesWith("```python\ndef double_all(xs):\n    return [x + x for x in xs]\n"));
  });

  it("the whole function indented inside prose keeps its own structure", () => {
    assert.ok(passesWith("Sure:\n    def double_all(xs):\n        result = []\n        for x in xs:\n            result.append(2 * x)\n        return result\n"));
  });

  it("a wrong answer fails, and so does no code at all", () => {
    assert.equal(passesWith("```python\ndef double_all(xs):\n    return xs\n```"), false);
    assert.equal(passesWith("I cannot help with that."), false);
    assert.equal(passesWith(""), false);
  });

  it("keeps imports, definitions, decorators and assignments; drops calls and asserts", () => {
    const code = "import math\nLIMIT = 3\nx: int = 2\n@cache\ndef f(a):\n    return a\nf(1)\nprint('hi')\nassert f(1) == 1\nclass C:\n    pass\nif x == 2:\n    pass";
    assert.equal(keepDefinitions(code), "import math\nLIMIT = 3\nx: int = 2\n@cache\ndef f(a):\n    return a\nclass C:\n    pass");
  });
});

describe("line answers", () => {
  const line: CodeTask = { kind: "line", prompt: "def f(xs):\n    total = 0\n", suffix: "    return total\n", test: "def check(c):\n    assert c([1, 2, 3]) == 6\n", entryPoint: "f" };

  it("the first non-blank line, fences skipped, indentation kept", () => {
    assert.equal(extractLine("\n```python\n    for x in xs: total += x\n    return total\n```"), "    for x in xs: total += x");
    assert.equal(extractLine("  \n"), "");
  });

  it("builds prefix + line + suffix, which passes only with the right line", () => {
    assert.ok(passes(programOf(line, extractLine("    total = sum(xs)\nmore text"))));
    assert.equal(passes(programOf(line, extractLine("    total = len(xs)"))), false);
  });

  it("exact match ignores whitespace differences only", () => {
    assert.equal(normalizeLine("  return   a +  b \t"), normalizeLine("        return a + b"));
    assert.notEqual(normalizeLine("return a+b"), normalizeLine("return a + b"));
  });
});

describe("code items and prompts", () => {
  it("reads HumanEval and infill records, and refuses an entry point that is not a name", () => {
    const base = { prompt: "def f():\n", test: "def check(c): pass", entry_point: "f" };
    assert.equal(codeTaskOf(base)?.kind, "function");
    assert.equal(codeTaskOf({ ...base, suffix: "" })?.kind, "line");
    assert.equal(codeTaskOf({ ...base, entry_point: "f); import os; (" }), null);
    assert.equal(codeTaskOf({ question: "1+1?", answer: "2" }), null);
  });

  it("asks for the whole function in a chat turn, and for a line as a completion with its suffix", () => {
    const f = codePrompt(task);
    assert.match(f.user, /```python\nfrom typing import List[\s\S]*"""\n```$/);
    assert.equal(f.completion, undefined);
    const l = codePrompt({ ...task, kind: "line", prompt: "A", suffix: "B" });
    assert.deepEqual(l, { user: "A", completion: { prefix: "A", suffix: "B" } });
    // --suffix-chars: the suffix cut at a line break, as ghost text cuts it.
    const long = { ...task, kind: "line" as const, prompt: "A", suffix: "    x = 1\n    y = 2\n    return x + y\n" };
    assert.equal(codePrompt(long, 24).completion?.suffix, "    x = 1\n    y = 2\n");
    assert.equal(codePrompt(long, 1000).completion?.suffix, long.suffix);
    assert.equal(codePrompt(task, 5).completion, undefined);
  });
});
