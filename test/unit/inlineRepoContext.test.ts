/** Repository context for inline completions: exclusion rules, the chunk ring, selection within a budget, the prompt formats. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ChunkRing, chunkAround, type ContextChunk } from "../../src/core/contextChunks.js";
import { contextAllowed, gitignoreDirs, insideWorkspace, type ContextRules } from "../../src/editor/contextRules.js";
import { completionText, plainContext, repoContextPieces } from "../../src/core/contextPrompt.js";
import { contextBudget, selectContext } from "../../src/editor/contextSelect.js";
import { globMatches } from "../../src/editor/glob.js";
import { seededRandom } from "../../src/core/random.js";

const WS = "/home/u/proj";
const rules = (over: Partial<ContextRules> = {}): ContextRules => ({ folders: [WS], exclude: [], gitignores: new Map(), ...over });
const chunk = (path: string, text: string, line = 0, kind: ContextChunk["kind"] = "recent"): ContextChunk => ({ path, name: path.replace(`${WS}/`, ""), line, text, kind });
/** Tokens are whitespace-separated words here: enough to check the budget arithmetic. */
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

test("globs as VS Code writes them", () => {
  assert.equal(globMatches("**/.git", ".git"), true);
  assert.equal(globMatches("**/.git", "a/b/.git"), true);
  assert.equal(globMatches("**/*.env", "config/prod.env"), true);
  assert.equal(globMatches("*.env", "config/prod.env"), false, "* stays within one segment");
  assert.equal(globMatches("src/**", "src/a/b.ts"), true);
  assert.equal(globMatches("**/*.{pem,key}", "k/server.key"), true);
  assert.equal(globMatches("secret?.txt", "secret12.txt"), false);
  assert.equal(globMatches("[!a]b", "ab"), false);
  assert.equal(globMatches("a.b", "axb"), false, "a dot is a dot");
});

test("only files inside a workspace folder, with no way out through '..'", () => {
  assert.deepEqual(insideWorkspace(`${WS}/src/a.ts`, [WS]), { folder: WS, relative: "src/a.ts" });
  assert.equal(insideWorkspace("/home/u/projector/a.ts", [WS]), undefined, "a sibling folder sharing the name's start");
  assert.equal(insideWorkspace(`${WS}/../other/a.ts`, [WS]), undefined);
  assert.equal(insideWorkspace("/etc/passwd", [WS]), undefined);
  assert.equal(insideWorkspace(WS, [WS]), undefined, "the folder itself is no file");
  assert.equal(contextAllowed("/home/u/.ssh/id_rsa", rules()), false);
  assert.equal(contextAllowed(`${WS}/src/a.ts`, rules()), true);
});

test("files.exclude and relay.inline.exclude globs exclude files and whole folders", () => {
  const r = rules({ exclude: ["**/.git", "**/secrets", "**/*.env", "build/"] });
  assert.equal(contextAllowed(`${WS}/.git/config`, r), false);
  assert.equal(contextAllowed(`${WS}/app/secrets/db.ts`, r), false, "a file under an excluded folder");
  assert.equal(contextAllowed(`${WS}/prod.env`, r), false);
  assert.equal(contextAllowed(`${WS}/build/out.js`, r), false);
  assert.equal(contextAllowed(`${WS}/app/main.ts`, r), true);
});

test(".gitignore: nested files, anchored and dir-only patterns, negation that cannot bring a file back from an ignored folder", () => {
  const gitignores = new Map([
    [WS, "# comment\nnode_modules/\n/dist\n*.log\n!keep.log\nprivate/\n"],
    [`${WS}/pkg`, "generated.ts\n!private/ok.ts\n"],
  ]);
  const r = rules({ gitignores });
  assert.deepEqual(gitignoreDirs(`${WS}/pkg/src/a.ts`, [WS]), [WS, `${WS}/pkg`, `${WS}/pkg/src`]);
  assert.equal(contextAllowed(`${WS}/node_modules/x/index.js`, r), false);
  assert.equal(contextAllowed(`${WS}/pkg/node_modules/y.js`, r), false, "unanchored: at any depth");
  assert.equal(contextAllowed(`${WS}/dist/a.js`, r), false);
  assert.equal(contextAllowed(`${WS}/pkg/dist/a.js`, r), true, "/dist is anchored to the root");
  assert.equal(contextAllowed(`${WS}/logs/debug.log`, r), false);
  assert.equal(contextAllowed(`${WS}/logs/keep.log`, r), true, "a later ! rule wins for a file");
  assert.equal(contextAllowed(`${WS}/pkg/generated.ts`, r), false, "the nested .gitignore applies below it");
  assert.equal(contextAllowed(`${WS}/generated.ts`, r), true, "and not above it");
  assert.equal(contextAllowed(`${WS}/pkg/private/ok.ts`, r), false, "! cannot re-include a file of an ignored folder");
  assert.equal(contextAllowed(`${WS}/notes/private`, r), true, "a dir-only pattern does not match a file");
});

