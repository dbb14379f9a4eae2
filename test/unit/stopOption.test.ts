/** `--teacher-stop`: whitespace is a stop string too (a newline most of all), and \n / \t are read as escapes. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { stopListOption } from "../../src/cli/options.js";

test("--teacher-stop takes a newline (typed or escaped), a tab, a backslash, and refuses the empty text", () => {
  const parse = stopListOption("--teacher-stop");
  assert.deepEqual(parse("\n"), ["\n"]);
  assert.deepEqual(parse("\\n", parse("###")), ["###", "\n"]);
  assert.deepEqual(parse("\\t"), ["\t"]);
  assert.deepEqual(parse("a\\\\nb"), ["a\\nb"], "an escaped backslash stays one");
  assert.deepEqual(parse(" "), [" "]);
  assert.throws(() => parse(""), /--teacher-stop must be a non-empty text/);
});
