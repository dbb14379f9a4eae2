import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { TEACHER_LEGEND, TeacherMarkdown, inlineAtoms, teacherTitle, type TeacherMark } from "../../src/core/chatMarkdown.js";

const M: TeacherMark = { model: "big", tokens: 4, durationMs: 7 };
const OPEN = '<ins title="teacher big · 4 tokens · 7 ms">';

type Piece = string | { teacher: string };

/** All the Markdown written for these pieces, end() included. */
function render(pieces: readonly Piece[]): string {
  const w = new TeacherMarkdown();
  let out = "";
  for (const p of pieces) out += typeof p === "string" ? w.student(p) : w.teacher(p.teacher, M);
  return out + w.end();
}

test("the tooltip and the legend say what the panel says", () => {
  assert.equal(teacherTitle(M), "teacher big · 4 tokens · 7 ms");
  assert.equal(teacherTitle({ tokens: 1 }), "teacher model · 1 token");
  assert.match(TEACHER_LEGEND, /^<ins title="[^"]+">Underlined<\/ins> text was written by the teacher/);
});

test("student text passes through; the teacher's words are marked where they are", () => {
  assert.equal(render(["17 * 3 = ", { teacher: "51." }, "\nSo the answer is 391.\n"]), `17 * 3 = ${OPEN}51.</ins>\nSo the answer is 391.\n`);
});

test("the mark leaves out the whitespace around the teacher's words", () => {
  assert.equal(render(["It is", { teacher: " 51 " }, "now.\n"]), `It is ${OPEN}51</ins> now.\n`);
});

test("line-start syntax stays outside the mark: lists, headings, quotes", () => {
  assert.equal(render([{ teacher: "- one item" }, "\n"]), `- ${OPEN}one item</ins>\n`);
  assert.equal(render([{ teacher: "## Result" }, "\n"]), `## ${OPEN}Result</ins>\n`);
  assert.equal(render([{ teacher: "> quoted words" }, "\n"]), `> ${OPEN}quoted words</ins>\n`);
});

test("a teacher span over two paragraphs gets a mark in each", () => {
  assert.equal(render(["Start ", { teacher: "one.\n\ntwo" }, " end.\n"]), `Start ${OPEN}one.</ins>\n\n${OPEN}two</ins> end.\n`);
});

test("inline code or a formula the teacher touched is marked whole, never cut", () => {
  assert.equal(render(["Use `x = ", { teacher: "51" }, "` now.\n"]), `Use ${OPEN}\`x = 51\`</ins> now.\n`);
  assert.equal(render(["So $17 \\cdot 3 = ", { teacher: "51" }, "$ here.\n"]), `So ${OPEN}$17 \\cdot 3 = 51$</ins> here.\n`);
});

test("a fenced block holds no mark: the lines the teacher wrote in are named under it", () => {
  const out = render(["Code:\n```js\nconst a = 1;\nconst b = ", { teacher: "a * 51;" }, "\n```\nDone.\n"]);
  assert.equal(out, `Code:\n\`\`\`js\nconst a = 1;\nconst b = a * 51;\n\`\`\`\n<sub>↑ <ins title="teacher big · 4 tokens · 7 ms">teacher</ins> text in the code above: line 2</sub>\n\nDone.\n`);
});

test("a table keeps its pipes outside the marks", () => {
  const out = render(["| a | b |\n|---|---|\n", { teacher: "| 51 | 52 |" }, "\n"]);
  assert.equal(out, `| a | b |\n|---|---|\n| ${OPEN}51</ins> | ${OPEN}52</ins> |\n`);
});

test("the model's own HTML is made inert outside code, kept in code", () => {
  assert.equal(render(["<img src=x onerror=alert(1)> and `<b>`\n"]), "&lt;img src=x onerror=alert(1)> and `<b>`\n");
  assert.equal(render([{ teacher: "<script>x</script>" }, "\n"]), `${OPEN}&lt;script>x&lt;/script></ins>\n`);
  assert.equal(render(["```html\n<b>bold</b>\n```\n"]), "```html\n<b>bold</b>\n```\n");
  // a title cannot be broken out of
  const w = new TeacherMarkdown();
  assert.match(w.teacher("x", { model: 'a"><script>', tokens: 1 }) + w.end(), /title="teacher a&quot;&gt;&lt;script&gt; · 1 token"/);
});

