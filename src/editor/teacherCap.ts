/**
 * A latency cap on the teacher for ghost text (relay.inline.teacherTimeoutMs): a call that has
 * not answered in time is stopped and fails like any teacher fault, so the student carries on
 * alone and its text is shown. The failure is not an outage: it never opens the breaker that
 * chat answers share, and the call is charged as sent (the budget never undercounts).
 */
import { RelayError } from "../core/errors.js";
import type { Schedule } from "./inlineJob.js";
import type { Teacher } from "../core/models.js";

export function capTeacher(teacher: Teacher, capMs: number, schedule: Schedule): Teacher {
  if (capMs <= 0) return teacher;
  return {
    name: teacher.name,
    model: teacher.model,
    renderPrompt: teacher.renderPrompt?.bind(teacher),
    promptOverheadTokens: teacher.promptOverheadTokens,
    // No prefill warming: a warm-up is not worth its tokens for a few-token inline call.
    generate: (request) => {
      const controller = new AbortController();
      const forward = () => controller.abort(request.signal?.reason);
      if (request.signal?.aborted) forward();
      else request.signal?.addEventListener("abort", forward, { once: true });
      return new Promise((resolve, reject) => {
        const cancel = schedule(capMs, () => {
          reject(new RelayError("teacher-failed", `The teacher missed the inline latency cap (${capMs} ms); the student's text is used.`));
          controller.abort();
        });
        teacher
          .generate({ ...request, signal: controller.signal })
          .then(resolve, reject)
          .finally(() => {
            cancel();
            request.signal?.removeEventListener("abort", forward);
          });
      });
    },
  };
}
