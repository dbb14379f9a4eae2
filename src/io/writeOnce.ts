/**
 * Writes a generated file once: to a temp file renamed into place only when the writer has
 * finished, so a killed run never leaves a half-written model. Temp files of dead processes are
 * swept first; concurrent writers each use their own temp file and the renames are atomic.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { processAlive } from "./processAlive.js";

/** Returns true when it wrote the file, false when it was already there. */
export async function writeOnce(path: string, write: (tmpPath: string) => unknown): Promise<boolean> {
  if (existsSync(path)) return false;
  mkdirSync(dirname(path), { recursive: true });
  sweepDeadTempFiles(dirname(path));
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  try {
    await write(tmp);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  return true;
}

// Temp names are "<name>.<pid>.<rand>.tmp"; remove those whose writer process is gone.
function sweepDeadTempFiles(dir: string): void {
  for (const file of readdirSync(dir)) {
    const match = /\.(\d+)\.[a-z0-9]+\.tmp$/.exec(basename(file));
    if (match && !processAlive(Number(match[1]))) rmSync(join(dir, file), { force: true });
  }
}
