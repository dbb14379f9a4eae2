/**
 * The one way out to the terminal for someone else's text: what a terminal would act on (C0 and
 * C1 controls, DEL, bidi characters, U+061C included) is shown, never interpreted — in plain
 * text, in log lines, in JSON — and ESLint keeps every write of src/cli on that path.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ESLint } from "eslint";
import { stderrLogger } from "../../src/cli/logger.js";
import { jsonSafe, terminalSafe } from "../../src/cli/terminalText.js";
import { codePointLabel, describeHiddenChars, findHiddenChars, hiddenCodeWarning, stripHiddenChars } from "../../src/core/hiddenText.js";

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const ACTED_ON = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** A server's error body: retitle, clear screen, an OSC 8 link, bidi overrides, a C1 CSI, NEL, a bell. */
const HOSTILE = "\u001b]0;pwned\u0007\u001b[2J\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\\u202e\u2066\u061c\u200f\u009b31m\u0085\u0007";

describe("terminalSafe", () => {
  test("every bidi character is escaped, the Arabic letter mark U+061C too", () => {
    for (const c of ["\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]) {
      assert.equal(terminalSafe(`a${c}b`), `a\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}b`);
    }
  });

  test("C0, DEL and C1 controls are shown; newlines, tabs and CRLF pass; ordinary Unicode is kept", () => {
    const safe = terminalSafe(HOSTILE);
    assert.ok(!ACTED_ON.test(safe), JSON.stringify(safe));
    assert.equal(terminalSafe("\u001b[31m\u007f\u0085\r"), "\u241b[31m\u2421\\u0085\u240d");
    assert.equal(terminalSafe("line 1\r\n\tline 2\n"), "line 1\r\n\tline 2\n");
    assert.equal(terminalSafe("façade — 数学 👩‍💻 עברית"), "façade — 数学 👩‍💻 עברית");
  });
});

describe("jsonSafe", () => {
  test("no C1, DEL or bidi character is left raw, and the JSON is the same value", () => {
    const value = { text: HOSTILE, nested: [{ error: "HTTP 400: \u202egnp.exe\u0085" }], plain: "façade 数学" };
    const json = jsonSafe(value);
    assert.ok(!ACTED_ON.test(json), json);
    assert.deepEqual(JSON.parse(json), value);
    assert.ok(!ACTED_ON.test(jsonSafe(value, 2)));
    assert.deepEqual(JSON.parse(jsonSafe(value, 2)), value);
    assert.match(jsonSafe("\u2028"), /\\u2028/);
  });
});

describe("the CLI's logger", () => {
  test("a warning that carries a server's words is made safe", () => {
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stderr.write;
    try {
      stderrLogger(true).warn(`teacher call failed: Teacher request failed: HTTP 400: ${HOSTILE}`);
      stderrLogger(true).info(HOSTILE);
    } finally {
      process.stderr.write = write;
    }
    assert.equal(written.length, 2);
    for (const line of written) assert.ok(!ACTED_ON.test(line.slice(0, -1)), JSON.stringify(line));
    assert.match(written[0], /^\[warn\] teacher call failed: .*\u241b\]0;pwned\u2407.*\\u202e.*\n$/);
  });
});

describe("hidden characters (the chat panel's code blocks)", () => {
  test("bidi and invisible characters are found with their names; emoji joiners are not", () => {
    const found = findHiddenChars("if (isAdmin\u202e \u2066// check\u2069\u2066) {\u200b}\u{E0041}ok 👩‍💻 ❤️‍🔥 👩🏽‍💻");
    assert.deepEqual(found.map((c) => [c.kind, c.label]), [
      ["bidi", "U+202E RIGHT-TO-LEFT OVERRIDE"],
      ["bidi", "U+2066 LEFT-TO-RIGHT ISOLATE"],
      ["bidi", "U+2069 POP DIRECTIONAL ISOLATE"],
      ["bidi", "U+2066 LEFT-TO-RIGHT ISOLATE"],
      ["invisible", "U+200B ZERO WIDTH SPACE"],
      ["invisible", "U+E0041 TAG CHARACTER"],
    ]);
    assert.equal(found[5].length, 2);
    assert.deepEqual(findHiddenChars("const x = 1;\nconst y = 'שלום';\n"), []);
    assert.deepEqual(findHiddenChars("a\u200db").map((c) => c.label), ["U+200D ZERO WIDTH JOINER"], "a joiner between letters is reported");
    assert.equal(codePointLabel(0x061c), "U+061C ARABIC LETTER MARK");
    assert.equal(describeHiddenChars(found), "4 bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LEFT-TO-RIGHT ISOLATE, U+2069 POP DIRECTIONAL ISOLATE) and 2 invisible characters (U+200B ZERO WIDTH SPACE, U+E0041 TAG CHARACTER)");
  });
});

describe("copying or inserting code that holds hidden characters (the editor asks first)", () => {
  test("the warning names what is there; plain code needs none", () => {
    assert.equal(hiddenCodeWarning("print('hi')\n", "insert"), undefined);
    assert.equal(hiddenCodeWarning("ok = '👩‍💻'", "copy"), undefined);
    assert.deepEqual(hiddenCodeWarning("if x != 'user\u202e \u2066# admin\u2069 \u2066':", "insert"), {
      message: "This code holds 4 bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LEFT-TO-RIGHT ISOLATE, U+2069 POP DIRECTIONAL ISOLATE).",
      detail: "Bidirectional controls can make code read differently from how it runs, and invisible characters can hide text. The chat panel shows each as a U+ mark.",
      asIs: "Insert As Is",
      without: "Remove Them and Insert",
    });
    assert.equal(hiddenCodeWarning("a\u200bb", "copy")?.asIs, "Copy As Is");
  });

  test("removing them leaves the rest, emoji joiners included", () => {
    assert.equal(stripHiddenChars("if x != 'user\u202e \u2066# admin\u2069 \u2066':\u200b \u{E0041}👩‍💻"), "if x != 'user # admin ': 👩‍💻");
    assert.equal(stripHiddenChars("plain"), "plain");
  });
});

describe("every write of src/cli goes through terminalText.ts", () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const errors = async (file: string, code: string) => (await eslint.lintText(`${code}\nexport {};\n`, { filePath: file })).flatMap((r) => r.messages.filter((m) => m.ruleId === "no-restricted-syntax").map((m) => m.message));

  test("a raw write or console call in src/cli is refused, with the way to do it", async () => {
    for (const code of ['process.stdout.write("x");', 'process.stderr.write("x");', 'console.log("x");', 'console.error("x");']) {
      const found = await errors("src/cli/x.ts", code);
      assert.equal(found.length, 1, `${code}: ${JSON.stringify(found)}`);
      assert.match(found[0], /terminalText/, code);
    }
  });

  test("terminalText.ts itself, and code outside src/cli, may write", async () => {
    assert.deepEqual(await errors("src/cli/terminalText.ts", 'process.stdout.write("x");'), []);
    assert.deepEqual(await errors("src/bench/x.ts", 'process.stderr.write("x");'), []);
  });
});
