/**
 * A prompt too long for the teacher is cut in the middle; redaction must see the whole text
 * first. Before the fix, with the `completions` style, a private key whose END line fell in the
 * removed middle no longer matched the PEM rule, and its lines reached the server and the
 * teacher-request log. Every request style and the warming request, through the real OpenAI
 * client against a real HTTP server on 127.0.0.1, with a key, a token and a connection string
 * at the start of the prompt, across the cut, and at its end.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runRelay } from "../../src/core/controller.js";
import { createPolicy } from "../../src/core/policies.js";
import { redact } from "../../src/core/redact.js";
import { FileTeacherLog } from "../../src/io/fileTeacherLog.js";
import { OpenAITeacher, TEACHER_API_STYLES, type TeacherApiStyle } from "../../src/teacher/openaiTeacher.js";
import { MemoryStudent, pieces } from "../helpers/memoryModels.js";

/** 20 lines of base64 (fake): long enough that a cut can fall inside the block. */
const KEY_LINES = Array.from({ length: 20 }, (_, i) => `MIIEv${String(i).padStart(2, "0")}QIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj`);
const PEM = ["-----BEGIN PRIVATE KEY-----", ...KEY_LINES, "-----END PRIVATE KEY-----"].join("\n");
const TOKEN = "ghp_" + "R7a9K2m4P6q8S1t3V5w7X9y2Z4b6C8d0E1f3";
const CONN = "postgres://app:" + "Vq8s-Lm2x-Pw7z-Rk4c" + "@db.internal:5432/prod";
const SECRETS = [...KEY_LINES, TOKEN, "Vq8s-Lm2x-Pw7z-Rk4c"];
const filler = (n: number) => Array.from({ length: n }, (_, i) => `line ${i}: nothing secret here, just words to fill the prompt.`).join("\n");

let server: Server;
let base = "";
const bodies: string[] = [];
before(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      bodies.push(body);
      const chat = req.url?.includes("chat");
      const usage = { prompt_tokens: 40, completion_tokens: 2, total_tokens: 42, prompt_tokens_details: { cached_tokens: 30 } };
      const choice = chat ? { index: 0, message: { role: "assistant", content: " ok" }, finish_reason: "length" } : { index: 0, text: " ok", finish_reason: "length" };
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ id: "x", object: chat ? "chat.completion" : "text_completion", created: 0, model: "m", choices: [choice], usage }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

/** Where the secrets sit in a prompt of ~4,000 characters (tokens are characters here). */
const PLACES: Record<string, string> = {
  start: `${PEM}\n${TOKEN}\n${CONN}\n${filler(60)}`,
  // A 2,000-token context keeps 750 characters at each end: one key starts in the kept head and
  // ends in the cut middle, another starts in the middle and ends in the kept tail.
  "across the cut": `${filler(10)}\n${PEM}\n${filler(20)}\n${TOKEN} ${CONN}\n${filler(20)}\n${PEM}\n${filler(5)}`,
  end: `${filler(60)}\n${CONN}\n${TOKEN}\n${PEM}`,
};

async function ask(style: TeacherApiStyle, user: string, warm: boolean, logPath: string) {
  const log = new FileTeacherLog(logPath);
  const teacher = new OpenAITeacher({ baseURL: base, model: "m", style, log, assumePromptCache: warm });
  const student = new MemoryStudent([pieces("Sure", "<call>", "4</call>"), pieces(" done.")]);
  const result = await runRelay({ task: { user }, student, teacher, policy: createPolicy("learned"), limits: { maxContextTokens: 2000 }, warmTeacher: warm });
  await log.flush();
  return result;
}

for (const [place, user] of Object.entries(PLACES)) {
  for (const style of TEACHER_API_STYLES) {
    for (const warm of style === "completions" ? [false, true] : [false]) {
      test(`${style}${warm ? " with warming" : ""}: secrets at the ${place} of a prompt cut for the teacher never leave`, async () => {
        const dir = await mkdtemp(join(tmpdir(), "relay-cut-"));
        try {
          bodies.length = 0;
          const result = await ask(style, user, warm, join(dir, "requests.jsonl"));
          assert.equal(result.stats.calls, 1);
          assert.ok(bodies.length >= (warm ? 2 : 1), `requests sent: ${bodies.length}`);
          // The prompt was really cut (the test means nothing otherwise).
          assert.ok(bodies.every((b) => b.includes("cut to fit")), "the prompt was not cut");
          const logged = await readFile(join(dir, "requests.jsonl"), "utf8");
          for (const secret of SECRETS) {
            for (const body of bodies) assert.ok(!body.includes(secret), `${secret.slice(0, 12)}… reached the server`);
            assert.ok(!logged.includes(secret), `${secret.slice(0, 12)}… reached the teacher-request log`);
          }
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });
    }
  }
}

test("a key block that is only partly in the text (its head or its tail) is redacted too", () => {
  const head = ["-----BEGIN RSA PRIVATE KEY-----", ...KEY_LINES.slice(0, 6)].join("\n");
  const tail = [...KEY_LINES.slice(10), "-----END OPENSSH PRIVATE KEY-----"].join("\n");
  const encrypted = ["-----BEGIN RSA PRIVATE KEY-----", "Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-128-CBC,2AF25325A9B286F4CBD8CA99FB1D1A6C", "", ...KEY_LINES.slice(0, 4)].join("\n");
  const json = JSON.stringify({ key: head });
  for (const text of [head, tail, encrypted, json, `before\n${head}\n`, `${tail}\nafter`]) {
    const out = redact(text);
    for (const line of KEY_LINES) assert.ok(!out.includes(line), `${line.slice(0, 10)}… kept in ${JSON.stringify(out.slice(0, 80))}`);
  }
  // A public key block and the words around keys are not touched.
  const pub = ["-----BEGIN PUBLIC KEY-----", ...KEY_LINES.slice(0, 3), "-----END PUBLIC KEY-----"].join("\n");
  assert.equal(redact(pub), pub);
});
