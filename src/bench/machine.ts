/** What the benchmark ran on: CPU, memory, load, versions — recorded with every result. */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { arch, availableParallelism, cpus, loadavg, platform, release, totalmem } from "node:os";
import { join } from "node:path";
import { cgroupCpuLimit } from "../llama/threads.js";

export interface LoadSample {
  at: string;
  /** 1, 5 and 15-minute load averages. */
  loadavg: [number, number, number];
  /** CPU busy share of the whole machine over a short window (0–1), from /proc/stat. */
  busy?: number;
  /** Share of that window stolen by the hypervisor (0–1). */
  steal?: number;
  /** The busiest processes over that window ("NN% name", 100% = one CPU), for the record. */
  top?: string[];
}

export interface MachineInfo {
  platform: string;
  release: string;
  arch: string;
  cpuModel: string;
  logicalCpus: number;
  availableParallelism: number;
  cgroupCpuLimit: number | null;
  totalMemoryBytes: number;
  node: string;
  versions: Record<string, string>;
  gitCommit: string | null;
  gitDirty: boolean | null;
}

export function machineInfo(root: string): MachineInfo {
  const cpuList = cpus();
  return {
    platform: platform(),
    release: release(),
    arch: arch(),
    cpuModel: cpuList[0]?.model.trim() ?? "unknown",
    logicalCpus: cpuList.length,
    availableParallelism: availableParallelism(),
    cgroupCpuLimit: cgroupCpuLimit() ?? null,
    totalMemoryBytes: totalmem(),
    node: process.version,
    versions: {
      "node-llama-cpp": packageVersion(root, "node-llama-cpp"),
      relay: readJson(join(root, "package.json"))?.version ?? "unknown",
    },
    gitCommit: git(root, ["rev-parse", "HEAD"]),
    gitDirty: (() => {
      const status = git(root, ["status", "--porcelain"]);
      return status === null ? null : status.length > 0;
    })(),
  };
}

function readJson(path: string): { version?: string } | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as { version?: string };
  } catch {
    return undefined;
  }
}

function packageVersion(root: string, name: string): string {
  return readJson(join(root, "node_modules", name, "package.json"))?.version ?? "unknown";
}

function git(root: string, args: string[]): string | null {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

function cpuTimes(): { busy: number; steal: number; total: number } | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
    const [, ...fields] = line.trim().split(/\s+/);
    const v = fields.map(Number);
    // user nice system idle iowait irq softirq steal
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const steal = v[7] ?? 0;
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle - steal, steal, total };
  } catch {
    return undefined;
  }
}

/** CPU time (ticks) of every process, by pid, with its name. */
function processTimes(): Map<number, { name: string; ticks: number }> {
  const out = new Map<number, { name: string; ticks: number }>();
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const name = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      // utime and stime are fields 14 and 15 of the whole line (11 and 12 after the name).
      out.set(Number(pid), { name, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // gone
    }
  }
  return out;
}

/**
 * Load averages, plus (with `windowMs`) how busy the CPUs were over that window and which
 * processes used them (as "NN% name", 100% = one CPU).
 */
export async function sampleLoad(windowMs = 0): Promise<LoadSample> {
  const sample: LoadSample = { at: new Date().toISOString(), loadavg: loadavg().map((x) => Math.round(x * 100) / 100) as [number, number, number] };
  if (windowMs > 0) {
    const a = cpuTimes();
    const pa = processTimes();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, windowMs));
    const seconds = (performance.now() - t0) / 1000;
    const b = cpuTimes();
    const pb = processTimes();
    if (a && b && b.total > a.total) {
      sample.busy = Math.round(((b.busy - a.busy) / (b.total - a.total)) * 1000) / 1000;
      sample.steal = Math.round(((b.steal - a.steal) / (b.total - a.total)) * 1000) / 1000;
    }
    const hz = 100; // USER_HZ on Linux
    sample.top = [...pb.entries()]
      .map(([pid, p]) => ({ name: p.name, pct: ((p.ticks - (pa.get(pid)?.ticks ?? p.ticks)) / hz / seconds) * 100 }))
      .filter((p) => p.pct >= 1)
      .sort((x, y) => y.pct - x.pct)
      .slice(0, 6)
      .map((p) => `${p.pct.toFixed(0)}% ${p.name}`);
  }
  return sample;
}
