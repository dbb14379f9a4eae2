/**
 * The free check of a teacher server (`GET /models`): what it lists, and a clear reason when it
 * cannot (no server, not an OpenAI API, a key refused, a redirect to another origin). Against
 * real HTTP servers on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { probeDelayMs } from "../../src/core/breaker.js";
import { RelayError } from "../../src/core/errors.js";
import { listModels } from "../../src/teacher/serverProbe.js";

let server: Server;
let other: Server;
let base = "";
let otherBase = "";
const seen: Array<{ url: string; auth?: string }> = [];

before(async () => {
  other = createServer((req, res) => {
    seen.push({ url: `other${req.url}`, auth: req.headers.authorization });
    res.end(JSON.stringify({ data: [{ id: "elsewhere" }] }));
  });
  await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
  otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? "", auth: req.headers.authorization });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.url === "/v1/models") return json(200, { object: "list", data: [{ id: "qwen2.5-coder-0.5b", object: "model" }, { id: "gemma" }] });
    if (req.url === "/moved/v1/models") return (res.writeHead(308, { location: "/v1/models" }), res.end());
    if (req.url === "/away/v1/models") return (res.writeHead(307, { location: `${otherBase}/v1/models` }), res.end());
    if (req.url === "/html/v1/models") return (res.writeHead(200, { "content-type": "text/html" }), res.end("<html>hello</html>"));
    if (req.url === "/key/v1/models") return json(401, { error: "bad key" });
    if (req.url === "/down/v1/models") return json(503, { error: "loading" });
    json(404, { error: "not found" });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await new Promise<void>((r) => other.close(() => r()));
});

const reason = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RelayError, String(error));
    return `${error.code}: ${error.message}`;
  }
  assert.fail("expected a failure");
};

test("lists the server's models, with the latency; the key goes as a bearer token; a same-origin redirect is followed", async () => {
  seen.length = 0;
  const list = await listModels(`${base}/v1/`, { apiKey: "sk-test-123" });
  assert.deepEqual(list.models, ["qwen2.5-coder-0.5b", "gemma"]);
  assert.ok(list.latencyMs >= 0);
  assert.equal(seen[0].auth, "Bearer sk-test-123");
  assert.deepEqual((await listModels(`${base}/moved/v1`)).models, ["qwen2.5-coder-0.5b", "gemma"]);
});

test("a clear reason when it cannot: no server, not an API, a refused key, a server error, a redirect to another origin (never followed)", async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  assert.match(await reason(listModels(`http://127.0.0.1:${port}/v1`)), /^teacher-unreachable: .* cannot be reached \(ECONNREFUSED\)/);
  assert.match(await reason(listModels(`${base}/nothing`)), /^teacher-rejected: .*HTTP 404: is this the base URL of an OpenAI-compatible API/);
  assert.match(await reason(listModels(`${base}/html/v1`)), /^teacher-bad-reply: .*did not answer with JSON/);
  assert.match(await reason(listModels(`${base}/key/v1`, { apiKey: "sk-wrong" })), /^teacher-rejected: .*HTTP 401\): check the API key/);
  assert.match(await reason(listModels(`${base}/down/v1`)), /^teacher-server-error: .*HTTP 503/);
  seen.length = 0;
  assert.match(await reason(listModels(`${base}/away/v1`, { apiKey: "sk-secret" })), /^teacher-redirect: .*redirected to http:\/\/127\.0\.0\.1:\d+; Relay follows redirects only within the server's own origin/);
  assert.ok(!seen.some((s) => s.url.startsWith("other")), "the other origin never got the request (nor the key)");
});

test("the checks back off: 5 s, 10 s, 20 s, 40 s, then a minute", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 50].map((a) => probeDelayMs(a) / 1000), [5, 10, 20, 40, 60, 60, 60]);
});

test("the chat format from a chat template's markers, and from a model's name as a last guess", async () => {
  const { templateFromChatTemplate, templateFromModelName } = await import("../../src/core/promptTemplates.js");
  assert.equal(templateFromChatTemplate("{% for m in messages %}<|im_start|>{{ m.role }}", "Qwen2.5-7B-Instruct"), "qwen");
  assert.equal(templateFromChatTemplate("<|im_start|>user", "SmolLM2"), "chatML");
  assert.equal(templateFromChatTemplate("<start_of_turn>user\n", "gemma-3-4b"), "gemma");
  assert.equal(templateFromChatTemplate("<|start_header_id|>user<|end_header_id|>", "llama"), "llama3.1");
  assert.equal(templateFromChatTemplate("{{ bos_token }}{{ message }}", "m"), undefined);
  assert.equal(templateFromModelName("Qwen/Qwen3-8B"), "qwen");
  assert.equal(templateFromModelName("meta-llama/Llama-3.1-8B-Instruct"), "llama3.1");
  assert.equal(templateFromModelName("gpt-4o-mini"), undefined);
});
