/**
 * The chat-template sandbox on its own (a real worker thread running the real @huggingface/jinja):
 * it renders exactly what the library renders in-process, and a template that loops, allocates,
 * recurses or outgrows its limits is stopped with a reason — the process lives on, its heap
 * unharmed — and stays stopped.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { Template } from "@huggingface/jinja";
import { DEFAULT_JINJA_LIMITS, JinjaLimitError, JinjaSandbox } from "../../src/llama/jinjaSandbox.js";

const QWEN3 = readFileSync(join(import.meta.dirname, "..", "fixtures", "qwen3-chat-template.jinja"), "utf8");
const messages = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "What is 2+3?" },
  { role: "assistant", content: "<think>\nadd\n</think>\n\n5" },
  { role: "user", content: "And 17 * 23? ".repeat(200) },
];

const sandboxes: JinjaSandbox[] = [];
function sandbox(limits: Partial<typeof DEFAULT_JINJA_LIMITS> = {}, spin = false): JinjaSandbox {
  const s = new JinjaSandbox({ ...DEFAULT_JINJA_LIMITS, ...limits }, spin);
  sandboxes.push(s);
  return s;
}
after(() => sandboxes.forEach((s) => s.stop()));

/** Runs `template` in `box`, expecting it to be stopped for `reason`; returns how long it took. */
function stopped(box: JinjaSandbox, template: string, reason: RegExp, items: Record<string, unknown> = { messages }): number {
  const started = Date.now();
  assert.throws(() => box.render(template, items), (e: unknown) => e instanceof JinjaLimitError && reason.test(e.message));
  return Date.now() - started;
}

describe("renders what the library renders", () => {
  test("one @huggingface/jinja, pinned: the sandbox's is the one node-llama-cpp renders with", () => {
    const require = createRequire(import.meta.url);
    const ours = require.resolve("@huggingface/jinja");
    const theirs = createRequire(require.resolve("node-llama-cpp")).resolve("@huggingface/jinja");
    assert.equal(dirname(ours), dirname(theirs));
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const installed = JSON.parse(readFileSync(join(dirname(ours), "..", "package.json"), "utf8")) as { version: string };
    assert.equal(pkg.dependencies["@huggingface/jinja"], installed.version);
  });

  test("Qwen3's template, thinking on and off, with and without the generation prompt, tools included", () => {
    const box = sandbox();
    const tools = [{ type: "function", function: { name: "add", description: "Adds", parameters: { type: "object", properties: { a: { type: "number" } } } } }];
    for (const items of [
      { messages, add_generation_prompt: true },
      { messages, add_generation_prompt: true, enable_thinking: false },
      { messages, add_generation_prompt: false, tools },
      { messages: messages.slice(0, 2), add_generation_prompt: true, bos_token: "<s>" },
    ]) {
      assert.equal(box.render(QWEN3, items), new Template(QWEN3).render(items));
    }
  });

  test("range() as the builtin makes it: steps, negative steps, empty ranges, a zero step is an error", () => {
    const box = sandbox();
    const template = "{{ range(5)|join(',') }}|{{ range(2, 9, 3)|join(',') }}|{{ range(5, 0, -2)|join(',') }}|{{ range(3, 1)|length }}|{{ range(0)|length }}";
    assert.equal(box.render(template, {}), new Template(template).render({}));
    assert.equal(box.render(template, {}), "0,1,2,3,4|2,5,8|5,3,1|0|0");
    assert.throws(() => box.render("{{ range(1, 5, 0) }}", {}), (e: unknown) => !(e instanceof JinjaLimitError) && /step must not be zero/.test(String(e)));
  });

  test("a template's own error is an error, not a limit: the template is not stopped for it", () => {
    const box = sandbox();
    const template = "{% if messages|length > 3 %}{{ raise_exception('too many') }}{% endif %}ok";
    assert.throws(() => box.render(template, { messages }), (e: unknown) => !(e instanceof JinjaLimitError) && /too many/.test(String(e)));
    assert.equal(box.render(template, { messages: [] }), "ok");
    assert.equal(box.trippedReason(template), undefined);
    assert.throws(() => box.render("{% for %}", {}), (e: unknown) => !(e instanceof JinjaLimitError));
    // Its message may quote the template, and node-llama-cpp prints it: control and bidi characters come back escaped.
    assert.throws(
      () => box.render("{{ raise_exception('\u001b]0;pwned\u0007\u202e') }}", {}),
      // eslint-disable-next-line no-control-regex -- finding control characters is the point
      (e: unknown) => e instanceof Error && /\\u001b\]0;pwned\\u0007\\u202e/.test(e.message) && !/[\u0000-\u001f\u202e]/.test(e.message),
    );
  });
});

