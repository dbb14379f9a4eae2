/**
 * The relay-trained student one click away, in a real VS Code (issue "Everyday use with real
 * models, round 2", item 9): the welcome's "Relay-Trained Student" downloads the checkpoint from
 * the stand-in model host (serving the training pipeline's own smoke-run checkpoint as the
 * RelayLLM repository), converts it on this machine with llama.cpp's converter, makes it the
 * student under `learned`, and its answers relay its own `<call>n</call>` to the teacher. A
 * download the host breaks off half-way fails clearly, offers the vanilla student, and leaves
 * nothing behind.
 *
 * The checkpoint is the one `npm run test:train` trains (RELAY_TRAIN_RUN, default
 * ~/.cache/relay/train/smoke-run): this suite fails, naming that command, when it is missing.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { after, before, describe } from "node:test";
import { RELAY_TRAINED_STUDENT } from "../../src/core/recommendedModel.js";
import { ModelHost } from "../fixtures/modelHost.js";
import { useVSCode, type PWFrame, type VSCode } from "./harness.js";
import { useWorld } from "./world.js";

const RUN = process.env.RELAY_TRAIN_RUN ?? join(homedir(), ".cache", "relay", "train", "smoke-run");
const CHECKPOINT = join(RUN, "grpo");

async function chat(vs: VSCode): Promise<PWFrame> {
  await vs.runCommand("Relay: Open Chat");
  const frame = await vs.webviewFrame("relay.chat");
  await frame.locator("#question").waitFor({ state: "visible" });
  return frame;
}

describe("the relay-trained student from the welcome", () => {
  const host = new ModelHost();
  const env: Record<string, string> = {};
  // No student chosen yet (the first run); the scripted teacher answers the calls.
  const w = useWorld({ "relay.student.model": "", "relay.maxTokens": 64, "relay.maxSpanTokens": 16 });
  before(async () => {
    assert.ok(existsSync(join(CHECKPOINT, "config.json")), `no smoke-trained checkpoint at ${CHECKPOINT}: run npm run test:train first (or set RELAY_TRAIN_RUN)`);
    await host.start();
    host.checkpoints.set(RELAY_TRAINED_STUDENT.repo, CHECKPOINT);
    env.HF_ENDPOINT = host.url;
  });
  after(() => host.close());
  const suite = useVSCode({
    name: "relay-student",
    nodeModules: ["node-llama-cpp"],
    userSettings: w.settings,
    env,
    // What the VSIX carries for the converter environment.
    extraPaths: ["scripts/pyenv.sh", "scripts/llama-converter.sh", "python/requirements"],
  });

  suite.test("a download broken off half-way: a clear failure offering the vanilla student, nothing left behind, nothing changed", async (vs) => {
    host.checkpointMode = "fail-midway";
    const frame = await chat(vs);
    await frame.locator("#welcome-relay-student").click();
    await vs.waitForNotification(/making the relay-trained student \(RelayLLM 1\.7B\) on this machine/, { timeout: 30_000 });
    const repo = RELAY_TRAINED_STUDENT.repo.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    const error = await vs.waitForNotification(new RegExp(`the relay-trained student \\(RelayLLM 1\\.7B\\) could not be made: Downloading the checkpoint ${repo} failed: model\\.safetensors: .* The vanilla student works without relay training`), { timeout: 120_000 });
    assert.equal(error.severity, "error");
    const toast = vs.page.locator(".notification-toast", { hasText: "could not be made" });
    await toast.locator(".monaco-button", { hasText: "Use Qwen3 1.7B (Q8_0) Instead" }).waitFor({ state: "visible" });
    await vs.screenshot("relay-student-failed.png");
    const storage = join(vs.userDataDir, "User", "globalStorage", "relay-dev.relay", "models");
    const left = existsSync(storage) ? readdirSync(storage, { recursive: true }).map(String) : [];
    assert.deepEqual(left.filter((f) => /partial|\.tmp|\.safetensors|\.gguf/.test(f)), [], `left behind: ${JSON.stringify(left)}`);
    assert.match(await frame.locator("#welcome-student .step-status").textContent() ?? "", /Not chosen yet/);
    await vs.clearNotifications();
  }, { timeout: 240_000 });

  suite.test("one click: downloaded, converted here, the student under learned, relaying its own <call>n</call>", async (vs) => {
    host.checkpointMode = "ok";
    const frame = await chat(vs);
    await frame.locator("#welcome-relay-student").click();
    await vs.waitForNotification(/making the relay-trained student \(RelayLLM 1\.7B\) on this machine/, { timeout: 30_000 });
    await vs.screenshot("relay-student-progress.png");
    await vs.waitForNotification(/the relay-trained student \(RelayLLM 1\.7B\) is converted on this machine and loaded, under the learned policy/, { timeout: 15 * 60_000 });
    await vs.screenshot("relay-student-ready.png");
    const log = vs.outputChannelLog("Relay");
    const converted = /relay-trained student: converted: (\S+\.gguf) \(sha256 ([0-9a-f]{64})\)/.exec(log);
    assert.ok(converted, log);
    assert.equal(readFileSync(`${converted[1]}.sha256`, "utf8").trim(), converted[2]);
    const user = JSON.parse(readFileSync(join(vs.userDataDir, "User", "settings.json"), "utf8")) as Record<string, unknown>;
    assert.equal(user["relay.policy"], "learned");
    await vs.runCommand("Relay: Show Status");
    await vs.waitForNotification(/student RelayLLM-1\.7B-[0-9a-f]{12}\.f16\.gguf \(loaded\)/);
    // Its own calls, relayed: ask until one answer has one (a tiny smoke-trained model, greedy).
    const questions = ["What is 38 + 47?", "What is 46 + 83?", "What is 17 * 23?", "What is 125 - 68?", "What is 9 * 14?"];
    let footer = "";
    for (const q of questions) {
      const turns = await frame.locator("article.turn").count();
      await frame.locator("#question textarea").fill(q);
      await frame.locator("#send").click();
      const stats = frame.locator("article.turn").nth(turns).locator(".turn-footer .stats");
      await stats.waitFor({ state: "visible", timeout: 180_000 });
      footer = (await stats.textContent()) ?? "";
      if (/[1-9]\d* teacher calls?/.test(footer)) break;
    }
    await vs.screenshot("relay-student-answer.png");
    assert.match(footer, /[1-9]\d* teacher calls?/, `no relayed call in ${questions.length} answers; the last: ${footer}`);
    const answer = (await frame.locator("article.turn").last().locator(".answer").innerText()) ?? "";
    assert.doesNotMatch(answer, /<\/?call/, "the command tag is never shown");
    assert.ok(w.world.server.requests.length > 0, "the teacher was asked");
  }, { timeout: 20 * 60_000 });
});
