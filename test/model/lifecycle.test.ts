/**
 * Lifecycle on the real node-llama-cpp: a disposed sequence pool rejects its queued requests
 * with a typed error, unloading the student under a live answer ends it with a clear stop
 * reason and frees everything, and a model whose context cannot be created is released.
 */
import assert from "node:assert/strict";
import { readFileSync, realpathSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { LlamaContext, LlamaModel, Token } from "node-llama-cpp";
import { runRelay } from "../../src/core/controller.js";
import { RelayError } from "../../src/core/errors.js";
import type { Teacher, TeacherReply, TeacherRequest } from "../../src/core/models.js";
import { createPolicy } from "../../src/core/policies.js";
import { DEMO_QUESTION, TEACHER_SPEC } from "../../src/demo/scriptedPair.js";
import { writeScriptedModel } from "../../src/gguf/scripted.js";
import { meta } from "../../src/gguf/writer.js";
import { getSharedLlama } from "../../src/llama/llama.js";
import { classifyContextError, createContextOrRelease } from "../../src/llama/loadModel.js";
import { SequencePool } from "../../src/llama/sequencePool.js";
import { LlamaStudent } from "../../src/student/llamaStudent.js";
import { LocalTeacher } from "../../src/teacher/localTeacher.js";
import { ensureModel, fixtureName } from "../fixtures/gguf/cache.js";
import { scriptedPairPaths } from "../fixtures/pair.js";

const task = { user: DEMO_QUESTION };
const isUnloaded = (reason: RegExp) => (error: unknown) => error instanceof RelayError && error.code === "model-unloaded" && reason.test(error.message);

/** A teacher that answers only when `reply()` is called, and gives up when its request is aborted. */
function heldTeacher(): Teacher & { asked: Promise<TeacherRequest>; reply(text: string): void } {
  let asked!: (r: TeacherRequest) => void;
  let answer: ((reply: TeacherReply) => void) | undefined;
  return {
    name: "held",
    model: "held",
    asked: new Promise((done) => (asked = done)),
    reply: (text) => answer?.({ text, finish: "length", model: "held" }),
    generate: (request) => {
      asked(request);
      return new Promise<TeacherReply>((resolve, reject) => {
        answer = resolve;
        request.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")), { once: true });
      });
    },
  };
}

describe("SequencePool.dispose", () => {
  let model: LlamaModel;
  let context: LlamaContext;

  before(async () => {
    const { llama } = await getSharedLlama({ gpu: "cpu" });
    model = await llama.loadModel({ modelPath: (await scriptedPairPaths()).student });
    context = await model.createContext({ contextSize: 256, sequences: 1, threads: 1 });
  });
  after(async () => {
    await context?.dispose();
    await model?.dispose();
  });

  test("rejects every queued request with a typed error, and every later one", async () => {
    const pool = new SequencePool(context);
    const tokens = (...t: number[]) => t as Token[];
    const lease = await pool.acquire(tokens(1, 2, 3));
    const abort = new AbortController();
    const waiting = [pool.acquire(tokens(1, 2)), pool.acquire(tokens(4), abort.signal)];
    assert.equal(pool.queued, 2);
    pool.dispose();
    for (const w of waiting) await assert.rejects(w, isUnloaded(/no longer loaded/));
    assert.equal(pool.queued, 0);
    // A queued request's abort listener is gone: aborting now changes nothing.
    abort.abort();
    await assert.rejects(pool.acquire(tokens(1)), isUnloaded(/no longer loaded/));
    // The lease that was out is still released cleanly, and not handed out again.
    lease.release();
    assert.equal(pool.inUse, 0);
    await assert.rejects(pool.acquire(tokens(1, 2, 3)), (e: unknown) => e instanceof RelayError && e.code === "model-unloaded");
  });
});

describe("unloading the student under live answers", () => {
  let paths: { student: string; teacher: string };
  before(async () => {
    paths = await scriptedPairPaths();
  });

  test("dispose() during an answer: it ends with stop reason model-unloaded, its partial text kept, and everything is freed", async () => {
    const student = await LlamaStudent.load({ model: paths.student, gpu: "cpu", contextSize: 512, sequences: 1, threads: 1 });
    const teacher = heldTeacher();
    // One sequence: a second answer waits in the pool's queue.
    const first = runRelay({ task, student, teacher, policy: createPolicy("learned") });
    const second = runRelay({ task, student, teacher, policy: createPolicy("learned") });
    await teacher.asked;
    // The first answer waits on the teacher; the student is unloaded meanwhile (a settings change).
    const unloading = student.dispose("settings changed");
    await unloading;
    assert.equal(student.sequencesInUse, 0);
    assert.equal(student.context.disposed, true);
    // The teacher's reply arrives after the unload: the answer ends there, it does not crash.
    teacher.reply(" 51.");
    const results = await Promise.allSettled([first, second]);
    for (const r of results) assert.equal(r.status, "fulfilled", r.status === "rejected" ? String(r.reason) : "");
    const [a, b] = results.map((r) => (r as PromiseFulfilledResult<Awaited<typeof first>>).value);
    assert.equal(a.stats.stopReason, "model-unloaded");
    assert.match(a.text, /^We need 17 \* 23.*17 \* 3 =$/);
    // The queued answer never got a sequence: it ends with the same clear reason.
    assert.equal(b.stats.stopReason, "model-unloaded");
    assert.equal(b.text, "");
    await a.released;
    await b.released;
    assert.equal(student.sequencesInUse, 0);
    assert.equal(student.context.disposed, true);
    assert.equal(student.model.disposed, true);
    await assert.rejects(student.openSession(task, { probabilities: false }), isUnloaded(/settings changed/));
  });

  test("the unload's abort reason reaches an answer waiting on the teacher: stop reason model-unloaded, the teacher request cancelled", async () => {
    const student = await LlamaStudent.load({ model: paths.student, gpu: "cpu", contextSize: 512, sequences: 1, threads: 1 });
    try {
      const teacher = heldTeacher();
      const controller = new AbortController();
      const answer = runRelay({ task, student, teacher, policy: createPolicy("learned"), signal: controller.signal });
      const request = await teacher.asked;
      // What StudentService.unload does before it disposes the model.
      controller.abort(new RelayError("model-unloaded", "The student model was unloaded (reload requested)."));
      const result = await answer;
      assert.equal(result.stats.stopReason, "model-unloaded");
      assert.equal(request.signal?.aborted, true);
      assert.match(result.text, /17 \* 3 =$/);
      await result.released;
      assert.equal(student.sequencesInUse, 0);
    } finally {
      await student.dispose();
    }
    assert.equal(student.context.disposed, true);
  });
});

describe("a context that cannot be created", () => {
  /**
   * Records the models the shared Llama loads (the real ones) and cancels the load right after
   * the model is in memory, so that creating its context fails (without allocating anything).
   */
  async function failContextAfterLoad(abort: AbortController): Promise<{ models: LlamaModel[]; restore(): void }> {
    const { llama } = await getSharedLlama({ gpu: "cpu" });
    const original = llama.loadModel.bind(llama);
    const models: LlamaModel[] = [];
    llama.loadModel = async (options) => {
      const model = await original({ ...options, loadSignal: undefined });
      models.push(model);
      abort.abort(new Error("cancelled between model and context"));
      return model;
    };
    return { models, restore: () => (llama.loadModel = original) };
  }

  test("LocalTeacher.load releases the model when its context fails", async () => {
    const { teacher } = await scriptedPairPaths();
    const abort = new AbortController();
    const watch = await failContextAfterLoad(abort);
    try {
      await assert.rejects(LocalTeacher.load({ model: teacher, gpu: "cpu", contextSize: 256, signal: abort.signal }), (e: unknown) => e instanceof RelayError && e.code === "aborted" && /was cancelled/.test(e.message));
      assert.equal(watch.models.length, 1);
      assert.equal(watch.models[0].disposed, true);
    } finally {
      watch.restore();
    }
  });

  test("LlamaStudent.load does the same", async () => {
    const { student } = await scriptedPairPaths();
    const abort = new AbortController();
    const watch = await failContextAfterLoad(abort);
    try {
      await assert.rejects(LlamaStudent.load({ model: student, gpu: "cpu", contextSize: 256, signal: abort.signal }), (e: unknown) => e instanceof RelayError && e.code === "aborted");
      assert.equal(watch.models.length, 1);
      assert.equal(watch.models[0].disposed, true);
    } finally {
      watch.restore();
    }
  });

  test("context failures are classified: out of memory only when memory ran out", async () => {
    const { InsufficientMemoryError } = await import("node-llama-cpp");
    const oom = new InsufficientMemoryError("A context size of 9999999 is too large for the available RAM");
    const viaCreate = async (error: Error) => {
      // A real model whose createContext fails with `error`: the failure as createContextOrRelease sees it.
      const { llama } = await getSharedLlama({ gpu: "cpu" });
      const model = await llama.loadModel({ modelPath: (await scriptedPairPaths()).teacher });
      model.createContext = () => Promise.reject(error);
      const failure = await createContextOrRelease(model, "m.gguf", { contextSize: 256 }).catch((e: unknown) => e);
      assert.equal(model.disposed, true);
      return failure as RelayError;
    };
    assert.equal((await viaCreate(oom)).code, "model-out-of-memory");
    const other = await viaCreate(new Error("Failed to create context"));
    assert.equal(other.code, "model-context-failed");
    assert.match(other.message, /Could not create a context for m\.gguf: Failed to create context/);
    // "param…" is not "RAM": no memory words, no out-of-memory.
    assert.equal(classifyContextError("m.gguf", new Error("unknown parameter flash_attn")).code, "model-context-failed");
    assert.equal(classifyContextError("m.gguf", new Error("ggml: failed to allocate CPU buffer")).code, "model-out-of-memory");
  });
});

describe("a model whose chat format cannot be resolved", () => {
  /**
   * A real GGUF that loads and gets a context, but whose `tokenizer.chat_template` is a number:
   * node-llama-cpp's resolveChatWrapper throws on it ("….trim is not a function"), after the
   * model and its context are in memory.
   */
  async function unresolvableTemplate(who: string): Promise<string> {
    // One file per test: a model leaked by one test must not show up in another's check.
    const spec = { ...TEACHER_SPEC, name: `relay-unresolvable-template-${who}`, metadata: { "tokenizer.chat_template": meta.u32(7) } };
    return ensureModel(fixtureName("unresolvable-template", spec), (p) => writeScriptedModel(p, spec));
  }

  /** Whether `path` is still memory-mapped by this process (llama.cpp maps a loaded model; freeing it unmaps it). */
  const mapped = (path: string) => process.platform === "linux" && readFileSync("/proc/self/maps", "utf8").includes(realpathSync(path));

  /** Records the models the shared Llama loads (the real loads, unchanged). */
  async function watchLoads(): Promise<{ models: LlamaModel[]; restore(): void }> {
    const { llama } = await getSharedLlama({ gpu: "cpu" });
    const original = llama.loadModel.bind(llama);
    const models: LlamaModel[] = [];
    llama.loadModel = async (options) => {
      const model = await original(options);
      models.push(model);
      return model;
    };
    return { models, restore: () => (llama.loadModel = original) };
  }

  for (const [who, load] of [
    ["LocalTeacher.load", (model: string) => LocalTeacher.load({ model, gpu: "cpu", contextSize: 256 })],
    ["LlamaStudent.load", (model: string) => LlamaStudent.load({ model, gpu: "cpu", contextSize: 256, sequences: 1 })],
  ] as const) {
    test(`${who} fails with a typed error and releases the context and the model`, async () => {
      const path = await unresolvableTemplate(who);
      const watch = await watchLoads();
      try {
        await assert.rejects(load(path), (e: unknown) => e instanceof RelayError && e.code === "model-load-failed" && /chat format/.test(e.message) && e.message.includes(path));
        assert.equal(watch.models.length, 1);
        assert.equal(watch.models[0].disposed, true, "the model is released");
        assert.equal(mapped(path), false, "the model file is no longer mapped into the process");
      } finally {
        watch.restore();
      }
    });
  }
});

describe("LocalTeacher errors", () => {
  test("a failure inside generation is a teacher-failed RelayError, as with the HTTP teacher", async () => {
    const { teacher: path } = await scriptedPairPaths();
    const teacher = await LocalTeacher.load({ model: path, gpu: "cpu", contextSize: 256 });
    await teacher.dispose();
    // The context is gone: the library's own error comes back wrapped.
    await assert.rejects(teacher.generate({ task, promptText: "Q", answer: "A", maxTokens: 2 }), (e: unknown) => e instanceof RelayError && e.code === "teacher-failed" && /^Local teacher failed: /.test(e.message));
  });
});
