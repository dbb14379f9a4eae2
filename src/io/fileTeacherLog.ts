/** The teacher-request log as a JSON-lines file (what left the machine, one request a line). */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { TeacherLogEntry, TeacherRequestLog } from "../core/teacherLog.js";

export class FileTeacherLog implements TeacherRequestLog {
  constructor(
    readonly path: string,
    private readonly next?: TeacherRequestLog,
  ) {
    mkdirSync(dirname(path), { recursive: true });
  }
  record(entry: TeacherLogEntry): void {
    appendFileSync(this.path, JSON.stringify(entry) + "\n");
    this.next?.record(entry);
  }
}
