// The GGUF fixture generators, checked against the real node-llama-cpp (CPU).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Llama, LlamaContext, LlamaModel, Token } from "node-llama-cpp";
import { FIXTURE_DIR, ensureModel, fixtureName } from "../fixtures/gguf/cache.js";
import { SMALL, writeRandomModel } from "../../src/gguf/randomWeights.js";
import { BOS_ID, EOS_ID, buildScriptedModel, writeScriptedModel, type ScriptedModelSpec } from "../../src/gguf/scripted.js";
import { meta, toHalf, writeGguf } from "../../src/gguf/writer.js";

const SPEC: ScriptedModelSpec = {
  // "Hello" and " world" are never produced by tokenizing text (no intermediate pieces);
  // "qz" is, because a 2-char piece always merges.
  pieces: ["Hello", " world", "done", "qz"],
  transitions: [
    ["Hello", " world"],
    [" world", "<0x0A>"],
    ["\n", "done"], // same token as "<0x0A>"
    ["done", "</s>"],
  ],
  defaultNext: "Hello",
  contextLength: 512,
};

let llama: Llama;
let tmp: string;
const disposables: Array<{ dispose(): Promise<void> }> = [];

before(async () => {
  const { getLlama } = await import("node-llama-cpp");
  llama = await getLlama({ gpu: false });
  tmp = mkdtempSync(join(tmpdir(), "relay-gguf-"));
});

