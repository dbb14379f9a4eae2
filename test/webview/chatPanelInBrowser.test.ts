/**
 * The chat panel's front end in a real browser: the bundle built by webview/build.mjs, served
 * from a throw-away 127.0.0.1 server inside the same strict CSP the extension uses, with
 * acquireVsCodeApi() stubbed (test/webview/stub.js), driven by playwright-core in Debian's
 * Chromium. Also: pure checks of where span boundaries go in the Markdown source.
 *
 * playwright-core is not a project dependency: it is looked up in the e2e cache
 * ($RELAY_E2E_CACHE, default ~/.cache/relay-e2e, see test/e2e/setup.sh) or in
 * ~/.cache/relay-webview-test. Without it, or without Chromium, the browser tests are skipped.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { homedir, tmpdir } from "node:os";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import type { ChatTurn, SpanView, StatsView, ToWebview } from "../../src/protocol/chat.js";
import { buildWebview } from "../../webview/build.mjs";
import { renderMarkdown } from "../../webview/markdown.js";
import { buildSource } from "../../webview/source.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");
const shotsDir = join(repo, "test-results", "webview");
const CHROMIUM = process.env.RELAY_CHROMIUM ?? "/usr/bin/chromium";

// ---------------------------------------------------------------------------------------------
// The few playwright-core types used here (it is loaded by path, so its own types are not seen).
interface Locator {
  first(): Locator;
  nth(i: number): Locator;
  locator(selector: string): Locator;
  waitFor(options?: { state?: "attached" | "detached" | "visible" | "hidden"; timeout?: number }): Promise<void>;
  textContent(): Promise<string | null>;
  getAttribute(name: string): Promise<string | null>;
  isVisible(): Promise<boolean>;
  count(): Promise<number>;
  click(): Promise<void>;
  fill(value: string): Promise<void>;
  press(key: string): Promise<void>;
  pressSequentially(text: string): Promise<void>;
  evaluate<R>(fn: (el: Element) => R): Promise<R>;
}
interface ConsoleMessage {
  type(): string;
  text(): string;
}
interface Page {
  goto(url: string): Promise<unknown>;
  locator(selector: string): Locator;
  evaluate<R, A>(fn: (arg: A) => R, arg: A): Promise<R>;
  waitForFunction<A>(fn: (arg: A) => unknown, arg: A, options?: { timeout?: number }): Promise<unknown>;
  on(event: "console", fn: (m: ConsoleMessage) => void): void;
  on(event: "pageerror", fn: (e: Error) => void): void;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown>;
  close(): Promise<void>;
}
interface BrowserContext {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
interface Browser {
  newContext(options: { viewport: { width: number; height: number }; deviceScaleFactor?: number }): Promise<BrowserContext>;
  close(): Promise<void>;
}
interface Playwright {
  chromium: { launch(options: { executablePath: string; headless: boolean; args: string[] }): Promise<Browser> };
}

function findPlaywright(): string | undefined {
  const cache = process.env.RELAY_E2E_CACHE ?? join(homedir(), ".cache", "relay-e2e");
  const candidates = [
    join(cache, "playwright", "node_modules", "playwright-core"),
    join(cache, "node_modules", "playwright-core"),
    join(homedir(), ".cache", "relay-webview-test", "node_modules", "playwright-core"),
  ];
  return candidates.find((dir) => existsSync(join(dir, "package.json")));
}

const playwrightDir = findPlaywright();
const skipBrowser = !playwrightDir
  ? "playwright-core not found (run test/e2e/setup.sh, or npm install --prefix ~/.cache/relay-webview-test playwright-core)"
  : !existsSync(CHROMIUM)
    ? `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`
    : false;

// ---------------------------------------------------------------------------------------------
// Fixtures

function stats(over: Partial<StatsView> = {}): StatsView {
  return {
    generatedTokens: 412,
    studentTokens: 380,
    teacherTokens: 32,
    calls: 2,
    failedCalls: 0,
    deniedCalls: 0,
    callRatio: 32 / 412,
    teacherPromptTokens: 1203,
    teacherCompletionTokens: 32,
    durationMs: 4210,
    stopReason: "eos",
    ...over,
  };
}

const student = (text: string, tokens = 10): SpanView => ({ kind: "student", text, tokens, durationMs: 100 });
const teacher = (text: string, tokens = 9, durationMs = 412, model = "qwen3-8b"): SpanView => ({ kind: "teacher", text, tokens, model, durationMs });

const historyTurn: ChatTurn = {
  id: "t1",
  question: "What is 17 × 23? Put the answer in a box.",
  spans: [
    student("We multiply step by step.\n\n1. $17 \\times 20 = 340$\n2. $17 \\times 3 = 51$\n\nAdding: "),
    teacher("$340 + 51 = 391$, so", 12, 380),
    student(" the product is\n\n$$\\boxed{391}$$\n"),
  ],
  stats: stats({ generatedTokens: 64, studentTokens: 52, teacherTokens: 12, calls: 1, callRatio: 12 / 64, teacherPromptTokens: 310, teacherCompletionTokens: 12, durationMs: 1830 }),
};

const codeTurn: ChatTurn = {
  id: "t2",
  question: "Write a Python function that reverses a string.",
  spans: [
    student("Here is one way:\n\n```python\ndef reverse(s: str) -> str:\n"),
    teacher("    return s[::-1]\n", 7, 295),
    student("```\n\nSlicing with a step of `-1` walks the string backwards."),
    { kind: "failed-call", text: "", tokens: 0, model: "qwen3-8b", durationMs: 5000, error: "HTTP 503 Service Unavailable" },
    { kind: "budget-denied", text: "", tokens: 0 },
  ],
  stats: stats({ generatedTokens: 58, studentTokens: 51, teacherTokens: 7, calls: 2, failedCalls: 1, deniedCalls: 1, callRatio: 7 / 58, teacherPromptTokens: 220, teacherCompletionTokens: 7, durationMs: 7420 }),
};

// ---------------------------------------------------------------------------------------------
// Server and browser

let server: Server | undefined;
let origin = "";
let buildDir = "";
let browser: Browser | undefined;

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".woff2": "font/woff2",
};

function csp(cspSource: string, nonce: string): string {
  return `default-src 'none'; img-src ${cspSource} data:; style-src ${cspSource} 'unsafe-inline'; font-src ${cspSource}; script-src 'nonce-${nonce}';`;
}

async function startServer(): Promise<void> {
  const template = await readFile(join(here, "harness.html"), "utf8");
  server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const send = (status: number, type: string, body: string | Buffer) => {
        res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
        res.end(body);
      };
      if (url.pathname === "/favicon.ico") {
        send(204, "image/x-icon", "");
        return;
      }
      if (url.pathname === "/harness.html") {
        const nonce = randomBytes(16).toString("base64");
        const policy = url.searchParams.get("csp") === "off" ? "default-src *" : csp(origin, nonce);
        const html = template
          .replaceAll("{{CSP}}", policy)
          .replaceAll("{{NONCE}}", nonce)
          .replaceAll("{{WEBVIEW}}", `${origin}/webview`)
          .replaceAll("{{HARNESS}}", `${origin}/harness`);
        send(200, TYPES[".html"] ?? "text/html", html);
        return;
      }
      const roots: Record<string, string> = { webview: buildDir, harness: here };
      const [, top, ...rest] = url.pathname.split("/");
      const root = roots[top ?? ""];
      const file = root ? normalize(join(root, ...rest.map(decodeURIComponent))) : "";
      if (!root || !file.startsWith(root + sep) || !existsSync(file)) {
        send(404, "text/plain", "not found");
        return;
      }
      send(200, TYPES[extname(file)] ?? "application/octet-stream", await readFile(file));
    })().catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((ok) => server?.listen(0, "127.0.0.1", ok));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Panel {
  page: Page;
  context: BrowserContext;
  warnings: string[];
  errors: string[];
  send(message: unknown): Promise<void>;
  posted(): Promise<Array<Record<string, unknown>>>;
  relay<T>(key: "state" | "violations" | "flags"): Promise<T>;
  close(): Promise<void>;
}

async function openPanel(options: { theme?: "dark" | "light"; csp?: boolean; width?: number; height?: number } = {}): Promise<Panel> {
  assert.ok(browser);
  const context = await browser.newContext({ viewport: { width: options.width ?? 420, height: options.height ?? 900 } });
  const page = await context.newPage();
  const warnings: string[] = [];
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "warning") warnings.push(m.text());
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  const query = new URLSearchParams({ theme: options.theme ?? "dark" });
  if (options.csp === false) query.set("csp", "off");
  await page.goto(`${origin}/harness.html?${query.toString()}`);
  await page.locator("#transcript").waitFor();
  return {
    page,
    context,
    warnings,
    errors,
    send: async (message) => {
      await page.evaluate((m) => window.postMessage(m, "*"), message);
    },
    posted: () => page.evaluate(() => (window as unknown as { __relay: { posted: Array<Record<string, unknown>> } }).__relay.posted, null),
    relay: <T>(key: string) => page.evaluate((k) => (window as unknown as { __relay: Record<string, unknown> }).__relay[k] as T, key),
    close: () => context.close(),
  };
}

async function waitPosted(panel: Panel, type: string): Promise<Record<string, unknown>> {
  await panel.page.waitForFunction(
    (t) => (window as unknown as { __relay: { posted: Array<{ type: string }> } }).__relay.posted.some((m) => m.type === t),
    type,
    { timeout: 5000 },
  );
  const all = await panel.posted();
  const found = all.filter((m) => m.type === type);
  return found[found.length - 1] ?? {};
}

/** Polls `check` until it holds (5 s at most). */
async function settled(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function init(turns: ChatTurn[], busy = false): ToWebview {
  return { type: "init", turns, teacher: "qwen3-8b @ http://127.0.0.1:8000/v1", busy };
}

before(async () => {
  if (skipBrowser) return;
  buildDir = await mkdtemp(join(tmpdir(), "relay-webview-"));
  await buildWebview(buildDir);
  await startServer();
  const pw = createRequire(import.meta.url)(playwrightDir as string) as Playwright;
  browser = await pw.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
  if (buildDir) await rm(buildDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Span boundaries in the Markdown source (no browser needed)

describe("span boundaries survive Markdown", () => {
  const OPEN = /\uFDD0[\uFDE0-\uFDE9]+/;
  const plain = (s: string) => s.replace(/[\uFDD0-\uFDEF]/g, "");

  test("a teacher span that starts a heading, a list or a code fence leaves the syntax intact", () => {
    for (const [text, tag] of [
      ["# Result\n", "<h1>"],
      ["- first\n- second\n", "<ul>"],
      ["1. one\n2. two\n", "<ol>"],
      ["```python\nprint(1)\n```\n", '<pre class="code-block" data-lang="python">'],
      ["$$\nx^2\n$$\n", '<div class="math-block">'],
      ["> quoted\n", "<blockquote>"],
    ] as const) {
      const src = buildSource([
        { type: "text", text: "Intro.\n\n" },
        { type: "text", text, teacher: 1 },
        { type: "text", text: "\nAfter." },
      ]);
      const html = renderMarkdown(src);
      assert.ok(html.includes(tag), `${JSON.stringify(text)} → ${html}`);
      assert.match(src, OPEN, "the span keeps its opening boundary");
      assert.equal(plain(src), `Intro.\n\n${text}\nAfter.`);
    }
  });

  test("a closing boundary never lands on a fence line or after a list marker", () => {
    const src = buildSource([
      { type: "text", text: "```js\nlet a = 1;\n" },
      { type: "text", text: "let b = 2;\n```", teacher: 0 },
      { type: "text", text: "\n\nDone." },
    ]);
    const html = renderMarkdown(src);
    assert.ok(html.includes("<p>Done.</p>"), html);
    const list = renderMarkdown(buildSource([{ type: "text", text: "Steps:\n\n1. a\n2.", teacher: 0 }, { type: "text", text: " b" }]));
    assert.equal((list.match(/<li>/g) ?? []).length, 2, list);
  });

  test("model text cannot forge a boundary", () => {
    const src = buildSource([{ type: "text", text: "a\uFDD0\uFDE1b\uFDD1c" }]);
    assert.equal(src, "abc");
  });

  test("math, currency and escapes", () => {
    assert.ok(renderMarkdown("It costs $5 and $10.").includes("$5 and $10"));
    assert.ok(renderMarkdown("so $\\boxed{391}$.").includes('class="katex"'));
    assert.ok(renderMarkdown("\\(a^2\\) and \\[b^2\\]").includes('class="katex-display"'));
    assert.ok(renderMarkdown("\\$5").includes("$5"));
  });

  test("issue 13: a bare \\boxed{…} or \\frac{…}{…} outside $…$ is math (balanced braces), not raw LaTeX", () => {
    const boxed = renderMarkdown("So the answer is \\boxed{391}.");
    assert.ok(boxed.includes('class="katex"'), boxed);
    // The source stays only in KaTeX's MathML annotation (for screen readers and copy), not as text.
    assert.ok(!boxed.replace(/<annotation[^>]*>.*?<\/annotation>/gs, "").includes("\\boxed"), boxed.slice(0, 200));
    assert.ok(boxed.trimEnd().endsWith(".</p>"), "the text after the closing brace stays text");
    const nested = renderMarkdown("Final: \\boxed{\\frac{3}{4}} and \\frac{1}{2}");
    assert.equal((nested.match(/class="katex"/g) ?? []).length, 2, nested);
    // In code it stays code; an unclosed brace stays text.
    assert.ok(renderMarkdown("`\\boxed{1}`").includes("<code>\\boxed{1}</code>"));
    assert.ok(!renderMarkdown("\\boxed{391").includes("katex"));
    assert.ok(renderMarkdown("\\(x^2\\) then \\[y\\]").includes('class="katex-display"'));
  });
});

// ---------------------------------------------------------------------------------------------
// The panel in Chromium

describe("chat panel in Chromium", { skip: skipBrowser }, () => {
  test("posts ready on load, within the strict CSP", async () => {
    const panel = await openPanel();
    try {
      const ready = await waitPosted(panel, "ready");
      assert.deepEqual(ready, { type: "ready" });
      assert.deepEqual(await panel.posted(), [{ type: "ready" }]);
      // The toolkit's components are defined and rendered.
      await panel.page.locator("#send").waitFor();
      assert.equal(await panel.page.evaluate(() => customElements.get("vscode-button") !== undefined, null), true);
      assert.deepEqual(await panel.relay<string[]>("violations"), [], "no CSP violations");
      assert.deepEqual(panel.errors, []);
      // Accessibility: the answers are a polite live region; controls have names.
      assert.equal(await panel.page.locator("#transcript").getAttribute("aria-live"), "polite");
      assert.equal(await panel.page.locator("#question textarea").getAttribute("aria-label"), "Question");
      assert.equal(await panel.page.locator("#send button").getAttribute("aria-label"), "Send question");
      // New Chat and Past Chats are the view's title actions, not buttons in the panel.
      assert.equal(await panel.page.locator("header vscode-button").count(), 0);
    } finally {
      await panel.close();
    }
  });

  test("init renders the history: question, Markdown answer, footer", async () => {
    const panel = await openPanel();
    try {
      await panel.send(init([historyTurn, codeTurn]));
      const turns = panel.page.locator("article.turn");
      await turns.nth(1).waitFor();
      assert.equal(await turns.count(), 2);
      assert.equal(await turns.first().locator(".question").textContent(), historyTurn.question);
      assert.equal(await turns.first().locator(".answer ol li").count(), 2);
      assert.equal(
        await turns.first().locator(".turn-footer .stats").textContent(),
        "64 tokens · 1 teacher call · call ratio 18.8% · teacher in/out 310/12 · 1.8 s",
      );
      assert.equal(
        await turns.nth(1).locator(".turn-footer .stats").textContent(),
        "58 tokens · 1 teacher call · 1 failed call · call ratio 12.1% · teacher in/out 220/7 · 7.4 s · 1 denied by budget",
      );
      assert.equal(await panel.page.locator("#teacher-status").textContent(), "Teacher: qwen3-8b @ http://127.0.0.1:8000/v1");
      // The teacher span inside the history answer: tinted, with its tooltip.
      const t = turns.first().locator(".teacher").first();
      assert.equal(await t.getAttribute("title"), "teacher qwen3-8b · 12 tokens · 380 ms");
      // Failed and denied calls: subtle inline notes.
      const failed = turns.nth(1).locator(".call-note.failed-call");
      assert.equal(await failed.textContent(), "teacher call failed");
      assert.match((await failed.getAttribute("title")) ?? "", /HTTP 503 Service Unavailable/);
      assert.equal(await turns.nth(1).locator(".call-note.budget-denied").textContent(), "teacher budget spent");
      assert.deepEqual(panel.errors, []);
    } finally {
      await panel.close();
    }
  });

  test("streaming: text appears, the asking-teacher marker comes and goes, teacher text is tinted with a tooltip", async () => {
    const panel = await openPanel();
    const page = panel.page;
    try {
      await panel.send(init([], true));
      await panel.send({ type: "turn-start", turn: { id: "s1", question: "What is 17 × 23?", spans: [] } });
      await page.locator('article[data-turn-id="s1"] .placeholder').waitFor();
      await panel.send({ type: "text", id: "s1", kind: "student", text: "Let me compute " });
      await panel.send({ type: "text", id: "s1", kind: "student", text: "$17 \\times 23$. " });
      const answer = page.locator('article[data-turn-id="s1"] .answer');
      await answer.locator(".katex").first().waitFor();
      assert.match((await answer.textContent()) ?? "", /^Let me compute/);

      await panel.send({ type: "teacher-start", id: "s1", granted: 16, model: "qwen3-8b" });
      const marker = answer.locator(".asking");
      await marker.waitFor();
      assert.equal(await marker.textContent(), "asking teacher · 16 tokens");

      await panel.send({ type: "text", id: "s1", kind: "teacher", text: "That is 391" });
      await marker.waitFor({ state: "detached" });
      const t = answer.locator(".teacher").first();
      await t.waitFor();
      assert.equal(await t.textContent(), "That is 391");
      assert.equal(await t.getAttribute("title"), "teacher qwen3-8b · streaming…");

      await panel.send({ type: "span", id: "s1", span: teacher("That is 391", 5, 412) });
      await page.waitForFunction(() => document.querySelector('article[data-turn-id="s1"] .teacher')?.getAttribute("title")?.includes("ms"), null);
      assert.equal(await t.getAttribute("title"), "teacher qwen3-8b · 5 tokens · 412 ms");

      await panel.send({ type: "text", id: "s1", kind: "student", text: ", so the answer is $\\boxed{391}$." });
      await page.waitForFunction(() => document.querySelectorAll('article[data-turn-id="s1"] .katex').length === 2, null);
      // Only the teacher's words carry the tint.
      const tinted = await answer.evaluate((el) => [...el.querySelectorAll(".teacher")].map((e) => e.textContent).join(""));
      assert.equal(tinted, "That is 391");

      await panel.send({ type: "teacher-start", id: "s1", granted: 8, model: "qwen3-8b" });
      await marker.waitFor();
      await panel.send({ type: "span", id: "s1", span: { kind: "failed-call", text: "", tokens: 0, model: "qwen3-8b", error: "timeout after 30 s" } });
      await marker.waitFor({ state: "detached" });
      await answer.locator(".call-note.failed-call").waitFor();

      const final: ChatTurn = {
        id: "s1",
        question: "What is 17 × 23?",
        spans: [
          student("Let me compute $17 \\times 23$. "),
          teacher("That is 391", 5, 412),
          student(", so the answer is $\\boxed{391}$."),
          { kind: "failed-call", text: "", tokens: 0, model: "qwen3-8b", error: "timeout after 30 s" },
        ],
        stats: stats({ generatedTokens: 30, studentTokens: 25, teacherTokens: 5, calls: 2, failedCalls: 1, callRatio: 5 / 30, teacherPromptTokens: 1203, teacherCompletionTokens: 5, durationMs: 2500 }),
      };
      await panel.send({ type: "turn-end", turn: final });
      await panel.send({ type: "status", teacher: "qwen3-8b", busy: false });
      const footer = page.locator('article[data-turn-id="s1"] .turn-footer .stats');
      await footer.waitFor();
      assert.equal(await footer.textContent(), "30 tokens · 1 teacher call · 1 failed call · call ratio 16.7% · teacher in/out 1,203/5 · 2.5 s");
      assert.equal(await t.getAttribute("title"), "teacher qwen3-8b · 5 tokens · 412 ms");
      assert.equal(await answer.locator(".asking").count(), 0);
      assert.equal(await page.locator("#transcript").getAttribute("aria-busy"), "false");
      assert.deepEqual(panel.errors, []);
    } finally {
      await panel.close();
    }
  });

  test("turn-end marks a stopped answer and shows an error", async () => {
    const panel = await openPanel();
    try {
      await panel.send(init([], true));
      await panel.send({ type: "turn-start", turn: { id: "x", question: "q", spans: [] } });
      await panel.send({ type: "text", id: "x", kind: "student", text: "Partial" });
      await panel.send({ type: "turn-end", turn: { ...historyTurn, id: "x", stopped: true, stats: stats({ stopReason: "aborted" }) } });
      const turn = panel.page.locator('article[data-turn-id="x"]');
      await turn.locator(".badge.stopped").waitFor();
      assert.equal(await turn.locator(".badge.stopped").textContent(), "stopped");
      assert.equal(await turn.evaluate((el) => el.classList.contains("stopped")), true);
      assert.equal(await turn.locator(".generating").count(), 0);
      await panel.send({ type: "turn-end", turn: { id: "e", question: "q2", spans: [student("Half an ans")], error: "The student model ran out of memory." } });
      const failed = panel.page.locator('article[data-turn-id="e"] .turn-error');
      await failed.waitFor();
      assert.equal(await failed.textContent(), "The student model ran out of memory.");
    } finally {
      await panel.close();
    }
  });

  test("Stop replaces Send while busy and posts stop", async () => {
    const panel = await openPanel();
    const page = panel.page;
    try {
      await waitPosted(panel, "ready");
      assert.equal(await page.locator("#send").isVisible(), true);
      assert.equal(await page.locator("#stop").isVisible(), false);
      await panel.send({ type: "status", teacher: "qwen3-8b", busy: true });
      await page.locator("#stop").waitFor({ state: "visible" });
      assert.equal(await page.locator("#send").isVisible(), false);
      assert.equal(await page.locator("#stop").getAttribute("aria-label"), "Stop generating");
      await page.locator("#stop").click();
      assert.deepEqual(await waitPosted(panel, "stop"), { type: "stop" });
      await panel.send({ type: "status", teacher: "qwen3-8b", busy: false });
      await page.locator("#send").waitFor({ state: "visible" });
    } finally {
      await panel.close();
    }
  });

  test("Send and Enter post ask; Shift+Enter is a new line; the draft is kept in state", async () => {
    const panel = await openPanel();
    const page = panel.page;
    try {
      await waitPosted(panel, "ready");
      const input = page.locator("#question textarea");
      await input.click();
      await input.pressSequentially("first line");
      await input.press("Shift+Enter");
      await input.pressSequentially("second line");
      assert.deepEqual(await panel.relay("state"), { draft: "first line\nsecond line" });
      await input.press("Enter");
      assert.deepEqual(await waitPosted(panel, "ask"), { type: "ask", question: "first line\nsecond line" });
      assert.equal(await page.locator("#question").evaluate((el) => (el as HTMLTextAreaElement).value), "");
      assert.deepEqual(await panel.relay("state"), { draft: "" });

      await input.fill("  with the button  ");
      await page.locator("#send").click();
      await page.waitForFunction(() => (window as unknown as { __relay: { posted: unknown[] } }).__relay.posted.length === 3, null);
      assert.deepEqual((await panel.posted())[2], { type: "ask", question: "with the button" });

      // Empty questions are not sent; nor is Enter while an answer is running.
      await input.press("Enter");
      await panel.send({ type: "status", teacher: "qwen3-8b", busy: true });
      await page.locator("#stop").waitFor({ state: "visible" });
      await input.fill("queued?");
      await input.press("Enter");
      await page.locator("#stop").click();
      await waitPosted(panel, "stop");
      assert.deepEqual(
        (await panel.posted()).map((m) => m.type),
        ["ready", "ask", "ask", "stop"],
      );
    } finally {
      await panel.close();
    }
  });

  test("code blocks: Copy and Insert post the block's code", async () => {
    const panel = await openPanel();
    const page = panel.page;
    try {
      await panel.send(init([codeTurn]));
      const block = page.locator(".code-wrapper").first();
      await block.waitFor();
      assert.equal(await block.locator(".code-lang").textContent(), "python");
      // The teacher's line inside the code block is tinted too.
      assert.equal(await block.locator("pre .teacher").first().getAttribute("title"), "teacher qwen3-8b · 7 tokens · 295 ms");
      await block.locator('[data-action="copy"]').click();
      const code = "def reverse(s: str) -> str:\n    return s[::-1]";
      assert.deepEqual(await waitPosted(panel, "copy-code"), { type: "copy-code", code });
      await block.locator('[data-action="insert"]').click();
      assert.deepEqual(await waitPosted(panel, "insert-code"), { type: "insert-code", code, language: "python" });
      assert.equal(await block.locator('[data-action="insert"]').getAttribute("aria-label"), "Insert code at cursor");
    } finally {
      await panel.close();
    }
  });

  test("code blocks with bidi and invisible characters: each shown as a named mark, a warning on the block; Copy and Insert post the code as written (the editor asks first)", async () => {
    const panel = await openPanel();
    const page = panel.page;
    // Trojan Source: reads as an admin check commented out, runs as one that is not.
    const code = "access_level = 'user'\nif access_level != 'user\u202e \u2066# Check if admin\u2069 \u2066':\n    print('admin')\nx = 1\u200b\nok = '👩‍💻'";
    const hiddenTurn: ChatTurn = { id: "h1", question: "q", spans: [student("```python\n" + code + "\n```\n\nAnd a plain one:\n\n```python\nprint('hi')\n```")] };
    try {
      await panel.send(init([hiddenTurn]));
      const block = page.locator(".code-wrapper").first();
      await block.waitFor();
      const warning = block.locator(".code-warning");
      assert.equal(await warning.textContent(), "⚠ 4 bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LEFT-TO-RIGHT ISOLATE, U+2069 POP DIRECTIONAL ISOLATE) and 1 invisible character (U+200B ZERO WIDTH SPACE): shown as marks; Copy and Insert ask first.");
      // Each one is a visible mark named in its tooltip; the characters themselves are not in the rendered code.
      const marks = block.locator("pre .hidden-char");
      assert.equal(await marks.count(), 5);
      assert.equal(await marks.first().textContent(), "U+202E");
      assert.equal(await marks.first().getAttribute("title"), "U+202E RIGHT-TO-LEFT OVERRIDE");
      const shown = await block.locator("pre").evaluate((el) => el.textContent ?? "");
      assert.ok(!/[\u202e\u2066\u2069\u200b]/.test(shown), JSON.stringify(shown));
      assert.ok(shown.includes("👩‍💻"), "an emoji's joiner is not a hidden character");
      assert.match(String(await block.locator('[data-action="insert"]').getAttribute("aria-label")), /asks first/);
      // What the buttons act on is the code as the model wrote it: the editor shows the warning.
      await block.locator('[data-action="copy"]').click();
      assert.deepEqual(await waitPosted(panel, "copy-code"), { type: "copy-code", code });
      await block.locator('[data-action="insert"]').click();
      assert.deepEqual(await waitPosted(panel, "insert-code"), { type: "insert-code", code, language: "python" });
      // A block without any is left alone.
      const plain = page.locator(".code-wrapper").nth(1);
      assert.equal(await plain.locator(".code-warning").count(), 0);
      assert.equal(await plain.locator(".hidden-char").count(), 0);
      assert.equal(await plain.locator('[data-action="insert"]').getAttribute("aria-label"), "Insert code at cursor");
    } finally {
      await panel.close();
    }
  });

  test("a bare \\boxed{391} and \\frac render as math in the panel", async () => {
    const panel = await openPanel();
    try {
      await panel.send(init([{ id: "b", question: "17 * 23?", spans: [student("17 * 23 = 391, so the answer is \\boxed{391}; half of it is \\frac{391}{2}.")], stats: stats() }]));
      const answer = panel.page.locator('article[data-turn-id="b"] .answer');
      await answer.locator(".katex").first().waitFor();
      assert.equal(await answer.locator(".katex").count(), 2);
      assert.equal(await answer.locator(".katex .boxpad, .katex .fbox").count() > 0, true, "\\boxed draws a box");
      // What is drawn, without KaTeX's MathML copy for screen readers (its annotation keeps the TeX source).
      const drawn = await answer.evaluate((el) => {
        const copy = el.cloneNode(true) as HTMLElement;
        copy.querySelectorAll(".katex-mathml").forEach((m) => m.remove());
        return copy.textContent ?? "";
      });
      assert.doesNotMatch(drawn, /\\boxed|\\frac/);
      assert.match(drawn, /the answer is 391\u200b?; half of it is \d+\u200b?\.\n?$/);
      await mkdir(shotsDir, { recursive: true });
      await panel.page.screenshot({ path: join(shotsDir, "bare-boxed.png") });
    } finally {
      await panel.close();
    }
  });

  test("KaTeX renders inline and display math, \\boxed included", async () => {
    const panel = await openPanel();
    try {
      const text = "Inline $\\boxed{391}$, paren \\(a^2+b^2\\), display:\n\n$$\\frac{1}{2}$$\n\nand \\[\\sqrt{x}\\]";
      await panel.send(init([{ id: "m", question: "math", spans: [student(text)], stats: stats() }]));
      const answer = panel.page.locator('article[data-turn-id="m"] .answer');
      await answer.locator(".katex").first().waitFor();
      assert.equal(await answer.locator(".katex").count(), 4);
      assert.equal(await answer.locator(".katex-display").count(), 2);
      assert.equal(await answer.locator(".katex .boxpad, .katex .fbox").count() > 0, true, "\\boxed draws a box");
      assert.equal(await answer.locator(".katex-error").count(), 0);
      assert.equal(await answer.locator(".katex-mathml math").count(), 4, "MathML kept for screen readers");
      // KaTeX's fonts load from the webview folder, inside the CSP.
      await panel.page.waitForFunction(() => document.fonts.check("16px KaTeX_Main"), null, { timeout: 5000 });
      assert.deepEqual(await panel.relay<string[]>("violations"), []);
    } finally {
      await panel.close();
    }
  });

  for (const withCsp of [true, false]) {
    test(`model output with HTML or script is inert (${withCsp ? "with" : "without"} the CSP)`, async () => {
      const panel = await openPanel({ csp: withCsp });
      try {
        const payload = [
          '<img src=x onerror="window.__relay.flags.img=1">',
          "<script>window.__relay.flags.script=1</script>",
          '<svg onload="window.__relay.flags.svg=1"></svg>',
          "[click](javascript:window.__relay.flags.link=1)",
          '$\\href{javascript:window.__relay.flags.href=1}{x}$ $\\htmlClass{x}{y}$',
          '```"><img src=x onerror="window.__relay.flags.fence=1">\ncode\n```',
        ].join("\n\n");
        await panel.send(init([{ id: "x", question: '<img src=x onerror="window.__relay.flags.q=1">', spans: [student(payload), teacher('<img src=y onerror="window.__relay.flags.t=1">')], stats: stats() }]));
        const turn = panel.page.locator('article[data-turn-id="x"]');
        await turn.locator(".turn-footer .stats").waitFor();
        await panel.page.evaluate(() => new Promise((ok) => setTimeout(ok, 300)), null);
        assert.deepEqual(await panel.relay("flags"), {}, "nothing ran");
        const dangerous = await turn.evaluate((el) => {
          const found: string[] = [];
          for (const node of el.querySelectorAll("*")) {
            if (["img", "script", "iframe", "object", "embed"].includes(node.localName)) found.push(node.localName);
            for (const attr of node.attributes) {
              if (attr.name.startsWith("on")) found.push(`${node.localName}[${attr.name}]`);
              if (/^\s*javascript:/i.test(attr.value)) found.push(`${node.localName}[${attr.name}=${attr.value}]`);
            }
          }
          return found;
        });
        assert.deepEqual(dangerous, []);
        // The markup shows as text instead.
        assert.match((await turn.locator(".answer").textContent()) ?? "", /<img src=x onerror=/);
        assert.match((await turn.locator(".question").textContent()) ?? "", /<img src=x/);
      } finally {
        await panel.close();
      }
    });
  }

  test("invalid messages are ignored with a warning", async () => {
    const panel = await openPanel();
    try {
      await panel.send(init([historyTurn]));
      await panel.page.locator("article.turn").first().waitFor();
      await panel.send({ type: "text", id: "t1", kind: "narrator", text: "<b>evil</b>" });
      await panel.send({ type: "explode" });
      await panel.send("not even an object");
      await panel.send({ type: "text", id: "no-such-turn", kind: "student", text: "lost" });
      await panel.page.waitForFunction(() => true, null);
      await panel.page.evaluate(() => new Promise((ok) => setTimeout(ok, 200)), null);
      assert.equal(panel.warnings.filter((w) => w.includes("invalid message")).length, 3, panel.warnings.join("\n"));
      assert.equal(panel.warnings.filter((w) => w.includes("unknown answer")).length, 1);
      assert.doesNotMatch((await panel.page.locator("#transcript").textContent()) ?? "", /evil|lost/);
      assert.equal(await panel.page.locator("article.turn").count(), 1);
      assert.deepEqual(panel.errors, []);
    } finally {
      await panel.close();
    }
  });

  test("the welcome says the student is loading while it loads (not 'loads with your first question')", async () => {
    const panel = await openPanel();
    try {
      const setup = (state: "idle" | "loading" | "ready") => ({
        student: { state, name: "SmolLM2-135M-Instruct.Q4_1.gguf" },
        teacher: { state: "not-configured" as const, label: "not configured" },
        recommended: { name: "Qwen3 1.7B (Q8_0)", size: "about 1.8 GB" },
        trusted: true,
      });
      await panel.send({ ...init([]), setup: setup("idle") });
      const status = panel.page.locator("#welcome-student .step-status");
      await status.waitFor();
      assert.equal(await status.textContent(), "✓ SmolLM2-135M-Instruct.Q4_1.gguf (loads with your first question)");
      await panel.send({ type: "setup", setup: setup("loading") });
      await settled(async () => (await status.textContent()) === "✓ SmolLM2-135M-Instruct.Q4_1.gguf (loading…)", "the loading state");
      await panel.send({ type: "setup", setup: setup("ready") });
      await settled(async () => (await status.textContent()) === "✓ SmolLM2-135M-Instruct.Q4_1.gguf (loaded)", "the loaded state");
    } finally {
      await panel.close();
    }
  });

  test("cleared (New Chat from the view's title) empties the transcript", async () => {
    const panel = await openPanel();
    try {
      await panel.send(init([historyTurn]));
      await panel.page.locator("article.turn").first().waitFor();
      await panel.send({ type: "cleared" });
      await panel.page.locator("article.turn").first().waitFor({ state: "detached" });
      await panel.page.locator(".empty").waitFor();
    } finally {
      await panel.close();
    }
  });

  test("thinking: reasoning streams into a collapsed Thinking section, the answer below it; an opened section stays open", async () => {
    const panel = await openPanel();
    const page = panel.page;
    try {
      await panel.send(init([], true));
      await panel.send({ type: "turn-start", turn: { id: "th", question: "What is 2+3?", spans: [] } });
      await panel.send({ type: "text", id: "th", kind: "student", text: "The user asks for ", thought: true });
      const turn = page.locator('article[data-turn-id="th"]');
      const details = turn.locator("details.thinking");
      await details.waitFor();
      assert.equal(await details.locator("summary").textContent(), "Thinking…");
      assert.equal(await details.evaluate((el) => (el as HTMLDetailsElement).open), false, "collapsed by default");
      assert.equal(await details.locator(".thinking-body").isVisible(), false);
      // The teacher asked from inside the reasoning: the marker shows there, its text is tinted there.
      await panel.send({ type: "teacher-start", id: "th", granted: 3, model: "qwen3-8b" });
      await details.locator(".asking").waitFor({ state: "attached" });
      await panel.send({ type: "text", id: "th", kind: "teacher", text: "2+3, that is 5", thought: true });
      await details.locator(".teacher").waitFor({ state: "attached" });
      await details.locator("summary").click();
      assert.equal(await details.evaluate((el) => (el as HTMLDetailsElement).open), true);
      await panel.send({ type: "text", id: "th", kind: "student", text: ". Done.", thought: true });
      await page.waitForFunction(() => document.querySelector('article[data-turn-id="th"] .thinking-body')?.textContent?.includes("Done."), null);
      assert.equal(await details.evaluate((el) => (el as HTMLDetailsElement).open), true, "re-rendering kept it open");
      await panel.send({ type: "text", id: "th", kind: "student", text: "The answer is $\\boxed{5}$." });
      await page.waitForFunction(() => document.querySelector('article[data-turn-id="th"] summary')?.textContent === "Thinking", null);
      const answerText = await turn.locator(".answer").evaluate((el) => [...el.childNodes].filter((n) => !(n instanceof HTMLDetailsElement)).map((n) => n.textContent).join(""));
      assert.match(answerText, /^The answer is/);
      assert.ok(!answerText.includes("user asks"), answerText);
      assert.equal((await details.locator(".thinking-body").textContent())?.trim(), "The user asks for 2+3, that is 5. Done.");
      // The finished turn: reasoning spans flagged in the history render the same way, collapsed.
      await panel.send({
        type: "turn-end",
        turn: { id: "th", question: "What is 2+3?", spans: [{ ...student("The user asks for ", 5), thought: true }, { ...teacher("2+3, that is 5", 3), thought: true }, { ...student(". Done.", 3), thought: true }, student("The answer is $\\boxed{5}$.", 8)], stats: stats() },
      });
      await page.waitForFunction(() => !document.querySelector('article[data-turn-id="th"]')?.classList.contains("streaming"), null);
      assert.equal(await turn.locator("details.thinking").count(), 1);
      assert.equal(await turn.locator(".answer .katex").count(), 1);
      assert.deepEqual(panel.errors, []);
    } finally {
      await panel.close();
    }
  });

  for (const theme of ["dark", "light"] as const) {
    test(`screenshot, ${theme} theme`, async () => {
      const panel = await openPanel({ theme, height: 1250 });
      try {
        await panel.send(init([historyTurn, codeTurn], true));
        await panel.send({ type: "turn-start", turn: { id: "live", question: "Why does slicing with -1 reverse it?", spans: [] } });
        await panel.send({ type: "text", id: "live", kind: "student", text: "A slice `s[start:stop:step]` with a negative step starts at the end and" });
        await panel.send({ type: "teacher-start", id: "live", granted: 16, model: "qwen3-8b" });
        await panel.send({ type: "status", teacher: "qwen3-8b @ http://127.0.0.1:8000/v1", busy: true });
        await panel.page.locator(".asking").waitFor();
        await panel.page.waitForFunction(() => document.fonts.status === "loaded", null);
        await mkdir(shotsDir, { recursive: true });
        await panel.page.screenshot({ path: join(shotsDir, theme === "dark" ? "chat.png" : "chat-light.png") });
        assert.deepEqual(await panel.relay<string[]>("violations"), []);
        assert.deepEqual(panel.errors, []);
      } finally {
        await panel.close();
      }
    });
  }
});