describe("a hostile template is stopped, the process lives on", () => {
  test("range(999999999): refused before it is made (in process it took 2.5 GB and the process with it)", () => {
    const box = sandbox();
    const heap = process.memoryUsage().heapUsed;
    const ms = stopped(box, "{% for i in range(999999999) %}x{% endfor %}", /asked range\(\) for 999999999 numbers \(the limit is 100000\)/);
    assert.ok(ms < 15_000, `${ms} ms`);
    assert.ok(process.memoryUsage().heapUsed - heap < 50 * 2 ** 20, "this process's heap did not grow");
    stopped(box, "{{ range(0, 1, 0.0000001)|length }}", /asked range\(\) for 10000000 numbers/);
  });

  test("nested loops: stopped at the step limit, in seconds (in process they ran past 60 s)", () => {
    const box = sandbox();
    const ms = stopped(box, "{% for a in range(100000) %}{% for b in range(100000) %}{{ '' }}{% endfor %}{% endfor %}", /ran more than 250000 steps/);
    assert.ok(ms < 30_000, `${ms} ms`);
  });

  test("a text that doubles, a list that doubles, a result too long: stopped at the size limits", () => {
    const box = sandbox();
    stopped(box, "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}", /made a text of \d+ characters \(the limit is 4000000\)/);
    stopped(box, "{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l|length }}", /made a list of \d+ items \(the limit is 100000\)/);
    stopped(sandbox({ outputChars: 1000 }), "{% for i in range(500) %}xyz{% endfor %}", /1500 characters \(the limit is 1000\)/);
  });

  test("an expression nested 100,000 deep: stopped (the parser's stack), not a crash", () => {
    stopped(sandbox(), `{{ ${"(".repeat(100_000)}1${")".repeat(100_000)} }}`, /call stack/);
  });

  test("time: a render that has not answered by its deadline is stopped, and the next render gets a fresh worker", () => {
    const box = sandbox({ renderMs: 300, steps: Number.MAX_SAFE_INTEGER });
    // Warm the worker so the deadline is the render's alone.
    assert.equal(box.render("ok", {}), "ok");
    const ms = stopped(box, "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}", /took more than 0\.3 s to render/);
    assert.ok(ms < 5_000, `${ms} ms`);
    assert.equal(box.render("{{ 1 + 1 }}", {}), "2");
  });

  test("memory: a template that allocates past the worker's heap kills the worker, not the process", async () => {
    // With the size limits lifted, only the heap cap is left to stop range(100000000) (800 MB of numbers).
    const box = sandbox({ heapMb: 32, outputChars: Number.MAX_SAFE_INTEGER, rangeItems: Number.MAX_SAFE_INTEGER, renderMs: 3_000 });
    assert.equal(box.render("ok", {}), "ok");
    const heap = process.memoryUsage().heapUsed;
    stopped(box, "{% for i in range(100000000) %}{% endfor %}", /took more than 3 s to render \(or needed more than 32 MB\)/);
    assert.ok(process.memoryUsage().heapUsed - heap < 50 * 2 ** 20, "this process's heap did not grow");
    await new Promise((done) => setTimeout(done, 200));
    assert.match(box.workerErrors.join("\n"), /ERR_WORKER_OUT_OF_MEMORY/);
    assert.equal(box.render("{{ 'still' }}", {}), "still");
  });

  test("a stopped template stays stopped (at once, with its reason); other templates still render", () => {
    const box = sandbox();
    const bad = "{% for i in range(999999999) %}{% endfor %}";
    stopped(box, bad, /range/);
    const started = Date.now();
    stopped(box, bad, /asked range\(\) for 999999999 numbers/);
    assert.ok(Date.now() - started < 50);
    assert.match(String(box.trippedReason(bad)), /range/);
    assert.equal(box.render("{{ messages|length }}", { messages }), "4");
  });

  test("where the thread may not block on Atomics, it spins: same renders, same limits, same deadline", () => {
    const box = sandbox({ renderMs: 300, steps: Number.MAX_SAFE_INTEGER }, true);
    assert.equal(box.render(QWEN3, { messages, add_generation_prompt: true }), new Template(QWEN3).render({ messages, add_generation_prompt: true }));
    stopped(box, "{% for i in range(999999999) %}{% endfor %}", /asked range\(\) for 999999999 numbers/);
    const ms = stopped(box, "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}", /took more than 0\.3 s to render/);
    assert.ok(ms < 5_000, `${ms} ms`);
    assert.equal(box.render("{{ 'after' }}", {}), "after");
  });

  test("a load's renders share one deadline", () => {
    const box = sandbox({ loadMs: 400, steps: Number.MAX_SAFE_INTEGER });
    assert.equal(box.render("ok", {}), "ok");
    const slow = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}";
    assert.throws(() => box.duringLoad(() => box.render(slow, {})), (e: unknown) => e instanceof JinjaLimitError && /took more than 0\.4 s to render while the model loaded/.test(e.message));
  });
});
