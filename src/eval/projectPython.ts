/** `scripts/pyenv.sh <set>`: the Python of one of the project's pinned environments, made on first use. */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { RelayError, type RelayErrorCode } from "../core/errors.js";

export interface PythonNeed {
  /** Who needs it, for the message ("The math-verify grader"). */
  who: string;
  /** What the user can do instead, appended to the message. */
  instead: string;
  code: RelayErrorCode;
}

export function projectPython(root: string, set: string, timeoutMs: number, need: PythonNeed): Promise<string> {
  const script = join(root, "scripts", "pyenv.sh");
  if (!existsSync(script)) return Promise.reject(new RelayError(need.code, `${need.who} needs ${script} to make its Python environment, and it is missing. ${need.instead}`));
  return new Promise((resolve, reject) => {
    execFile("bash", [script, set], { cwd: root, timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 }, (error, stdout, stderr) => {
      const python = stdout.trim().split("\n").at(-1) ?? "";
      if (error || !python) {
        const why = error?.killed ? `timed out after ${timeoutMs / 1000} s` : `exit ${error?.code ?? "?"}`;
        const lines = stderr.trim().split("\n").slice(-8).join("\n");
        reject(new RelayError(need.code, `${need.who} could not make its Python environment (scripts/pyenv.sh ${set}: ${why}). It needs Python 3.11 or newer (python3 on PATH, or RELAY_PYTHON) and, the first time, access to PyPI. ${need.instead}${lines ? `\n${lines}` : ""}`, { cause: error }));
      } else resolve(python);
    });
  });
}