test("the ring keeps the newest chunks, and a chunk replaces those it repeats", () => {
  const ring = new ChunkRing(3);
  ring.add(chunk(`${WS}/a.ts`, "export const a = 1;\nexport const b = 2;", 0));
  ring.add(chunk(`${WS}/a.ts`, "export const a = 1;\nexport const b = 3;", 10));
  assert.equal(ring.size, 1, "the same region of a file seen again replaces the old chunk");
  assert.match(ring.chunks()[0].text, /b = 3/);
  ring.add(chunk(`${WS}/copy.ts`, "export const a = 1;\nexport const b = 3;", 200));
  assert.equal(ring.size, 1, "the same text from another file counts once");
  assert.equal(ring.chunks()[0].path, `${WS}/copy.ts`);
  for (const name of ["b", "c", "d"]) ring.add(chunk(`${WS}/${name}.ts`, `export function ${name}() {}`));
  assert.deepEqual(ring.chunks().map((c) => c.name), ["d.ts", "c.ts", "b.ts"], "newest first; the oldest dropped");
  ring.add(chunk(`${WS}/e.ts`, "  \n"));
  assert.equal(ring.chunks()[0].name, "d.ts", "blank chunks are not kept");
  ring.forget(`${WS}/c.ts`);
  assert.deepEqual(ring.chunks().map((c) => c.name), ["d.ts", "b.ts"]);
});

test("a chunk is the 64 lines around a line, clipped to the file", () => {
  const lines = Array.from({ length: 100 }, (_, i) => `l${i}`);
  assert.deepEqual(chunkAround(lines, 50).line, 18);
  assert.equal(chunkAround(lines, 50).text.split("\n").length, 64);
  assert.equal(chunkAround(lines, 2).line, 0);
  assert.equal(chunkAround(lines, 99).line, 36);
  assert.equal(chunkAround(lines.slice(0, 10), 5).text.split("\n").length, 10);
});

test("selection: definitions first, then recent chunks; within the budget; least relevant first in the prompt", () => {
  const def = chunk(`${WS}/geo.ts`, "export function area(r: number) { return Math.PI * r * r; }", 0, "definition");
  const recent1 = chunk(`${WS}/util.ts`, "export const twice = (x: number) => 2 * x;");
  const recent2 = chunk(`${WS}/big.ts`, Array.from({ length: 200 }, (_, i) => `word${i}`).join(" "));
  const recent3 = chunk(`${WS}/small.ts`, "export const one = 1;");
  const current = { path: `${WS}/main.ts`, fromLine: 0, toLine: 40 };
  const chosen = selectContext({ definitions: [def], recent: [recent1, recent2, recent3] }, { current, budgetTokens: 60, countTokens: words, allowed: () => true });
  assert.deepEqual(chosen.map((c) => c.name), ["small.ts", "util.ts", "geo.ts"], "the big chunk did not fit and was skipped for a smaller one");
  const cost = chosen.reduce((n, c) => n + words(c.text) + words(c.name) + 8, 0);
  assert.ok(cost <= 60, `within the budget (${cost})`);
  assert.deepEqual(selectContext({ definitions: [def], recent: [recent1] }, { current, budgetTokens: 0, countTokens: words, allowed: () => true }), [], "budget 0: no context");
});

test("selection: the current file's lines already in the prompt and repeated chunks are left out", () => {
  const current = { path: `${WS}/main.ts`, fromLine: 100, toLine: 180 };
  const inWindow = chunk(`${WS}/main.ts`, "a\nb\nc", 150);
  const elsewhere = chunk(`${WS}/main.ts`, "function far() {}", 10);
  const def = chunk(`${WS}/lib.ts`, "export class Point { x = 0; y = 0; }", 0, "definition");
  const again = chunk(`${WS}/lib.ts`, "export class Point { x = 0; y = 0; }", 40);
  const chosen = selectContext({ definitions: [def], recent: [inWindow, elsewhere, again] }, { current, budgetTokens: 1000, countTokens: words, allowed: () => true });
  assert.deepEqual(chosen.map((c) => `${c.name}:${c.line}`), ["main.ts:10", "lib.ts:0"]);
});

