import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import fc from "fast-check";
import { TagScanner, mergeText, scanAll, visibleText, type ScanEvent } from "../../src/core/tagScanner.js";

const opts = { maxSpanTokens: 256 };

function scanPieces(pieces: string[]): ScanEvent[] {
  const s = new TagScanner(opts);
  const events: ScanEvent[] = [];
  for (const p of pieces) events.push(...s.push(p));
  events.push(...s.end());
  return mergeText(events);
}

test("a valid command between text", () => {
  assert.deepEqual(scanAll("Let me see. <call>32</call>So 391.", opts), [
    { type: "text", text: "Let me see. " },
    { type: "call", n: 32, requested: 32, raw: "<call>32</call>" },
    { type: "text", text: "So 391." },
  ]);
});

test("whitespace around n is allowed", () => {
  const [, call] = scanAll("a<call> 7 \n</call>", opts);
  assert.equal(call.type, "call");
  assert.equal((call as { n: number }).n, 7);
});

test("n = 0, missing and non-numeric n are malformed and removed", () => {
  for (const [text, reason] of [
    ["x<call>0</call>y", "zero"],
    ["x<call></call>y", "missing-number"],
    ["x<call>  </call>y", "missing-number"],
    ["x<call>abc</call>y", "not-a-number"],
    ["x<call>-3</call>y", "not-a-number"],
    ["x<call>1.5</call>y", "not-a-number"],
  ] as const) {
    const events = scanAll(text, opts);
    assert.deepEqual(
      events.map((e) => e.type),
      ["text", "malformed", "text"],
      text,
    );
    assert.equal((events[1] as { reason: string }).reason, reason, text);
    assert.equal(visibleText(text, opts), "xy");
  }
});

test("huge n is clamped to maxSpanTokens, n is at least 1", () => {
  const events = scanAll("<call>99999999999999999999999</call>", opts);
  assert.deepEqual(events[0], { type: "call", n: 256, requested: 1e23, raw: "<call>99999999999999999999999</call>" });
  const small = scanAll("<call>00001</call>", { maxSpanTokens: 4 });
  assert.equal((small[0] as { n: number }).n, 1);
});

test("an unclosed tag at end of stream is malformed; a half-written number is dropped", () => {
  assert.deepEqual(scanAll("The answer<call>12", opts), [
    { type: "text", text: "The answer" },
    { type: "malformed", raw: "<call>12", reason: "unclosed" },
  ]);
  assert.deepEqual(scanAll("The answer<call>12</ca", opts), [
    { type: "text", text: "The answer" },
    { type: "malformed", raw: "<call>12</ca", reason: "unclosed" },
  ]);
});

test("a stream cut inside a tag shows no fragment of it", () => {
  assert.equal(visibleText("The answer<ca", opts), "The answer");
  assert.equal(visibleText("The answer</cal", opts), "The answer");
  assert.equal(scanAll("x<c", opts)[1].type, "malformed");
});

test("words after a stray opener are kept as text", () => {
  assert.equal(visibleText("a<call>then we add b", opts), "athen we add b");
});

test("a tag that never closes within the window does not swallow the text", () => {
  const long = "x".repeat(200);
  assert.equal(visibleText(`a<call>${long}`, opts), `a${long}`);
  assert.equal(visibleText(`a<call>${long}</call>`, opts), `a${long}`);
});

test("nested openers: the outer one is broken, the inner one counts", () => {
  const events = scanAll("a<call><call>5</call>b", opts);
  assert.deepEqual(
    events.map((e) => e.type),
    ["text", "malformed", "call", "text"],
  );
  assert.equal(visibleText("a<call><call>5</call>b", opts), "ab");
});

test("garbage angle brackets stay visible", () => {
  for (const text of ["if a < b and b > c", "<<<>>>", "<div>x</div>", "<cal>", "< call>5</ call>", "<CALL>5</CALL>", "<callx>", "1 <= 2", "a <"]) {
    assert.equal(visibleText(text, opts), text, text);
  }
});

test("a stray closing tag is removed", () => {
  const events = scanAll("a</call>b", opts);
  assert.deepEqual(events, [
    { type: "text", text: "a" },
    { type: "malformed", raw: "</call>", reason: "stray-close" },
    { type: "text", text: "b" },
  ]);
});

test("only what could still become a tag is held back", () => {
  const s = new TagScanner(opts);
  assert.deepEqual(s.push("Hello <ca"), [{ type: "text", text: "Hello " }]);
  assert.equal(s.holding, true);
  assert.deepEqual(s.push("t"), [{ type: "text", text: "<cat" }]);
  assert.equal(s.holding, false);
  assert.deepEqual(s.push("<"), []);
  assert.deepEqual(s.push("/"), []);
  assert.deepEqual(s.push("x"), [{ type: "text", text: "</x" }]);
});

