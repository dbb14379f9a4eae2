/** Wraps a real teacher to record what it was asked (the requests as the controller built them). */
import type { Teacher, TeacherReply, TeacherRequest } from "../../src/core/models.js";

export interface RecordingTeacher extends Teacher {
  requests: TeacherRequest[];
  replies: TeacherReply[];
}

export function recording(teacher: Teacher): RecordingTeacher {
  const requests: TeacherRequest[] = [];
  const replies: TeacherReply[] = [];
  return {
    name: teacher.name,
    model: teacher.model,
    renderPrompt: teacher.renderPrompt ? (task) => teacher.renderPrompt!(task) : undefined,
    requests,
    replies,
    generate: async (r) => {
      requests.push({ ...r, signal: undefined });
      const reply = await teacher.generate(r);
      replies.push(reply);
      return reply;
    },
  };
}
