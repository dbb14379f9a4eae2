/**
 * Runs an untrusted Python program (a model's code with a benchmark's tests) in its own process,
 * inside a bubblewrap sandbox: new user, pid, network, IPC and UTS namespaces, the whole file
 * system read-only except a fresh temporary folder (the program's /tmp and working directory),
 * no capabilities, an empty environment, and rlimits set inside by util-linux's prlimit: address
 * space (memory), processes (counted per user namespace, so only the sandbox's own), file size,
 * open files and CPU time. A wall-clock timeout kills the process group; the sandbox's init is
 * pid 1 of its pid namespace, so every process the program forked dies with it. Run as root,
 * the sandbox first drops to nobody (setpriv), because the kernel never applies RLIMIT_NPROC to
 * root. There is no unsandboxed fallback: a missing tool is an error naming it.
 */
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { chown, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { RelayError, abortError } from "../core/errors.js";

export interface SandboxLimits {
  /** Wall-clock time for the whole run. */
  timeoutMs: number;
  /** RLIMIT_AS: the address space (virtual memory) of each process. */
  memoryBytes: number;
  /** RLIMIT_NPROC: processes of the sandbox's user, its init and the program included. */
  processes: number;
  /** RLIMIT_FSIZE: the largest file the program may write. */
  fileBytes: number;
  /** RLIMIT_NOFILE. */
  openFiles: number;
  /** Kept of stdout and of stderr (their ends); the rest is dropped, never buffered. */
  outputBytes: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  timeoutMs: 10_000,
  memoryBytes: 1024 * 2 ** 20,
  processes: 16,
  fileBytes: 16 * 2 ** 20,
  openFiles: 64,
  outputBytes: 64 * 1024,
};

export interface SandboxRun {
  /** "ok": the program exited by itself (any code); "timeout": it was killed at the deadline. */
  status: "ok" | "timeout";
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface SandboxOptions {
  /** The Python that runs the programs (an absolute path an unprivileged user can run); default: RELAY_SANDBOX_PYTHON, /usr/bin/python3, or python3 on PATH. */
  python?: string;
  /** Folder for the per-run temporary folders (default: the system's). */
  tempDir?: string;
}

/** The uid and gid the sandbox runs as when Relay itself runs as root. */
const NOBODY = 65534;
const SETUP_HINT = "Run scripts/sandbox-setup.sh (on Debian it installs the bubblewrap package), or install bubblewrap with your package manager.";

export class CodeSandbox {
  private constructor(
    private readonly tools: { bwrap: string; prlimit: string; setpriv?: string },
    readonly python: string,
    private readonly tempDir: string,
  ) {}

  /** Finds the tools and checks that a trivial program runs in the sandbox; throws with the reason otherwise. */
  static async create(options: SandboxOptions = {}): Promise<CodeSandbox> {
    const root = process.getuid?.() === 0;
    const need = (tool: string, pkg: string) => {
      const found = which(tool);
      if (!found) throw new RelayError("grader-failed", `Code grading runs every program in a sandbox and needs \`${tool}\` (${pkg}), which is not on PATH. ${SETUP_HINT} Programs are never run without the sandbox.`);
      return found;
    };
    const tools = { bwrap: need("bwrap", "Debian package bubblewrap"), prlimit: need("prlimit", "util-linux"), ...(root ? { setpriv: need("setpriv", "util-linux") } : {}) };
    const python = options.python ?? process.env.RELAY_SANDBOX_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : which("python3"));
    if (!python) throw new RelayError("grader-failed", "Code grading needs Python 3 (/usr/bin/python3, python3 on PATH, or RELAY_SANDBOX_PYTHON).");
    const sandbox = new CodeSandbox(tools, python, options.tempDir ?? tmpdir());
    const probe = await sandbox.run("import sys\nprint(sys.version_info >= (3, 8))\n", { ...DEFAULT_SANDBOX_LIMITS, timeoutMs: 30_000 });
    if (probe.status !== "ok" || probe.exitCode !== 0 || probe.stdout.trim() !== "True") {
      const why = probe.status === "timeout" ? "it did not finish within 30 s" : `${probe.signal ?? `exit ${probe.exitCode}`}: ${(probe.stderr || probe.stdout).trim().slice(-600)}`;
      throw new RelayError("grader-failed", `The code sandbox does not work here (${tools.bwrap} running ${python}${root ? " as nobody" : ""}): ${why}. Python 3.8 or newer must be runnable by ${root ? "the user nobody" : "this user"} (RELAY_SANDBOX_PYTHON names another), and user namespaces must be allowed. ${SETUP_HINT}`);
    }
    return sandbox;
  }

  /** Runs `program` as main.py in a fresh folder; the folder is removed afterwards. */
  async run(program: string, limits: SandboxLimits = DEFAULT_SANDBOX_LIMITS, signal?: AbortSignal): Promise<SandboxRun> {
    if (signal?.aborted) throw abortError();
    const dir = await mkdtemp(join(this.tempDir, "relay-sandbox-"));
    try {
      await writeFile(join(dir, "main.py"), program, "utf8");
      if (this.tools.setpriv) await chown(dir, NOBODY, NOBODY);
      return await this.spawnIn(dir, limits, signal);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The command line: [setpriv →] bwrap → prlimit → python. */
  command(dir: string, limits: SandboxLimits): string[] {
    const drop = this.tools.setpriv ? [this.tools.setpriv, `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--"] : [];
    const bwrap = [
      this.tools.bwrap,
      "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
      "--ro-bind", "/", "/",
      "--proc", "/proc",
      // A fresh /dev, then read-only: its tmpfs (/dev/shm) would be memory outside every limit.
      "--dev", "/dev", "--remount-ro", "/dev",
      "--bind", dir, "/tmp", "--chdir", "/tmp",
      "--clearenv", "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv", "HOME", "/tmp", "--setenv", "LANG", "C.UTF-8",
      "--",
    ];
    const cpuSeconds = Math.ceil(limits.timeoutMs / 1000) + 1;
    const prlimit = [this.tools.prlimit, `--as=${limits.memoryBytes}`, `--nproc=${limits.processes}`, `--fsize=${limits.fileBytes}`, `--nofile=${limits.openFiles}`, `--cpu=${cpuSeconds}`, "--"];
    // -I: no user site-packages, no PYTHON* variables, the script's folder not on sys.path first; -B: no .pyc files.
    return [...drop, ...bwrap, ...prlimit, this.python, "-I", "-B", "main.py"];
  }

  private spawnIn(dir: string, limits: SandboxLimits, signal?: AbortSignal): Promise<SandboxRun> {
    const [cmd, ...args] = this.command(dir, limits);
    const started = Date.now();
    return new Promise((resolve, reject) => {
      // Its own process group, so the deadline kills everything it started outside the namespaces too.
      const child = spawn(cmd, args, { cwd: dir, detached: true, stdio: ["ignore", "pipe", "pipe"] });
      const stdout = new Tail(limits.outputBytes);
      const stderr = new Tail(limits.outputBytes);
      let timedOut = false;
      const kill = () => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, limits.timeoutMs);
      const onAbort = () => kill();
      signal?.addEventListener("abort", onAbort, { once: true });
      child.stdout.on("data", (d: Buffer) => stdout.push(d));
      child.stderr.on("data", (d: Buffer) => stderr.push(d));
      child.on("error", (error) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        reject(new RelayError("grader-failed", `Cannot start the code sandbox (${cmd}): ${error.message}`, { cause: error }));
      });
      child.on("close", (exitCode, sig) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (signal?.aborted) return reject(abortError());
        resolve({ status: timedOut ? "timeout" : "ok", exitCode, signal: sig, stdout: stdout.text(), stderr: stderr.text(), durationMs: Date.now() - started });
      });
    });
  }
}

/** The last `max` bytes of a stream. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(data: Buffer): void {
    this.chunks.push(data);
    this.size += data.length;
    while (this.size - this.chunks[0].length >= this.max) this.size -= (this.chunks.shift() as Buffer).length;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.max)).toString("utf8");
  }
}

function which(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, tool);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

