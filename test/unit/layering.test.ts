/** The folder layering is enforced by lint rules: a wrong arrow is an error, a right one is not. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ESLint } from "eslint";

const eslint = new ESLint({ cwd: process.cwd() });

async function importErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: file });
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

const wrong: [string, string][] = [
  ["src/core/x.ts", 'import * as vscode from "vscode";'],
  ["src/core/x.ts", 'import { readFileSync } from "node:fs";'],
  ["src/core/x.ts", 'import { LlamaStudent } from "../student/llamaStudent.js";'],
  ["src/teacher/x.ts", 'import { LlamaStudent } from "../student/llamaStudent.js";'],
  ["src/student/x.ts", 'import { LocalTeacher } from "../teacher/localTeacher.js";'],
  ["src/llama/x.ts", 'import { LlamaStudent } from "../student/llamaStudent.js";'],
  ["src/eval/x.ts", 'import { loadTeacher } from "../cli/setup.js";'],
  ["src/bench/x.ts", 'import { registerEval } from "../cli/eval.js";'],
  ["src/extension/x.ts", 'import { stderrLogger } from "../cli/logger.js";'],
  ["src/io/x.ts", 'import * as vscode from "vscode";'],
  ["src/core/routing/x.ts", 'import { readFile } from "node:fs/promises";'],
  ["src/core/routing/x.ts", 'import { LlamaStudent } from "../../student/llamaStudent.js";'],
  ["src/router/x.ts", 'import { registerRouter } from "../cli/router.js";'],
  ["src/extension/x.ts", 'import { collect } from "../router/collect.js";'],
  ["webview/x.ts", 'import { redact } from "../src/core/redact.js";'],
];

const right: [string, string][] = [
  ["src/student/x.ts", 'import { getSharedLlama } from "../llama/llama.js";'],
  ["src/teacher/x.ts", 'import { loadGgufModel } from "../llama/loadModel.js";'],
  ["src/cli/x.ts", 'import { runEval } from "../eval/runEval.js";'],
  ["src/cli/x.ts", 'import { collect } from "../router/collect.js";'],
  ["src/router/x.ts", 'import { LocalTeacher } from "../teacher/localTeacher.js";'],
  ["src/core/routing/x.ts", 'import { RelayError } from "../errors.js";'],
  ["src/extension/x.ts", 'import * as vscode from "vscode";'],
  ["webview/x.ts", 'import type { ToWebview } from "../src/protocol/chat.js";'],
];

for (const [file, code] of wrong) {
  test(`lint refuses in ${file}: ${code}`, async () => {
    const errors = await importErrors(file, `${code}\nexport {};\n`);
    assert.equal(errors.length, 1, `expected one import error, got ${JSON.stringify(errors)}`);
  });
}

for (const [file, code] of right) {
  test(`lint allows in ${file}: ${code}`, async () => {
    assert.deepEqual(await importErrors(file, `${code}\nexport {};\n`), []);
  });
}
