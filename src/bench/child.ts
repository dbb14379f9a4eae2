/**
 * Benchmarks that must not share a process (peak memory, a fresh Llama with the library's own
 * thread default) run in child processes: the same CLI started again with a hidden
 * `bench --child <json>` argument. The child prints one result line that the parent parses.
 */
import { spawn } from "node:child_process";

export const RESULT_PREFIX = "RELAY_BENCH_RESULT ";

export interface ChildCommand {
  command: string;
  args: string[];
}

/**
 * How to start this CLI again: the same node, its flags (e.g. `--import tsx`) and script, and
 * the `bench` command. Only valid when this process was started as the `relay` CLI.
 */
export function selfCommand(): ChildCommand {
  return { command: process.execPath, args: [...process.execArgv, process.argv[1], "bench"] };
}

/** Runs a child with `spec` and returns its result object; its stderr is passed through `onLine`. */
export function runChild<T>(child: ChildCommand, spec: object, onLine: (line: string) => void = () => {}, timeoutMs = 10 * 60_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const proc = spawn(child.command, [...child.args, "--child", JSON.stringify(spec)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
    proc.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    proc.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      err += chunk;
      for (const line of chunk.split("\n")) if (line.trim()) onLine(line);
    });
    proc.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    proc.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
      if (code === 0 && line) {
        try {
          resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as T);
          return;
        } catch (error) {
          reject(error);
          return;
        }
      }
      reject(new Error(`benchmark child failed (${signal ?? `exit ${code}`}): ${err.trim().split("\n").slice(-5).join(" | ") || "no output"}`));
    });
  });
}

/** In the child: prints the result line the parent looks for. */
export function writeChildResult(result: unknown): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}
