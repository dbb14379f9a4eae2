/**
 * Whether a second model fits beside the one already loaded (a separate inline model next to the
 * student): the estimate of what it needs (weights and context) against what the machine has
 * free, with a margin, and the sentence that says so when it does not.
 */

export interface MemoryAmounts {
  /** System RAM, bytes. */
  ramBytes: number;
  /** GPU memory, bytes (0 on the CPU). */
  vramBytes: number;
}

export interface FitVerdict {
  fits: boolean;
  /** Where it does not fit. */
  short?: "RAM" | "GPU memory";
  needBytes?: number;
  freeBytes?: number;
}

/** Kept free for everything else (the editor, the OS): 512 MiB, or a tenth of what is free. */
export function memoryReserve(freeBytes: number): number {
  return Math.max(512 * 2 ** 20, Math.floor(freeBytes / 10));
}

export function secondModelFits(need: MemoryAmounts, free: MemoryAmounts): FitVerdict {
  if (need.vramBytes > 0 && need.vramBytes > free.vramBytes - memoryReserve(free.vramBytes)) return { fits: false, short: "GPU memory", needBytes: need.vramBytes, freeBytes: free.vramBytes };
  if (need.ramBytes > free.ramBytes - memoryReserve(free.ramBytes)) return { fits: false, short: "RAM", needBytes: need.ramBytes, freeBytes: free.ramBytes };
  return { fits: true };
}

const gb = (n: number) => `${(n / 2 ** 30).toFixed(n < 2 ** 30 ? 2 : 1)} GB`;

/** "needs about 74.3 GB of RAM; 15.2 GB is free with the student loaded". */
export function fitSentence(verdict: FitVerdict): string {
  if (verdict.fits) return "fits";
  return `needs about ${gb(verdict.needBytes ?? 0)} of ${verdict.short}; ${gb(verdict.freeBytes ?? 0)} is free with the student loaded`;
}
