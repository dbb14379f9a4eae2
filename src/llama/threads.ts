/**
 * CPU thread count for llama.cpp. Oversubscribed threads spin against each other (measured
 * here: 0.3 tokens/s with 4 threads on 2 vCPUs against 33.6 with 2), so the default is the
 * math cores actually available, capped by a cgroup CPU quota when there is one.
 */
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { defaultThreadCeiling } from "../core/threadGovernor.js";

/** CPUs granted by a cgroup v2 (`cpu.max`) or v1 (`cfs_quota_us`) quota, if any. */
export function cgroupCpuLimit(): number | undefined {
  try {
    const [quota, period] = readFileSync("/sys/fs/cgroup/cpu.max", "utf8").trim().split(/\s+/);
    if (quota !== "max" && Number(quota) > 0 && Number(period) > 0) return Number(quota) / Number(period);
  } catch {
    // not cgroup v2
  }
  try {
    const quota = Number(readFileSync("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "utf8"));
    const period = Number(readFileSync("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "utf8"));
    if (quota > 0 && period > 0) return quota / period;
  } catch {
    // no quota
  }
  return undefined;
}

/**
 * `requested` wins when set (> 0); otherwise the default ceiling (defaultThreadCeiling: a core
 * left for the editor above 2 cores) of the math cores, within the quota and CPU count. Without
 * `requested` the student's thread governor adapts below this ceiling per answer.
 */
export function chooseThreads(mathCores: number, requested?: number): number {
  if (requested !== undefined && requested > 0) return Math.floor(requested);
  const quota = cgroupCpuLimit();
  let threads = Math.min(mathCores > 0 ? mathCores : availableParallelism(), availableParallelism());
  if (quota !== undefined) threads = Math.min(threads, Math.ceil(quota));
  return defaultThreadCeiling(Math.max(1, threads));
}

/**
 * How busy the machine is before the student runs: the 1-minute load average against the
 * cores this process may use. Windows has no load average (0): the governor starts at its ceiling.
 */
export function machineLoad(): { cores: number; loadAverage: number } {
  const quota = cgroupCpuLimit();
  const cores = Math.min(availableParallelism(), quota ?? Infinity);
  return { cores, loadAverage: loadavg()[0] };
}