after(async () => {
  for (const d of disposables.reverse()) await d.dispose();
  await llama?.dispose();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function load(path: string): Promise<LlamaModel> {
  const model = await llama.loadModel({ modelPath: path });
  disposables.push(model);
  return model;
}

async function context(model: LlamaModel): Promise<LlamaContext> {
  // Explicit threads: more threads than math cores makes llama.cpp spin (see notes/cpu-threads.md).
  const ctx = await model.createContext({ contextSize: 256, threads: Math.max(1, Math.min(2, llama.cpuMathCores)) });
  disposables.push(ctx);
  return ctx;
}

/**
 * Greedy generation on a fresh sequence. evaluate() ends at EOS without yielding it; with
 * `yieldEogToken` it yields EOS and keeps generating, so `stopAtEos` breaks there.
 */
async function generate(ctx: LlamaContext, prompt: Token[], max: number, opts: { yieldEogToken?: boolean; stopAtEos?: boolean } = {}): Promise<Token[]> {
  const sequence = ctx.getSequence();
  try {
    const out: Token[] = [];
    for await (const token of sequence.evaluate(prompt, { temperature: 0, yieldEogToken: opts.yieldEogToken })) {
      out.push(token);
      if (out.length >= max || (opts.stopAtEos && token === EOS_ID)) break;
    }
    return out;
  } finally {
    await sequence.dispose();
  }
}

describe("scripted model", () => {
  const script = buildScriptedModel(SPEC);
  let model: LlamaModel;
  let ctx: LlamaContext;

  before(async () => {
    const path = await ensureModel(fixtureName("scripted", SPEC), (p) => writeScriptedModel(p, SPEC));
    model = await load(path);
    ctx = await context(model);
  });

  test("greedy decoding follows the declared chain from any prompt and stops at </s>", async () => {
    const fullChain = script.ids(["Hello", " world", "\n", "done", "</s>"]);
    assert.deepEqual(script.chain("x"), fullChain);

    // Only the prompt's last token matters; this one ("3") is not part of the script.
    const fromText = await generate(ctx, model.tokenize("Any prompt at all: 123"), 20);
    assert.deepEqual(fromText, fullChain.slice(0, -1)); // evaluate() ends at EOS without yielding it
    assert.equal(model.detokenize(fromText), "Hello world\ndone");

    // Starting mid-script, from raw ids, with the EOS yielded.
    const fromIds = await generate(ctx, script.ids(["<s>", "~", " world"]), 20, { yieldEogToken: true, stopAtEos: true });
    assert.deepEqual(fromIds, script.chain(" world"));
    assert.equal(fromIds.at(-1), EOS_ID);
  });

  test("ASCII text tokenizes to one token per char and detokenizes to the same text", () => {
    const text = "Hello world!\nThe quick brown fox: {x: 42}, ~`|\\\"'<s></s>\n  indented\ttab\r\n";
    const tokens = model.tokenize(text);
    assert.equal(tokens.length, text.length);
    assert.deepEqual(tokens, script.charIds(text));
    assert.equal(model.detokenize(tokens), text);
    assert.equal(model.tokenize("\n")[0], 3 + 0x0a);

    // The documented exception: a 2-char piece merges wherever its chars are adjacent.
    assert.deepEqual(model.tokenize("xqzx"), script.ids(["x", "qz", "x"]));
    // Non-ASCII falls back to one byte token per UTF-8 byte and still round-trips.
    assert.deepEqual(model.tokenize("é"), script.ids(["<0xC3>", "<0xA9>"]));
    assert.equal(model.detokenize(model.tokenize("naïve ✓")), "naïve ✓");
  });

  test("special tokens, BOS behaviour and single-token detokenization match the helpers", () => {
    assert.equal(model.tokens.bos, BOS_ID);
    assert.equal(model.tokens.eos, EOS_ID);
    assert.equal(model.tokens.shouldPrependBosToken, true);
    assert.equal(model.tokenize("a")[0], script.id("a")); // tokenize() never adds BOS
    assert.equal(model.detokenize([script.id(" ")]), " ");
    assert.equal(model.detokenize(script.ids(["<s>", "</s>"])), "");
    for (let id = 0; id < script.vocabSize; id++) assert.equal(model.detokenize([id as Token]), script.text(id), `token ${id}`);
  });
});

describe("scripted spec validation", () => {
  test("rejects duplicate pieces, clashes with built-ins, forks and unknown names", () => {
    const base = { transitions: [], defaultNext: "</s>" };
    assert.throws(() => buildScriptedModel({ ...base, pieces: ["abc", "abc"] }), /duplicate/);
    assert.throws(() => buildScriptedModel({ ...base, pieces: [" x", "\u2581x"] }), /duplicate/);
    for (const clash of ["a", " ", "\u2581", "\n", "<s>", "<0x41>"]) {
      assert.throws(() => buildScriptedModel({ ...base, pieces: [clash] }), /clashes/, JSON.stringify(clash));
    }
    assert.throws(() => buildScriptedModel({ ...base, pieces: ["abc"], transitions: [["abc", "a"], ["abc", "b"]] }), /twice/);
    assert.throws(() => buildScriptedModel({ ...base, pieces: [], defaultNext: "nope" }), /unknown token/);
  });
});

describe("random model", () => {
  test("a small Q8_0 model loads and generates 8 tokens", async () => {
    const options = { type: "q8_0", seed: 1 } as const;
    const path = await ensureModel(fixtureName("random-small", { SMALL, options }), (p) => writeRandomModel(p, SMALL, options));
    const model = await load(path);
    assert.equal(model.tokens.bos, BOS_ID);
    const ctx = await context(model);
    const out = await generate(ctx, model.tokenize("def fibonacci(n):\n    return"), 8, { yieldEogToken: true });
    assert.equal(out.length, 8);
    for (const token of out) assert.ok(Number.isInteger(token) && token >= 0 && token < SMALL.vocab, `token ${token}`);
  });
});

describe("bad model files", () => {
  test("missing, header-truncated and data-truncated files reject instead of crashing", async () => {
    const good = join(tmp, "good.gguf");
    writeScriptedModel(good, SPEC);
    const size = statSync(good).size;
    const cut = (name: string, bytes: number): string => {
      const path = join(tmp, name);
      writeScriptedModel(path, SPEC);
      truncateSync(path, bytes);
      return path;
    };
    await assert.rejects(llama.loadModel({ modelPath: join(tmp, "missing.gguf") }));
    await assert.rejects(llama.loadModel({ modelPath: cut("header.gguf", 100) }));
    await assert.rejects(llama.loadModel({ modelPath: cut("data.gguf", Math.floor(size * 0.75)) }));
  });
});

describe("GGUF writer", () => {
  test("metadata and F16/Q8_0 tensors read back as written", async () => {
    const { readGgufFileInfo, GgmlType } = await import("node-llama-cpp");
    const path = join(tmp, "kinds.gguf");
    const f16 = new Float32Array([1, -2, 0.5, 65504, 1e5, 2 ** -24, 0.1, 0]);
    const q8 = Float32Array.from({ length: 32 }, (_, i) => i - 16);
    writeGguf(
      path,
      {
        "test.u32": meta.u32(4000000000),
        "test.i32": meta.i32(-7),
        "test.f32": meta.f32(0.25),
        "test.flag": meta.bool(true),
        "test.name": meta.str("héllo ▁"),
        "test.names": meta.strs(["a", "", "ü"]),
        "test.floats": meta.f32s([1.5, -2]),
        "test.ints": meta.i32s([3, -4]),
      },
      [
        { name: "half", dims: [8], type: "F16", data: { values: () => [f16] } },
        { name: "q8", dims: [32, 1], type: "Q8_0", data: { values: () => [q8] } },
      ],
    );
    const info = await readGgufFileInfo(path, { logWarnings: false });
    const md = (info.metadata as unknown as Record<string, Record<string, unknown>>).test;
    assert.deepEqual(md, {
      u32: 4000000000,
      i32: -7,
      f32: 0.25,
      flag: true,
      name: "héllo ▁",
      names: ["a", "", "ü"],
      floats: [1.5, -2],
      ints: [3, -4],
    });
    assert.equal(info.version, 3);
    const [half, q] = info.tensorInfo ?? [];
    assert.equal(half.ggmlType, GgmlType.F16);
    assert.equal(q.ggmlType, GgmlType.Q8_0);
    assert.deepEqual(q.dimensions.map(Number), [32, 1]);
    assert.equal(Number(q.offset) % 32, 0);

    const file = readFileSync(path);
    const halfStart = Number(half.fileOffset);
    const halves = Array.from({ length: 8 }, (_, i) => file.readUInt16LE(halfStart + 2 * i));
    assert.deepEqual(halves, [0x3c00, 0xc000, 0x3800, 0x7bff, 0x7c00, 0x0001, 0x2e66, 0]);
    const qStart = Number(q.fileOffset);
    assert.equal(file.readUInt16LE(qStart), toHalf(16 / 127));
    assert.equal(file.readInt8(qStart + 2), -127);
    assert.equal(file.readInt8(qStart + 2 + 31), 119); // 15 * 127 / 16 = 119.06
    assert.equal(file.length, qStart + 64); // 34 bytes of data padded to 32-byte alignment
  });
});

describe("fixture cache", () => {
  test("writes once, reuses, and leaves nothing behind when the writer fails", async () => {
    const name = `cache-selftest-${process.pid}.bin`;
    let writes = 0;
    const write = (p: string): void => {
      writes++;
      writeFileSync(p, "x");
    };
    try {
      await assert.rejects(ensureModel(name, () => Promise.reject(new Error("boom"))), /boom/);
      assert.ok(!readdirSync(FIXTURE_DIR).some((f) => f.startsWith(name)));
      const path = await ensureModel(name, write);
      assert.ok(existsSync(path));
      assert.equal(await ensureModel(name, write), path);
      assert.equal(writes, 1);
    } finally {
      rmSync(join(FIXTURE_DIR, name), { force: true });
    }
    assert.notEqual(fixtureName("x", { a: 1 }), fixtureName("x", { a: 2 }));
  });
});
