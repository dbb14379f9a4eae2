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
import { CUT_MARKER, promptRoom } from "../../src/core/teacherContext.js";
import { FileTeacherLog } from "../../src/io/fileTeacherLog.js";
import { OpenAITeacher, TEACHER_API_STYLES, type TeacherApiStyle } from "../../src/teacher/openaiTeacher.js";
import { MemoryStudent, MemoryTeacher, pieces } from "../helpers/memoryModels.js";

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

/**
 * Every position: each secret slides over both cut boundaries of the task prompt (as the chat
 * styles cut it, and as the completions style cuts the rendered prompt) and over the boundary
 * where the answer so far is cut, one character at a time. No 8-character piece of a secret may
 * be in what the teacher is sent.
 */
const rep = (s: string, n: number) => s.repeat(Math.ceil(n / s.length)).slice(0, n);
const SLIDING: Array<[string, string, string[]]> = [
  ["a key block", ["-----BEGIN PRIVATE KEY-----", ...KEY_LINES.slice(0, 4), "-----END PRIVATE KEY-----"].join("\n"), KEY_LINES.slice(0, 4)],
  ["a PuTTY key", `PuTTY-User-Key-File-3: ssh-ed25519\nPrivate-Lines: 1\nAAAAI${rep("Gh3Kp7LzWv2Qm9Yx", 43)}\nPrivate-MAC: 0a`, [`AAAAI${rep("Gh3Kp7LzWv2Qm9Yx", 43)}`]],
  ["a mysql password", "mysql -h db.internal -u root -pMy5ql-R00t-Pw shop", ["My5ql-R00t-Pw"]],
  ["a DB_PASS line", "DB_PASS=Pg-Pass-2024x", ["Pg-Pass-2024x"]],
  ["a credentials.csv row", `AKIA${rep("IOSFODNN7Q", 16)},${rep("wJalrXUtnFEMI/K7MDENG+bPxRfiCY", 40)}`, [`AKIA${rep("IOSFODNN7Q", 16)}`, rep("wJalrXUtnFEMI/K7MDENG+bPxRfiCY", 40)]],
  ["an Okta header", `Authorization: SSWS 00${rep("QCjAl4MlV-WPXM", 40)}`, [`00${rep("QCjAl4MlV-WPXM", 40)}`]],
  ["a GitHub token and a connection string", `${TOKEN} ${CONN}`, [TOKEN, "Vq8s-Lm2x-Pw7z-Rk4c"]],
];
const words = (n: number) => Array.from({ length: n }, (_, i) => ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"][i % 8]).join(" ");
const MAX_CONTEXT = 400;

/** Everything one teacher request carries: the rendered prompt, the chat task, the answer so far. */
async function sent(user: string, answer: string): Promise<string> {
  const teacher = new MemoryTeacher(() => ({ text: " ok", finish: "length", model: "memory-teacher" }));
  const student = new MemoryStudent([pieces(answer, "<call>", "4</call>"), pieces(" done.")]);
  await runRelay({ task: { user }, student, teacher, policy: createPolicy("learned"), limits: { maxContextTokens: MAX_CONTEXT } });
  assert.equal(teacher.requests.length, 1);
  const r = teacher.requests[0];
  return [r.promptText, r.task.system ?? "", r.task.user, ...(r.task.history ?? []).flatMap((h) => [h.user, h.assistant]), r.answer].join("\n");
}

/** The 8-character pieces of `secrets` found in `text`. */
const leaked = (text: string, secrets: string[]) => secrets.flatMap((s) => Array.from({ length: s.length - 7 }, (_, i) => s.slice(i, i + 8))).filter((piece) => text.includes(piece));

test("a secret at every position around the cuts of the prompt and of the answer never leaves", async () => {
  // Tokens are characters: the prompt keeps `head` characters, the marker, then `tail`.
  const room = promptRoom(MAX_CONTEXT) - CUT_MARKER.length;
  const head = Math.ceil(room / 2);
  const tail = Math.floor(room / 2);
  const rendered = (user: string) => new MemoryStudent([]).renderPrompt({ user });
  const open = rendered("").indexOf("</user>"); // characters before the user text in the rendered prompt
  let runs = 0;
  for (const [name, secret, values] of SLIDING) {
    const line = `\n${secret}\n`;
    const filler = words(260);
    const total = filler.length + line.length;
    const close = rendered("").length - open; // characters after it
    // Where the user text is cut: as the chat task (user text alone) and inside the rendered prompt.
    const boundaries = [head, total - tail, head - open, total + close - tail];
    const positions = new Set<number>();
    for (const b of boundaries) for (let p = b - line.length - 8; p <= b + 8; p++) if (p >= 0 && p <= filler.length) positions.add(p);
    for (const p of positions) {
      const user = filler.slice(0, p) + line + filler.slice(p);
      const out = await sent(user, "Sure");
      assert.ok(out.includes("cut to fit"), `${name} at ${p}: the prompt was not cut`);
      assert.deepEqual(leaked(out, values), [], `${name} at ${p} of the prompt`);
      runs++;
    }
    // The answer so far keeps its last characters: slide the secret over where it is cut.
    const user = words(20);
    const answerRoom = MAX_CONTEXT - rendered(user).length;
    const answerFiller = words(140);
    const answerTotal = answerFiller.length + line.length;
    for (let p = answerTotal - answerRoom - line.length - 8; p <= answerTotal - answerRoom + 8; p++) {
      if (p < 0 || p > answerFiller.length) continue;
      const out = await sent(user, answerFiller.slice(0, p) + line + answerFiller.slice(p));
      assert.deepEqual(leaked(out, values), [], `${name} at ${p} of the answer`);
      runs++;
    }
  }
  console.log(`cut-then-redact: ${runs} placements of ${SLIDING.length} secrets around the prompt's and the answer's cuts, none leaked`);
});
