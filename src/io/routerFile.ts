/**
 * Loads a router file for a student (and teacher). A file that is missing, unreadable, not
 * JSON, of another version or feature set is a RelayError("router-invalid") naming the file; a
 * router made for another student is refused the same way (its features would mean other
 * things); one made with another teacher is used, with a warning.
 */
import { readFile } from "node:fs/promises";
import { RelayError } from "../core/errors.js";
import { parseRouter, type Router } from "../core/routing/router.js";

export interface LoadedRouter {
  router: Router;
  warnings: string[];
}

export async function loadRouterFile(path: string, student: { fingerprint: string; name?: string }, teacher?: { fingerprint: string; name?: string }): Promise<LoadedRouter> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RelayError("router-invalid", code === "ENOENT" ? `Router file ${path} does not exist.` : `Router file ${path} cannot be read (${code ?? (error as Error).message}).`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RelayError("router-invalid", `Router file ${path} is not JSON (damaged or not a router file).`);
  }
  const router = parseRouter(json, `Router file ${path}`);
  const made = router.file;
  if (made.student.fingerprint !== student.fingerprint) {
    throw new RelayError("router-invalid", `Router file ${path} was trained for the student ${made.student.name} (${made.student.fingerprint}), not for ${student.name ?? "the loaded one"} (${student.fingerprint}).`);
  }
  const warnings: string[] = [];
  if (teacher && made.teacher && made.teacher.fingerprint !== teacher.fingerprint) {
    warnings.push(`Router file ${path} was trained with the teacher ${made.teacher.name}; the teacher now is ${teacher.name ?? teacher.fingerprint}: its calls may be placed less well.`);
  }
  return { router, warnings };
}
