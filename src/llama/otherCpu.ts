/**
 * How much CPU other processes used since the last look: the cores' busy time (os.cpus) minus
 * this process's own (process.cpuUsage, which holds llama.cpp's threads), over the wall time.
 * Unlike the load average (a minute-long average) it sees a build start or stop between two
 * answers. In a container os.cpus() may count the host's other tenants: then it reads busier
 * than the cores this process may use, and the governor only probes less eagerly.
 */
import { cpus } from "node:os";

interface Snapshot {
  busyMs: number;
  ownMs: number;
  wallMs: number;
}

function snapshot(): Snapshot {
  let busyMs = 0;
  for (const cpu of cpus()) busyMs += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq;
  const own = process.cpuUsage();
  return { busyMs, ownMs: (own.user + own.system) / 1000, wallMs: performance.now() };
}

/** Returns a function giving the cores other processes kept busy, on average, since its last call (≥ 0; NaN until some time has passed). */
export function otherCpuMeter(): () => number {
  let last = snapshot();
  return () => {
    const now = snapshot();
    const wall = now.wallMs - last.wallMs;
    // os.cpus() ticks in 10 ms steps: too short a window says nothing.
    if (wall < 200) return NaN;
    const others = (now.busyMs - last.busyMs - (now.ownMs - last.ownMs)) / wall;
    last = now;
    return Math.max(0, others);
  };
}