test("an answer that ends inside a fence gets the fence closed (the footer stays outside)", () => {
  assert.equal(render(["```py\nprint(1)"]), "```py\nprint(1)\n```\n");
  assert.equal(render(["```py\nx = ", { teacher: "51" }]), "```py\nx = 51\n```\n<sub>↑ <ins title=\"teacher big · 4 tokens · 7 ms\">teacher</ins> text in the code above: line 1</sub>\n\n");
});

test("text streams out as it comes, except what could still change its meaning", () => {
  const w = new TeacherMarkdown();
  assert.equal(w.student("Hello wor"), "Hello wor");
  assert.equal(w.student("ld, see `co"), "ld, see ");
  assert.equal(w.student("de` here"), "`code` here");
  assert.equal(w.student("\n``"), "\n");
  assert.equal(w.student("`py\n"), "```py\n");
  assert.equal(w.student("x = 1"), "x = 1");
  assert.equal(w.student("\n`"), "\n");
  assert.equal(w.student("``\n"), "```\n");
});

test("inline atoms: code spans of any run length, formulas, escapes, unclosed ones", () => {
  assert.deepEqual(inlineAtoms("a `b` c"), [{ start: 2, end: 5, open: false }]);
  assert.deepEqual(inlineAtoms("a ``b ` c`` d"), [{ start: 2, end: 11, open: false }]);
  assert.deepEqual(inlineAtoms("\\`not code` x"), [{ start: 10, end: 13, open: true }]);
  assert.deepEqual(inlineAtoms("costs $5 and $ 6"), [{ start: 6, end: 16, open: true }]);
  assert.deepEqual(inlineAtoms("$x^2$ and $$y$$"), [{ start: 0, end: 5, open: false }, { start: 10, end: 15, open: false }]);
});

test("however the text is split, the same Markdown comes out", () => {
  const words = ["Hello", " ", "world", "\n", "`x`", "- ", "# ", "```", "js", "|", " a ", "$", "5", "<b>", "\\", "\n\n", "51", "~~~", "> ", "1. "];
  fc.assert(
    fc.property(
      fc.array(fc.record({ text: fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 6 }).map((a) => a.join("")), teacher: fc.boolean() }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      (pieces, cuts) => {
        const whole = render(pieces.map((p) => (p.teacher ? { teacher: p.text } : p.text)));
        // the student's pieces split further at arbitrary points (the teacher's come whole)
        const split: Piece[] = [];
        let c = 0;
        for (const p of pieces) {
          if (p.teacher) {
            split.push({ teacher: p.text });
            continue;
          }
          let rest = p.text;
          while (rest.length > 1 && c < cuts.length) {
            const at = 1 + (cuts[c++]! % (rest.length - 1));
            split.push(rest.slice(0, at));
            rest = rest.slice(at);
          }
          split.push(rest);
        }
        assert.equal(render(split), whole);
        // marks are balanced
        assert.equal((whole.match(/<ins /g) ?? []).length, (whole.match(/<\/ins>/g) ?? []).length);
      },
    ),
    { numRuns: 1000 },
  );
});

test("marks only add: without them and the code notes, the text is the student-only rendering of the same text", () => {
  const words = ["Hello", " ", "`x`", "\n", "- ", "```", "|", "$", "<i>", "51", "\n\n", "# "];
  fc.assert(
    fc.property(fc.array(fc.record({ text: fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 5 }).map((a) => a.join("")), teacher: fc.boolean() }), { minLength: 1, maxLength: 10 }), (pieces) => {
      const marked = render(pieces.map((p) => (p.teacher ? { teacher: p.text } : p.text)));
      const plain = render(pieces.map((p) => p.text));
      const stripped = marked.replace(/<sub>↑ .*?<\/sub>\n\n/g, "").replace(/<ins title="[^"]*">|<\/ins>/g, "");
      // (a note after a fence that ends the answer brings the fence's line end with it)
      assert.equal(stripped.trimEnd(), plain.trimEnd());
    }),
    { numRuns: 1000 },
  );
});