test("a tag split across every token boundary is never shown in fragments", () => {
  const text = "Step one.<call>16</call> Step two.";
  const s = new TagScanner(opts);
  const shown: string[] = [];
  for (const ch of text) for (const e of s.push(ch)) if (e.type === "text") shown.push(e.text);
  for (const e of s.end()) if (e.type === "text") shown.push(e.text);
  for (const piece of shown) assert.ok(!/[<>]/.test(piece), `fragment shown: ${piece}`);
  assert.equal(shown.join(""), "Step one. Step two.");
});

// Text built from pieces that often form tags, and pieces that almost do.
const fragments = ["<call>", "</call>", "<call", "call>", "</", "<", ">", "c", "a", "l", "0", "7", "12", "999999", " ", "\n", "x", "The answer ", "<ca", "ll>", "</c", "<div>", "é", "🙂"];
const textArb = fc.array(fc.constantFrom(...fragments), { maxLength: 60 }).map((parts) => parts.join(""));

function randomSplit(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * (text.length + 1))))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let last = 0;
  for (const p of points) {
    pieces.push(text.slice(last, p));
    last = p;
  }
  pieces.push(text.slice(last));
  return pieces;
}

test("property: any split of the text gives the same events as the whole", () => {
  fc.assert(
    fc.property(textArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 30 }), (text, cuts) => {
      assert.deepEqual(scanPieces(randomSplit(text, cuts)), scanAll(text, opts));
    }),
    { numRuns: 3000 },
  );
});

function isSubsequence(sub: string, text: string): boolean {
  let i = 0;
  for (let j = 0; j < text.length; j++) if (i < sub.length && sub[i] === text[j]) i++;
  return i === sub.length;
}

test("property: char-by-char feeding matches, and visible text only drops characters", () => {
  fc.assert(
    fc.property(textArb, (text) => {
      const events = scanAll(text, opts);
      const visible = events.map((e) => (e.type === "text" ? e.text : "")).join("");
      assert.ok(isSubsequence(visible, text));
      // Every valid command is either reported or inside a broken opener's window.
      const valid = (text.match(/<call>\s*0*[1-9]\d*\s*<\/call>/g) ?? []).length;
      assert.ok(events.filter((e) => e.type === "call").length <= valid);
      const charByChar = scanPieces([...text]);
      assert.deepEqual(charByChar, events);
    }),
    { numRuns: 2000 },
  );
});

/**
 * The shared table of tag cases (test/fixtures/tag-cases.json): the product's reading of each
 * text, which the training code's reader (python/relaytools/train/tags.py) must give too —
 * python/tests/train/test_tags.py runs the same table. After a deliberate scanner change,
 * RELAY_UPDATE_TAG_CASES=1 rewrites the expected events and visible text from this scanner
 * (review the diff: every changed line is a change in how Relay reads a tag).
 */
interface TagCase {
  name: string;
  text: string;
  maxSpanTokens: number;
  events: ScanEvent[];
  visible: string;
}
const TAG_CASES_FILE = new URL("../fixtures/tag-cases.json", import.meta.url);
const TAG_CASES_ABOUT =
  "The relay command as Relay reads it: for each text, the scanner's events (src/core/tagScanner.ts, scanAll with the case's maxSpanTokens) and the visible text (every tag removed: what the user and the teacher see). Run by test/unit/tagScanner.test.ts and by python/tests/train/test_tags.py against python/relaytools/train/tags.py, so the training code reads tags as the product does. Regenerate with RELAY_UPDATE_TAG_CASES=1 after a deliberate scanner change.";

test("the shared tag table: every case scans to its events and visible text, whole and in any split", () => {
  const table = JSON.parse(readFileSync(TAG_CASES_FILE, "utf8")) as { about: string; cases: TagCase[] };
  if (process.env.RELAY_UPDATE_TAG_CASES === "1") {
    const cases = table.cases.map(({ name, text, maxSpanTokens }) => {
      const o = { maxSpanTokens };
      return { name, text, maxSpanTokens, events: scanAll(text, o), visible: visibleText(text, o) };
    });
    writeFileSync(TAG_CASES_FILE, `${JSON.stringify({ about: TAG_CASES_ABOUT, cases }, null, 2)}\n`);
    return;
  }
  assert.equal(table.about, TAG_CASES_ABOUT);
  assert.ok(table.cases.length >= 40, "the table covers the grammar's corners");
  assert.equal(new Set(table.cases.map((c) => c.name)).size, table.cases.length, "case names are unique");
  for (const c of table.cases) {
    const o = { maxSpanTokens: c.maxSpanTokens };
    assert.deepEqual(scanAll(c.text, o), c.events, c.name);
    assert.equal(visibleText(c.text, o), c.visible, c.name);
    // As the product meets it: streamed in token pieces of any split.
    const chars = [...c.text];
    for (let i = 1; i < chars.length; i++) {
      const s = new TagScanner(o);
      const events = [...s.push(chars.slice(0, i).join("")), ...s.push(chars.slice(i).join("")), ...s.end()];
      assert.deepEqual(mergeText(events), c.events, `${c.name}, split at ${i}`);
    }
    const s = new TagScanner(o);
    assert.deepEqual(mergeText([...chars.flatMap((ch) => s.push(ch)), ...s.end()]), c.events, `${c.name}, one character at a time`);
  }
});
