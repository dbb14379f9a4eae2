/**
 * The paper's grader: HuggingFace Math-Verify (0.9.0, pinned in python/requirements/tools.txt),
 * run by the Python helper `relaytools.grade` in the project's private virtual environment
 * (scripts/pyenv.sh tools; made on first use). Pairs stream through a few helper processes as
 * JSON lines. A pair the helper takes too long on (Math-Verify's own SymPy timeouts aside) is
 * given up with an error and the helper restarted for the rest, so one pathological answer
 * never stalls an eval; a helper that cannot start at all is a clear error.
 */
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { abortError, RelayError } from "../core/errors.js";
import type { GradePair, Grader, GraderVerdict } from "./grader.js";
import { packageRoot } from "./packageRoot.js";
import { projectPython } from "./projectPython.js";

export interface MathVerifyOptions {
  /** A Python with math-verify installed; default: the package's `tools` environment. */
  python?: string;
  /** Helper processes grading at once (default: the CPUs available, at most 4). */
  workers?: number;
  /** No verdict for this long on one pair: the helper is stuck on it (default 60 s). */
  pairTimeoutMs?: number;
  /** The helper loading Python, SymPy and math-verify (default 120 s). */
  startTimeoutMs?: number;
  /** Making the virtual environment the first time (default 15 min). */
  setupTimeoutMs?: number;
  /** The package root (python/ and scripts/ are found there). */
  root?: string;
}

interface HelperLine {
  ready?: boolean;
  correct?: boolean;
  extracted?: string | null;
  error?: string;
}

const pythons = new Map<string, Promise<string>>();

export class MathVerifyGrader implements Grader {
  readonly name = "math-verify";
  private readonly root: string;

  constructor(private readonly options: MathVerifyOptions = {}) {
    this.root = options.root ?? packageRoot();
  }

  /** The helper's Python: given, RELAY_GRADER_PYTHON, or the package's `tools` environment (made once). */
  python(): Promise<string> {
    const given = this.options.python ?? process.env.RELAY_GRADER_PYTHON;
    if (given) return Promise.resolve(given);
    let found = pythons.get(this.root);
    if (!found) {
      found = toolsPython(this.root, this.options.setupTimeoutMs ?? 15 * 60_000);
      pythons.set(this.root, found);
      found.catch(() => pythons.delete(this.root));
    }
    return found;
  }

  async gradeAll(pairs: readonly GradePair[], signal?: AbortSignal): Promise<GraderVerdict[]> {
    if (pairs.length === 0) return [];
    if (signal?.aborted) throw abortError();
    const python = await this.python();
    const workers = Math.max(1, Math.min(this.options.workers ?? Math.min(4, availableParallelism()), Math.ceil(pairs.length / 50)));
    const size = Math.ceil(pairs.length / workers);
    const chunks = Array.from({ length: workers }, (_, i) => pairs.slice(i * size, (i + 1) * size));
    const graded = await Promise.all(chunks.map((chunk) => this.gradeChunk(python, chunk, signal)));
    return graded.flat();
  }

  /** One chunk through one helper at a time; a stuck or crashed pair is skipped and the helper restarted. */
  private async gradeChunk(python: string, pairs: readonly GradePair[], signal?: AbortSignal): Promise<GraderVerdict[]> {
    const out: GraderVerdict[] = [];
    while (out.length < pairs.length) {
      const ended = await this.runHelper(python, pairs.slice(out.length), (v) => out.push(v), signal);
      if (out.length < pairs.length) out.push({ correct: false, extracted: null, error: ended });
    }
    return out;
  }

  /**
   * Streams pairs through one helper process; resolves with why it stopped early (the pair in
   * hand then gets that error), or "" when every pair was graded.
   */
  private runHelper(python: string, pairs: readonly GradePair[], onVerdict: (v: GraderVerdict) => void, signal?: AbortSignal): Promise<string> {
    const timeoutMs = this.options.pairTimeoutMs ?? 60_000;
    const startMs = this.options.startTimeoutMs ?? 120_000;
    return new Promise((resolve, reject) => {
      const child = spawn(python, ["-m", "relaytools.grade", "--ready"], {
        cwd: this.root,
        env: { ...process.env, PYTHONPATH: join(this.root, "python"), PYTHONDONTWRITEBYTECODE: "1", PYTHONIOENCODING: "utf-8" },
        stdio: ["pipe", "pipe", "pipe"],
      });
      let ready = false;
      let graded = 0;
      let stderr = "";
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        child.kill("SIGKILL");
        fn();
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(
          () => {
            if (!ready) finish(() => reject(new RelayError("grader-failed", `The math-verify helper (${python}) did not start within ${startMs / 1000} s.${tail(stderr)}`)));
            else finish(() => resolve(`math-verify gave no verdict within ${timeoutMs / 1000} s; this pair was skipped`));
          },
          ready ? timeoutMs : startMs,
        );
      };
      const onAbort = () => finish(() => reject(abortError()));
      signal?.addEventListener("abort", onAbort, { once: true });
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
      child.stdin.on("error", () => {}); // a killed helper closes its stdin; the exit says why
      child.on("error", (error) => finish(() => reject(new RelayError("grader-failed", `Cannot run the math-verify helper with ${python}: ${error.message}`, { cause: error }))));
      child.on("close", (code, sig) => {
        if (!ready) finish(() => reject(new RelayError("grader-failed", `The math-verify helper (${python} -m relaytools.grade) exited before it was ready (${sig ?? `exit ${code}`}).${tail(stderr)}`)));
        else if (graded < pairs.length) finish(() => resolve(`the math-verify helper exited on this pair (${sig ?? `exit ${code}`})${tail(stderr)}`));
        else finish(() => resolve(""));
      });
      createInterface({ input: child.stdout }).on("line", (line) => {
        if (settled) return;
        let parsed: HelperLine;
        try {
          parsed = JSON.parse(line) as HelperLine;
        } catch {
          return finish(() => reject(new RelayError("grader-failed", `The math-verify helper wrote something that is not JSON: ${line.slice(0, 200)}`)));
        }
        if (!ready) {
          ready = parsed.ready === true;
          if (!ready) return finish(() => reject(new RelayError("grader-failed", `The math-verify helper did not say it was ready: ${line.slice(0, 200)}`)));
          arm();
          for (const p of pairs) child.stdin.write(JSON.stringify({ response: p.response, gold: p.gold }) + "\n");
          child.stdin.end();
          return;
        }
        graded++;
        onVerdict(parsed.error !== undefined ? { correct: false, extracted: null, error: parsed.error } : { correct: parsed.correct === true, extracted: parsed.extracted ?? null });
        if (graded === pairs.length) finish(() => resolve(""));
        else arm();
      });
      arm();
    });
  }
}

function tail(stderr: string): string {
  const lines = stderr.trim().split("\n").slice(-8).join("\n");
  return lines ? `\n${lines}` : "";
}

/** `scripts/pyenv.sh tools`: the Python of the pinned `tools` environment, made on first use. */
function toolsPython(root: string, timeoutMs: number): Promise<string> {
  return projectPython(root, "tools", timeoutMs, { who: "The math-verify grader", instead: "--grader builtin needs no Python, or set RELAY_GRADER_PYTHON to a Python with math-verify 0.9.0.", code: "grader-failed" });
}
