/**
 * In-memory Student and Teacher for unit tests of the core controller logic (the real
 * node-llama-cpp versions are exercised in test/model). Tokens are characters.
 */
import type { SessionOptions, Student, StudentSession, StudentStep, Teacher, TeacherReply, TeacherRequest } from "../../src/core/models.js";
import type { TaskPrompt } from "../../src/core/prompts.js";

export interface ScriptPiece {
  text: string;
  probability?: number;
}

/** A student that plays `segments[i]` after the i-th splice. */
export class MemoryStudent implements Student {
  readonly name = "memory-student";
  sessions = 0;
  open = 0;
  constructor(
    private readonly segments: ScriptPiece[][],
    private readonly delayMs = 0,
  ) {}
  countTokens(text: string): number {
    return [...text].length;
  }
  truncateToTokens(text: string, n: number): string {
    return [...text].slice(0, n).join("");
  }
  lastTokens(text: string, n: number): string {
    const chars = [...text];
    return chars.slice(Math.max(0, chars.length - n)).join("");
  }
  renderPrompt(task: TaskPrompt): string {
    return `<user>${task.user}</user><assistant>`;
  }
  async openSession(_task: TaskPrompt, options: SessionOptions): Promise<StudentSession> {
    this.sessions++;
    this.open++;
    let segment = 0;
    let index = 0;
    let evaluated = 10;
    let lastKept = true;
    let pendingAppend = 0;
    let closed = false;
    return {
      promptTokens: 10,
      get evaluatedTokens() {
        return evaluated;
      },
      next: async (): Promise<StudentStep | null> => {
        if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
        if (closed) return null;
        if (pendingAppend > 0 || !lastKept) {
          segment++;
          index = 0;
        }
        evaluated += (lastKept ? 1 : 0) + pendingAppend;
        pendingAppend = 0;
        lastKept = true;
        const piece = this.segments[segment]?.[index++];
        if (!piece) return null;
        return { text: piece.text, probability: options.probabilities ? (piece.probability ?? 0.99) : undefined };
      },
      discardLast() {
        lastKept = false;
      },
      append(text: string) {
        pendingAppend += [...text].length;
        return [...text].length;
      },
      dispose: async () => {
        if (!closed) this.open--;
        closed = true;
      },
    };
  }
}

export type TeacherScript = (request: TeacherRequest, call: number) => Promise<TeacherReply> | TeacherReply;

export class MemoryTeacher implements Teacher {
  readonly name = "memory";
  readonly model = "memory-teacher";
  readonly requests: TeacherRequest[] = [];
  constructor(private readonly script: TeacherScript) {}
  async generate(request: TeacherRequest): Promise<TeacherReply> {
    this.requests.push({ ...request, signal: undefined });
    return this.script(request, this.requests.length - 1);
  }
}

export function pieces(...texts: string[]): ScriptPiece[] {
  return texts.map((text) => ({ text }));
}
