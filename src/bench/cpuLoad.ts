/**
 * A competing CPU load for the benchmarks: a busy loop on one core in a child process, bounded
 * in time by itself, ending when this process dies, and stopped by `stop()` or when this
 * process exits.
 */
import { spawn, type ChildProcess } from "node:child_process";

/** Ends by itself at its deadline, or as soon as its parent is gone (killed without a chance to stop it). */
const BUSY_LOOP = "const end = Date.now() + Number(process.argv[1]) * 1000; const parent = process.ppid; let x = 0; while (Date.now() < end) { x = (x + 1) | 0; if ((x & 0xffff) === 0 && process.ppid !== parent) break; }";

export interface CpuLoad {
  readonly pid: number | undefined;
  /** Stops the loop; resolves once the child is gone. Idempotent. */
  stop(): Promise<void>;
}

export function startCpuLoad(maxSeconds: number): CpuLoad {
  const child: ChildProcess = spawn(process.execPath, ["-e", BUSY_LOOP, String(maxSeconds)], { stdio: "ignore" });
  const gone = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.once("exit", kill);
  return {
    pid: child.pid,
    stop: async () => {
      kill();
      await gone;
      process.removeListener("exit", kill);
    },
  };
}
