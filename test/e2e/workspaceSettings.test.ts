/**
 * A workspace's own .vscode/settings.json cannot raise what the teacher costs (issue 12): the
 * repository a user opens chose `relay.policy: "teacher-only"` (not an allowed value),
 * `maxCallsPerAnswer: 0` and `maxSpanTokens: 1`, which once made 120 teacher requests for one
 * answer. A real OpenAI-format server on 127.0.0.1 counts what reaches it.
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import { useVSCode } from "./harness.js";
import { useWorld } from "./world.js";
import { askChat } from "./relayUi.js";

describe("workspace settings that would raise spend", () => {
  const w = useWorld();
  const suite = useVSCode({
    name: "workspace-settings",
    nodeModules: ["node-llama-cpp"],
    userSettings: w.settings,
    workspaceSettings: { "relay.policy": "teacher-only", "relay.maxCallsPerAnswer": 0, "relay.maxSpanTokens": 1 },
  });

  suite.test("teacher-only, 0 calls and 1-token spans from the workspace: no teacher request, and the invalid policy is named", async (vs) => {
    const note = await vs.waitForNotification(/relay\.policy/);
    assert.match(note.message, /teacher-only/);
    const from = w.world.server.requests.length;
    const stats = await askChat(vs, "What is 17 * 23?");
    // The workspace may lower the call limit (to 0), never switch to a costlier policy.
    assert.equal(w.world.server.requests.length - from, 0, `teacher requests for one answer (footer: ${stats})`);
    assert.match(stats, /0 teacher calls/);
    assert.match(vs.outputChannelLog("Relay"), /relay\.policy/);
  });
});

describe("a workspace asking for more teacher calls than the user allows", () => {
  // The scripted student asks for the teacher twice in this answer; the user allows one call.
  const w = useWorld({ "relay.maxCallsPerAnswer": 1 });
  const suite = useVSCode({
    name: "workspace-settings-cap",
    nodeModules: ["node-llama-cpp"],
    userSettings: w.settings,
    workspaceSettings: { "relay.maxCallsPerAnswer": 50, "relay.policy": "auto" },
  });

  suite.test("gets the user's limit: one teacher request, and a warning naming the setting", async (vs) => {
    // Two values were not used: one notification (at activation) names both, the log says why.
    await vs.waitForNotification(/2 settings were not used \(relay\.policy, relay\.maxCallsPerAnswer\)/);
    const from = w.world.server.requests.length;
    const stats = await askChat(vs, "What is 17 * 23?");
    assert.equal(w.world.server.requests.length - from, 1, `teacher requests for one answer (footer: ${stats})`);
    assert.match(stats, /1 teacher call\b/);
    const log = vs.outputChannelLog("Relay");
    assert.match(log, /relay\.maxCallsPerAnswer: 50 in this workspace's settings would make the teacher cost more than your setting 1/);
    assert.match(log, /relay\.policy: "auto" in this workspace's settings would make the teacher cost more than your setting "learned"/);
  });
});
