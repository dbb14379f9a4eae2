/**
 * llama-cpp-python's OpenAI-compatible server (`python -m llama_cpp.server`, from the `server`
 * requirements set, see scripts/pyenv.sh) on 127.0.0.1 and a free port: started, waited for,
 * and stopped by pid. Its log is kept: llama-cpp-python reports the prompt tokens it reused from
 * its cache only there ("Llama.generate: N prefix-match hit"), not in the API's usage.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { RelayError } from "../core/errors.js";

export interface LlamaServerOptions {
  repoRoot: string;
  model: string;
  /** The model name the API answers to. */
  alias: string;
  contextSize: number;
  threads: number;
  /** Waiting for the server to answer, in ms (default 120 s: the first start loads the model). */
  startTimeoutMs?: number;
  /** The port to listen on (default: a free one); a restart can take the port of a server it replaces. */
  port?: number;
}

export interface LlamaServer {
  /** The OpenAI base URL, e.g. http://127.0.0.1:41234/v1. */
  url: string;
  pid: number;
  alias: string;
  /** Everything the server wrote to stdout and stderr so far. */
  log(): string;
  /** Prompt tokens reused from the server's cache, one number per request, as its log reports them. */
  prefixHits(): number[];
  stop(): Promise<void>;
}

/** The python of the cached `server` environment (built on first use: minutes). */
export function serverPython(repoRoot: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("bash", [join(repoRoot, "scripts", "pyenv.sh"), "server"], { timeout: 60 * 60 * 1000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new RelayError("teacher-failed", `scripts/pyenv.sh server failed:\n${stderr.trim()}`, { cause: error }));
      else resolve(stdout.trim().split("\n").pop() ?? "");
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export async function startLlamaServer(options: LlamaServerOptions): Promise<LlamaServer> {
  const python = await serverPython(options.repoRoot);
  const port = options.port ?? (await freePort());
  const args = ["-m", "llama_cpp.server", "--model", options.model, "--model_alias", options.alias, "--host", "127.0.0.1", "--port", String(port)];
  args.push("--n_ctx", String(options.contextSize), "--n_threads", String(options.threads), "--n_threads_batch", String(options.threads), "--verbose", "true");
  const child = spawn(python, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PYTHONUNBUFFERED: "1" } });
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}/v1`;
  const server: LlamaServer = {
    url,
    pid: child.pid ?? -1,
    alias: options.alias,
    log: () => log,
    prefixHits: () => [...log.matchAll(/Llama\.generate: (\d+) prefix-match hit/g)].map((m) => Number(m[1])),
    stop: () => stopChild(child, exited),
  };
  try {
    await waitReady(url, exited, options.startTimeoutMs ?? 120_000, () => log);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

async function waitReady(url: string, exited: Promise<number | null>, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone: number | null | undefined;
  void exited.then((code) => (gone = code));
  while (Date.now() < deadline) {
    if (gone !== undefined) throw new RelayError("teacher-failed", `llama_cpp.server exited (code ${gone}) before it was ready:\n${tail(log())}`);
    try {
      const response = await fetch(`${url}/models`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new RelayError("teacher-timeout", `llama_cpp.server did not answer within ${timeoutMs} ms:\n${tail(log())}`);
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

function tail(text: string, lines = 25): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}
