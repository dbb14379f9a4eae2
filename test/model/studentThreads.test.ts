/**
 * The thread governor wired into the student on the real node-llama-cpp (no timing: the
 * governor is steered with recorded speeds, and the test checks what the next answer runs with
 * and what the student measured).
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { DEMO_QUESTION } from "../../src/demo/scriptedPair.js";
import { disposeSharedLlama } from "../../src/llama/llama.js";
import { machineLoad } from "../../src/llama/threads.js";
import { LlamaStudent } from "../../src/student/llamaStudent.js";
import { scriptedPairPaths } from "../fixtures/pair.js";

const task = { user: DEMO_QUESTION };

/** Runs one answer of up to `steps` tokens; `splice` text is appended after the 4th token. */
async function answer(student: LlamaStudent, steps: number, splice?: string): Promise<number> {
  const session = await student.openSession(task, { probabilities: false, temperature: 0 });
  let n = 0;
  try {
    while (n < steps && (await session.next()) !== null) {
      n++;
      if (n === 4 && splice) session.append(splice);
    }
  } finally {
    await session.dispose();
  }
  return n;
}

describe("student threads", () => {
  after(() => disposeSharedLlama());

  test("the default adapts: the governor's decision is what the next answer runs with", async () => {
    const student = await LlamaStudent.load({ model: (await scriptedPairPaths()).student, gpu: "cpu", contextSize: 512, sequences: 1, loadAverage: 0, otherCores: false });
    try {
      const governor = student.governor;
      assert.ok(governor, "no governor without an explicit thread count");
      const ceiling = governor.current;
      assert.equal(ceiling, governor.ceiling, "a load average of 0 starts at the ceiling");
      assert.ok(ceiling >= 2, `this test needs a thread ceiling of at least 2 to see a back-off; this machine gives ${ceiling}`);
      assert.equal(student.context.idealThreads, ceiling);

      // A quiet answer, then one at a tenth of its speed: the governor backs off one thread.
      governor.record({ threads: ceiling, tokens: 100, ms: 100 });
      // The early first probe (one thread fewer) is slower: dropped.
      assert.equal(governor.record({ threads: ceiling - 1, tokens: 100, ms: 200 }).decision, "probe-dropped");
      assert.equal(governor.record({ threads: ceiling, tokens: 100, ms: 1000 }).decision, "backed-off");
      assert.equal(student.threads, ceiling - 1);

      const made = await answer(student, 24);
      assert.ok(made >= 17, `the scripted student stopped after ${made} tokens`);
      assert.equal(student.context.currentThreads, ceiling - 1, "the answer after the back-off ran with one thread fewer");
      assert.equal(student.handle.llama.maxThreads, ceiling - 1);
      // Its own sample: every token but the first (which evaluated the prompt), at the new count.
      const last = student.lastDecode;
      assert.ok(last);
      assert.equal(last.sample.threads, ceiling - 1);
      assert.equal(last.sample.tokens, made - 1);
      assert.notEqual(last.step.decision, "too-short");
      assert.ok(last.sample.ms > 0);
    } finally {
      await student.dispose();
    }
  });

  test("spliced teacher text is not counted as decoding, and short answers do not move the count", async () => {
    const student = await LlamaStudent.load({ model: (await scriptedPairPaths()).student, gpu: "cpu", contextSize: 512, sequences: 1, loadAverage: 0, otherCores: false });
    try {
      const made = await answer(student, 24, " the teacher's words");
      // The step after the splice evaluated the spliced tokens: not a decode step.
      assert.equal(student.lastDecode?.sample.tokens, made - 2);
      const before = student.threads;
      await answer(student, 6);
      assert.equal(student.lastDecode?.step.decision, "too-short");
      assert.equal(student.threads, before);
    } finally {
      await student.dispose();
    }
  });

  test("a probe abandoned mid-answer takes effect at the next token (node-llama-cpp re-reads the thread cap)", async () => {
    const student = await LlamaStudent.load({ model: (await scriptedPairPaths()).student, gpu: "cpu", contextSize: 512, sequences: 1, loadAverage: 0, otherCores: false });
    try {
      const governor = student.governor;
      assert.ok(governor);
      assert.ok(governor.ceiling >= 2, `this test needs a thread ceiling of at least 2; this machine gives ${governor.ceiling}`);
      // Steer it to one thread below the ceiling at a speed no probe can match, then wait out the probe interval.
      const high = governor.ceiling;
      governor.record({ threads: high, tokens: 100, ms: 100 }); // then the early probe of one fewer...
      assert.equal(governor.record({ threads: high - 1, tokens: 100, ms: 1 }).decision, "probe-kept"); // ...is far faster: kept
      while (!governor.probing) governor.record({ threads: governor.current, tokens: 100, ms: 1 });
      assert.equal(governor.current, high);

      const session = await student.openSession(task, { probabilities: false, temperature: 0 });
      const seen: number[] = [];
      try {
        for (let n = 0; n < 8 && (await session.next()) !== null; n++) seen.push(student.context.currentThreads);
      } finally {
        await session.dispose();
      }
      // The prompt and the first decode step ran at the probe's count; the check after that step abandoned it.
      assert.deepEqual(seen.slice(0, 2), [high, high]);
      assert.ok(seen.slice(2).every((t) => t === high - 1), JSON.stringify(seen));
      assert.equal(student.midAnswer.at(-1)?.decision, "probe-abandoned");
      assert.equal(student.handle.llama.maxThreads, high - 1);
      assert.equal(governor.current, high - 1);
      assert.equal(governor.probeInterval, 12, "a failed probe doubles the wait");
    } finally {
      await student.dispose();
    }
  });

  test("other processes taking a core between answers: the next answer starts with fewer threads; a core freed is probed at once", async () => {
    // What other processes used before each answer, in cores: a build starts, then stops.
    const others = [0, 0, 1, 1, 0, 0];
    let asked = 0;
    const student = await LlamaStudent.load({ model: (await scriptedPairPaths()).student, gpu: "cpu", contextSize: 512, sequences: 1, loadAverage: 0, otherCores: () => others[asked++] ?? 0 });
    try {
      const governor = student.governor;
      assert.ok(governor);
      const high = governor.ceiling;
      assert.ok(high >= 2, `this test needs a thread ceiling of at least 2; this machine gives ${high}`);
      const cores = machineLoad().cores;
      // The count each answer started with (a probe may be abandoned after its first token).
      const ran: number[] = [];
      for (let i = 0; i < others.length; i++) {
        const session = await student.openSession(task, { probabilities: false, temperature: 0 });
        try {
          for (let n = 0; n < 20 && (await session.next()) !== null; n++) if (n === 0) ran.push(student.context.currentThreads);
        } finally {
          await session.dispose();
        }
      }
      assert.equal(asked, others.length, "one look before each answer");
      // With `cores` cores and one taken, the answers ran at cores - 1 from the first busy look on.
      assert.equal(ran[0], high);
      assert.equal(ran[2], Math.min(high, cores - 1), JSON.stringify(ran));
      // The core came back: the answer after it probed one more thread at once.
      assert.equal(ran[4], high, JSON.stringify(ran));
    } finally {
      await student.dispose();
    }
  });

  test("an explicit thread count bypasses the governor", async () => {
    const student = await LlamaStudent.load({ model: (await scriptedPairPaths()).student, gpu: "cpu", threads: 1, contextSize: 512, sequences: 1 });
    try {
      assert.equal(student.governor, undefined);
      for (let i = 0; i < 3; i++) await answer(student, 20);
      assert.equal(student.lastDecode, undefined, "nothing recorded for a fixed count");
      assert.equal(student.context.currentThreads, 1);
      assert.equal(student.handle.llama.maxThreads, 1);
      assert.equal(student.threads, 1);
    } finally {
      await student.dispose();
    }
  });
});