test("no excluded or out-of-workspace file is ever in a prompt (random collections, both prompt formats)", () => {
  const r = rules({ folders: [WS, "/srv/second"], exclude: ["**/*.env", "**/secrets/**"], gitignores: new Map([[WS, "ignored/\n*.key\n"]]) });
  const paths = [
    [`${WS}/src/ok.ts`, true],
    ["/srv/second/lib/ok.py", true],
    [`${WS}/.env`, false],
    [`${WS}/conf/prod.env`, false],
    [`${WS}/secrets/token.ts`, false],
    [`${WS}/ignored/gen.ts`, false],
    [`${WS}/certs/server.key`, false],
    ["/home/u/other/notes.ts", false],
    ["/etc/hosts", false],
    [`${WS}/../proj2/x.ts`, false],
  ] as const;
  const random = seededRandom(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  let sawAllowed = 0;
  for (let round = 0; round < 300; round++) {
    const make = (kind: ContextChunk["kind"]) =>
      Array.from({ length: Math.floor(random() * 6) }, (_, i) => {
        const [path] = pick(paths);
        return { ...chunk(path, `MARK<${path}>#${round}.${i}\nvalue = ${i}`, i * 70, kind), name: path.split("/").pop()! };
      });
    const chosen = selectContext(
      { definitions: make("definition"), recent: make("recent") },
      { current: { path: `${WS}/src/main.ts`, fromLine: 0, toLine: 50 }, budgetTokens: 1 + Math.floor(random() * 80), countTokens: words, allowed: (p) => contextAllowed(p, r) },
    );
    const context = { chunks: chosen, name: "src/main.ts", repo: "proj" };
    const prompts = [completionText({ prefix: "let x = ", context }), repoContextPieces(context).map((p) => ("text" in p ? p.text : p.special)).join("")];
    for (const prompt of prompts) {
      for (const [path, allowed] of paths) if (!allowed) assert.ok(!prompt.includes(`MARK<${path}>`), `round ${round}: ${path} reached a prompt`);
    }
    sawAllowed += chosen.length;
  }
  assert.ok(sawAllowed > 50, `allowed files did reach prompts (${sawAllowed} chunks): the check is not vacuous`);
});

test("prompt formats: Qwen2.5-Coder's repository format, and plain text under comment headers", () => {
  const context = { chunks: [chunk(`${WS}/geo.py`, "def area(r):\n    return 3.14 * r * r")], name: "main.py", repo: "proj" };
  const pieces = repoContextPieces(context);
  assert.deepEqual(pieces, [{ special: "<|repo_name|>" }, { text: "proj\n" }, { special: "<|file_sep|>" }, { text: "geo.py\ndef area(r):\n    return 3.14 * r * r\n" }, { special: "<|file_sep|>" }, { text: "main.py\n" }]);
  assert.equal(plainContext(context), "# geo.py\ndef area(r):\n    return 3.14 * r * r\n\n# main.py\n");
  assert.equal(completionText({ prefix: "print(", context }), "# geo.py\ndef area(r):\n    return 3.14 * r * r\n\n# main.py\nprint(");
  assert.equal(completionText({ prefix: "print(" }), "print(", "no context: the prefix alone");
  assert.match(plainContext({ ...context, name: "main.ts" }), /^\/\/ geo\.py\n/);
});

test("the budget is the setting, never more than the model's context has room for, in steps", () => {
  assert.equal(contextBudget(1024, { contextSize: 8192, windowTokens: 2200, maxTokens: 64 }), 1024);
  // 4096 − 3300 − 64 − 16 = 716 free: 640 in steps of 128.
  assert.equal(contextBudget(1024, { contextSize: 4096, windowTokens: 3300, maxTokens: 64 }), 640);
  assert.equal(contextBudget(1024, { contextSize: 4096, windowTokens: 3310, maxTokens: 64 }), 640, "a few more typed tokens do not move it");
  assert.equal(contextBudget(1024, { contextSize: 512, windowTokens: 500, maxTokens: 64 }), 0, "no room: no context");
  assert.equal(contextBudget(0, { contextSize: 8192, windowTokens: 10, maxTokens: 64 }), 0);
});
