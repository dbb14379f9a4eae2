/**
 * The teacher-request log as a JSON-lines file (what left the machine, one request a line).
 * Writes are asynchronous and in order (record() never blocks the extension host), and the file
 * is rotated: past `maxBytes` it becomes `<path>.1` (the older ones `<path>.2` …, `keep` of
 * them), so the log cannot grow without bound.
 */
import { appendFile, mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { TeacherLogEntry, TeacherRequestLog } from "../core/teacherLog.js";
import { PRIVATE_FILE } from "./privateFile.js";

export interface FileTeacherLogOptions {
  /** Rotate before the file would grow past this (default 5 MB). */
  maxBytes?: number;
  /** Rotated files kept (default 2). */
  keep?: number;
  /** A write failed (disk full, no permission): told once per failure; the entry is lost. */
  onError?: (error: unknown) => void;
}

export class FileTeacherLog implements TeacherRequestLog {
  private readonly maxBytes: number;
  private readonly keep: number;
  private writing: Promise<void> = Promise.resolve();
  /** Bytes in the current file, once known. */
  private size: number | undefined;

  constructor(
    readonly path: string,
    private readonly next?: TeacherRequestLog,
    private readonly options: FileTeacherLogOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? 5_000_000;
    this.keep = Math.max(1, options.keep ?? 2);
  }

  record(entry: TeacherLogEntry): void {
    const line = JSON.stringify(entry) + "\n";
    this.writing = this.writing.then(() => this.write(line)).catch((error: unknown) => this.options.onError?.(error));
    this.next?.record(entry);
  }

  /** Resolves once every entry recorded so far is written. */
  flush(): Promise<void> {
    return this.writing;
  }

  close(): Promise<void> {
    return this.flush();
  }

  private async write(line: string): Promise<void> {
    const bytes = Buffer.byteLength(line);
    if (this.size === undefined) {
      await mkdir(dirname(this.path), { recursive: true });
      this.size = await stat(this.path).then((s) => s.size, () => 0);
    }
    if (this.size > 0 && this.size + bytes > this.maxBytes) await this.rotate();
    await appendFile(this.path, line, { mode: PRIVATE_FILE });
    this.size += bytes;
  }

  private async rotate(): Promise<void> {
    await rm(`${this.path}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) await rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch(() => {});
    await rename(this.path, `${this.path}.1`);
    this.size = 0;
  }
}
